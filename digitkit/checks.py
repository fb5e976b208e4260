"""Argument checks shared by the model builders: one clear ``ValueError`` each."""


def check_positive(**values):
    """Raise ``ValueError`` for any keyword argument that is None or not > 0.

    Example: ``check_positive(latent_dim=0)`` raises
    ``ValueError("latent_dim must be positive. Received: latent_dim=0")``.
    """
    for key, value in values.items():
        if value is None or not value > 0:
            raise ValueError(f"{key} must be positive. Received: {key}={value!r}")


def check_whole(minimum=1, **values):
    """Raise ``ValueError`` for any keyword argument that is not a whole number >= ``minimum``."""
    for key, value in values.items():
        if isinstance(value, bool) or value is None or int(value) != value or value < minimum:
            raise ValueError(f"{key} must be a whole number >= {minimum}. Received: {key}={value!r}")


def check_filters(filters):
    """``filters`` as a tuple, if it is two positive whole numbers (a GAN network's channels at two sizes)."""
    filters = tuple(filters) if isinstance(filters, (tuple, list)) else filters
    if (
        not isinstance(filters, tuple)
        or len(filters) != 2
        or not all(isinstance(f, int) and not isinstance(f, bool) and f > 0 for f in filters)
    ):
        raise ValueError(f"filters must be two positive whole numbers. Received: filters={filters!r}")
    return filters

"""The GAN failure-mode lab of notebook 02: its knobs, its short runs and their records.

`LAB_RUNS` are the recorded runs (subset of MNIST, few epochs): the healthy
run uses the defaults; each failure changes one or two knobs. `lab_run` is
one such run (the notebook's Train button, `digitkit.apps.TrainLab`);
`record_lab_runs` records them all in ``assets/training/gan_runs.json``
(`digitkit.runs`), which the notebook plots with `digitkit.diagnostics`.
"""

import time

from digitkit import metrics, runs, training
from digitkit.checks import check_positive
from digitkit.data import load_mnist
from digitkit.gan import GAN, build_dense_discriminator, build_dense_generator

LAB_RUNS = {
    "healthy": dict(),
    "strong_discriminator": dict(d_learning_rate=2e-3, d_steps=5, generator_loss="saturating", dropout=0.0),
    "mode_collapse": dict(g_learning_rate=2e-3, d_learning_rate=2e-5, batch_norm=False),
    "fixed": dict(d_learning_rate=2e-3, d_steps=5, generator_loss="non_saturating", label_smoothing=0.1, dropout=0.0),
    "collapse_with_batchnorm": dict(g_learning_rate=2e-3, d_learning_rate=2e-5, batch_norm=True),
}

# The size of the recorded lab runs.
LAB_SIZE = dict(n_images=10000, epochs=10, batch_size=64, n_samples=1000)


def make_gan(
    latent_dim=64,
    d_learning_rate=2e-4,
    g_learning_rate=2e-4,
    d_steps=1,
    label_smoothing=0.0,
    generator_loss="non_saturating",
    batch_norm=True,
    dropout=0.3,
    seed=0,
):
    """A dense `digitkit.gan.GAN` from the lab's knobs (the ones the notebook's sliders set)."""
    check_positive(latent_dim=latent_dim)
    return GAN(
        build_dense_generator(latent_dim, batch_norm=batch_norm, seed=seed),
        build_dense_discriminator(dropout=dropout, seed=seed),
        latent_dim=latent_dim,
        d_learning_rate=d_learning_rate,
        g_learning_rate=g_learning_rate,
        d_steps=d_steps,
        label_smoothing=label_smoothing,
        generator_loss=generator_loss,
        seed=seed,
    )


def lab_run(
    knobs=None,
    n_images=10000,
    epochs=5,
    batch_size=64,
    n_samples=1000,
    seed=0,
    gif_path=None,
    judge=None,
    verbose=0,
    defer_diagnostics=False,
):
    """A short GAN run on a subset of MNIST, with the diagnostics of every epoch.

    Args:
        knobs: keyword arguments of `make_gan` (learning rates, ``d_steps``, ...).
        n_images: training images (the first ``n_images`` of MNIST's training set).
        epochs, batch_size: the usual.
        n_samples: samples (and test images) for the diagnostics.
        gif_path: the run's training GIF, if wanted.

    Returns:
        ``(gan, history_dict)``.
    """
    (x_train, _), (x_test, _) = load_mnist(normalize=True)
    model = make_gan(seed=seed, **(knobs or {}))
    history = training.fit(
        model,
        x_train[:n_images],
        epochs=epochs,
        batch_size=batch_size,
        reference_images=x_test,
        judge=judge,
        n_samples=n_samples,
        gif_path=gif_path,
        seed=seed,
        verbose=verbose,
        defer_diagnostics=defer_diagnostics,
    )
    return model, history


def record_lab_runs(names=None, path=None, verbose=0, defer=False, **size):
    """Run the failure-mode lab (`LAB_RUNS`) and record each history in ``gan_runs.json``.

    Args:
        names: which of `LAB_RUNS` (default: all).
        path: the JSON file (default: `digitkit.runs.runs_path()`).
        size: overrides of `LAB_SIZE` (``n_images``, ``epochs``, ...).

    Returns:
        ``{name: history}``.
    """
    size = {**LAB_SIZE, **size}
    out = {}
    for name in names or LAB_RUNS:
        start = time.time()
        model, history = lab_run(LAB_RUNS[name], verbose=verbose, defer_diagnostics=defer, **size)
        samples = model.generate(1000, seed=0)
        labels = metrics.judge_labels(samples)
        runs.save_run(
            name,
            LAB_RUNS[name],
            history,
            path=path,
            size=size,
            minutes=round((time.time() - start) / 60, 2),
            final_histogram=metrics.label_histogram(labels).tolist(),
            samples_hex=runs.samples_hex(samples[:16]),
        )
        out[name] = history
    return out

"""Where the course keeps its files, and the quick-mode switch.

The repository layout is ``data/``, ``weights/``, ``notebooks/`` and ``assets/``
beside the ``digitkit`` package. An installed (non-editable) ``digitkit`` finds
that folder through the ``DIGITKIT_HOME`` environment variable, or by looking
upwards from the current working directory (a notebook runs in ``notebooks/``).
"""

import os
import pathlib

_MARKER = "weights"


def _looks_like_home(path):
    return (path / "data").is_dir() and (path / _MARKER).is_dir()


def project_dir():
    """Return the course folder (the one holding ``data/`` and ``weights/``).

    Raises:
        FileNotFoundError: if no such folder can be found.
    """
    env = os.environ.get("DIGITKIT_HOME")
    if env:
        path = pathlib.Path(env).expanduser().resolve()
        if not _looks_like_home(path):
            raise FileNotFoundError(
                f"DIGITKIT_HOME={env!r} has no data/ and weights/ folders. "
                "Point it at a checkout of the digitkit repository."
            )
        return path
    candidates = [pathlib.Path(__file__).resolve().parent.parent]
    cwd = pathlib.Path.cwd().resolve()
    candidates += [cwd, *cwd.parents]
    for path in candidates:
        if _looks_like_home(path):
            return path
    raise FileNotFoundError(
        "Cannot find the digitkit course folder (with data/ and weights/). "
        "Run from inside a checkout of the repository, or set DIGITKIT_HOME to it."
    )


def quick_mode():
    """True when ``DIGITKIT_QUICK=1``: every training run becomes tiny (for CI)."""
    return os.environ.get("DIGITKIT_QUICK", "0").strip().lower() in {"1", "true", "yes"}


def pick(full, quick):
    """Return ``quick`` in quick mode and ``full`` otherwise.

    Notebooks use it for epochs and sample sizes: ``epochs = pick(10, 1)``.
    """
    return quick if quick_mode() else full

"""Where the course keeps its files, and the quick-mode switch.

The repository layout is ``data/``, ``weights/``, ``notebooks/`` and ``assets/``
beside the ``digitkit`` package: git holds one copy of each. A wheel (``pip
install git+...`` on Colab or Kaggle) carries a copy of them inside the package,
as ``digitkit/_course/`` (``setup.py`` puts it there at build time).

`project_dir` finds the folder to read from, in this order: ``DIGITKIT_HOME``;
the checkout the package sits in (an editable install); the current directory or
one above it (a notebook runs in ``notebooks/``); the copy inside an installed
package. `output_dir` is where new files go: never inside an installed package.
"""

import os
import pathlib

_MARKER = "weights"
PACKAGED = "_course"  # the folder inside the installed package that holds the course's files


def _looks_like_home(path):
    return (path / "data").is_dir() and (path / _MARKER).is_dir()


def packaged_dir():
    """The course files inside the installed package (``digitkit/_course``), or None in a checkout."""
    from importlib import resources

    try:
        path = pathlib.Path(str(resources.files("digitkit") / PACKAGED))
    except (ModuleNotFoundError, TypeError):
        return None
    return path if _looks_like_home(path) else None


def project_dir():
    """Return the course folder (the one holding ``data/`` and ``weights/``), to read from.

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
    packaged = packaged_dir()
    if packaged is not None:
        return packaged
    raise FileNotFoundError(
        "Cannot find the digitkit course folder (with data/ and weights/). "
        "Run from inside a checkout of the repository, or set DIGITKIT_HOME to it."
    )


def output_dir():
    """Where the course writes new files (``runs/``, training GIFs, new weights).

    The course folder when it is a checkout or ``DIGITKIT_HOME``; the current
    directory when the course is read from an installed package, whose files
    must not change.
    """
    home = project_dir()
    return pathlib.Path.cwd() if home == packaged_dir() else home


def notebooks_dir():
    """The notebooks to open: the checkout's ``notebooks/``, or, from an installed
    package, a copy of its notebooks made once in ``./digitkit-notebooks`` (so that
    the learner's edits and outputs land in a folder of their own)."""
    import shutil

    home = project_dir()
    if home != packaged_dir():
        return home / "notebooks"
    copy = pathlib.Path.cwd() / "digitkit-notebooks"
    if not copy.is_dir():
        shutil.copytree(home / "notebooks", copy)
    return copy


def quick_mode():
    """True when ``DIGITKIT_QUICK=1``: every training run becomes tiny (for CI)."""
    return os.environ.get("DIGITKIT_QUICK", "0").strip().lower() in {"1", "true", "yes"}


def pick(full, quick):
    """Return ``quick`` in quick mode and ``full`` otherwise.

    Notebooks use it for epochs and sample sizes: ``epochs = pick(10, 1)``.
    """
    return quick if quick_mode() else full

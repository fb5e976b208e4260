"""Quiet by default: TensorFlow's and absl's log lines are hidden unless asked for.

A learner reads "failed call to cuInit", "oneDNN custom operations are on" or a
retracing warning as a failure of their code. `quiet` (called when ``digitkit``
is imported, before anything imports TensorFlow) hides them; `verbose`
(``digitkit --verbose ...``, or a call in a notebook) brings them back.

TensorFlow's C++ side reads ``TF_CPP_MIN_LOG_LEVEL`` once, when it is first
imported: set after that, the level no longer changes the C++ lines. A few
lines at import time ignore it (absl writes them before it is configured), so
`quiet` also has ``tensorflow`` imported with file descriptor 2 muted.
"""

import contextlib
import importlib.abc
import importlib.util
import logging
import os
import sys

_LOGGERS = ("tensorflow", "absl", "jax._src.xla_bridge")


class _BelowError(logging.Filter):
    def filter(self, record):
        return record.levelno >= logging.ERROR


_FILTER = _BelowError()


def quiet():
    """Hide TensorFlow's C++ and Python log lines and absl's warnings (errors still show).

    An environment that sets ``TF_CPP_MIN_LOG_LEVEL`` itself keeps its value.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # C++: errors too ("cuInit", "remapper failed")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietTensorFlowImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowImport())


def verbose():
    """Show TensorFlow's log lines again (the C++ ones only if TensorFlow is not imported yet)."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
    for name in _LOGGERS:
        logging.getLogger(name).removeFilter(_FILTER)


@contextlib.contextmanager
def native_stderr_muted():
    """Send what C/C++ code writes to file descriptor 2 to /dev/null, for a moment.

    TensorFlow's import writes absl lines ("Could not find cuda drivers",
    "All log messages before absl::InitializeLog() ...") that no environment
    variable turns off. Python's own ``sys.stderr`` in a notebook is not fd 2.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no fd 2 (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _MutedLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with native_stderr_muted():
            self._loader.exec_module(module)

    def __getattr__(self, name):  # resource readers and the rest: the real loader's
        return getattr(self._loader, name)


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Imports ``tensorflow`` (once, the first time anything asks for it) with fd 2 muted."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow" or _FILTER not in logging.getLogger("tensorflow").filters:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _MutedLoader(spec.loader)
        return spec

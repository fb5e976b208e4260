"""digitkit: the package behind the handwritten-digits deep-learning course.

Public API (stable; the notebooks and later chapters rely on it)::

    digitkit.load_mnist()                 # ((x_train, y_train), (x_test, y_test))
    digitkit.prepare_drawing(image)       # canvas/photo -> MNIST-style 28x28
    digitkit.load_pretrained("dense")     # or "judge", "gan", "cgan", "ddim", "dense_gan", "dcgan"
    digitkit.project_dir()                # the course folder (data/, weights/, assets/)

Importing it first (as every notebook does) keeps TensorFlow's log lines out of
the way: see `digitkit.logs`.
"""

from digitkit import logs

logs.quiet()  # before anything imports keras or TensorFlow

from digitkit.data import BlankDrawingError, load_image, load_mnist, prepare_drawing, to_model_input  # noqa: E402
from digitkit.paths import pick, project_dir, quick_mode  # noqa: E402
from digitkit.pretrained import load_pretrained  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "BlankDrawingError",
    "load_image",
    "load_mnist",
    "load_pretrained",
    "pick",
    "prepare_drawing",
    "project_dir",
    "quick_mode",
    "to_model_input",
]

"""digitkit: the package behind the handwritten-digits deep-learning course.

Public API (stable; the notebooks and later chapters rely on it)::

    digitkit.load_mnist()                 # ((x_train, y_train), (x_test, y_test))
    digitkit.prepare_drawing(image)       # canvas/photo -> MNIST-style 28x28
    digitkit.load_pretrained("dense")     # or "judge", "gan", "cgan", "ddim"
    digitkit.project_dir()                # the course folder (data/, weights/, assets/)
"""

from digitkit._paths import pick, project_dir, quick_mode
from digitkit.data import BlankDrawingError, load_mnist, prepare_drawing, to_model_input
from digitkit.pretrained import load_pretrained

__version__ = "0.1.0"

__all__ = [
    "BlankDrawingError", "load_mnist", "load_pretrained", "pick", "prepare_drawing",
    "project_dir", "quick_mode", "to_model_input",
]

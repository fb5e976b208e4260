"""MNIST on disk, the Kaggle CSV layout, and turning a drawing into an MNIST digit.

Taught in notebooks/00_data.ipynb.
"""

import pathlib

import numpy as np

from digitkit import ink
from digitkit.paths import project_dir

# The one definition of the image size, used everywhere in the course.
IMAGE_SIZE = 28
IMAGE_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)
"""What every model takes and every generator returns (before its channel is dropped): (28, 28, 1)."""
NUM_PIXELS = IMAGE_SIZE * IMAGE_SIZE
_KEYS = ("x_train", "y_train", "x_test", "y_test")
_EXPECTED = {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)}


class BlankDrawingError(ValueError):
    """Raised by `prepare_drawing` when the picture holds no digit (blank, or only a dot)."""


def load_mnist(path=None, normalize=False):
    """Load MNIST: the same arrays as ``keras.datasets.mnist.load_data()``.

    Reads ``data/mnist.npz`` (shipped with the course, no network needed). Only
    when that file is absent does it fall back to Keras' cache or download.

    Args:
        path: an ``.npz`` with keys ``x_train y_train x_test y_test``;
            defaults to the shipped ``data/mnist.npz``.
        normalize: if True, images come back as float32 in [0, 1] with shape
            (N, 28, 28, 1), ready for the models; otherwise uint8 (N, 28, 28).

    Returns:
        ``((x_train, y_train), (x_test, y_test))``.

    Raises:
        FileNotFoundError: neither the file nor Keras' copy could be had.
        ValueError: the file is not a valid MNIST archive.
    """
    if path is not None:
        arrays = _read_npz(pathlib.Path(path))
    else:
        shipped = _shipped_path()
        arrays = _read_npz(shipped) if shipped else _keras_fallback()
    x_train, y_train, x_test, y_test = (arrays[k] for k in _KEYS)
    if normalize:
        x_train, x_test = to_model_input(x_train), to_model_input(x_test)
    return (x_train, y_train), (x_test, y_test)


def test_reference(n, normalize=True):
    """The ``n`` test digits a generator is compared with: ``(images, labels)``, spread evenly over the test set.

    MNIST's test set is ordered: its first 5,000 digits were written by other people than its last
    5,000 (the judge's Fréchet distance between the two halves is 20.3), so the first ``n`` would
    be a sample of one half: 5,000 training digits are 10.1 from the first 5,000 test digits and
    2.9 from every other one. Fewer than all 10,000 are therefore taken evenly spaced (1,000 are
    every 10th); all 10,000 are the whole set in its order.

    Args:
        n: how many, 1 to 10,000.
        normalize: as in `load_mnist`.
    """
    _, (x_test, y_test) = load_mnist(normalize=normalize)
    keep = evenly_spaced(n, len(x_test))
    return x_test[keep], y_test[keep]


def evenly_spaced(n, total):
    """``n`` indices spread evenly over ``range(total)``, in order: every one when ``n == total``."""
    if int(n) != n or not 1 <= n <= total:
        raise ValueError(f"n must be a whole number from 1 to {total}. Received: n={n!r}")
    return np.arange(int(n)) * total // int(n)


def _shipped_path():
    try:
        path = project_dir() / "data" / "mnist.npz"
    except FileNotFoundError:
        return None
    return path if path.is_file() else None


def _read_npz(path):
    if not path.is_file():
        raise FileNotFoundError(f"No MNIST file at {path}.")
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in _KEYS if k not in f.files]
            if missing:
                raise ValueError(f"{path} is not an MNIST archive: missing keys {missing}.")
            arrays = {k: f[k] for k in _KEYS}
    except ValueError:
        raise
    except Exception as e:  # zipfile.BadZipFile, OSError, EOFError ...
        raise ValueError(f"{path} is corrupt or not an .npz file ({e}).") from e
    for k, shape in _EXPECTED.items():
        if arrays[k].shape != shape or arrays[k].dtype != np.uint8:
            raise ValueError(
                f"{path}: {k} should be uint8 of shape {shape}. "
                f"Received: dtype={arrays[k].dtype}, shape={arrays[k].shape}."
            )
    return arrays


def _keras_fallback():
    try:
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as e:
        raise FileNotFoundError(
            "MNIST is not in the course's data/mnist.npz and Keras could not load "
            f"or download it either ({e}). Copy mnist.npz into the course's data/ folder."
        ) from e
    return dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def parse_digits(digits):
    """The digits a generator is asked to draw, as an int32 array.

    Args:
        digits: a string such as ``"646775"``, an int 0-9, or a sequence of ints 0-9.

    Raises:
        ValueError: empty input, a character that is not a digit, or an int
            outside 0-9 (``"12a"`` -> "Received: digits='12a'").
    """
    if isinstance(digits, str):
        text = digits.strip()
        if not text or not all(c in "0123456789" for c in text):
            raise ValueError(f"digits must be a non-empty string of 0-9 such as '646775'. Received: digits={digits!r}")
        return np.array([int(c) for c in text], dtype="int32")
    values = [digits] if isinstance(digits, (int, np.integer)) else digits
    try:
        values = list(np.asarray(values).reshape(-1)) if values is not None else []
    except Exception:
        values = [None]
    if not values or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and 0 <= v <= 9 for v in values
    ):
        raise ValueError(f"digits must be an int, a string or a sequence of ints 0-9. Received: digits={digits!r}")
    return np.array(values, dtype="int32")


def to_model_input(images):
    """Images as the models take them: float32 in [0, 1], shape (N, 28, 28, 1).

    Accepts uint8 (0-255) or float (0-1) images of shape (N, 28, 28),
    (N, 28, 28, 1) or a single (28, 28) image.

    Raises:
        ValueError: for any other shape, or float values outside [0, 1].
    """
    x = np.asarray(images)
    if x.shape == IMAGE_SHAPE[:2]:
        x = x[None]
    if x.ndim == 3 and x.shape[1:] == IMAGE_SHAPE[:2]:
        x = x[..., None]
    if x.ndim != 4 or x.shape[1:] != (28, 28, 1):
        raise ValueError(f"Expected images of shape (N, 28, 28) or (N, 28, 28, 1). Received: shape={np.shape(images)}.")
    if x.dtype == np.uint8:
        return x.astype("float32") / 255.0
    x = x.astype("float32")
    if x.size and (np.nanmin(x) < -1e-3 or np.nanmax(x) > 1 + 1e-3 or np.isnan(x).any()):
        raise ValueError(
            "Float images must lie in [0, 1] (divide uint8 pixels by 255). "
            f"Received: min={np.nanmin(x):.3g}, max={np.nanmax(x):.3g}."
        )
    return np.clip(x, 0.0, 1.0)


def to_kaggle_csv(path, images, labels=None):
    """Write images (N, 28, 28) uint8, and labels if given, in the Kaggle CSV layout.

    Returns:
        The pandas DataFrame that was written.
    """
    import pandas as pd

    images = np.asarray(images)
    frame = pd.DataFrame(images.reshape(len(images), -1), columns=[f"pixel{i}" for i in range(784)])
    if labels is not None:
        frame.insert(0, "label", np.asarray(labels).astype(int))
    frame.to_csv(path, index=False)
    return frame


def load_kaggle_csv(path):
    """Read the Kaggle "digit-recognizer" CSV layout.

    ``train.csv`` has a ``label`` column then 784 pixel columns
    (``pixel0`` ... ``pixel783``); ``test.csv`` has only the 784 pixels.

    Returns:
        ``(images, labels)``: uint8 images (N, 28, 28) and int labels (N,),
        or ``None`` for labels when the file has no label column.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file does not have that layout; the message says why.
    """
    import pandas as pd

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No CSV file at {path}.")
    try:
        df = pd.read_csv(path)
    except Exception as e:
        raise ValueError(f"{path} is not a readable CSV file ({e}).") from e
    if len(df) == 0:
        raise ValueError(f"{path} has a header but no rows.")
    labels = None
    if "label" in df.columns:
        labels = df.pop("label")
    if df.shape[1] != 784:
        raise ValueError(
            f"{path} should have 784 pixel columns (plus an optional 'label' first). "
            f"Received: {df.shape[1]} pixel columns."
        )
    bad_cols = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    if bad_cols:
        raise ValueError(f"{path}: non-numeric values in column(s) {bad_cols[:5]}.")
    pixels = df.to_numpy()
    if np.isnan(pixels).any():
        row = int(np.argwhere(np.isnan(pixels))[0, 0])
        raise ValueError(f"{path}: missing pixel values (first in data row {row + 1}).")
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"{path}: pixel values must lie in 0..255. Received: min={pixels.min()}, max={pixels.max()}.")
    images = pixels.astype(np.uint8).reshape(-1, 28, 28)
    if labels is not None:
        if not pd.api.types.is_integer_dtype(labels) or not labels.between(0, 9).all():
            raise ValueError(f"{path}: labels must be integers 0..9.")
        labels = labels.to_numpy().astype(np.int64)
    return images, labels


def load_image(path):
    """Read a PNG/JPG (or any picture Pillow reads) as a uint8 array, upright.

    Applies the camera's EXIF rotation (phone photos), and decodes big JPEGs at
    a reduced size straight away (`prepare_drawing` would shrink them anyway).

    Returns:
        uint8 array (H, W), (H, W, 3) or (H, W, 4).

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is empty or not an image ("notes.txt is not an image").
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such file: {path}")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is not an image: the file is empty.")
    try:
        with Image.open(path) as image:
            image.draft("RGB", (2 * ink.WORK_SIZE, 2 * ink.WORK_SIZE))  # JPEG only: decode at 1/2..1/8 size
            image = ImageOps.exif_transpose(image)
            if image.mode in ("I;16", "I;16B", "I", "F"):
                pixels = np.asarray(image, dtype="float32")
                return (255 * pixels / max(float(pixels.max()), 1.0)).astype(np.uint8)
            mode = "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"
            return np.asarray(image.convert("L" if image.mode in ("1", "L") else mode))
    except UnidentifiedImageError as e:
        raise ValueError(f"{path} is not an image: Pillow recognises no picture format in it.") from e
    except (OSError, SyntaxError) as e:
        raise ValueError(f"{path} is not an image, or a damaged one ({e}).") from e


def prepare_drawing(image, name=None, min_size=0.03):
    """Turn a drawing, scan or photo of a digit into an MNIST-style 28x28 image.

    Follows how MNIST itself was made: crop to the ink, scale into a 20x20
    box keeping the aspect ratio, then centre by centre of mass in 28x28.
    The ink is found by `digitkit.ink.find_digit`, relative to the digit and
    not to the picture's area, so a 280x280 canvas and a 4032x3024 phone photo
    with a fine pen both work; dark ink on light paper, light ink on a dark (or
    transparent) canvas, uneven lighting and paper grain too.

    Args:
        image: array (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), uint8 or float
            in [0, 1] (`load_image` reads a file). RGBA canvases with a
            transparent background use the alpha channel as ink.
        name: where the picture came from (a file name), for the message when
            no digit is found; None for a drawing canvas.
        min_size: the digit's longer side, as a share of the picture's shorter
            side, below which the picture counts as blank (a lone dot).

    Returns:
        float32 array (28, 28) in [0, 1], white digit on black.

    Raises:
        BlankDrawingError: no digit found (blank, or only a dot).
        ValueError: the array has a shape that is not an image.
    """
    crop = ink.find_digit(image, min_size=min_size)
    if crop is None or not crop.any():
        where = "The canvas is blank (or holds only a dot): draw a digit first."
        raise BlankDrawingError(where if name is None else f"no digit found in {name}: it looks blank.")
    rows, cols = np.nonzero(crop)
    crop = crop[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    box = _fit_box(crop, 20)
    return _center_by_mass(box, 28)


def _fit_box(crop, size):
    from PIL import Image

    h, w = crop.shape
    scale = size / max(h, w)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    resized = np.asarray(Image.fromarray(crop.astype("float32"), mode="F").resize(new, Image.LANCZOS))
    return np.clip(resized, 0.0, 1.0)


def _center_by_mass(box, size):
    h, w = box.shape
    total = box.sum()
    rows, cols = np.indices(box.shape)
    cy, cx = (rows * box).sum() / total, (cols * box).sum() / total
    top = int(round(size / 2 - cy))  # MNIST puts the centre of mass at (14, 14)
    left = int(round(size / 2 - cx))
    top, left = min(max(top, 0), size - h), min(max(left, 0), size - w)
    out = np.zeros((size, size), dtype="float32")
    out[top : top + h, left : left + w] = box
    return out

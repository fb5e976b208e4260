"""A drawing canvas and a fallback picker for Kaggle: the image sources of the Identify app.

Taught in notebooks/01_dense_classifier.ipynb; the Identify app itself is
`digitkit.apps.IdentifyApp`.

Every action a person takes has a Python method (`DrawingCanvas.set_image`,
`DrawingCanvas.clear`, `FallbackPicker.pick`, `FallbackPicker.load_photo`),
so tests and nbval, which run without a browser, drive the same code path as
a mouse.

Why anywidget, and not ipycanvas
--------------------------------
The canvas is an `anywidget.AnyWidget` with a small ES module
(``digitkit/static/canvas.js``). Strokes are drawn in the browser on every
pointer move; the kernel hears nothing until the pen lifts, then gets the
whole canvas once, as a PNG data URL in the ``image_data`` trait (about
10-20 kB for 280x280). So drawing stays smooth however far away the kernel is.

* ipycanvas draws *from Python*: a freehand stroke there means a mouse event
  sent to the kernel and a drawing command sent back for every mouse move. On
  a remote kernel (Colab) that is a visible lag, and it is one more package
  (the course allows anywidget, not ipycanvas).
* JupyterLab 4 and Voilà: anywidget ships its front end as a prebuilt
  JupyterLab extension inside the pip package, which both load with no
  build step; the widget's own JS travels in the widget state, so nothing of
  digitkit needs installing in the browser.
* Colab: anywidget switches on Colab's custom widget manager by itself
  (``google.colab.output.enable_custom_widget_manager()`` when it sees it runs
  there). ipycanvas in Colab needs that switch by hand and has had trouble
  with the binary buffers it relies on (googlecolab/colab-cdn-widget-manager#8);
  our canvas sends a plain string.
* Kaggle's notebook front end loads no custom widget at all, so
  `digitkit.apps.make_identify_app` gives it `FallbackPicker`, built from core ipywidgets
  only (pick an MNIST test image, or upload a photo of a digit).

The canvas is white ink on black, like MNIST. Checked by hand in headless
Chromium against JupyterLab 4.6 (a mouse stroke reached the kernel as a
280x280 array).
"""

import base64
import binascii
import io
import os
import pathlib

import anywidget
import ipywidgets
import numpy as np
import traitlets

_STATIC = pathlib.Path(__file__).parent / "static"
MIN_CANVAS_SIZE = 280
_DATA_URL_HEAD = "data:image/"
_PNG_HEAD = "data:image/png;base64,"


# --- images <-> data URLs ---------------------------------------------------


def to_gray_uint8(image):
    """Any image array as uint8 grayscale (H, W).

    Args:
        image: (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); uint8 (0-255), or
            float in [0, 1] (floats above 1 are read as 0-255). RGBA is laid
            over black (transparent = no ink).

    Returns:
        uint8 array (H, W).

    Raises:
        ValueError: for any other shape, or values outside [0, 255].
    """
    x = np.asarray(image)
    if x.ndim == 3 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim not in (2, 3) or (x.ndim == 3 and x.shape[-1] not in (3, 4)) or min(x.shape[:2]) < 1:
        raise ValueError(
            f"Expected an image of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4). Received: shape={np.shape(image)}."
        )
    if x.dtype != np.uint8:
        x = x.astype("float32")
        if x.size and (np.isnan(x).any() or x.min() < -1e-3 or x.max() > 255 + 1e-3):
            raise ValueError(
                "Pixel values must lie in [0, 1] or [0, 255]. "
                f"Received: min={np.nanmin(x):.3g}, max={np.nanmax(x):.3g}."
            )
        if x.size and x.max() > 1 + 1e-3:  # 0-255 held in floats, as prepare_drawing allows
            x = x / 255.0
        x = np.round(np.clip(x, 0.0, 1.0) * 255).astype(np.uint8)
    if x.ndim == 3:
        gray = x[..., :3].astype("float32") @ np.array([0.299, 0.587, 0.114], dtype="float32")
        if x.shape[-1] == 4:
            gray = gray * (x[..., 3] / 255.0)
        x = np.round(gray).astype(np.uint8)
    return x


def encode_data_url(image):
    """A PNG data URL (``data:image/png;base64,...``) of a grayscale image.

    Args:
        image: any array `to_gray_uint8` accepts.
    """
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(to_gray_uint8(image), mode="L").save(buffer, format="PNG")
    return _PNG_HEAD + base64.b64encode(buffer.getvalue()).decode("ascii")


def decode_data_url(url):
    """The pixels of an image data URL, as the canvas sends them after a stroke.

    Args:
        url: ``data:image/png;base64,...`` (any format Pillow reads).
            Transparent pixels count as black (no ink).

    Returns:
        uint8 grayscale array (H, W).

    Raises:
        ValueError: the string is not a base64 image data URL.
    """
    from PIL import UnidentifiedImageError

    head, _, payload = str(url).partition(",")
    if not head.startswith(_DATA_URL_HEAD) or not head.endswith(";base64") or not payload:
        raise ValueError(f"Expected a data URL like 'data:image/png;base64,...'. Received: {str(url)[:40]!r}.")
    try:
        raw = base64.b64decode(payload, validate=True)
        return _image_bytes_to_gray(raw)
    except (binascii.Error, UnidentifiedImageError, OSError) as e:
        raise ValueError(f"The data URL does not hold a readable image ({e}). Received: {str(url)[:40]!r}.") from e


def _image_bytes_to_gray(raw, max_side=None):
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(raw)) as img:
        img = ImageOps.exif_transpose(img)  # phone photos carry their rotation in EXIF
        if max_side and max(img.size) > max_side:
            img.thumbnail((max_side, max_side), Image.BILINEAR)
        if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
            rgba = img.convert("RGBA")
            black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
            img = Image.alpha_composite(black, rgba)
        return np.asarray(img.convert("L"), dtype=np.uint8).copy()


def _resize(gray, size, smooth=True):
    from PIL import Image

    resample = Image.BILINEAR if smooth else Image.NEAREST
    return np.asarray(Image.fromarray(gray, mode="L").resize(size, resample))


def png_bytes(gray):
    """A uint8 grayscale array (H, W) as PNG bytes (for ``ipywidgets.Image``)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(gray, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


# --- image sources: the canvas and the Kaggle fallback ----------------------


class _ImageSource:
    """What the canvas and the fallback picker share.

    Both hold their picture in the ``image_data`` trait (a PNG data URL, ""
    when blank); observe it (``source.observe(handler, names="image_data")``)
    to hear about every stroke, pick, upload or clear.
    """

    blank_message = "Draw a digit"

    def _blank_shape(self):
        raise NotImplementedError

    def to_array(self):
        """The picture as uint8 grayscale (H, W), ink bright on black; zeros when blank."""
        url = self.image_data
        if not url:
            return np.zeros(self._blank_shape(), dtype=np.uint8)
        cached = getattr(self, "_decoded", None)
        if cached is None or cached[0] != url:
            cached = (url, decode_data_url(url))
            self._decoded = cached
        return cached[1].copy()

    def is_blank(self):
        """True when nothing is drawn (or picked)."""
        return not self.image_data or not self.to_array().any()

    def clear(self):
        """Wipe the picture, as the Clear button does; observers hear ``image_data=""``."""
        self.image_data = ""


class DrawingCanvas(_ImageSource, anywidget.AnyWidget):
    """A freehand square canvas (mouse, touch, pen) with a brush-width slider and Clear.

    White ink on black, like MNIST. After each stroke the browser sends the
    whole canvas once, as a PNG data URL in ``image_data``; `to_array` decodes it.

    Args:
        size: side of the square canvas in px (at least 280).
        brush: stroke width in px (1-100; the slider offers 2-60).

    Example::

        canvas = DrawingCanvas()
        canvas.observe(lambda change: print(canvas.to_array().shape), names="image_data")
        canvas.set_image(x_test[0])   # as if drawn: the observers fire
    """

    _esm = _STATIC / "canvas.js"
    _css = _STATIC / "canvas.css"

    size = traitlets.Int(MIN_CANVAS_SIZE).tag(sync=True)
    brush = traitlets.Int(20).tag(sync=True)
    image_data = traitlets.Unicode("").tag(sync=True)

    def __init__(self, size=MIN_CANVAS_SIZE, brush=20, **kwargs):
        super().__init__(size=size, brush=brush, **kwargs)

    @traitlets.validate("size")
    def _check_size(self, proposal):
        size = proposal["value"]
        if not MIN_CANVAS_SIZE <= size <= 2048:
            raise ValueError(f"size must lie in [{MIN_CANVAS_SIZE}, 2048] px. Received: size={size}")
        return size

    @traitlets.validate("brush")
    def _check_brush(self, proposal):
        brush = proposal["value"]
        if not 1 <= brush <= 100:
            raise ValueError(f"brush must lie in [1, 100] px. Received: brush={brush}")
        return brush

    def _blank_shape(self):
        return (self.size, self.size)

    def set_image(self, image):
        """Put a picture on the canvas as if it had been drawn there.

        The browser shows it and every ``image_data`` observer fires, exactly
        as after a stroke. That is how tests and nbval "draw".

        Args:
            image: any size and any shape `to_gray_uint8` accepts, ink bright
                on black (an MNIST digit works as is); scaled to the canvas.
        """
        gray = to_gray_uint8(image)
        if gray.shape != (self.size, self.size):
            gray = _resize(gray, (self.size, self.size))
        self.image_data = encode_data_url(gray)


class FallbackPicker(_ImageSource, ipywidgets.VBox):
    """The canvas's stand-in where custom widgets cannot load (Kaggle): core ipywidgets only.

    A slider picks an MNIST test image; an upload button takes a photo of a
    handwritten digit (dark on light paper works: `digitkit.prepare_drawing`
    reads the background from the border). Same interface as `DrawingCanvas`:
    ``image_data``, `set_image`, `to_array`, `clear`.

    Args:
        images: the images to pick from (N, 28, 28[, 1]); default MNIST's test set.
        labels: their labels (shown beside the picture), or None.
        index: the image shown at first, or None to start blank.
        display_size: side of the preview in px.
    """

    blank_message = "Pick a test image or upload a photo"
    image_data = traitlets.Unicode("")

    def __init__(self, images=None, labels=None, index=0, display_size=MIN_CANVAS_SIZE, **kwargs):
        if images is None:
            from digitkit.data import load_mnist

            (_, _), (images, default_labels) = load_mnist()
            labels = default_labels if labels is None else labels
        if len(images) == 0:
            raise ValueError("FallbackPicker needs at least one image. Received: 0 images.")
        self.images = images
        self.labels = labels
        self.display_size = display_size
        self.slider = ipywidgets.IntSlider(
            value=0 if index is None else index,
            min=0,
            max=len(images) - 1,
            description="Test image",
            continuous_update=False,
        )
        self.upload = ipywidgets.FileUpload(accept="image/*", multiple=False, description="Photo")
        self.clear_button = ipywidgets.Button(description="Clear", icon="eraser")
        self.caption = ipywidgets.HTML()
        self.preview = ipywidgets.Image(format="png", width=display_size, height=display_size)
        super().__init__(
            [self.preview, self.caption, self.slider, ipywidgets.HBox([self.upload, self.clear_button])],
            **kwargs,
        )
        self.slider.observe(lambda change: self.pick(change["new"]), names="value")
        self.upload.observe(self._on_upload, names="value")
        self.clear_button.on_click(lambda _: self.clear())
        self.observe(self._show, names="image_data")
        self._show()
        if index is not None:
            self.pick(index)

    def _blank_shape(self):
        return (28, 28)

    def set_image(self, image, caption=""):
        """Show a picture (native size, any shape `to_gray_uint8` accepts); observers fire."""
        gray = to_gray_uint8(image)
        self._caption = caption
        self.image_data = encode_data_url(gray)

    def pick(self, index):
        """Show MNIST test image ``index`` (what moving the slider does).

        Returns:
            The picked image.
        """
        if not 0 <= index < len(self.images):
            raise ValueError(f"index must lie in [0, {len(self.images) - 1}]. Received: index={index}")
        if self.slider.value != index:
            self.slider.value = index  # its observer comes back here
            return self.images[index]
        label = "" if self.labels is None else f" (labelled {int(self.labels[index])})"
        self.set_image(self.images[index], caption=f"Test image #{index}{label}")
        return self.images[index]

    def load_photo(self, data, name="photo"):
        """Show an uploaded photo (what the upload button does).

        Args:
            data: the file's bytes (PNG, JPEG, ...).
            name: shown as the caption.

        Raises:
            ValueError: the bytes are not an image.
        """
        from PIL import UnidentifiedImageError

        try:
            gray = _image_bytes_to_gray(bytes(data), max_side=560)
        except (UnidentifiedImageError, OSError) as e:
            raise ValueError(f"Could not read {name!r} as an image ({e}).") from e
        self.set_image(gray, caption=name)
        return gray

    def _on_upload(self, change):
        for item in change["new"]:
            try:
                self.load_photo(item["content"], name=item.get("name", "photo"))
            except ValueError as e:
                self.caption.value = f"<span style='color:#b00'>{e}</span>"

    def _show(self, change=None):
        if not self.image_data:
            self._caption = ""
            self.preview.value = png_bytes(np.zeros((self.display_size,) * 2, dtype=np.uint8))
            self.caption.value = f"<i>{self.blank_message}</i>"
            return
        gray = self.to_array()
        scale = self.display_size / max(gray.shape)
        shape = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
        self.preview.value = png_bytes(_resize(gray, shape, smooth=scale < 1))
        self.caption.value = getattr(self, "_caption", "")


def in_kaggle():
    """True inside a Kaggle notebook, whose front end cannot load custom widgets."""
    return bool(os.environ.get("KAGGLE_KERNEL_RUN_TYPE") or os.environ.get("KAGGLE_URL_BASE"))

"""The Identify app: draw a digit, see what the classifier reads and the 28x28 picture it sees.

Taught in notebooks/01_dense_classifier.ipynb.
"""

import io
from typing import NamedTuple

import ipywidgets
import numpy as np

from digitkit.widgets import DrawingCanvas, FallbackPicker, in_kaggle, png_bytes


class Identification(NamedTuple):
    """What `IdentifyApp.identify` found."""

    digit: int
    """The most probable digit."""
    confidence: float
    """Its probability."""
    probabilities: np.ndarray
    """The 10 class probabilities, float32 (10,)."""
    image: np.ndarray
    """The 28x28 picture the model saw (from `digitkit.prepare_drawing`), float32 in [0, 1]."""


class IdentifyApp(ipywidgets.HBox):
    """Draw a digit; see what the classifier thinks, and the 28x28 image it sees.

    Updates after each stroke. A blank canvas shows "Draw a digit" and no
    prediction (``result`` is None).

    Args:
        model: a Keras classifier from (N, 28, 28, 1) images in [0, 1] to
            10 probabilities (e.g. ``digitkit.load_pretrained("dense")``).
        canvas: the image source: a `DrawingCanvas` (default) or a
            `FallbackPicker`.

    Attributes:
        result: the latest `Identification`, or None while blank.
        message, digit_view, chart: the widgets showing it.
    """

    def __init__(self, model, canvas=None, **kwargs):
        self.model = model
        self.canvas = DrawingCanvas() if canvas is None else canvas
        self.result = None
        self.message = ipywidgets.HTML()
        self.digit_view = ipywidgets.Image(format="png", width=140, height=140)
        self.chart = ipywidgets.Image(format="png", width=320)
        self._view_box = ipywidgets.VBox(
            [ipywidgets.HTML("<small>What the model sees (28x28):</small>"), self.digit_view])
        panel = ipywidgets.VBox([self.message, self._view_box, self.chart],
                                layout=ipywidgets.Layout(margin="0 0 0 16px"))
        super().__init__([self.canvas, panel], **kwargs)
        self.canvas.observe(self._on_image, names="image_data")
        self.refresh()

    def _on_image(self, change):
        self.refresh()

    def refresh(self):
        """Identify whatever the canvas shows now (what every stroke triggers)."""
        return self.identify(self.canvas.to_array())

    def identify(self, image):
        """Classify a drawing and show the result in the app.

        Args:
            image: a drawing or photo, any array `digitkit.prepare_drawing` takes.

        Returns:
            An `Identification`, or None when the image is blank (the app then
            says so instead of predicting).
        """
        import keras

        from digitkit.data import BlankDrawingError, prepare_drawing

        try:
            digit_image = prepare_drawing(image)
        except BlankDrawingError:
            self._show_blank()
            return None
        x = digit_image[None, :, :, None]
        probabilities = np.asarray(keras.ops.convert_to_numpy(self.model(x, training=False)),
                                   dtype="float32").reshape(-1)
        if probabilities.shape != (10,):
            raise ValueError(f"The model should output 10 probabilities. Received: shape={probabilities.shape}")
        digit = int(probabilities.argmax())
        self.result = Identification(digit, float(probabilities[digit]), probabilities, digit_image)
        self._show_result(self.result)
        return self.result

    def draw(self, image):
        """Put ``image`` on the canvas as if drawn (see `DrawingCanvas.set_image`).

        Returns:
            The `Identification` (None if blank).
        """
        self.canvas.set_image(image)
        return self.result

    def clear(self):
        """Wipe the canvas; the app goes back to "Draw a digit"."""
        self.canvas.clear()
        self._show_blank()

    def _show_blank(self):
        self.result = None
        self.message.value = f"<h3 style='margin:4px 0'>{self.canvas.blank_message}</h3>"
        self._view_box.layout.visibility = "hidden"
        self.chart.layout.visibility = "hidden"

    def _show_result(self, result):
        from digitkit.viz import plot_probabilities

        self.message.value = (f"<h3 style='margin:4px 0'>I think it is a <b>{result.digit}</b> "
                              f"({result.confidence:.0%} sure)</h3>")
        big = np.kron(np.round(result.image * 255).astype(np.uint8), np.ones((5, 5), dtype=np.uint8))
        self.digit_view.value = png_bytes(big)
        figure = plot_probabilities(result.probabilities)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80)
        self.chart.value = buffer.getvalue()
        self._view_box.layout.visibility = "visible"
        self.chart.layout.visibility = "visible"


def make_identify_app(model=None, fallback=None):
    """The Identify app with the right image source for where the notebook runs.

    Args:
        model: a classifier; default ``digitkit.load_pretrained("dense")``.
        fallback: True for `FallbackPicker`, False for `DrawingCanvas`;
            default: the picker on Kaggle (`in_kaggle`), the canvas elsewhere.

    Returns:
        An `IdentifyApp`.
    """
    if model is None:
        from digitkit.pretrained import load_pretrained

        model = load_pretrained("dense")
    if fallback is None:
        fallback = in_kaggle()
    return IdentifyApp(model, canvas=FallbackPicker() if fallback else DrawingCanvas())

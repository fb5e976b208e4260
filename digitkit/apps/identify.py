"""The Identify app: draw a digit, see what the classifiers read and the 28x28 picture they see.

Taught in notebooks/01_dense_classifier.ipynb; also the Studio's Identify tab.

The logic (`IdentifyApp.predict`) takes an image and returns an
`Identification`; `IdentifyApp.widget` builds an `IdentifyView`: the canvas,
the 28x28 image the model sees, one probability chart per model side by side,
and the answer as a sentence. The charts are HTML/CSS bars (`probability_bars`):
a stroke costs the server the models' few milliseconds, not a matplotlib figure,
and the charts are laid out at their full size (empty bars) before the first stroke.
"""

import functools
import html
from typing import NamedTuple

import ipywidgets
import numpy as np

from digitkit.data import IMAGE_SIZE
from digitkit.widgets import DrawingCanvas, FallbackPicker, in_kaggle, png_bytes

VIEW_SCALE = 5
"""The 28x28 image the models see is shown at 5x: 140x140 px."""
CHART_WIDTH, CHART_HEIGHT = 230, 120
"""Size in px of the bars' area of one probability chart."""


def article(digit):
    """The digit with its English article: "an 8", "a 3"."""
    return f"{'an' if int(digit) == 8 else 'a'} {int(digit)}"


class Identification(NamedTuple):
    """What `IdentifyApp.predict` found."""

    digit: int
    """The dense classifier's most probable digit."""
    confidence: float
    """Its probability."""
    probabilities: np.ndarray
    """The dense classifier's 10 class probabilities, float32 (10,)."""
    image: np.ndarray
    """The 28x28 picture the models saw (from `digitkit.prepare_drawing`), float32 in [0, 1]."""
    judge_probabilities: np.ndarray | None = None
    """The judge's 10 probabilities, or None when the app has no judge."""

    @property
    def answer(self):
        """The dense classifier's reading as a sentence: "an 8", "a 3"."""
        return article(self.digit)

    @property
    def judge_digit(self):
        """The judge's most probable digit (None without a judge)."""
        return None if self.judge_probabilities is None else int(np.argmax(self.judge_probabilities))


def _probabilities(model, x):
    # predict_on_batch runs Keras' compiled predict function: ~1 ms (dense) and ~4 ms (judge) a stroke
    # against ~7 and ~30 ms for an eager model(x) call, which walks every layer in Python
    p = np.asarray(model.predict_on_batch(x), dtype="float32").reshape(-1)
    if p.shape != (10,):
        raise ValueError(f"The model should output 10 probabilities. Received: shape={p.shape}")
    return p


def probability_bars(probabilities=None, title="probabilities"):
    """An HTML bar chart of 10 class probabilities (empty bars for None), always the same size.

    The winner is orange, the others blue, each bar labelled with its digit
    (and its percentage when above 1%). Plain HTML/CSS: no matplotlib, and
    nothing to lay out when hidden.

    Returns:
        An HTML string for an `ipywidgets.HTML`.
    """
    p = np.zeros(10, dtype="float32") if probabilities is None else np.asarray(probabilities).reshape(-1)
    if p.shape != (10,):
        raise ValueError(f"Expected 10 probabilities. Received: shape={np.shape(probabilities)}")
    winner = int(p.argmax()) if probabilities is not None else -1
    bars = []
    for digit, value in enumerate(p):
        color = "#f28e2b" if digit == winner else "#4e79a7"
        label = f"{value:.0%}" if value >= 0.01 else ""
        bars.append(
            f"<div class='dk-bar' data-digit='{digit}' data-p='{value:.4f}' style='flex:1;margin:0 2px;"
            f"display:flex;flex-direction:column;justify-content:flex-end;align-items:center;height:100%'>"
            f"<div style='font-size:9px;color:#555'>{label}</div>"
            f"<div style='width:100%;height:{100 * float(value):.1f}%;background:{color}'></div></div>"
        )
    digits = "".join(f"<div style='flex:1;margin:0 2px;text-align:center'>{d}</div>" for d in range(10))
    return (
        f"<div style='width:{CHART_WIDTH}px;font-family:sans-serif'>"
        f"<div style='font-size:13px;margin-bottom:4px'>{html.escape(title)}</div>"
        f"<div style='display:flex;height:{CHART_HEIGHT}px;border-bottom:1px solid #888'>{''.join(bars)}</div>"
        f"<div style='display:flex;font-size:11px'>{digits}</div></div>"
    )


class IdentifyApp:
    """Draw a digit; the dense classifier and the judge say what they read.

    Args:
        model: a Keras classifier from (N, 28, 28, 1) images in [0, 1] to
            10 probabilities (e.g. ``digitkit.load_pretrained("dense")``).
        judge: a second classifier shown beside it (e.g. the pretrained
            "judge"), or None for one chart.

    The app holds no per-visitor state: `predict` is a plain function of the
    image, and every `widget` call builds a fresh view.
    """

    def __init__(self, model, judge=None):
        self.model = model
        self.judge = judge

    def predict(self, image):
        """What the models read in a drawing.

        Args:
            image: a drawing or photo, any array `digitkit.prepare_drawing` takes
                (e.g. the 280x280 canvas).

        Returns:
            An `Identification`.

        Raises:
            BlankDrawingError: the image holds no digit (the view says "Draw a digit").
            ValueError: the array is not an image.
        """
        from digitkit.data import prepare_drawing

        digit_image = prepare_drawing(image)
        x = digit_image[None, :, :, None]
        probabilities = _probabilities(self.model, x)
        judge = None if self.judge is None else _probabilities(self.judge, x)
        digit = int(probabilities.argmax())
        return Identification(digit, float(probabilities[digit]), probabilities, digit_image, judge)

    def widget(self, canvas=None):
        """The Identify view: canvas, the 28x28 image, the charts side by side, the answer.

        Args:
            canvas: the image source: a `DrawingCanvas` (default) or a `FallbackPicker`.

        Returns:
            An `IdentifyView` (an `ipywidgets.HBox`).
        """
        return IdentifyView(self, canvas)


class IdentifyView(ipywidgets.HBox):
    """The Identify app on screen; updates after each stroke.

    A blank canvas shows "Draw a digit" and empty bars (``result`` is None).

    Attributes:
        app: the `IdentifyApp` it asks.
        canvas: the `DrawingCanvas` or `FallbackPicker`.
        result: the latest `Identification`, or None while blank.
        message: the answer sentence (CSS class ``dk-identify-answer``).
        digit_view: the 28x28 image the models see, at 140x140 (``dk-identify-image``).
        chart, judge_chart: the probability bars (``dk-identify-chart``, ``dk-identify-judge-chart``).
    """

    def __init__(self, app, canvas=None, **kwargs):
        self.app = app
        self.canvas = DrawingCanvas() if canvas is None else canvas
        self.canvas.add_class("dk-canvas")
        self.result = None
        # built showing the blank state, so that a new page sends each widget once (no updates after)
        blank = _blank_view()
        self.message = ipywidgets.HTML(
            _heading(self.canvas.blank_message), layout=ipywidgets.Layout(min_height="2.5em")
        )
        self.message.add_class("dk-identify-answer")
        side = IMAGE_SIZE * VIEW_SCALE
        self.digit_view = ipywidgets.Image(value=blank["image"], format="png", width=side, height=side)
        self.digit_view.add_class("dk-identify-image")
        size = ipywidgets.Layout(width=f"{CHART_WIDTH + 10}px", height=f"{CHART_HEIGHT + 70}px")
        self.chart = ipywidgets.HTML(blank["chart"], layout=size)
        self.chart.add_class("dk-identify-chart")
        self.judge_chart = ipywidgets.HTML(
            blank["judge_chart"], layout=ipywidgets.Layout(width=size.width, height=size.height)
        )
        self.judge_chart.add_class("dk-identify-judge-chart")
        charts = [self.chart] + ([self.judge_chart] if app.judge is not None else [])
        panel = ipywidgets.VBox(
            [
                self.message,
                ipywidgets.HTML("<small>What the models see (28x28):</small>"),
                self.digit_view,
                ipywidgets.HBox(charts),
            ],
            layout=ipywidgets.Layout(margin="0 0 0 16px"),
        )
        super().__init__([self.canvas, panel], **kwargs)
        self.canvas.observe(self._on_image, names="image_data")
        if not self.canvas.is_blank():  # a canvas that already holds a drawing (blank: shown as built)
            self.refresh()

    def _on_image(self, change):
        self.refresh()

    def refresh(self):
        """Identify whatever the canvas shows now (what every stroke triggers)."""
        return self.identify(self.canvas.to_array())

    def identify(self, image):
        """Classify a drawing and show the result.

        Returns:
            The `Identification`, or None when the image is blank (the view
            then says "Draw a digit") or not an image (the view shows why).
        """
        from digitkit.data import BlankDrawingError

        try:
            self.result = self.app.predict(image)
        except BlankDrawingError:
            self._show_blank(self.canvas.blank_message)
            return None
        except ValueError as error:
            self._show_blank(str(error))
            return None
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
        """Wipe the canvas; the view goes back to "Draw a digit"."""
        self.canvas.clear()
        self._show_blank(self.canvas.blank_message)

    def _show_blank(self, text):
        self.result = None
        blank = _blank_view()
        self.message.value = _heading(text)
        self.digit_view.value = blank["image"]
        self.chart.value = blank["chart"]
        self.judge_chart.value = blank["judge_chart"]

    def _show_result(self, result):
        sentence = f"I think it is <b>{result.answer}</b> ({result.confidence:.0%} sure)"
        if result.judge_probabilities is not None:
            sentence += (
                f"<br><small>The judge reads {article(result.judge_digit)} "
                f"({result.judge_probabilities.max():.0%}).</small>"
            )
        self.message.value = _heading(sentence, escape=False)
        big = np.kron(np.round(result.image * 255).astype(np.uint8), np.ones((VIEW_SCALE,) * 2, np.uint8))
        self.digit_view.value = png_bytes(big)
        self.chart.value = probability_bars(result.probabilities, "dense classifier")
        if result.judge_probabilities is not None:
            self.judge_chart.value = probability_bars(result.judge_probabilities, "judge (CNN)")


def _heading(text, escape=True):
    return f"<h3 style='margin:4px 0'>{html.escape(text) if escape else text}</h3>"


@functools.cache
def _blank_view():
    """The blank view's picture and empty charts, made once per process (every new page starts with them)."""
    side = IMAGE_SIZE * VIEW_SCALE
    return dict(
        image=png_bytes(np.zeros((side, side), np.uint8)),
        chart=probability_bars(None, "dense classifier"),
        judge_chart=probability_bars(None, "judge (CNN)"),
    )


def make_identify_app(model=None, fallback=None, judge="judge"):
    """The Identify view with the right image source for where the notebook runs.

    Args:
        model: a classifier; default ``digitkit.load_pretrained("dense")``.
        fallback: True for `FallbackPicker`, False for `DrawingCanvas`;
            default: the picker on Kaggle (`in_kaggle`), the canvas elsewhere.
        judge: the second classifier shown beside it: a model, the name of a
            pretrained one (default "judge"), or None for none.

    Returns:
        An `IdentifyView`: display it; ``draw(image)`` and ``result`` drive it from Python.
    """
    from digitkit.pretrained import load_pretrained

    if model is None:
        model = load_pretrained("dense")
    if isinstance(judge, str):
        judge = load_pretrained(judge)
    if fallback is None:
        fallback = in_kaggle()
    return IdentifyApp(model, judge).widget(canvas=FallbackPicker() if fallback else DrawingCanvas())

"""The Identify app: its logic on real MNIST digits, and its view driven from Python (no browser)."""

import io
import re

import ipywidgets
import keras
import numpy as np
import pytest
from PIL import Image

import digitkit
from digitkit.apps import Identification, IdentifyApp, IdentifyView, make_identify_app
from digitkit.apps.identify import article, probability_bars
from digitkit.classifier import build_dense_classifier
from digitkit.data import BlankDrawingError
from digitkit.widgets import DrawingCanvas, FallbackPicker
from tests.conftest import upload_photo, upscale

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def untrained():
    keras.utils.set_random_seed(0)
    return build_dense_classifier()


@pytest.fixture(scope="module")
def pretrained_app():
    return IdentifyApp(digitkit.load_pretrained("dense"), digitkit.load_pretrained("judge"))


@pytest.fixture(scope="module")
def digits(mnist):
    (_, _), (x, y) = mnist
    return x[:20], y[:20]


def _correlation(a, b):
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


def _bar_values(chart_html):
    return [float(v) for v in re.findall(r"data-p='([0-9.]+)'", chart_html)]


def test_article_says_an_8_and_a_for_the_others():
    assert article(8) == "an 8"
    assert [article(d) for d in (0, 1, 3, 9)] == ["a 0", "a 1", "a 3", "a 9"]


def test_both_models_read_real_digits_drawn_on_the_canvas(pretrained_app, digits):
    images, labels = digits
    for image, label in zip(images[:8], labels[:8]):
        found = pretrained_app.predict(upscale(image / 255.0))  # 280x280, as the canvas sends it
        assert isinstance(found, Identification)
        assert found.digit == label and found.judge_digit == label
        assert found.answer == article(label)
        assert found.probabilities.shape == (10,) and found.judge_probabilities.shape == (10,)
        assert found.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
        assert found.judge_probabilities.sum() == pytest.approx(1.0, abs=1e-5)
        assert found.confidence == pytest.approx(found.probabilities.max())
        assert found.image.shape == (28, 28) and _correlation(found.image, image) > 0.8


def test_predict_without_judge_and_on_a_blank_canvas(untrained, digits):
    app = IdentifyApp(untrained)
    found = app.predict(upscale(digits[0][0]))
    assert found.judge_probabilities is None and found.judge_digit is None
    expected = keras.ops.convert_to_numpy(untrained(found.image[None, :, :, None], training=False))[0]
    np.testing.assert_allclose(found.probabilities, expected, atol=1e-6)
    with pytest.raises(BlankDrawingError):
        app.predict(np.zeros((280, 280), dtype=np.uint8))


def test_probability_bars_are_html_of_fixed_size_empty_before_any_stroke():
    empty = probability_bars(None, "dense classifier")
    assert _bar_values(empty) == [0.0] * 10 and "dense classifier" in empty
    assert "height:120px" in empty and "width:230px" in empty
    p = np.array([0.05, 0.05, 0.6, 0.3, 0, 0, 0, 0, 0, 0], dtype="float32")
    chart = probability_bars(p, "judge")
    assert _bar_values(chart) == pytest.approx(list(p), abs=1e-4)
    assert "height:60.0%;background:#f28e2b" in chart  # the winner, 2, in orange
    assert chart.count("#f28e2b") == 1 and "60%" in chart and "30%" in chart
    with pytest.raises(ValueError, match=r"Received: shape=\(3,\)"):
        probability_bars([0.2, 0.3, 0.5])


def test_blank_view_says_draw_a_digit_and_lays_out_empty_charts(untrained):
    view = IdentifyApp(untrained, judge=untrained).widget()
    assert isinstance(view, IdentifyView) and isinstance(view, ipywidgets.HBox)
    assert view.result is None and "Draw a digit" in view.message.value
    for chart in (view.chart, view.judge_chart):  # always laid out: fixed size, empty bars
        assert _bar_values(chart.value) == [0.0] * 10
        assert chart.layout.width == "240px" and chart.layout.height == "190px"
        assert chart.layout.visibility != "hidden"
    assert bytes(view.digit_view.value).startswith(PNG_SIGNATURE)
    assert view.identify(np.zeros((280, 280), dtype=np.uint8)) is None
    assert "dk-canvas" in view.canvas._dom_classes and "dk-identify-answer" in view.message._dom_classes


def test_a_drawn_digit_shows_the_sentence_the_image_and_both_charts(pretrained_app, digits):
    view = pretrained_app.widget()
    image, label = digits[0][0], digits[1][0]
    result = view.draw(upscale(image / 255.0))
    assert result is view.result and result.digit == label
    assert f"I think it is <b>{article(label)}</b>" in view.message.value
    assert f"The judge reads {article(label)}" in view.message.value
    with Image.open(io.BytesIO(bytes(view.digit_view.value))) as shown:
        assert shown.size == (140, 140)
        small = np.asarray(shown.convert("L"))[::5, ::5]
    assert _correlation(small, result.image) > 0.99
    np.testing.assert_allclose(_bar_values(view.chart.value), result.probabilities, atol=1e-4)
    np.testing.assert_allclose(_bar_values(view.judge_chart.value), result.judge_probabilities, atol=1e-4)

    view.clear()
    assert view.result is None and view.canvas.is_blank() and "Draw a digit" in view.message.value
    assert _bar_values(view.chart.value) == [0.0] * 10


def test_view_updates_after_each_stroke(untrained, digits):
    canvas = DrawingCanvas()
    view = IdentifyApp(untrained).widget(canvas=canvas)
    canvas.set_image(upscale(digits[0][1]))  # what a stroke does: image_data changes
    first = view.result
    canvas.set_image(upscale(digits[0][2]))
    second = view.result
    assert first is not None and second is not None
    assert not np.allclose(first.image, second.image)
    assert not np.allclose(first.probabilities, second.probabilities)
    canvas.clear()  # the JS Clear button sets image_data = "" the same way
    assert view.result is None


def test_fallback_picker_drives_the_view_the_same_way(untrained, digits):
    images, labels = digits
    picker = FallbackPicker(images=images, labels=labels, index=None)
    view = IdentifyApp(untrained).widget(canvas=picker)
    assert view.result is None and picker.blank_message in view.message.value
    picker.pick(3)
    assert view.result is not None and _correlation(view.result.image, images[3]) > 0.9
    picker.slider.value = 5
    assert _correlation(view.result.image, images[5]) > 0.9
    paper = 255 - upscale(images[7], factor=30).astype(np.uint8)
    upload_photo(picker, paper)
    assert _correlation(view.result.image, images[7]) > 0.8
    picker.clear()
    assert view.result is None and picker.blank_message in view.message.value


@pytest.mark.parametrize("env", [{}, {"KAGGLE_KERNEL_RUN_TYPE": "Interactive"}])
def test_make_identify_app_gives_a_displayable_view_with_the_right_source(monkeypatch, untrained, env):
    monkeypatch.delenv("KAGGLE_KERNEL_RUN_TYPE", raising=False)
    monkeypatch.delenv("KAGGLE_URL_BASE", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    view = make_identify_app(untrained, judge=None)
    assert isinstance(view, IdentifyView) and isinstance(view, ipywidgets.Widget)  # a notebook displays it
    assert "application/vnd.jupyter.widget-view+json" in view._repr_mimebundle_()
    assert isinstance(view.canvas, FallbackPicker if env else DrawingCanvas)
    assert view.app.judge is None and view.judge_chart not in view.children[1].children[-1].children
    if env:  # the picker starts on MNIST test image 0, so there is already a prediction
        (_, _), (x_test, _) = digitkit.load_mnist()
        assert view.result is not None and _correlation(view.result.image, x_test[0]) > 0.9
    else:
        assert view.result is None


def test_make_identify_app_shows_the_pretrained_judge_by_default(untrained):
    view = make_identify_app(untrained, fallback=False)
    assert view.app.judge is not None
    found = view.draw(np.kron(digitkit.load_mnist()[1][0][0], np.ones((10, 10), dtype=np.uint8)))
    assert found.judge_digit == digitkit.load_mnist()[1][1][0]

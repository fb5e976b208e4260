"""The canvas and the Kaggle fallback, driven from Python (no browser); the Identify app is in test_apps_identify.py."""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from digitkit.widgets import (
    DrawingCanvas,
    FallbackPicker,
    decode_data_url,
    encode_data_url,
    in_kaggle,
)
from tests.conftest import upload_photo, upscale

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def digits(mnist):
    (_, _), (x, y) = mnist
    return x[:20], y[:20]


def _png_size(data):
    with Image.open(io.BytesIO(bytes(data))) as img:
        return img.size


def _correlation(a, b):
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


def test_canvas_module_is_loaded_from_static():
    canvas = DrawingCanvas()
    assert "export default" in canvas._esm and "pointerup" in canvas._esm
    assert ".digitkit-canvas" in canvas._css


def test_canvas_set_image_clear_to_array_round_trip(digits):
    canvas = DrawingCanvas()
    assert canvas.is_blank()
    assert canvas.to_array().shape == (280, 280) and not canvas.to_array().any()
    heard = []
    canvas.observe(lambda change: heard.append(change["new"]), names="image_data")

    drawing = upscale(digits[0][0] / 255.0).round(3)  # 280x280, float in [0, 1]
    canvas.set_image(drawing)
    assert len(heard) == 1 and heard[0].startswith("data:image/png;base64,")
    pixels = canvas.to_array()
    assert pixels.dtype == np.uint8 and pixels.shape == (280, 280)
    np.testing.assert_array_equal(pixels, np.round(drawing * 255).astype(np.uint8))  # PNG is lossless
    assert not canvas.is_blank()

    canvas.clear()
    assert heard[-1] == "" and canvas.is_blank() and not canvas.to_array().any()


def test_canvas_scales_a_small_image_to_its_size(digits):
    canvas = DrawingCanvas(size=300)
    canvas.set_image(digits[0][0])
    pixels = canvas.to_array()
    assert pixels.shape == (300, 300)
    small = np.asarray(Image.fromarray(pixels).resize((28, 28), Image.BILINEAR))
    assert _correlation(small, digits[0][0]) > 0.9


def test_canvas_rejects_bad_size_brush_and_images():
    with pytest.raises(ValueError, match="Received: size=100"):
        DrawingCanvas(size=100)
    canvas = DrawingCanvas()
    with pytest.raises(ValueError, match="Received: brush=0"):
        canvas.brush = 0
    with pytest.raises(ValueError, match=r"Received: shape=\(5,\)"):
        canvas.set_image(np.zeros(5))
    with pytest.raises(ValueError, match="max=300"):
        canvas.set_image(np.full((28, 28), 300.0))
    with pytest.raises(ValueError, match="min=-1"):
        canvas.set_image(np.full((28, 28), -1.0))


def test_decode_data_url_reads_what_the_browser_sends():
    # The browser's canvas.toDataURL(): RGBA; our canvas paints it opaque black,
    # a transparent background must also come out as black (no ink).
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[100:180, 130:150] = (255, 255, 255, 255)
    buffer = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    pixels = decode_data_url(url)
    assert pixels.shape == (280, 280) and pixels.dtype == np.uint8
    assert pixels[140, 140] == 255 and pixels[10, 10] == 0 and (pixels > 0).sum() == 80 * 20

    gray = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    np.testing.assert_array_equal(decode_data_url(encode_data_url(gray)), gray)

    for bad in [
        "",
        "hello",
        "data:image/png;base64,",
        "data:image/png;base64,not*base64",
        "data:image/png;base64," + base64.b64encode(b"not a png").decode(),
    ]:
        with pytest.raises(ValueError, match="Received"):
            decode_data_url(bad)


def test_fallback_picker_picks_uploads_and_clears(digits):
    images, labels = digits
    picker = FallbackPicker(images=images, labels=labels, index=None)
    assert picker.is_blank() and picker.blank_message in picker.caption.value
    heard = []
    picker.observe(lambda change: heard.append(change["new"]), names="image_data")

    picker.pick(3)
    assert picker.slider.value == 3 and f"labelled {labels[3]}" in picker.caption.value
    np.testing.assert_array_equal(picker.to_array(), images[3])
    assert bytes(picker.preview.value).startswith(PNG_SIGNATURE) and _png_size(picker.preview.value) == (280, 280)
    picker.slider.value = 5  # moving the slider
    np.testing.assert_array_equal(picker.to_array(), images[5])
    assert len(heard) == 2

    # A photo: dark ink on light paper, bigger than the canvas, as RGB JPEG bytes.
    paper = 255 - np.kron(images[7], np.ones((30, 30), dtype=np.uint8))
    upload_photo(picker, paper)
    assert picker.caption.value == "seven.jpg"
    assert max(picker.to_array().shape) == 560  # big photos are shrunk
    small = np.asarray(Image.fromarray(255 - picker.to_array()).resize((28, 28), Image.BILINEAR))
    assert _correlation(small, images[7]) > 0.8

    with pytest.raises(ValueError, match="not.png"):
        picker.load_photo(b"definitely not an image", name="not.png")
    with pytest.raises(ValueError, match="Received: index=20"):
        picker.pick(20)
    picker.clear()
    assert picker.is_blank() and heard[-1] == "" and picker.blank_message in picker.caption.value


@pytest.mark.parametrize(
    "env", [{}, {"KAGGLE_KERNEL_RUN_TYPE": "Interactive"}, {"KAGGLE_URL_BASE": "https://www.kaggle.com"}]
)
def test_in_kaggle_reads_the_environment(monkeypatch, env):
    monkeypatch.delenv("KAGGLE_KERNEL_RUN_TYPE", raising=False)
    monkeypatch.delenv("KAGGLE_URL_BASE", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert in_kaggle() == bool(env)

import datetime
import io

import numpy as np
import pytest

import digitkit


@pytest.fixture(scope="session")
def mnist():
    """MNIST as uint8 arrays: ((x_train, y_train), (x_test, y_test))."""
    return digitkit.load_mnist()


@pytest.fixture(scope="session")
def test_digits(mnist):
    """100 test images (float32 (100, 28, 28, 1)) and their labels."""
    (_, _), (x, y) = mnist
    return digitkit.to_model_input(x[:100]), y[:100]


def upscale(image, factor=10):
    """A 28x28 digit blown up to a canvas of (28*factor)^2 pixels."""
    return np.kron(np.asarray(image, dtype="float32"), np.ones((factor, factor), dtype="float32"))


def upload_photo(picker, gray, name="seven.jpg"):
    """Upload a uint8 grayscale image to a `FallbackPicker` as RGB JPEG bytes, as the browser would."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(gray).convert("RGB").save(buffer, format="JPEG")
    picker.upload.value = (
        {
            "name": name,
            "type": "image/jpeg",
            "size": buffer.tell(),
            "content": memoryview(buffer.getvalue()),
            "last_modified": datetime.datetime.now(datetime.timezone.utc),
        },
    )


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, headless, driven by Playwright (for the tests/test_browser_*.py files)."""
    import browser
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = browser.launch_chromium(playwright)
        yield chromium
        chromium.close()

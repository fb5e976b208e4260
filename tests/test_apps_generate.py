"""The Generate app (basic GAN): values from its methods, and its view driven from Python."""

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from digitkit.apps import GenerateApp
from digitkit.apps.models import load_models


@pytest.fixture(scope="module")
def app():
    return GenerateApp(load_models().gan, n=20)


def _png_array(data):
    with Image.open(io.BytesIO(bytes(data))) as image:
        return np.asarray(image.convert("L"))


def test_images_n_digits_same_seed_same_pixels(app):
    images = app.images(7, seed=3)
    assert images.shape == (7, 28, 28) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0 and images.std() > 0.1
    np.testing.assert_array_equal(images, app.images(7, seed=3))
    assert not np.allclose(images, app.images(7, seed=4))
    assert app.images(seed=0).shape == (20, 28, 28)  # the app's n
    for bad in (0, 101, 2.5, True):
        with pytest.raises(ValueError, match="Received: n="):
            app.images(bad)


def test_figures_and_the_latent_walk(app):
    assert isinstance(app.generate(seed=1), Figure) and len(app.generate(seed=1, n=5).axes) == 5
    walk = app.walk_images(0, 1, t=0.0, steps=5)
    assert walk.shape == (6, 28, 28)
    np.testing.assert_allclose(walk[-1], walk[0], atol=1e-5)  # t=0 is seed 0's digit
    np.testing.assert_allclose(app.walk_images(0, 1, t=1.0, steps=5)[-1], walk[4], atol=1e-5)
    walk_figure = app.walk(0, 1, 0.5, steps=5)
    assert len(walk_figure.axes) == 6 and walk_figure.axes[-1].get_title() == "t=0.50"


def test_view_draws_count_digits_as_one_png(app):
    view = app.widget(fill=False)
    picture = next(w for w in view.children if "dk-generate-images" in getattr(w, "_dom_classes", ()))
    count = view.children[0].children[0]
    button = view.children[0].children[2]
    assert "dk-generate-count" in count._dom_classes and "dk-generate-button" in button._dom_classes
    assert not picture.value  # nothing drawn before fill()
    count.value = 12
    button.click()
    pixels = _png_array(picture.value)
    expected = app.images(12, seed=0)
    np.testing.assert_allclose(pixels[3 : 3 + 84 : 3, 3 : 3 + 84 : 3] / 255.0, expected[0], atol=1 / 255 + 1e-6)
    assert pixels.shape == ((2 * 29 + 1) * 3, (10 * 29 + 1) * 3)

"""The Advanced app (cGAN or DDIM, Generate Mixed): values from its methods, its view driven from Python."""

import numpy as np
import pytest

from digitkit import classifier
from digitkit.apps import AdvancedApp
from digitkit.apps.models import load_models


@pytest.fixture(scope="module")
def models():
    return load_models()


@pytest.fixture(scope="module")
def app(models):
    return AdvancedApp(models.cgan, models.ddim)


def _read(judge, images):
    return classifier.predict_probabilities(judge, images).argmax(axis=1)


@pytest.mark.parametrize("model", ["cGAN", "DDIM"])
def test_typed_digits_are_drawn_and_read_right_by_the_judge(app, models, model):
    images = app.images("646775", seed=0, model=model)
    assert images.shape == (6, 28, 28) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    read = _read(models.judge, images)
    assert (read == np.array([6, 4, 6, 7, 7, 5])).sum() >= 5
    np.testing.assert_array_equal(images, app.images("646775", seed=0, model=model))


def test_ddim_settings_reach_the_sampler(app, models):
    few = app.images("7", model="DDIM", steps=3, guidance=0.0, seed=1)
    np.testing.assert_allclose(few, models.ddim.sample("7", steps=3, guidance=0.0, seed=1), atol=1e-6)
    assert not np.allclose(few, app.images("7", model="DDIM", seed=1))
    second = app.images("7", model="DDIM", steps=3, guidance=0.0, seed=1, solver="dpm++2m")
    np.testing.assert_allclose(
        second, models.ddim.sample("7", steps=3, guidance=0.0, seed=1, solver="dpm++2m"), atol=1e-6
    )
    assert not np.allclose(second, few)


def test_bad_input_is_a_value_error_that_names_it(app):
    for kwargs, text in [
        (dict(digits="12a"), "Received: digits='12a'"),
        (dict(digits=""), "Received: digits=''"),
        (dict(model="VAE"), "Received: model='VAE'"),
        (dict(model="DDIM", steps=0), "Received: steps=0"),
        (dict(model="DDIM", solver="euler"), "Received: solver='euler'"),
    ]:
        with pytest.raises(ValueError, match=text):
            app.images(**kwargs)
    with pytest.raises(ValueError, match="Received: model='DDIM'"):
        AdvancedApp(app.model).images("1", model="DDIM")  # no DDIM given


def test_mixed_at_weight_0_and_1_are_the_pure_digits(app, models):
    mixed = app.mixed_images(3, 8, weight=0.0, seed=2)
    assert mixed.shape == (3, 28, 28)
    np.testing.assert_allclose(mixed[1], app.images("3", seed=2)[0], atol=1e-5)
    np.testing.assert_allclose(mixed[0], app.images("3", seed=2)[0], atol=1e-5)
    np.testing.assert_allclose(mixed[2], app.images("8", seed=2)[0], atol=1e-5)
    np.testing.assert_allclose(app.mixed_images(3, 8, weight=1.0, seed=2)[1], mixed[2], atol=1e-5)
    half = app.mixed_images(3, 8, weight=0.5, seed=2)[1]
    assert not np.allclose(half, mixed[0]) and not np.allclose(half, mixed[2])
    with pytest.raises(ValueError, match="Received: weight_or_steps=1.5"):
        app.mixed_images(3, 8, weight=1.5)


def test_figures_for_the_notebook(app):
    assert len(app.generate("646775").axes) == 6
    assert [a.get_title() for a in app.mix(3, 8, 0.25).axes] == ["3", "0.75·3 + 0.25·8", "8"]
    panels = app.visualize(7).axes
    assert len(panels) == 3 and panels[-1].get_title() == "the image, 28x28"
    assert [p.get_title().split(":")[0] for p in panels[:2]] == ["7x7", "14x14"]


def _find(view, css):
    stack = [view]
    while stack:
        widget = stack.pop()
        if css in getattr(widget, "_dom_classes", ()):
            return widget
        stack.extend(getattr(widget, "children", ()))
    raise AssertionError(f"no widget with class {css}")


def test_view_shows_six_images_a_message_for_12a_and_the_mix(app):
    view = app.widget(fill=False)
    row = _find(view, "dk-advanced-images")
    assert row.children == ()
    _find(view, "dk-advanced-generate").click()
    assert len(row.children) == 6
    assert [item.children[1].value.count(d) for item, d in zip(row.children, "646775")] == [1] * 6
    message = _find(view, "dk-message")
    assert message.value == ""

    _find(view, "dk-advanced-digits").value = "12a"  # pressing Enter in the box
    assert "Received: digits=&#x27;12a&#x27;" in message.value and row.children == ()
    _find(view, "dk-advanced-digits").value = "42"
    assert message.value == "" and len(row.children) == 2

    _find(view, "dk-advanced-model").value = "DDIM"
    assert len(row.children) == 2 and _find(view, "dk-advanced-steps").value == 20
    first = [item.children[0].value for item in row.children]
    _find(view, "dk-advanced-solver").value = "dpm++2m"
    _find(view, "dk-advanced-generate").click()
    assert len(row.children) == 2 and [item.children[0].value for item in row.children] != first

    _find(view, "dk-advanced-mixed").click()
    mixed = _find(view, "dk-advanced-mixed-images")
    assert len(mixed.children) == 3 and "0.50·3 + 0.50·8" in mixed.children[1].children[1].value

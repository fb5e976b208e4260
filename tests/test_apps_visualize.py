"""The Visualize app: the cGAN's layers and the DDIM's denoising as panels, and its view."""

import numpy as np
import pytest

from digitkit.apps import VisualizeApp
from digitkit.apps.models import load_models
from digitkit.apps.visualize import TRAJECTORY_COLUMNS, feature_map_panel


@pytest.fixture(scope="module")
def models():
    return load_models()


@pytest.fixture(scope="module")
def app(models):
    return VisualizeApp(models.cgan, models.ddim)


def test_build_up_has_one_panel_per_stage_ending_with_the_digit(app, models):
    panels = app.build_up(7, seed=0)
    assert [p.caption for p in panels] == ["7x7: 16 maps", "14x14: 16 maps", "the image, 28x28"]
    assert panels[0].image.shape == (4 * 8 + 1, 4 * 8 + 1)  # 16 maps of 7x7 tiled 4x4, 1 px apart
    np.testing.assert_allclose(panels[-1].image[1:-1, 1:-1], models.cgan.generate("7", seed=0)[0], atol=1e-5)
    for p in panels:
        assert 0.0 <= p.image.min() and p.image.max() <= 1.0


def test_feature_map_panel_scales_each_map():
    maps = np.stack([np.full((2, 2), 5.0), np.array([[0.0, 1.0], [2.0, 3.0]])], axis=-1)
    panel = feature_map_panel("stage_2x2", maps)
    assert panel.caption == "2x2: 2 maps"
    np.testing.assert_allclose(panel.image[1:3, 4:6], [[0, 1 / 3], [2 / 3, 1]])


def test_trajectory_goes_from_noise_to_the_sampled_digit(app, models):
    noisy, predicted = app.trajectory(3, seed=1)
    assert len(noisy) == len(predicted) == TRAJECTORY_COLUMNS
    assert noisy[0].caption == "t=499" and noisy[-1].caption == predicted[-1].caption == "result"
    final = models.ddim.sample("3", seed=1)[0]
    np.testing.assert_allclose(predicted[-1].image, final, atol=1e-5)
    np.testing.assert_allclose(noisy[-1].image, final, atol=1e-5)
    # x_t starts as noise (unlike any digit), the prediction already looks like one
    assert np.corrcoef(noisy[0].image.ravel(), final.ravel())[0, 1] < 0.3
    assert np.corrcoef(predicted[-2].image.ravel(), final.ravel())[0, 1] > 0.9
    with pytest.raises(ValueError, match="Received: digits=\\[12\\]"):
        app.trajectory(12)
    with pytest.raises(ValueError, match="Received: ddim=None"):
        VisualizeApp(models.cgan).trajectory(3)


def test_view_fills_three_rows(app):
    view = app.widget(fill=False)
    rows = {c: w for w in view.children for c in getattr(w, "_dom_classes", ()) if c.startswith("dk-visualize")}
    assert all(len(rows[c].children) == 0 for c in ("dk-visualize-layers", "dk-visualize-trajectory"))
    view.fill()
    assert len(rows["dk-visualize-layers"].children) == 3
    assert len(rows["dk-visualize-trajectory"].children) == len(rows["dk-visualize-x0"].children) == TRAJECTORY_COLUMNS
    view.children[0].children[0].value = 2  # choosing a digit redraws
    assert "result" in rows["dk-visualize-x0"].children[-1].children[1].value

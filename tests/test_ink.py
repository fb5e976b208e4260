import numpy as np
import pytest

from digitkit import ink


def test_otsu_splits_two_groups_between_them():
    values = np.concatenate([np.full(900, 0.1), np.full(100, 0.8)])
    assert 0.1 < ink.otsu_threshold(values) < 0.8


def test_components_finds_blobs_8_connected_with_their_mass():
    mask = np.zeros((10, 10), bool)
    mask[1:4, 1:4] = True  # 9 pixels
    mask[4, 4] = True  # touches the first diagonally
    mask[7:9, 6:9] = True  # 6 pixels, apart
    runs, label, mass = ink.components(mask, np.ones(mask.shape))
    assert sorted(mass.tolist()) == [6.0, 10.0]
    assert len(set(label.tolist())) == 2 and len(runs) == 6


def test_flatten_background_removes_uneven_lighting():
    u = np.linspace(0, 1, 200, dtype="float32")
    paper = 0.5 + 0.4 * u[None, :] * np.ones((150, 1), "float32")  # brighter to the right
    picture = paper.copy()
    picture[60:90, 40:160] -= 0.3  # a dark bar of ink
    found, noise = ink.flatten_background(picture)
    assert found[:20].max() < 0.05 and found[70, 50:150].min() > 0.25 and noise < 0.02


def test_big_pictures_are_shrunk_first():
    gray, is_ink = ink.to_gray_ink(np.zeros((3024, 4032, 3), np.uint8))
    assert max(gray.shape) <= ink.WORK_SIZE and not is_ink
    alpha = np.zeros((280, 280, 4), np.uint8)
    alpha[100:180, 130:150, 3] = 255
    gray, is_ink = ink.to_gray_ink(alpha)
    assert is_ink and gray.max() == 1.0


def test_fine_pen_strokes_are_thickened_to_mnist_width():
    picture = np.zeros((600, 600), np.float32)
    picture[100:500, 298:302] = 1.0  # a "1" 400 px tall, 4 px wide: 1% of its height
    crop = ink.find_digit(picture)
    assert 0.06 <= ink.stroke_width(crop > 0.5) / max(crop.shape) <= 0.15


@pytest.mark.parametrize("size", [(3, 3), (5, 7)])
def test_square_filter_is_a_max_over_the_square(size):
    x = np.zeros((9, 9))
    x[4, 4] = 1
    grown = ink.square_filter(x, size[0], np.maximum)
    assert grown.sum() == size[0] ** 2 and grown[4 - size[0] // 2, 4 + size[0] // 2] == 1


@pytest.mark.parametrize("paper", [0.0, 1.0])
def test_a_canvas_with_flat_paper_skips_the_lighting_fit_and_keeps_the_ink(paper):
    gray = np.full((280, 280), paper, dtype="float32")
    gray[60:220, 130:150] = 1.0 - paper  # a "1": bright on a black canvas, dark on white paper
    gray[60:220, 128] = 0.5  # an anti-aliased edge
    ink_map, noise = ink.flatten_background(gray)
    expected = np.abs(gray - paper)
    np.testing.assert_array_equal(ink_map, expected)
    assert noise == 0.01
    # the same as the fit finds on nearly flat paper (one pixel off)
    gray[0, 0] = paper + (0.001 if paper == 0.0 else -0.001)
    fitted, fitted_noise = ink.flatten_background(gray)
    np.testing.assert_allclose(fitted[60:220, 120:160], expected[60:220, 120:160], atol=2e-3)
    assert fitted_noise == pytest.approx(0.01)

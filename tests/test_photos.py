import numpy as np

from digitkit import photos


def test_skeleton_is_one_pixel_thin_and_inside_the_digit(mnist):
    _, (x, _) = mnist
    points = photos.skeleton(x[1])
    assert 20 < len(points) < 200
    rows, cols = np.round(points - 0.5).astype(int).T
    assert (x[1][rows.clip(0, 27), cols.clip(0, 27)] > 0).mean() > 0.9


def test_render_photo_size_polarity_and_seed(mnist):
    _, (x, _) = mnist
    points = photos.skeleton(x[0])
    a = photos.render_photo(points, size=(400, 300), seed=1)
    assert a.shape == (300, 400, 3) and a.dtype == np.uint8
    assert np.array_equal(a, photos.render_photo(points, size=(400, 300), seed=1))
    assert np.median(a) > 150  # paper
    chalk = photos.render_photo(points, size=(400, 300), dark_ink=False, seed=1)
    assert np.median(chalk) < 80
    blank = photos.render_photo([], size=(400, 300), grain=0.0, lighting=0.0, seed=1)
    assert np.ptp(blank[..., 0]) <= 1


def test_photo_set_varies_the_settings(mnist):
    _, (x, _) = mnist
    settings = [s for _, s in photos.photo_set(x[:6], seed=0)]
    assert len(settings) == 6 and len({s["size"] for s in settings}) > 1

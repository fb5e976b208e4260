import numpy as np
import pandas as pd
import pytest

from digitkit import data
from tests.conftest import upscale


def test_load_mnist_has_the_exact_split(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert int(x_train.max()) == 255 and int(x_train.min()) == 0


def test_load_mnist_normalize_gives_model_input():
    (x_train, _), (x_test, _) = data.load_mnist(normalize=True)
    assert x_train.shape == (60000, 28, 28, 1) and x_train.dtype == np.float32
    assert 0.0 <= x_test.min() and x_test.max() == 1.0


def test_the_test_reference_spreads_over_both_halves_of_the_test_set(mnist):
    _, (x_test, y_test) = mnist
    images, labels = data.test_reference(1000, normalize=False)
    np.testing.assert_array_equal(images, x_test[::10])  # every 10th, not the neater first 1,000
    np.testing.assert_array_equal(labels, y_test[::10])
    images, labels = data.test_reference(10000, normalize=False)
    np.testing.assert_array_equal(images, x_test)  # all of them: the whole set in its order
    np.testing.assert_array_equal(labels, y_test)
    images, _ = data.test_reference(3)
    assert images.shape == (3, 28, 28, 1) and images.dtype == np.float32


@pytest.mark.parametrize("n", [0, 10001, 2.5])
def test_the_test_reference_needs_a_whole_number_of_test_digits(n):
    with pytest.raises(ValueError, match="from 1 to 10000"):
        data.test_reference(n)


def test_load_mnist_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="No MNIST file"):
        data.load_mnist(tmp_path / "nope.npz")


def test_load_mnist_corrupt_file(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(ValueError, match="corrupt"):
        data.load_mnist(path)


def test_load_mnist_wrong_contents(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.zeros((3, 28, 28), np.uint8), y_train=np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="missing keys"):
        data.load_mnist(path)
    np.savez(
        path,
        x_train=np.zeros((3, 28, 28), np.uint8),
        y_train=np.zeros(3, np.uint8),
        x_test=np.zeros((3, 28, 28), np.uint8),
        y_test=np.zeros(3, np.uint8),
    )
    with pytest.raises(ValueError, match="shape"):
        data.load_mnist(path)


def test_no_file_and_no_keras_copy_is_a_clear_error(monkeypatch):
    import keras

    def offline():
        raise OSError("network unreachable")

    monkeypatch.setattr(data, "_shipped_path", lambda: None)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(FileNotFoundError, match="data/mnist.npz"):
        data.load_mnist()


def test_to_model_input_shapes_and_errors():
    assert data.to_model_input(np.zeros((28, 28), np.uint8)).shape == (1, 28, 28, 1)
    assert data.to_model_input(np.full((2, 28, 28), 255, np.uint8)).max() == 1.0
    with pytest.raises(ValueError, match="Received: shape=\\(32, 32\\)"):
        data.to_model_input(np.zeros((32, 32)))
    with pytest.raises(ValueError, match="\\[0, 1\\]"):
        data.to_model_input(np.full((1, 28, 28), 7.0))


def test_kaggle_csv_round_trip(tmp_path, mnist):
    (x, y), _ = mnist
    data.to_kaggle_csv(tmp_path / "train.csv", x[:5], y[:5])
    data.to_kaggle_csv(tmp_path / "test.csv", x[5:8])
    images, labels = data.load_kaggle_csv(tmp_path / "train.csv")
    assert np.array_equal(images, x[:5]) and labels.tolist() == y[:5].tolist()
    images, labels = data.load_kaggle_csv(tmp_path / "test.csv")
    assert images.shape == (3, 28, 28) and labels is None


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda df: df.drop(columns=["pixel783"]), "784 pixel columns"),
        (lambda df: df.assign(pixel5="ink"), "non-numeric"),
        (lambda df: df.assign(pixel5=300), "0..255"),
        (lambda df: df.assign(label=12), "labels must be integers 0..9"),
        (lambda df: df.iloc[:0], "no rows"),
    ],
)
def test_kaggle_csv_rejects_malformed_files(tmp_path, mnist, mutate, message):
    (x, y), _ = mnist
    data.to_kaggle_csv(tmp_path / "good.csv", x[:3], y[:3])
    mutate(pd.read_csv(tmp_path / "good.csv")).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match=message):
        data.load_kaggle_csv(tmp_path / "bad.csv")


def test_kaggle_csv_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        data.load_kaggle_csv(tmp_path / "train.csv")


def test_prepare_drawing_reproduces_mnist_preprocessing(mnist):
    _, (x, _) = mnist
    for image in x[:20]:
        canvas = 255 - upscale(image).astype(np.uint8)  # dark ink on white paper
        out = data.prepare_drawing(canvas)
        assert out.shape == (28, 28) and out.dtype == np.float32
        assert np.corrcoef(out.ravel(), image.ravel())[0, 1] > 0.8
        rows, cols = np.nonzero(out > 0.05)
        assert np.ptp(rows) < 21 and np.ptp(cols) < 21  # fits the 20x20 box
        r, c = np.indices(out.shape)
        assert abs((r * out).sum() / out.sum() - 14) <= 1 and abs((c * out).sum() / out.sum() - 14) <= 1


def test_prepare_drawing_accepts_rgba_canvas_with_transparent_background(mnist):
    _, (x, _) = mnist
    alpha = upscale(x[0]).astype(np.uint8)
    rgba = np.zeros(alpha.shape + (4,), np.uint8)
    rgba[..., 3] = alpha
    out = data.prepare_drawing(rgba)
    assert np.corrcoef(out.ravel(), x[0].ravel())[0, 1] > 0.8


def test_prepare_drawing_moves_an_off_centre_digit_to_the_centre(mnist):
    _, (x, _) = mnist
    canvas = np.zeros((400, 400), np.float32)
    canvas[10:290, 10:290] = upscale(x[1]) / 255  # in the top-left corner
    out = data.prepare_drawing(canvas)
    assert np.corrcoef(out.ravel(), x[1].ravel())[0, 1] > 0.8


@pytest.mark.parametrize(
    "canvas",
    [
        np.zeros((280, 280)),
        np.full((280, 280, 3), 255, np.uint8),
        np.zeros((280, 280, 4), np.uint8),
    ],
)
def test_prepare_drawing_reports_a_blank_canvas(canvas):
    with pytest.raises(data.BlankDrawingError, match="blank"):
        data.prepare_drawing(canvas)


def test_prepare_drawing_reports_a_single_dot():
    canvas = np.zeros((280, 280), np.float32)
    canvas[100:103, 100:103] = 1.0
    with pytest.raises(data.BlankDrawingError):
        data.prepare_drawing(canvas)


@pytest.mark.parametrize("shape", [(280,), (280, 280, 2), (2, 280, 280, 1), (1, 1)])
def test_prepare_drawing_rejects_shapes_that_are_not_images(shape):
    with pytest.raises(ValueError, match="Received: shape"):
        data.prepare_drawing(np.ones(shape))


def test_parse_digits_accepts_strings_ints_and_lists():
    assert data.parse_digits("646775").tolist() == [6, 4, 6, 7, 7, 5]
    assert data.parse_digits(7).tolist() == [7]
    assert data.parse_digits(np.array([3, 4])).tolist() == [3, 4]


@pytest.mark.parametrize("bad", ["12a", "", " ", [], [10], [-1], [True], [1.5], None])
def test_parse_digits_rejects_anything_else(bad):
    with pytest.raises(ValueError, match="Received: digits="):
        data.parse_digits(bad)


# --- photos and scans of any size (digitkit.photos draws them from MNIST test digits) ---


@pytest.fixture(scope="module")
def dense():
    import digitkit

    return digitkit.load_pretrained("dense")


def _read(model, image, name="photo.jpg"):
    from digitkit import classifier

    return int(classifier.predict_probabilities(model, data.prepare_drawing(image, name=name)).argmax())


def test_a_4032x3024_photo_of_a_3_written_with_a_14px_stroke(mnist, dense):
    from digitkit import photos

    _, (x, y) = mnist
    assert y[18] == 3
    photo = photos.render_photo(
        photos.skeleton(x[18]),
        size=(4032, 3024),
        height=0.3,
        stroke=14 / (0.3 * 3024),
        lighting=0.3,
        grain=0.03,
        seed=1,
    )
    assert photo.shape == (3024, 4032, 3)
    assert _read(dense, photo) == 3


def test_a_1200x900_picture_of_a_1_drawn_with_a_120px_stroke(mnist, dense):
    from digitkit import photos

    _, (x, y) = mnist
    assert y[2] == 1
    photo = photos.render_photo(
        photos.skeleton(x[2]), size=(1200, 900), height=0.7, stroke=120 / (0.7 * 900), grain=0.02, seed=2
    )
    assert _read(dense, photo) == 1


@pytest.mark.parametrize(
    "settings",
    [
        dict(size=(3024, 4032), height=0.4, stroke=0.02),  # fine pen, portrait
        dict(size=(2000, 1500), height=0.6, stroke=0.22),  # marker
        dict(size=(1600, 1200), height=0.5, stroke=0.1, dark_ink=False),  # chalk on a board
        dict(size=(1600, 1200), height=0.3, stroke=0.05, centre=(0.15, 0.8)),  # off-centre
        dict(size=(4032, 3024), height=0.12, stroke=0.08, lighting=0.4),  # small digit, big frame
    ],
)
def test_photos_of_many_kinds_are_read_correctly(mnist, dense, settings):
    from digitkit import photos

    _, (x, y) = mnist
    for k in (0, 1, 3, 4):  # a 7, a 2, a 0 and a 4
        photo = photos.render_photo(photos.skeleton(x[k]), grain=0.03, seed=k, **settings)
        assert _read(dense, photo) == y[k], (k, settings)


def test_a_photo_of_blank_paper_names_the_file():
    from digitkit import photos

    paper = photos.render_photo([], size=(2000, 1500), lighting=0.4, grain=0.03)
    with pytest.raises(data.BlankDrawingError, match="no digit found in img.png: it looks blank"):
        data.prepare_drawing(paper, name="img.png")
    with pytest.raises(data.BlankDrawingError, match="draw a digit first"):
        data.prepare_drawing(np.zeros((280, 280, 4), np.uint8))


def test_a_speck_of_dust_is_not_a_digit():
    photo = np.full((3024, 4032), 200, np.uint8)
    photo[1500:1520, 2000:2020] = 30  # 20 px: under 1% of the picture
    with pytest.raises(data.BlankDrawingError, match="in scan.png"):
        data.prepare_drawing(photo, name="scan.png")


def test_load_image_reads_files_upright_and_names_bad_ones(tmp_path):
    from PIL import Image

    picture = np.zeros((30, 50, 3), np.uint8)
    picture[:, :10] = 255
    Image.fromarray(picture).save(tmp_path / "wide.png")
    assert data.load_image(tmp_path / "wide.png").shape == (30, 50, 3)
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was held upright: rotate 90 degrees clockwise to view
    Image.fromarray(picture).save(tmp_path / "phone.jpg", exif=exif)
    upright = data.load_image(tmp_path / "phone.jpg")
    assert upright.shape == (50, 30, 3) and upright[:10].mean() > 200 and upright[-10:].mean() < 50
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(FileNotFoundError, match="missing.png"):
        data.load_image(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="empty.png is not an image: the file is empty"):
        data.load_image(tmp_path / "empty.png")
    with pytest.raises(ValueError, match="notes.png is not an image"):
        data.load_image(tmp_path / "notes.png")

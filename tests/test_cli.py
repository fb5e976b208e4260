import imageio.v3 as iio
import numpy as np
import pytest

from digitkit import cli
from tests.conftest import upscale


def test_predict_reads_a_png_of_a_digit(tmp_path, mnist, capsys):
    _, (x, y) = mnist
    path = tmp_path / "digit.png"
    iio.imwrite(path, 255 - upscale(x[0]).astype(np.uint8))  # dark ink on paper
    cli.main(["predict", str(path)])
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"{path}: {y[0]} (")
    assert len([line for line in out.splitlines() if line.startswith("  ")]) == 10


def test_predict_refuses_a_blank_image(tmp_path):
    path = tmp_path / "blank.png"
    iio.imwrite(path, np.full((100, 100), 255, np.uint8))
    with pytest.raises(SystemExit, match="blank"):
        cli.main(["predict", str(path)])


def test_predict_refuses_a_file_that_is_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    with pytest.raises(SystemExit, match="Cannot read"):
        cli.main(["predict", str(path)])


def test_evaluate_prints_accuracy_and_writes_the_confusion_matrix(tmp_path, capsys):
    png = tmp_path / "cm.png"
    cli.main(["evaluate", "classifier", "--model", "dense", "--png", str(png)])
    out = capsys.readouterr().out
    assert "test accuracy 0.98" in out and out.count("digit ") == 10
    assert iio.imread(png).ndim == 3


def test_train_writes_weights_and_manifest_elsewhere(tmp_path, test_digits):
    from digitkit import pretrained

    cli.main(["train", "classifier", "--model", "dense_plain", "--epochs", "1", "--n-images", "2000",
              "--out", str(tmp_path)])
    entry = pretrained.read_manifest(tmp_path)["dense_plain"]
    assert entry["command"] == "digitkit train classifier --model dense_plain --seed 0 --epochs 1"
    assert 0.5 < entry["quality"]["test_accuracy"] <= 1
    loaded = pretrained.load_pretrained("dense_plain", directory=tmp_path)
    x, y = test_digits
    assert (loaded.predict(x, verbose=0).argmax(axis=1) == y).mean() > 0.5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classifier_runs.json", "dense_plain.weights.h5",
                                                          "manifest.json"]

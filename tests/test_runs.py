import json

import numpy as np

from digitkit import runs


def test_save_run_adds_and_replaces_runs_one_per_line(tmp_path):
    path = tmp_path / "r.json"
    runs.save_run("a", {"lr": 1}, {"loss": [1.0, 0.123456789]}, path=path, note="x")
    runs.save_run("b", {}, {"loss": [2.0]}, path=path)
    runs.save_run("a", {"lr": 2}, {"loss": [0.5]}, path=path)
    loaded = runs.load_runs(path)
    assert list(loaded) == ["a", "b"]
    assert loaded["a"] == {"knobs": {"lr": 2}, "history": {"loss": [0.5]}}
    assert len(path.read_text().splitlines()) == 4  # braces and one line per run
    runs.save_run("c", {}, {"loss": [0.123456789]}, path=path)
    assert runs.load_runs(path)["c"]["history"]["loss"] == [0.12346]  # rounded to 5 digits
    assert json.loads(path.read_text())  # still plain JSON


def test_recorded_samples_round_trip_through_hex():
    images = np.random.default_rng(0).uniform(0, 1, (3, 28, 28)).astype("float32")
    back = runs.recorded_samples({"samples_hex": runs.samples_hex(images)})
    assert back.shape == (3, 28, 28) and back.dtype == np.float32
    np.testing.assert_allclose(back, images, atol=0.5 / 255 + 1e-6)


def test_merge_histories_concatenates_in_order():
    merged = runs.merge_histories({"loss": [3, 2], "acc": [0.1, 0.2]}, {"loss": [1], "acc": [0.3]})
    assert merged == {"loss": [3, 2, 1], "acc": [0.1, 0.2, 0.3]}


def test_the_shipped_records_are_where_the_notebooks_look():
    assert runs.runs_path().name == "gan_runs.json" and runs.runs_path("cgan").name == "cgan_runs.json"
    shipped = runs.load_runs()
    assert {"pretrained", "healthy", "mode_collapse"} <= set(shipped)
    assert len(shipped["pretrained"]["history"]["frechet"]) == len(shipped["pretrained"]["history"]["d_loss"])
    assert (runs.training_dir() / "gan.gif").is_file()

import json

import numpy as np
import pytest

import digitkit
from digitkit import classifier, pretrained


@pytest.fixture
def saved(tmp_path):
    model = classifier.build_dense_classifier()
    path = pretrained.save_pretrained(
        model, "dense", {"test_accuracy": 0.1}, "digitkit train classifier", directory=tmp_path
    )
    return model, path


def test_round_trip_gives_identical_outputs(saved, test_digits):
    model, path = saved
    loaded = pretrained.load_pretrained("dense", directory=path.parent)
    x, _ = test_digits
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    entry = json.loads((path.parent / "manifest.json").read_text())["dense"]
    assert entry["sha256"] == pretrained.sha256(path) and entry["command"] == "digitkit train classifier"


def test_a_changed_file_fails_the_checksum(saved):
    _, path = saved
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(pretrained.CorruptWeightsError, match="corrupt"):
        pretrained.load_pretrained("dense", directory=path.parent)


def test_a_missing_file_says_how_to_get_it_back(saved):
    _, path = saved
    path.unlink()
    with pytest.raises(FileNotFoundError, match="digitkit train classifier"):
        pretrained.load_pretrained("dense", directory=path.parent)


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError, match="Received: name='vae'"):
        digitkit.load_pretrained("vae")


@pytest.mark.parametrize("name, floor", [("dense", 0.983), ("judge", 0.994)])
def test_shipped_classifiers_reach_their_accuracy(mnist, name, floor):
    _, (x_test, y_test) = mnist
    model = digitkit.load_pretrained(name)
    accuracy = classifier.evaluate_classifier(model, x_test, y_test)["accuracy"]
    assert accuracy >= floor
    recorded = pretrained.read_manifest()[name]["quality"]["test_accuracy"]
    assert accuracy == pytest.approx(recorded, abs=5e-4)


def test_resume_returns_the_model_and_its_training_so_far(tmp_path):
    model = classifier.build_dense_classifier()
    pretrained.save_pretrained(
        model, "dense", {"epochs": 3, "train_minutes": 1.5}, "digitkit train x", directory=tmp_path
    )
    loaded, previous = pretrained.resume("dense", directory=tmp_path)
    assert previous == {"epochs": 3, "minutes": 1.5, "command": "digitkit train x && "}
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


def test_quality_reads_the_manifest_and_names_missing_entries(tmp_path):
    model = classifier.build_dense_classifier()
    pretrained.save_pretrained(
        model, "dense", {"test_accuracy": 0.5, "train_minutes": 0.1}, "x", directory=tmp_path, recipe={"epochs": 1}
    )
    assert pretrained.quality("dense", directory=tmp_path) == {"test_accuracy": 0.5, "train_minutes": 0.1}
    assert pretrained.read_manifest(tmp_path)["dense"]["recipe"] == {"epochs": 1}
    with pytest.raises(FileNotFoundError, match="digitkit train gan"):
        pretrained.quality("gan", directory=tmp_path)
    with pytest.raises(ValueError, match="Received: name='vae'"):
        pretrained.quality("vae")


@pytest.mark.parametrize("name", pretrained.TRAINED_GENERATORS)
def test_every_shipped_generator_has_the_same_quality_keys(name):
    quality = pretrained.quality(name)
    assert sorted(quality) == sorted(pretrained.GENERATOR_QUALITY_KEYS)
    assert quality["n_frechet"] == 10000 and quality["frechet"] > quality["frechet_floor"] > 0
    assert quality["frechet_over_floor"] == pytest.approx(quality["frechet"] / quality["frechet_floor"], rel=0.01)
    assert pretrained.read_manifest()[name]["command"].startswith(f"digitkit train {name} --epochs ")


@pytest.mark.parametrize("name", ["gan", "dense_gan", "dcgan"])
def test_a_shipped_gan_is_saved_without_its_optimizers(tmp_path, name):
    import h5py

    from digitkit import training

    model = training.build(name, seed=3)  # the architectures load_pretrained builds
    model.compile()
    model.build_optimizers()
    path = pretrained.save_pretrained(model, name, {}, "x", directory=tmp_path)
    with h5py.File(path, "r") as f:
        assert {"generator", "discriminator"} <= set(f.keys()) and "d_optimizer" not in f.keys()
    loaded = pretrained.load_pretrained(name, directory=tmp_path)
    np.testing.assert_array_equal(loaded.generate(3, seed=1), model.generate(3, seed=1))


def test_a_shipped_ddim_is_saved_without_its_optimizer(tmp_path):
    import h5py

    from digitkit import training

    model = training.build("ddim", seed=3)
    training.compile_for_training(model, 10, training.RECIPES["ddim"])
    model.optimizer.build(model.trainable_variables)
    model.ema_updates.assign(7.0)
    for weight in model.ema_network.weights:  # what a trained model samples with, unlike a new one of seed 3
        weight.assign(weight + 0.01)
    path = pretrained.save_pretrained(model, "ddim", {}, "x", directory=tmp_path)
    with h5py.File(path, "r") as f:
        assert "optimizer" not in f.keys() and f["vars"]["0"][()] == 7.0  # the EMA count comes along
    loaded = pretrained.load_pretrained("ddim", directory=tmp_path)
    np.testing.assert_array_equal(loaded.sample(4, steps=2, seed=1), model.sample(4, steps=2, seed=1))


def test_weights_load_into_the_networks_their_entry_records(tmp_path):
    from digitkit import cgan

    narrow = dict(classifier_weight=0.5, generator_filters=(8, 4), discriminator_filters=(4, 8))
    model = cgan.ConditionalGAN(**narrow, seed=2)
    pretrained.save_pretrained(model, "cgan", {}, "x", directory=tmp_path, architecture=narrow)
    loaded = pretrained.load_pretrained("cgan", directory=tmp_path)  # not cgan.ARCHITECTURE's widths
    assert (loaded.generator_filters, loaded.discriminator_filters) == ((8, 4), (4, 8))
    np.testing.assert_array_equal(loaded.generate([3, 5], seed=1), model.generate([3, 5], seed=1))
    pretrained.save_pretrained(model, "cgan", {}, "x", directory=tmp_path)  # an entry without one: ARCHITECTURE
    with pytest.raises(pretrained.CorruptWeightsError, match="could not be loaded"):
        pretrained.load_pretrained("cgan", directory=tmp_path)


@pytest.mark.parametrize("name", ["gan", "dcgan", "cgan", "ddim"])
def test_shipped_entries_record_the_networks_the_code_trains(name):
    entry = pretrained.read_manifest()[name]
    assert entry["architecture"] == json.loads(json.dumps(pretrained.shipped_architecture(name)))  # tuples: lists
    assert not set(entry["architecture"]) & set(entry.get("recipe", {}))  # recorded once

"""The one training path: every model retrained in quick mode into a temporary folder, then read back."""

import json
import pathlib
import random

import h5py
import keras
import numpy as np
import pytest

from digitkit import evaluation, pretrained, runs, training, viz

TINY = dict(epochs=1, n_images=256, evaluation=dict(per_digit=2, n_frechet=20), verbose=0)


def _global_random_state():
    return np.random.get_state()[1].copy(), random.getstate()


def _optimizer_state(model):
    return {side: [np.array(v) for v in getattr(model, f"{side}_optimizer").variables] for side in ("d", "g")}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Every model trained once (tiny) into one folder, with what was true around each run."""
    out = tmp_path_factory.mktemp("out")
    shipped = {p: p.stat().st_mtime for p in [*pretrained.weights_dir().iterdir(), *runs.training_dir().iterdir()]}
    result = dict(out=out, shipped=shipped, models={}, random_state_kept={})
    for name in ("dense_plain", "gan", "cgan", "ddim", training.DENSE_GAN, training.DCGAN):
        before = _global_random_state()
        model, _ = training.train(name, out=out, monitor_samples=20, **TINY)
        after = _global_random_state()
        result["random_state_kept"][name] = np.array_equal(before[0], after[0]) and before[1] == after[1]
        result["models"][name] = model
        if name == "gan":
            result["gan_optimizers"] = _optimizer_state(model)
    return result


def test_training_writes_nothing_into_the_shipped_folders(trained):
    now = {p: p.stat().st_mtime for p in [*pretrained.weights_dir().iterdir(), *runs.training_dir().iterdir()]}
    assert now == trained["shipped"]


@pytest.mark.parametrize("name", training.TRAINED_GENERATORS)
def test_the_notebooks_readers_accept_what_train_wrote(trained, name):
    out = trained["out"]
    quality = pretrained.quality(name, directory=out)
    assert sorted(quality) == sorted(pretrained.GENERATOR_QUALITY_KEYS) and len(pretrained.GENERATOR_QUALITY_KEYS) == 14
    assert quality["n_frechet"] == 20 and quality["epochs"] == 1 and quality["frechet"] > 0
    assert quality["frechet_over_floor"] == pytest.approx(quality["frechet"] / quality["frechet_floor"], rel=0.01)
    assert sum(quality["digit_shares"]) == pytest.approx(1.0, abs=1e-3)
    unconditional = name in ("gan", training.DENSE_GAN, training.DCGAN)
    if unconditional:
        assert quality["class_accuracy"] is None and quality["per_class"] is None and quality["settings"] == {}
    else:
        assert len(quality["per_class"]) == 10 and 0 <= quality["class_accuracy"] <= 1
        assert quality["worst_digit"] == int(np.argmin(quality["per_class"]))
    if name == "ddim":
        assert set(quality["settings"]) == {"steps", "guidance", "guidance_interval", "eta"}
    entry = pretrained.read_manifest(out)[name]
    assert entry["command"] == f"digitkit train {name} --epochs 1 --seed 0"
    knobs = json.loads(json.dumps(pretrained.shipped_architecture(name)))  # tuples become lists in the manifest
    assert entry.get("architecture", {}) == knobs and (bool(knobs) or name == training.DENSE_GAN)  # what loads
    assert not set(knobs) & set(entry["recipe"])  # recorded once, not also in the recipe
    loaded = pretrained.load_pretrained(name, directory=out)
    what = 2 if unconditional else "01"
    np.testing.assert_array_equal(
        evaluation.generate(loaded, what, seed=0), evaluation.generate(trained["models"][name], what, seed=0)
    )
    assert len(viz.read_gif(out / f"{name}.gif")) >= 1
    history = runs.load_runs(training.places(name, out)["history"])[training.HISTORIES[name][1]]
    assert history["epochs"] == [1] and len(history["history"]["epoch_seconds"]) == 1


@pytest.mark.parametrize("name", ["cgan", "ddim"])  # a GAN switched to its moving average; the DDIM's own EMA U-Net
def test_a_checkpoint_loads_as_the_model_train_judged(trained, name):
    checkpoint = training.places(name, trained["out"])["checkpoint"]
    model, state = training.load_run(name, checkpoint)
    assert state["epoch"] == 1
    np.testing.assert_array_equal(
        evaluation.generate(model, "01", seed=0), evaluation.generate(trained["models"][name], "01", seed=0)
    )
    with pytest.raises(ValueError, match="Unknown generator"):
        training.load_run("dense", checkpoint)
    copy = trained["out"] / "copy.h5"  # a copy under another name: Keras would read it as a legacy .h5
    copy.write_bytes(checkpoint.read_bytes())
    with pytest.raises(ValueError, match=r"ends in \.weights\.h5"):
        training.load_run(name, copy)


def test_a_classifier_has_its_own_quality_keys(trained):
    quality = pretrained.quality("dense_plain", directory=trained["out"])
    assert set(quality) == {"test_accuracy", "train_minutes"} and 0.1 < quality["test_accuracy"] <= 1


def test_library_training_leaves_global_random_state_alone(trained):
    assert trained["random_state_kept"]["gan"] and trained["random_state_kept"]["dense_plain"]
    assert trained["random_state_kept"]["cgan"]


def test_resume_restores_both_optimizers_and_numbers_the_epochs_on(trained):
    out = trained["out"]
    checkpoint = training.places("gan", out)["checkpoint"]
    assert training.read_checkpoint(checkpoint)["epoch"] == 1
    restored = training.build("gan", seed=7)
    training.load_checkpoint(restored, checkpoint, total_steps=4)
    saved = trained["gan_optimizers"]
    for side in ("d", "g"):
        state = _optimizer_state(restored)[side]
        assert len(state) == len(saved[side]) > 2  # iterations, learning rate and Adam's moments
        for a, b in zip(state, saved[side]):
            np.testing.assert_array_equal(a, b)
    assert int(restored.d_optimizer.iterations) == 4  # 256 images in batches of 64, one epoch
    model, quality = training.train("gan", out=out, resume=True, **{**TINY, "epochs": 1})
    assert int(model.d_optimizer.iterations) == 8 and int(model.g_optimizer.iterations) == 8
    assert quality["epochs"] == 2
    assert pretrained.read_manifest(out)["gan"]["command"] == "digitkit train gan --epochs 2 --seed 0"
    record = runs.load_runs(out / "gan_runs.json")["selfcond_pretrained"]
    assert record["epochs"] == [1, 2] and len(record["history"]["d_loss"]) == 2
    assert len(viz.read_gif(out / "gan.gif")) > 1  # the resumed run extends the GIF


def test_a_run_cut_short_keeps_the_history_of_its_finished_epochs(tmp_path):
    """A run writes its history file at its end; its checkpoint carries the history of a run that never got there."""
    name, size = training.DENSE_GAN, dict(TINY, monitor_samples=20)
    training.train(name, out=tmp_path, **size)
    where = training.places(name, tmp_path)
    where["history"].unlink()  # as if the first run had stopped after its last checkpoint
    assert training.read_checkpoint(where["checkpoint"])["history_epochs"] == [1]
    training.train(name, out=tmp_path, resume=True, **size)
    record = runs.load_runs(where["history"])[training.HISTORIES[name][1]]
    assert record["epochs"] == [1, 2]
    assert len(record["history"]["d_loss"]) == len(record["history"]["label_entropy"]) == 2  # the monitor's too


def test_fit_numbers_epochs_from_initial_epoch():
    from digitkit.gan import GAN

    model = GAN(latent_dim=4, seed=0)
    x = np.random.default_rng(0).uniform(0, 1, (32, 28, 28, 1)).astype("float32")
    seen = []
    marker = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    history = training.fit(model, x, epochs=3, initial_epoch=1, batch_size=16, callbacks=[marker])
    assert seen == [1, 2] and len(history["d_loss"]) == 2 and len(history["epoch_seconds"]) == 2


def test_a_recipe_with_decay_from_ends_a_gan_run_at_learning_rate_zero():
    from digitkit.gan import GAN

    model = GAN(latent_dim=4, seed=0)
    x = np.random.default_rng(0).uniform(0, 1, (32, 28, 28, 1)).astype("float32")
    rates = []
    probe = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: rates.append(float(model.g_optimizer.learning_rate))
    )
    training.fit(model, x, epochs=2, batch_size=8, recipe=dict(decay_from=0.25), callbacks=[probe])
    # 8 steps, 4 an epoch: held for 2, then down by 2e-4 / 6 a step; after epoch 1 (step 4) 4 of the 6 are left
    assert rates == pytest.approx([2e-4 * 4 / 6, 0.0])
    assert float(model.d_optimizer.learning_rate) == 0.0


def test_unknown_names_and_classifier_resume_are_refused():
    with pytest.raises(ValueError, match="Received: name='vae'"):
        training.train("vae")
    with pytest.raises(ValueError, match="resume=True"):
        training.train("dense", resume=True, epochs=1, n_images=10)
    with pytest.raises(ValueError, match="epochs=0"):  # not the recipe's 46
        training.train("ddim", epochs=0, n_images=10)


def test_a_wider_ddim_is_recorded_resumed_and_loaded_with_its_own_networks(tmp_path):
    wider = {"channels": [8, 16, 32]}
    training.train("ddim", out=tmp_path, architecture=wider, **TINY)
    entry = pretrained.read_manifest(tmp_path)["ddim"]
    assert entry["command"] == """digitkit train ddim --epochs 1 --seed 0 --architecture '{"channels": [8, 16, 32]}'"""
    assert entry["architecture"] == training.networks("ddim", wider)
    assert entry["architecture"]["channels"] == [8, 16, 32]
    checkpoint = training.places("ddim", tmp_path)["checkpoint"]
    assert training.read_checkpoint(checkpoint)["architecture"]["channels"] == [8, 16, 32]
    with pytest.raises(ValueError, match="resuming needs the same"):
        training.train("ddim", out=tmp_path, resume=True, architecture={"channels": [16, 32, 64]}, **TINY)
    model, quality = training.train("ddim", out=tmp_path, resume=True, **TINY)  # the checkpoint's networks
    assert quality["epochs"] == 2 and model.channels == (8, 16, 32)
    assert pretrained.read_manifest(tmp_path)["ddim"]["command"].startswith("digitkit train ddim --epochs 2 --seed 0 ")
    assert training.load_run("ddim", checkpoint)[0].channels == (8, 16, 32)  # the networks it records
    with pytest.raises(ValueError, match="holds networks with architecture="):
        training.load_run("ddim", checkpoint, architecture={"channels": [16, 32, 64]})
    assert pretrained.load_pretrained("ddim", directory=tmp_path).channels == (8, 16, 32)
    checkpoint.unlink()  # no checkpoint: the weights and the networks the manifest records
    with pytest.raises(ValueError, match="resuming needs the same"):
        training.train("ddim", out=tmp_path, resume=True, architecture={"channels": [16, 32, 64]}, **TINY)
    model, quality = training.train("ddim", out=tmp_path, resume=True, **TINY)
    assert quality["epochs"] == 3 and model.channels == (8, 16, 32)


def test_an_architecture_changes_only_knobs_the_shipped_networks_have():
    assert training.networks("ddim")["channels"] == list(pretrained.shipped_architecture("ddim")["channels"])
    assert training.networks("cgan", {"discriminator_filters": [32, 64]})["discriminator_filters"] == [32, 64]
    with pytest.raises(ValueError, match=r"Unknown knobs for ddim: \['width'\]"):
        training.networks("ddim", {"width": 32})
    attention = training.build("ddim", 0, {"attention": True})  # the 7x7 self-attention, off in the shipped U-Net
    assert attention.attention and "middle_attention_attention" in [layer.name for layer in attention.network.layers]
    assert not training.build("ddim", 0).attention
    recorded_before = {k: v for k, v in training.networks("ddim").items() if k not in ("attention", "scale_shift")}
    assert training.networks("ddim", recorded_before) == training.networks("ddim")  # knobs added since: shipped values
    with pytest.raises(ValueError, match="architecture="):
        training.train("dense", architecture={"dropout": 0.2}, epochs=1, n_images=10)


def test_checkpoint_file_holds_optimizer_groups(trained):
    with h5py.File(training.places("gan", trained["out"])["checkpoint"], "r") as f:
        assert {"generator", "discriminator", "d_optimizer", "g_optimizer"} <= set(f.keys())
    with h5py.File(trained["out"] / "gan.weights.h5", "r") as f:  # the shipped kind: networks only
        assert "d_optimizer" not in f.keys() and {"generator", "discriminator"} <= set(f.keys())


def test_fit_trains_a_ddim_and_sample_grid_extends_its_gif(tmp_path, capsys):
    from digitkit import diffusion

    model = diffusion.DiffusionModel(timesteps=50, channels=(8, 16), embed_dim=16, groups=4, seed=0)
    rng = np.random.default_rng(0)
    images, labels = rng.uniform(0, 1, (64, 28, 28, 1)).astype("float32"), rng.integers(0, 10, 64)
    gif = tmp_path / "ddim.gif"
    frames = training.SampleGrid("01", gif_path=gif)
    history = training.fit(model, images, labels, epochs=2, batch_size=32, learning_rate=1e-3, callbacks=[frames])
    assert len(history["loss"]) == 2 and np.isfinite(history["loss"]).all()
    assert frames.epochs == [1, 2] and frames.frames[0].shape == (2, 28, 28)
    assert not np.array_equal(frames.frames[0], frames.frames[1])  # the model changed between the frames
    assert capsys.readouterr().out == ""  # verbose=0
    more = training.SampleGrid("01", gif_path=gif, previous_frames=viz.read_gif(gif))
    training.fit(model, images, labels, epochs=3, initial_epoch=2, batch_size=32, callbacks=[more], verbose=1)
    assert len(viz.read_gif(gif)) == 3
    lines = capsys.readouterr().out.splitlines()  # a DDIM has no monitor: EpochLine says how far the run is
    assert len(lines) == 1 and lines[0].startswith("epoch 3/3: loss=") and "epoch_seconds=" in lines[0]


def test_a_course_read_from_the_installed_package_is_never_written_to(tmp_path, monkeypatch):
    from digitkit import paths

    packaged = tmp_path / "site-packages" / "digitkit" / "_course"
    monkeypatch.setattr(paths, "project_dir", lambda: packaged)
    monkeypatch.setattr(paths, "packaged_dir", lambda: packaged)
    monkeypatch.chdir(tmp_path)
    where = training.places("cgan")
    assert all(pathlib.Path(p).resolve().is_relative_to((tmp_path / "runs" / "cgan").resolve()) for p in where.values())


def test_gan_is_self_conditioned_dcgan_convolutional_and_dense_gan_dense():
    from digitkit.selfcond import SelfConditionedGAN

    def kinds(name):
        return {type(layer).__name__ for layer in training.build(name).generator.layers}

    assert isinstance(training.build("gan"), SelfConditionedGAN) and training.build("gan").ema_momentum == 0.999
    assert "Conv2DTranspose" in kinds("gan") and "Conv2DTranspose" in kinds(training.DCGAN)
    assert not isinstance(training.build(training.DCGAN), SelfConditionedGAN)
    assert "Conv2DTranspose" not in kinds(training.DENSE_GAN) and "Dense" in kinds(training.DENSE_GAN)
    assert training.RECIPES["gan"]["batch_size"] == 64 and training.RECIPES[training.DENSE_GAN]["batch_size"] == 128

"""Tests of digitkit.diffusion. They also pass with KERAS_BACKEND=jax."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from digitkit import diffusion, viz
from digitkit.apps import DiffusionApp

TINY = dict(timesteps=50, channels=(8, 16), embed_dim=16, groups=4, seed=0)


def _batch(n=32, seed=0):
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28, 1), "float32")
    labels = rng.integers(0, 10, n).astype("int32")
    for i, d in enumerate(labels):  # a bar whose position depends on the label: learnable fast
        images[i, 4:24, 2 + 2 * d:5 + 2 * d, 0] = 1.0
    return images, labels


def _fixed_loss(model, images, labels):
    """The v-loss at fixed steps and noise, so two calls differ only by the weights."""
    rng = np.random.default_rng(123)
    t = rng.integers(0, model.timesteps, len(images))
    noise = rng.standard_normal(images.shape).astype("float32")
    x_t = keras.ops.convert_to_numpy(model.noise_images(images, t, noise))
    ab = model.alpha_bar[t].reshape(-1, 1, 1, 1)
    v_true = np.sqrt(ab) * noise - np.sqrt(1 - ab) * (images * 2 - 1)
    v_pred = model.predict_v(x_t, t, labels, use_ema=False)
    return float(np.mean((v_pred - v_true) ** 2))


@pytest.fixture(scope="module")
def trained():
    """A tiny model after a few training steps (so its output depends on the label)."""
    keras.utils.set_random_seed(0)
    model = diffusion.DiffusionModel(**TINY)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    images, labels = _batch()
    before = _fixed_loss(model, images, labels)
    for _ in range(8):
        model.train_on_batch({"images": images, "labels": labels})
    return model, before, _fixed_loss(model, images, labels)


def test_cosine_schedule_known_values():
    ab = diffusion.cosine_alpha_bar(500)
    assert ab.shape == (500,)
    assert np.all(np.diff(ab) < 0)
    assert 0.999 < ab[0] <= 1.0
    assert ab[-1] < 1e-4
    # Half way, half of the signal variance is left: cos^2(pi/4) = 0.5 (up to the offset s).
    assert abs(ab[249] - 0.5) < 0.02
    with pytest.raises(ValueError, match="timesteps"):
        diffusion.cosine_alpha_bar(1)


def test_forward_process_goes_from_digit_to_noise():
    model = diffusion.DiffusionModel(**{**TINY, "timesteps": 500})
    images, _ = _batch(64)
    noise = np.random.default_rng(0).standard_normal(images.shape).astype("float32")
    early = keras.ops.convert_to_numpy(model.noise_images(images, np.zeros(64, "int32"), noise))
    late = keras.ops.convert_to_numpy(model.noise_images(images, np.full(64, 499), noise))
    np.testing.assert_allclose(early, images * 2 - 1, atol=0.06)  # t=0: still the digit
    np.testing.assert_allclose(late, noise, atol=0.02)  # t=T-1: all noise


def test_training_lowers_the_loss_and_moves_the_ema(trained):
    model, before, after = trained
    assert after < before
    assert float(keras.ops.convert_to_numpy(model.ema_updates)) == 8
    ema = keras.ops.convert_to_numpy(model.ema_network.get_layer("out").kernel)
    live = keras.ops.convert_to_numpy(model.network.get_layer("out").kernel)
    assert np.abs(ema).sum() > 0  # moved away from its zero initialisation ...
    assert not np.allclose(ema, live)  # ... but lags behind the trained weights


def test_same_seed_same_samples(trained):
    model, _, _ = trained
    a = model.sample("0123", steps=3, seed=7)
    b = model.sample([0, 1, 2, 3], steps=3, seed=7)
    c = model.sample("0123", steps=3, seed=8)
    assert a.shape == (4, 28, 28) and a.dtype == np.float32
    assert 0.0 <= a.min() and a.max() <= 1.0
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_guidance_and_eta_change_samples(trained):
    model, _, _ = trained
    plain = model.sample("37", steps=3, guidance=0.0, seed=1)
    guided = model.sample("37", steps=3, guidance=3.0, seed=1)
    noisy = model.sample("37", steps=3, guidance=0.0, eta=1.0, seed=1)
    assert np.abs(plain - guided).max() > 1e-3
    assert np.abs(plain - noisy).max() > 1e-3


def test_trajectory_has_steps_plus_one_entries(trained):
    model, _, _ = trained
    images, trajectory = model.sample("58", steps=4, seed=0, return_trajectory=True)
    assert trajectory["x_t"].shape == (5, 2, 28, 28)
    assert trajectory["x0"].shape == (5, 2, 28, 28)
    assert list(trajectory["t"]) == [49, 33, 16, 0, -1]
    np.testing.assert_array_equal(trajectory["x_t"][-1], images)
    np.testing.assert_array_equal(trajectory["x0"][-1], images)
    assert len(diffusion.trajectory_frames(trajectory, index=1)) == 5


def test_denoise_returns_noise_and_digit(trained):
    model, _, _ = trained
    x_t = np.random.default_rng(0).standard_normal((3, 28, 28)).astype("float32")
    noise, x0 = model.denoise(x_t, 25, "123")
    assert noise.shape == x0.shape == (3, 28, 28)
    assert 0.0 <= x0.min() and x0.max() <= 1.0


def test_saved_weights_reload_to_identical_samples(trained, tmp_path):
    model, _, _ = trained
    path = tmp_path / "tiny.weights.h5"
    model.save_weights(path)
    again = diffusion.DiffusionModel(**TINY)
    again.load_weights(path)
    # Equal up to float rounding (oneDNN may order a sum differently in a new graph).
    np.testing.assert_allclose(model.sample("49", steps=3, seed=2), again.sample("49", steps=3, seed=2), atol=1e-5)


def test_weights_load_on_the_other_backend(trained, tmp_path):
    """Weights saved under this backend give the same digits under the other one."""
    other = "jax" if keras.backend.backend() == "tensorflow" else "tensorflow"
    module = "jax" if other == "jax" else "tensorflow"
    if subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode:
        pytest.skip(f"{module} is not installed, so the other backend cannot be tried")
    model, _, _ = trained
    path = tmp_path / "tiny.weights.h5"
    model.save_weights(path)
    expected = model.sample("49", steps=3, guidance=2.0, seed=2)
    script = textwrap.dedent(f"""
        import json, numpy as np
        from digitkit import diffusion
        m = diffusion.DiffusionModel(**{TINY!r})
        m.load_weights({str(path)!r})
        print(json.dumps(m.sample("49", steps=3, guidance=2.0, seed=2).tolist()))
    """)
    env = {**os.environ, "KERAS_BACKEND": other}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert result.returncode == 0, result.stderr[-2000:]
    got = np.array(json.loads(result.stdout.strip().splitlines()[-1]), dtype="float32")
    np.testing.assert_allclose(got, expected, atol=1e-3)


def test_config_round_trip():
    model = diffusion.DiffusionModel(**TINY)
    config = model.get_config()
    again = diffusion.DiffusionModel.from_config(config)
    assert again.get_config() == config
    assert again.network.count_params() == model.network.count_params()


@pytest.mark.parametrize("kwargs, message", [
    (dict(digits="x"), "Received: digits='x'"),
    (dict(digits="12a"), "Received: digits='12a'"),
    (dict(digits=[3, 10]), "digits"),
    (dict(digits=""), "digits"),
    (dict(digits="1", steps=0), "Received: steps=0"),
    (dict(digits="1", steps=51), "Received: steps=51"),
    (dict(digits="1", steps=2.5), "steps"),
    (dict(digits="1", guidance=-1.0), "Received: guidance=-1.0"),
    (dict(digits="1", eta=2.0), "Received: eta=2.0"),
])
def test_bad_arguments_raise_clear_errors(trained, kwargs, message):
    model, _, _ = trained
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        model.sample(**kwargs)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="label_dropout"):
        diffusion.DiffusionModel(label_dropout=1.0, **TINY)
    with pytest.raises(ValueError, match="ema_decay"):
        diffusion.DiffusionModel(ema_decay=1.5, **TINY)


def test_train_ddim_runs_through_fit(tmp_path):
    model = diffusion.DiffusionModel(**TINY)
    images, labels = _batch(64)
    gif = tmp_path / "ddim.gif"
    frames = diffusion.SampleGrid(digits="01", steps=2, gif_path=gif)
    history = diffusion.train_ddim(model, images, labels, epochs=2, batch_size=32, warmup=2,
                                   validation_data=(images[:16], labels[:16]), callbacks=[frames], verbose=0)
    assert len(history.history["loss"]) == 2 and "val_loss" in history.history
    assert np.isfinite(history.history["loss"]).all()
    assert len(frames.frames) == 2 and frames.frames[0].shape == (2, 28, 28)
    # A resumed stage continues the GIF of the earlier one instead of replacing it.
    more = diffusion.SampleGrid(digits="01", steps=2, gif_path=gif, previous_frames=viz.read_gif(gif))
    diffusion.train_ddim(model, images, labels, epochs=1, batch_size=32, warmup=2, callbacks=[more], verbose=0)
    assert len(viz.read_gif(gif)) == 3


def test_figures_and_app_methods(trained):
    from matplotlib.figure import Figure

    model, _, _ = trained
    image = _batch(1)[0][0]
    _, trajectory = model.sample("3", steps=4, return_trajectory=True)
    figures = [
        diffusion.plot_schedule(model.alpha_bar),
        diffusion.plot_forward(model, image, steps=(0, 10, 49)),
        diffusion.plot_denoise(model, image, 3, t=20),
        diffusion.plot_trajectory(trajectory),
        diffusion.plot_quality([dict(steps=5, accuracy=0.9, frechet=3.0, seconds_per_100=1.0),
                                dict(steps=10, accuracy=0.95, frechet=2.0, seconds_per_100=2.0)],
                               reference=dict(class_accuracy=0.97, frechet=2.5)),
    ]
    app = DiffusionApp(model, image)
    figures += [app.forward(25), app.draw("01", steps=2), app.generate("646775", steps=2)]
    assert all(isinstance(f, Figure) for f in figures)
    assert len(figures[1].axes) == 3
    with pytest.raises(ValueError, match="Received: digits='6x'"):
        app.generate("6x")
    with pytest.raises(ValueError, match="steps must lie"):
        diffusion.forward_images(model, image, [50])


def test_sampler_widget_starts_at_the_default_guidance(trained):
    # a start value off the slider's grid would be snapped by the browser and redrawn at another scale
    model, _, _ = trained
    app = DiffusionApp(model, _batch(1)[0][0])
    steps, guidance = app.sampler_widget().children[0].children
    assert (steps.value, guidance.value) == (20, diffusion.GUIDANCE)
    assert abs(guidance.value / guidance.step - round(guidance.value / guidance.step)) < 1e-9

"""The GANs' JAX train step (`digitkit.gan_jax`), against the TensorFlow one: GAN, cGAN (also with its
auxiliary classifier), self-conditioned GAN.

Trained in a subprocess with ``KERAS_BACKEND=jax`` (the suite runs on TensorFlow);
run this file as a script to print the JAX numbers.
"""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NAMES = ("gan", "cgan", "cgan_classifier", "selfcond")


def _train(name):
    """One epoch (4 steps) of a tiny GAN, cGAN (plain or with a classifier head) or self-conditioned GAN
    (with a moving average, on 3 clusters):
    its history, which weights moved, the optimizers' steps."""
    from digitkit import cgan, gan, selfcond

    rng = np.random.default_rng(0)
    x, y = rng.random((64, 28, 28, 1)).astype("float32"), rng.integers(0, 10, 64)
    cls, args, extra = {
        "gan": (gan.GAN, (x,), {}),
        "cgan": (cgan.ConditionalGAN, (x, y), {}),
        "cgan_classifier": (cgan.ConditionalGAN, (x, y), dict(classifier_weight=1.0)),
        "selfcond": (selfcond.SelfConditionedGAN, (x,), dict(clusters=3, ema_momentum=0.9)),
    }[name]
    model = cls(latent_dim=8, seed=0, d_steps=2, label_smoothing=0.1, **extra)
    model.compile()
    before = {
        n: [keras.ops.convert_to_numpy(w).copy() for w in getattr(model, n).weights]
        for n in ("generator", "discriminator")
    }
    history = model.fit(*args, batch_size=16, epochs=1, shuffle=False, verbose=0).history
    moved = {
        n: any(not np.allclose(a, keras.ops.convert_to_numpy(b)) for a, b in zip(ws, getattr(model, n).weights))
        for n, ws in before.items()
    }
    steps = [int(keras.ops.convert_to_numpy(o.iterations)) for o in (model.d_optimizer, model.g_optimizer)]
    return dict(history={k: float(v[0]) for k, v in history.items()}, moved=moved, steps=steps)


@pytest.fixture(scope="module")
def on_jax():
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, __file__], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", NAMES)
def test_jax_fit_updates_both_networks(on_jax, name):
    run = on_jax[name]
    assert run["backend"] == "jax"
    assert run["moved"] == {"generator": True, "discriminator": True}
    assert run["steps"] == [8, 4]  # d_steps=2 discriminator updates per generator update, 4 batches
    assert set(run["history"]) == {"d_loss", "g_loss", "d_acc_real", "d_acc_fake", "g_grad_norm"}
    assert all(np.isfinite(v) for v in run["history"].values())


@pytest.mark.parametrize("name", NAMES)
def test_jax_losses_are_close_to_tensorflows(on_jax, name):
    """Same weights, same math; the noise and dropout streams differ between backends, so loosely."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("compares with the TensorFlow backend's run")
    here = _train(name)
    assert here["steps"] == on_jax[name]["steps"]
    for key in ("d_loss", "g_loss"):
        np.testing.assert_allclose(on_jax[name]["history"][key], here["history"][key], rtol=0.2, err_msg=key)


if __name__ == "__main__":
    print(json.dumps({name: dict(_train(name), backend=keras.backend.backend()) for name in NAMES}))

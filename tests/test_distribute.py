"""Data-parallel training: the checks, and two simulated CPU devices giving one device's loss curve.

The curves are measured in a subprocess on JAX with two XLA host devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=2``); run this file as a
script to print them.
"""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

from digitkit import cli, distribute

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_data_parallel_needs_jax_or_gives_a_distribution():
    if keras.backend.backend() != "jax":
        with pytest.raises(ValueError, match=f"JAX backend.*backend='{keras.backend.backend()}'"):
            distribute.data_parallel("all", batch_size=64)
    else:
        assert isinstance(distribute.data_parallel("all", batch_size=64), keras.distribution.DataParallel)


def test_unknown_devices_is_a_clear_error():
    with pytest.raises(ValueError, match="devices='gpu0'"):
        distribute.data_parallel("gpu0")


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="the TensorFlow backend's refusal")
def test_cli_devices_on_tensorflow_exits_2_naming_the_backend(capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", "ddim", "--devices", "all", "--epochs", "1", "--out", str(tmp_path)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "--devices all" in err and "KERAS_BACKEND=jax" in err and "tensorflow" in err
    assert not any(tmp_path.iterdir())  # refused before anything was trained or written


def _curves():
    """Per-batch logs of tiny models, 4 steps, on one device and on all; the batch-size refusal."""
    from digitkit import diffusion, gan, training

    rng = np.random.default_rng(0)
    x, y = rng.random((64, 28, 28, 1)).astype("float32"), rng.integers(0, 10, 64)

    class Logs(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.steps = []

        def on_train_batch_end(self, batch, logs=None):
            self.steps.append({k: float(v) for k, v in logs.items()})

    def run(name):
        keras.utils.set_random_seed(0)  # the U-Net's initializers are unseeded: the same draws both times
        if name == "gan":
            model, data = gan.GAN(latent_dim=8, seed=0), dict(x=x)
            training.compile_for_training(model, 4)
        else:
            model = diffusion.DiffusionModel(timesteps=50, channels=(8,), embed_dim=8, groups=4, seed=0)
            model.compile(optimizer=keras.optimizers.AdamW(1e-3, clipnorm=1.0))  # the recipe's optimizer
            data = dict(x={"images": x, "labels": y})
        logs = Logs()
        model.fit(**data, batch_size=16, epochs=1, shuffle=False, verbose=0, callbacks=[logs])
        return logs.steps

    out = dict(devices=keras.distribution.list_devices())
    for name in ("ddim", "gan"):
        out[f"{name}_one"] = run(name)
        with distribute.data_parallel("all", batch_size=16, n_examples=64).scope():
            out[f"{name}_all"] = run(name)
    for batch_size, n in ((15, 60), (16, 63)):
        try:
            distribute.data_parallel("all", batch_size=batch_size, n_examples=n)
        except ValueError as e:
            out[f"refused_{batch_size}_{n}"] = str(e)
    return out


@pytest.fixture(scope="module")
def curves():
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, __file__], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_devices_are_seen(curves):
    assert curves["devices"] == ["cpu:0", "cpu:1"]


@pytest.mark.parametrize("name", ["ddim", "gan"])
def test_two_devices_give_one_devices_loss_curve(curves, name):
    one, two = curves[f"{name}_one"], curves[f"{name}_all"]
    assert len(one) == len(two) == 4
    for key in one[0]:
        np.testing.assert_allclose([s[key] for s in two], [s[key] for s in one], rtol=1e-4, err_msg=key)
    loss = "loss" if name == "ddim" else "d_loss"
    assert abs(one[-1][loss] - one[0][loss]) > 1e-3  # the weights moved: the curve is not flat


def test_batches_that_do_not_split_are_refused(curves):
    assert "multiple of the device count (2" in curves["refused_15_60"]
    assert "Received: batch_size=15" in curves["refused_15_60"]
    assert "last batch (15 of 63" in curves["refused_16_63"]


if __name__ == "__main__":
    print(json.dumps(_curves()))

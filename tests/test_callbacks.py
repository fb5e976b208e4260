"""The training path's callbacks: epoch timing, resumable checkpoints, GIF frames."""

import pathlib

import keras
import numpy as np
import pytest

from digitkit import callbacks, viz


def _tiny_classifier():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    return model


def test_epoch_timer_and_checkpoint_record_each_epoch(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.integers(0, 2, 32)
    model = _tiny_classifier()
    path = tmp_path / "tiny.resume.weights.h5"
    history = model.fit(
        x,
        y,
        epochs=3,
        verbose=0,
        callbacks=[callbacks.EpochTimer(), callbacks.Checkpoint(path, seed=7, minutes_before=1.5)],
    )
    seconds = history.history["epoch_seconds"]
    assert len(seconds) == 3 and all(s > 0 for s in seconds)
    state = callbacks.read_checkpoint(path)
    assert state["epoch"] == 3 and state["seed"] == 7 and state["minutes"] >= 1.5
    assert state["history"]["loss"] == pytest.approx(history.history["loss"], abs=1e-5)
    assert state["history_epochs"] == [1, 2, 3]
    restored = _tiny_classifier()
    restored.optimizer.build(restored.trainable_variables)
    restored.load_weights(path)
    for a, b in zip(model.weights, restored.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    assert int(keras.ops.convert_to_numpy(restored.optimizer.iterations)) == 3  # one batch per epoch


def test_epoch_line_prints_each_epoch_of_the_total_with_its_logs(capsys):
    x, y = np.zeros((8, 4), "float32"), np.zeros(8, int)
    _tiny_classifier().fit(
        x, y, epochs=3, initial_epoch=1, verbose=0, callbacks=[callbacks.EpochTimer(), callbacks.EpochLine(3)]
    )
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 2/3", "epoch 3/3"]
    assert all("loss=" in line and "epoch_seconds=" in line for line in lines)
    for bad in (0, 2.5, "3"):
        with pytest.raises(ValueError, match="epochs must be a whole number"):
            callbacks.EpochLine(bad)


def test_a_checkpoint_continues_the_history_it_is_given(tmp_path):
    x, y = np.zeros((8, 4), "float32"), np.zeros(8, int)
    model, path = _tiny_classifier(), tmp_path / "tiny.resume.weights.h5"
    earlier = dict(loss=[9.0, 8.0], epoch_seconds=[1.0, 1.0])
    checkpoint = callbacks.Checkpoint(path, history_before=earlier, epochs_before=[1, 2])
    model.fit(x, y, epochs=4, initial_epoch=2, verbose=0, callbacks=[callbacks.EpochTimer(), checkpoint])
    state = callbacks.read_checkpoint(path)
    assert state["history_epochs"] == [1, 2, 3, 4] and state["history"]["loss"][:2] == [9.0, 8.0]
    assert len(state["history"]["loss"]) == len(state["history"]["epoch_seconds"]) == 4
    assert earlier["loss"] == [9.0, 8.0]  # the caller's lists are not extended in place


def test_a_run_killed_while_saving_keeps_its_last_checkpoint(tmp_path):
    x, y = np.zeros((8, 4), "float32"), np.zeros(8, int)
    model, path = _tiny_classifier(), tmp_path / "tiny.resume.weights.h5"
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.Checkpoint(path)])
    saved = model.save_weights

    def killed(where):  # a half-written file, then the end of the process
        pathlib.Path(where).write_bytes(b"\x89HDF\r\n")
        raise KeyboardInterrupt

    model.save_weights = killed
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=2, initial_epoch=1, verbose=0, callbacks=[callbacks.Checkpoint(path)])
    model.save_weights = saved
    assert callbacks.read_checkpoint(path)["epoch"] == 1
    restored = _tiny_classifier()
    restored.optimizer.build(restored.trainable_variables)
    restored.load_weights(path)
    assert int(keras.ops.convert_to_numpy(restored.optimizer.iterations)) == 1


class _Counter(keras.Model):
    """A stand-in generator whose pixels are its call count: each frame differs."""

    conditional = False

    def __init__(self):
        super().__init__()
        self.calls = 0

    def generate(self, n, seed=0):
        self.calls += 1
        return np.full((n, 28, 28), self.calls / 10, dtype="float32")


def test_sample_grid_draws_a_frame_every_n_epochs_and_writes_the_gif(tmp_path):
    grid = callbacks.SampleGrid(4, every=2, gif_path=tmp_path / "g.gif", start_frame=True)
    grid.set_model(_Counter())
    grid.on_train_begin()
    for epoch in range(4):
        grid.on_epoch_end(epoch)
    assert grid.epochs == [0, 2, 4]
    np.testing.assert_allclose([f.mean() for f in grid.frames], [0.1, 0.2, 0.3], rtol=1e-6)
    assert len(viz.read_gif(tmp_path / "g.gif")) == 3

"""The Keras callbacks of the one training path: GIF frames, epoch timing and lines, resumable checkpoints.

`digitkit.training.fit` attaches them; a notebook can attach `SampleGrid` to any
``fit`` of a course generator.
"""

import json
import os
import pathlib
import time

import keras
import numpy as np

from digitkit import viz
from digitkit.checks import check_whole
from digitkit.evaluation import generate, is_conditional


class SampleGrid(keras.callbacks.Callback):
    """Draws the same samples (same seed) every ``every`` epochs: the frames of a training GIF.

    Uses the generator API (`generate`), so it draws any generator of the course.

    Args:
        what: digits for a conditional generator (default 0-9 twice), a count
            for the basic GAN (default 40).
        seed: the seed of every frame.
        every: epochs between two frames.
        gif_path: if given, the GIF of all frames so far is written there after
            each frame (an interrupted run still leaves a GIF).
        previous_frames: frames the GIF starts with (`digitkit.viz.read_gif` of
            an earlier run's GIF), so that a resumed run continues it.
        start_frame: also draw a frame before training.
        fps, scale: of the GIF.

    Attributes:
        frames: list of (N, 28, 28) arrays; ``epochs``: the epoch of each.
    """

    def __init__(
        self, what=None, seed=0, every=1, gif_path=None, previous_frames=(), start_frame=False, fps=2, scale=3
    ):
        super().__init__()
        check_whole(every=every)
        self.what, self.seed, self.every, self.gif_path = what, seed, every, gif_path
        self.previous_frames, self.start_frame, self.fps, self.scale = list(previous_frames), start_frame, fps, scale
        self.frames, self.epochs = [], []

    def _draw(self, epoch):
        what = self.what
        if what is None:
            what = "01234567890123456789" if is_conditional(self.model) else 40
        self.frames.append(generate(self.model, what, seed=self.seed))
        self.epochs.append(epoch)
        if self.gif_path:
            tiles = [(viz.tile(f, ncols=10) * 255).round().astype(np.uint8) for f in self.frames]
            tiles = [t.repeat(self.scale, axis=0).repeat(self.scale, axis=1) for t in tiles]
            viz.save_gif(self.previous_frames + tiles, self.gif_path, fps=self.fps)

    def on_train_begin(self, logs=None):
        if self.start_frame and not self.previous_frames:
            self._draw(0)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self._draw(epoch + 1)


class EpochTimer(keras.callbacks.Callback):
    """Adds ``epoch_seconds`` to every epoch's logs (so the History has it)."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["epoch_seconds"] = time.time() - self._start


def epoch_line(epoch, logs, epochs=None):
    """``epoch 3/46: loss=0.0953 epoch_seconds=438``: an epoch (counted from 1) and its logs' numbers."""
    shown = " ".join(f"{k}={v:.3g}" for k, v in logs.items() if np.ndim(v) == 0)
    return f"epoch {epoch}{'' if epochs is None else f'/{epochs}'}: {shown}"


class EpochLine(keras.callbacks.Callback):
    """Prints a line per finished epoch, ``epoch 3/46: loss=0.0953 epoch_seconds=438``: the logs' numbers.

    So a long run (the DDIM's three hours on a CPU, a run in the background writing to a log) shows
    how far it is and how fast it goes. ``epochs``: the run's last epoch, as Keras counts (a resumed
    run's total). Attach it after the callbacks that add to the logs.
    """

    def __init__(self, epochs):
        super().__init__()
        check_whole(epochs=epochs)
        self.epochs = int(epochs)

    def on_epoch_end(self, epoch, logs=None):
        print(epoch_line(epoch + 1, logs or {}, self.epochs), flush=True)


class Checkpoint(keras.callbacks.Callback):
    """Writes a resumable checkpoint after every epoch: networks, optimizer state, the epoch and the history.

    The ``.weights.h5`` file is the compiled model's ``save_weights`` (which
    holds its optimizers' variables); the epoch, the training minutes so far,
    the seed and the per-epoch logs so far with their epoch numbers
    (``history_before`` and ``epochs_before``, then this run's) are attributes
    of the file (`read_checkpoint`), so that a run cut short keeps the history
    of the epochs it finished; so are the knobs of the networks (``architecture``,
    as `digitkit.training.networks` gives them), so that a resumed run builds the same.
    Each epoch's file is written beside the last one and then moved over it, so a run
    killed while saving keeps its previous checkpoint whole. Attach it after the
    callbacks that add to the logs.
    """

    def __init__(self, path, seed=0, minutes_before=0.0, history_before=None, epochs_before=(), architecture=None):
        super().__init__()
        self.path, self.seed, self.minutes_before = pathlib.Path(path), seed, minutes_before
        self.architecture = architecture
        self.history = {k: list(v) for k, v in (history_before or {}).items()}
        self.epochs = list(epochs_before)

    def on_train_begin(self, logs=None):
        self._start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        import h5py

        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(round(float(value), 5))  # as `digitkit.runs.save_run` keeps them
        self.epochs.append(epoch + 1)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writing = self.path.with_name(self.path.name.removesuffix(".weights.h5") + ".writing.weights.h5")
        self.model.save_weights(writing)
        with h5py.File(writing, "a") as f:
            f.attrs["epoch"] = epoch + 1
            f.attrs["minutes"] = self.minutes_before + (time.time() - self._start) / 60
            f.attrs["seed"] = self.seed
            f.attrs["history"] = json.dumps(self.history)
            f.attrs["history_epochs"] = json.dumps(self.epochs)
            if self.architecture is not None:
                f.attrs["architecture"] = json.dumps(self.architecture)
        os.replace(writing, self.path)


def read_checkpoint(path):
    """``{"epoch", "minutes", "seed", "history", "history_epochs", "architecture"}`` of a `Checkpoint` file.

    ``history`` (per-epoch logs), ``history_epochs`` (their epoch numbers) and
    ``architecture`` (the networks' knobs) are None for a checkpoint written
    before checkpoints kept them (or, ``architecture``, without it).
    """
    import h5py

    with h5py.File(path, "r") as f:
        state = dict(epoch=int(f.attrs["epoch"]), minutes=float(f.attrs["minutes"]), seed=int(f.attrs["seed"]))
        for key in ("history", "history_epochs", "architecture"):
            state[key] = json.loads(f.attrs[key]) if key in f.attrs else None
        return state

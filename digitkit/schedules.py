"""Learning-rate schedules of the course's recipes (`digitkit.training.RECIPES`).

`StagedCosine` is cosine decay with a linear warm-up, restarted at the start of
each stage; `staged_cosine` lays stages given in epochs over a run's optimizer
steps. The DDIM's recipe uses it as its default, so that one ``digitkit train
ddim`` reproduces what six hand-chained runs did before.
"""

import math

import keras
import numpy as np


class StagedCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Cosine decay with linear warm-up, restarted at the start of each stage.

    Args:
        boundaries: the first optimizer step of each stage, then the last step + 1.
        peaks: the peak learning rate of each stage.
        warmup: warm-up steps at the start of each stage (at most a quarter of it).
    """

    def __init__(self, boundaries, peaks, warmup=500):
        self.boundaries = [int(b) for b in boundaries]
        self.peaks = [float(p) for p in peaks]
        self.warmup = int(warmup)

    def __call__(self, step):
        ops = keras.ops
        step = ops.cast(step, "float32")
        rate = ops.zeros(())
        for start, end, peak in zip(self.boundaries[:-1], self.boundaries[1:], self.peaks):
            warm = max(min(self.warmup, (end - start) // 4), 1)
            local = step - start
            cosine = 0.5 * peak * (1 + ops.cos(math.pi * ops.clip((local - warm) / max(end - start - warm, 1), 0, 1)))
            value = ops.where(local < warm, peak * local / warm, cosine)
            inside = step >= start if end == self.boundaries[-1] else (step >= start) & (step < end)
            rate = ops.where(inside, value, rate)
        return rate

    def get_config(self):
        return dict(boundaries=self.boundaries, peaks=self.peaks, warmup=self.warmup)


def staged_cosine(total_steps, stages, warmup=500):
    """The `StagedCosine` over ``total_steps`` whose stages keep the proportions of ``stages``.

    Args:
        total_steps: optimizer steps of the whole run.
        stages: ``((epochs, peak learning rate), ...)``, e.g. `digitkit.training.DDIM_STAGES`.
        warmup: warm-up steps at the start of each stage.
    """
    lengths = np.array([epochs for epochs, _ in stages], dtype="float64")
    boundaries = np.round(np.concatenate([[0], np.cumsum(lengths)]) / lengths.sum() * total_steps).astype(int)
    return StagedCosine(boundaries, [peak for _, peak in stages], warmup=warmup)

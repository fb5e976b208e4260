"""Learning-rate schedules of the course's recipes (`digitkit.training.RECIPES`).

`StagedCosine` is cosine decay with a linear warm-up, restarted at the start of
each stage; `staged_cosine` lays stages given in epochs over a run's optimizer
steps. The DDIM's recipe uses it as its default, so that one ``digitkit train
ddim`` reproduces what six hand-chained runs did before.

`LinearDecay` holds a learning rate, then lowers it linearly to 0: the
conditional GAN's recipe (``decay_from``) ends its run that way, because the
two networks stop chasing each other as the steps shrink and the generator
settles on more varied digits (FD 4.31 -> 3.63 on the earlier cGAN recipe).
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


class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """``peak`` until step ``start``, then linearly down to 0 at step ``end`` (and 0 after).

    Args:
        peak: the learning rate held at first.
        start: the first step of the decay.
        end: the step at which the rate reaches 0 (``end > start``).
    """

    def __init__(self, peak, start, end):
        if not 0 <= int(start) < int(end):
            raise ValueError(f"LinearDecay needs 0 <= start < end. Received: start={start!r}, end={end!r}")
        self.peak, self.start, self.end = float(peak), int(start), int(end)

    def __call__(self, step):
        ops = keras.ops
        left = (self.end - ops.cast(step, "float32")) / (self.end - self.start)
        return self.peak * ops.clip(left, 0.0, 1.0)

    def get_config(self):
        return dict(peak=self.peak, start=self.start, end=self.end)


def linear_decay(total_steps, peak, decay_from):
    """The `LinearDecay` from ``peak`` that starts after the fraction ``decay_from`` of ``total_steps``.

    Args:
        total_steps: optimizer steps of the whole run.
        peak: the learning rate before the decay.
        decay_from: a fraction in [0, 1) of the run, e.g. ``2 / 3``: the last third decays.
    """
    if isinstance(decay_from, bool) or not isinstance(decay_from, (int, float)) or not 0 <= decay_from < 1:
        raise ValueError(f"decay_from must be a fraction in [0, 1). Received: decay_from={decay_from!r}")
    end = max(int(total_steps), 1)
    return LinearDecay(peak, min(round(decay_from * end), end - 1), end)

"""The DDIM noise scheduler: the cosine schedule, the forward process and the one reverse step. No weights.

Taught in notebooks/04_diffusion.ipynb. Shaped like huggingface/diffusers' ``DDIMScheduler``: the
schedule and the step math live here, the U-Net (`digitkit.unet`) only predicts, and the sampler
(`digitkit.sampler`) loops over `DDIMScheduler.timesteps` and adds guidance.

The forward process blurs a digit x_0 (in [-1, 1]) into Gaussian noise in ``num_train_timesteps``
small steps; ``alpha_bar[t]`` is the share of signal variance left at step ``t``::

    x_t = sqrt(alpha_bar[t]) * x_0 + sqrt(1 - alpha_bar[t]) * noise

The network predicts ``v = sqrt(alpha_bar) * noise - sqrt(1 - alpha_bar) * x_0`` (Salimans & Ho,
2022), from which the clean digit and the noise follow without dividing by a vanishing
``sqrt(alpha_bar)``. Every method is written with ``keras.ops``, so it runs on NumPy arrays, on any
backend's tensors and inside a compiled (symbolic) sampling loop alike.
"""

import math
import numbers

import numpy as np
from keras import ops


def cosine_alpha_bar(timesteps=500, offset=0.008, max_beta=0.999):
    """The cosine noise schedule (Nichol & Dhariwal, 2021).

    Args:
        timesteps: number of noising steps T.
        offset: the small ``s`` that keeps the first steps from being too tiny.
        max_beta: the largest per-step noise rate (the last step is clipped to it).

    Returns:
        float32 array (T,): ``alpha_bar[t]``, the share of signal variance left
        after step ``t`` (t = 0 .. T-1), decreasing from about 1 to about 0.
    """
    if isinstance(timesteps, bool) or int(timesteps) != timesteps or timesteps < 2:
        raise ValueError(f"timesteps must be an integer >= 2. Received: timesteps={timesteps!r}")
    steps = np.arange(timesteps + 1, dtype="float64") / timesteps
    f = np.cos((steps + offset) / (1 + offset) * np.pi / 2) ** 2
    betas = np.clip(1 - f[1:] / f[:-1], 0.0, max_beta)
    return np.cumprod(1 - betas).astype("float32")


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class DDIMScheduler:
    """The cosine schedule and DDIM's reverse step (Song et al., 2021); holds no weights.

    Args:
        num_train_timesteps: number of noising steps T of the cosine schedule.
        clip_sample: the predicted clean digit is clipped to ``[-clip_sample, clip_sample]``
            in `step` (None: no clipping).

    Attributes:
        alpha_bar: float32 array (T,), see `cosine_alpha_bar`.
    """

    def __init__(self, num_train_timesteps=500, clip_sample=1.0):
        self.num_train_timesteps = int(num_train_timesteps)
        self.clip_sample = clip_sample
        self.alpha_bar = cosine_alpha_bar(self.num_train_timesteps)

    def timesteps(self, steps):
        """The DDIM timesteps for ``steps`` steps: evenly spaced, from T-1 down to 0.

        Returns:
            int64 array (steps,), e.g. ``[49, 33, 16, 0]`` for 4 steps of T = 50.

        Raises:
            ValueError: ``steps`` is not an integer from 1 to T.
        """
        if not _is_number(steps) or int(steps) != steps or not 1 <= steps <= self.num_train_timesteps:
            raise ValueError(
                f"steps must be an integer from 1 to {self.num_train_timesteps}. Received: steps={steps!r}"
            )
        grid = np.linspace(0, self.num_train_timesteps - 1, int(steps))
        return np.unique(np.round(grid).astype("int64"))[::-1]

    @staticmethod
    def check_eta(eta):
        """``eta`` as a float, if it lies in [0, 1] (0: deterministic DDIM, 1: as noisy as DDPM)."""
        if not _is_number(eta) or not math.isfinite(eta) or not 0 <= eta <= 1:
            raise ValueError(f"eta must lie in [0, 1]. Received: eta={eta!r}")
        return float(eta)

    def _check_step(self, t, name, low):
        if _is_number(t) and (int(t) != t or not low <= t < self.num_train_timesteps):
            raise ValueError(
                f"{name} must be an integer from {low} to {self.num_train_timesteps - 1}. Received: {name}={t!r}"
            )

    def alpha_bar_at(self, t):
        """``alpha_bar[t]`` as a (N, 1, 1, 1) tensor for steps t (an int or N ints); -1 gives 1 (a clean image)."""
        t = ops.reshape(ops.cast(ops.convert_to_tensor(t), "int32"), (-1, 1, 1, 1))
        table = ops.convert_to_tensor(self.alpha_bar)
        return ops.where(t >= 0, ops.take(table, ops.maximum(t, 0)), ops.ones_like(t, dtype="float32"))

    def add_noise(self, x0, noise, t):
        """The forward process: ``sqrt(alpha_bar[t]) * x0 + sqrt(1 - alpha_bar[t]) * noise``.

        Args:
            x0: clean images (N, 28, 28, 1) in [-1, 1]; noise: the same shape; t: an int or N ints.
        """
        self._check_step(t, "t", 0)
        ab = self.alpha_bar_at(t)
        return ops.sqrt(ab) * ops.cast(x0, "float32") + ops.sqrt(1.0 - ab) * noise

    def velocity(self, x0, noise, t):
        """The training target: ``v = sqrt(alpha_bar[t]) * noise - sqrt(1 - alpha_bar[t]) * x0``."""
        self._check_step(t, "t", 0)
        ab = self.alpha_bar_at(t)
        return ops.sqrt(ab) * noise - ops.sqrt(1.0 - ab) * ops.cast(x0, "float32")

    def predict_x0_and_noise(self, v, t, x_t, clip=None):
        """The clean digit and the noise that a ``v`` prediction implies for x_t at step t.

        ``x0 = sqrt(ab) * x_t - sqrt(1 - ab) * v`` and ``noise = sqrt(1 - ab) * x_t + sqrt(ab) * v``.
        With ``clip``, x0 is clipped to ``[-clip, clip]`` and the noise recomputed from the clipped x0,
        ``(x_t - sqrt(ab) * x0) / sqrt(1 - ab)``: guidance pushes x0 beyond [-1, 1], and the
        unclipped noise would lead to an x_t unlike any seen in training.

        Returns:
            ``(x0, noise)``, each shaped like x_t.
        """
        self._check_step(t, "t", 0)
        ab = self.alpha_bar_at(t)
        signal, spread = ops.sqrt(ab), ops.sqrt(1.0 - ab)
        x0 = signal * x_t - spread * v
        if clip is None:
            return x0, spread * x_t + signal * v
        x0 = ops.clip(x0, -clip, clip)
        return x0, (x_t - signal * x0) / spread

    def step(self, model_output, t, t_prev, sample, eta=0.0, noise=None):
        """One DDIM step from x_t to x_{t_prev}, given the network's ``v`` prediction.

        Args:
            model_output: the predicted ``v`` for ``sample`` (N, 28, 28, 1).
            t: the current step (an int or N ints); t_prev: the next, smaller one, -1 after the last.
            sample: x_t.
            eta: 0 deterministic DDIM, 1 as much fresh noise as DDPM (a number, or N numbers).
            noise: standard normal noise shaped like ``sample``, scaled by the step's sigma;
                needed when ``eta > 0``.

        Returns:
            ``(x_prev, x0)``: the sample at ``t_prev`` and the clean digit predicted at ``t``.
        """
        self._check_step(t, "t", 0)
        self._check_step(t_prev, "t_prev", -1)
        if _is_number(t) and _is_number(t_prev) and t_prev >= t:
            raise ValueError(f"t_prev must be smaller than t. Received: t={t!r}, t_prev={t_prev!r}")
        if _is_number(eta):
            if self.check_eta(eta) > 0 and noise is None:
                raise ValueError(f"eta > 0 needs noise. Received: eta={eta!r}, noise=None")
        else:
            eta = ops.reshape(ops.cast(eta, "float32"), (-1, 1, 1, 1))
        x0, eps = self.predict_x0_and_noise(model_output, t, sample, clip=self.clip_sample)
        ab, ab_prev = self.alpha_bar_at(t), self.alpha_bar_at(t_prev)
        sigma = eta * ops.sqrt((1.0 - ab_prev) / (1.0 - ab) * (1.0 - ab / ab_prev))
        x_prev = ops.sqrt(ab_prev) * x0 + ops.sqrt(ops.maximum(1.0 - ab_prev - ops.square(sigma), 0.0)) * eps
        if noise is not None:
            x_prev = x_prev + sigma * noise
        return x_prev, x0

    def log_snr(self, t):
        """``lambda_t = log(alpha_t / sigma_t)``, half the log signal-to-noise ratio at step t, (N, 1, 1, 1).

        t = -1 (the clean image, sigma 0) gives a large finite value, not infinity.
        """
        ab = self.alpha_bar_at(t)
        return 0.5 * (ops.log(ab) - ops.log(ops.maximum(1.0 - ab, 1e-12)))

    def dpm_solver_step(self, model_output, t, t_prev, sample, x0_last, t_last):
        """One DPM-Solver++(2M) step from x_t to x_{t_prev} (Lu et al., 2022, Algorithm 2).

        DDIM's step is the first-order solver of the same ODE; this one is second order: it also
        uses the clean digit predicted one step earlier (``x0_last``, at ``t_last``), through
        ``D = x0 + (x0 - x0_last) / (2 r)`` with ``r = (lambda_t - lambda_last) / (lambda_prev - lambda_t)``,
        then ``x_prev = (sigma_prev / sigma_t) * x_t + alpha_prev * (1 - exp(-h)) * D``, ``h = lambda_prev - lambda_t``.
        The first step (``t_last <= t``: no earlier prediction) and the last (``t_prev = -1``) are
        first order, i.e. exactly DDIM's deterministic step. The clean digit is clipped like DDIM's.

        Args:
            model_output: the predicted ``v`` for ``sample`` at t (N, 28, 28, 1).
            t, t_prev: the current and the next step (ints or N ints; t_prev -1 after the last).
            sample: x_t.
            x0_last: the clean digit predicted at ``t_last`` (shaped like sample; ignored on the first step).
            t_last: the step before t (an int or N ints); any value <= t marks the first step.

        Returns:
            ``(x_prev, x0)``: the sample at ``t_prev`` and the clean digit predicted at ``t``
            (the ``x0_last`` of the next step).
        """
        self._check_step(t, "t", 0)
        self._check_step(t_prev, "t_prev", -1)
        if _is_number(t) and _is_number(t_prev) and t_prev >= t:
            raise ValueError(f"t_prev must be smaller than t. Received: t={t!r}, t_prev={t_prev!r}")
        x0, _ = self.predict_x0_and_noise(model_output, t, sample, clip=self.clip_sample)
        ab, ab_prev = self.alpha_bar_at(t), self.alpha_bar_at(t_prev)
        alpha_prev = ops.sqrt(ab_prev)
        sigma, sigma_prev = ops.sqrt(1.0 - ab), ops.sqrt(1.0 - ab_prev)
        # exp(-h) = (sigma_prev / alpha_prev) / (sigma / alpha): 0 at the last step, never an infinity
        exp_minus_h = (sigma_prev * ops.sqrt(ab)) / (alpha_prev * sigma)
        t_col = ops.reshape(ops.cast(ops.convert_to_tensor(t), "int32"), (-1, 1, 1, 1))
        t_last_col = ops.reshape(ops.cast(ops.convert_to_tensor(t_last), "int32"), (-1, 1, 1, 1))
        t_prev_col = ops.reshape(ops.cast(ops.convert_to_tensor(t_prev), "int32"), (-1, 1, 1, 1))
        second_order = ops.logical_and(t_last_col > t_col, t_prev_col >= 0)
        lam, lam_prev = self.log_snr(t), self.log_snr(t_prev)
        lam_last = self.log_snr(ops.where(second_order, t_last_col, t_col))
        h = ops.where(second_order, lam_prev - lam, 1.0)
        half_over_r = ops.where(second_order, h / (2.0 * ops.maximum(lam - lam_last, 1e-12)), 0.0)
        d = x0 + half_over_r * (x0 - ops.cast(x0_last, "float32"))
        x_prev = (sigma_prev / sigma) * sample + alpha_prev * (1.0 - exp_minus_h) * d
        return x_prev, x0

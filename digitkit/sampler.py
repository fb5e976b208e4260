"""The DDIM sampler: classifier-free guidance and the loop over the scheduler's timesteps.

Taught in notebooks/04_diffusion.ipynb. `DDIMSampler` joins a U-Net (`digitkit.unet`) and a
`digitkit.scheduler.DDIMScheduler`: at each of the scheduler's timesteps it asks the network for
``v`` (the conditional and the unconditional prediction in one batch), mixes them by the guidance
scale and takes the scheduler's one `~DDIMScheduler.step`, or, with ``solver="dpm++2m"``, its
second-order `~DDIMScheduler.dpm_solver_step` (the same network, no retraining). Guidance can be
limited to an interval of noise levels (`DDIMSampler.guided_steps`); the steps outside it take the
conditional prediction alone, one network pass per image instead of two. Autoguidance (Karras et al.,
2024, "Guiding a diffusion model with a bad version of itself") adds ``a * (cond - weak)`` at every
step, ``weak`` the same digit's prediction by a weaker model (``guide``: the same U-Net trained briefly):
it pushes away from the errors a weak model makes, not from the average digit as guidance does.

Speed: the guided prediction and the step are one functional `keras.Model` (the U-Net inside it,
sharing its weights), built once per sampler and run with ``predict_on_batch``, so every step is
one XLA-compiled call (``jit_compile=True``: XLA on TensorFlow as on JAX) instead of a string of
eager operations. On a 2-core CPU (benchmarks/bench_diffusion.py, 2026-12-07), 20 guided steps for 100
digits take 3.07 s (10 digits: 0.36 s), and the U-Net's passes alone as long: the loop costs little.
On a slower 2-core machine the same 100 digits took 11.6 s as a ``tf.function`` and 6.4 s with XLA.
XLA compiles once per batch shape, so batches are padded to a multiple of `BUCKET`.
"""

import keras
import numpy as np
from keras import ops

from digitkit.data import IMAGE_SHAPE


def _check_scale(value, name):
    """``value`` as a float, if it is a number >= 0 (not a bool); else a ValueError naming ``name``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not np.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{name} must be a number >= 0. Received: {name}={value!r}")
    return float(value)


def check_guidance(guidance):
    """``guidance`` as a float, if it is a number >= 0."""
    return _check_scale(guidance, "guidance")


def check_guidance_interval(interval):
    """``interval`` as a pair of floats ``(low, high)``, if ``0 <= low <= high <= 1``."""
    try:
        low, high = interval
        bounds = [check_guidance(low), check_guidance(high)]  # numbers >= 0, not bools
    except (TypeError, ValueError):
        bounds = None
    if bounds is None or not bounds[0] <= bounds[1] <= 1:
        raise ValueError(
            f"guidance_interval must be two numbers (low, high) with 0 <= low <= high <= 1. "
            f"Received: guidance_interval={interval!r}"
        )
    return tuple(bounds)


def check_autoguidance(autoguidance, guide):
    """``autoguidance`` as a float, if it is a number >= 0 and, when above 0, a ``guide`` network is given."""
    if _check_scale(autoguidance, "autoguidance") > 0 and guide is None:
        raise ValueError(
            "autoguidance > 0 needs guide=: a weaker model of the same digits (e.g. the same U-Net trained for "
            f"a few epochs). Received: autoguidance={autoguidance!r}, guide=None"
        )
    return float(autoguidance)


SOLVERS = ("ddim", "dpm++2m")
"""The samplers of `DDIMSampler.sample`: DDIM's first-order step (`DDIMScheduler.step`, with eta)
and the second-order DPM-Solver++(2M) (`DDIMScheduler.dpm_solver_step`), on the same trained network."""


BUCKET = 10
"""Batches go through the compiled step padded to a multiple of this many images: XLA compiles
once per batch shape (~5 s on a 2-core CPU), so 1-10 digits (what the Studio's visitors type,
one compile at the server's warm-up) share one compiled step, 11-20 the next; the course's
10, 100 and 500 digits are not padded at all."""

BATCH_SIZE = 500
"""Digits per network call in `DDIMSampler.sample` by default (twice that many images with guidance):
XLA compiles one step for this batch shape, which larger requests reuse batch after batch."""


def _pad(array, multiple):
    """``array`` with zero rows appended up to a multiple of ``multiple`` rows (each image is independent)."""
    extra = -len(array) % multiple
    return array if not extra else np.concatenate([array, np.zeros((extra,) + array.shape[1:], array.dtype)])


def check_solver(solver):
    """``solver`` if it is one of `SOLVERS`."""
    if not isinstance(solver, str) or solver not in SOLVERS:
        raise ValueError(f"solver must be one of {', '.join(map(repr, SOLVERS))}. Received: solver={solver!r}")
    return solver


def _per_image(scale):
    """A guidance scale as a number, or N numbers shaped to multiply (N, 28, 28, 1) images."""
    return scale if isinstance(scale, (int, float)) else ops.reshape(scale, (-1, 1, 1, 1))


class _GuideCall(keras.layers.Layer):
    """Calls the autoguidance guide network inside a step model, under the layer name ``guide``."""

    def __init__(self, network):
        super().__init__(name="guide")
        self.network = network

    def call(self, inputs):
        return self.network(inputs)


def to_unit(x):
    """Images (..., 28, 28, 1) in the model's [-1, 1] scale as float32 (..., 28, 28) in [0, 1]."""
    return np.clip((np.asarray(x)[..., 0] + 1) / 2, 0, 1).astype("float32")


class DDIMSampler:
    """Classifier-free guided DDIM sampling with a U-Net and a scheduler.

    Args:
        network: a U-Net ``[x_t, t, label] -> v`` (e.g. a `DiffusionModel`'s ``ema_network``).
        scheduler: a `digitkit.scheduler.DDIMScheduler`.
        num_classes: number of labels; label ``num_classes`` asks the unconditional model.
    """

    def __init__(self, network, scheduler, num_classes=10):
        self.network, self.scheduler, self.num_classes = network, scheduler, num_classes
        self._step_models = {}

    def guided_v(self, x_t, t, labels, guidance, autoguidance=0.0, guide=None):
        """``cond + guidance * (cond - uncond)``: both predictions from one network call on 2N images.

        With a ``guide`` network, plus ``autoguidance * (cond - weak)``, ``weak`` the guide's prediction
        for the same labels. Works on tensors and on symbolic inputs (inside `step_model`). ``t`` (N,)
        float steps, ``labels`` (N,) int32, ``guidance`` and ``autoguidance`` numbers or N numbers.
        """
        both = self.network(
            [
                ops.concatenate([x_t, x_t]),
                ops.concatenate([t, t]),
                ops.concatenate([labels, ops.full_like(labels, self.num_classes)]),
            ]
        )
        both = ops.reshape(both, (2, -1) + IMAGE_SHAPE)
        cond, uncond = both[0], both[1]
        v = cond + _per_image(guidance) * (cond - uncond)
        return self._autoguided(x_t, t, labels, v, cond, autoguidance, guide)

    @staticmethod
    def _autoguided(x_t, t, labels, v, cond, autoguidance, guide):
        """``v + autoguidance * (cond - guide's prediction)``; ``v`` itself without a guide."""
        if guide is None:
            return v
        return v + _per_image(autoguidance) * (cond - guide([x_t, t, labels]))

    def step_model(self, guided=True, solver="ddim", guide=None):
        """The compiled sampling step of ``solver`` (see `SOLVERS`), one functional model per kind.

        DDIM: ``[x_t, t, t_prev, labels, guidance, eta, noise] -> [x_prev, x0]``; DPM-Solver++(2M):
        ``[x_t, t, t_prev, labels, guidance, t_last, x0_last] -> [x_prev, x0]``. Without guidance,
        one network pass per step instead of two. With a ``guide`` network (autoguidance), an
        ``autoguidance`` input follows ``guidance`` and the guide adds one pass. Cached on the
        sampler; every input is batched (one value per image).
        """
        key = (bool(guided), check_solver(solver), guide)
        if key not in self._step_models:
            x_t = keras.Input(IMAGE_SHAPE, name="x_t")
            t, t_prev = keras.Input((), dtype="int32", name="t"), keras.Input((), dtype="int32", name="t_prev")
            labels = keras.Input((), dtype="int32", name="label")
            guidance = keras.Input((), name="guidance")
            autoguidance = None if guide is None else keras.Input((), name="autoguidance")
            weak = None if guide is None else _GuideCall(guide)  # its own name: the guide's may equal the network's
            steps = ops.cast(t, "float32")
            if guided:
                v = self.guided_v(x_t, steps, labels, guidance, autoguidance, weak)
            else:
                cond = self.network([x_t, steps, labels])
                v = self._autoguided(x_t, steps, labels, cond, cond, autoguidance, weak)
            if solver == "ddim":
                extra = [keras.Input((), name="eta"), keras.Input(IMAGE_SHAPE, name="noise")]
                outputs = self.scheduler.step(v, t, t_prev, x_t, eta=extra[0], noise=extra[1])
            else:
                extra = [keras.Input((), dtype="int32", name="t_last"), keras.Input(IMAGE_SHAPE, name="x0_last")]
                outputs = self.scheduler.dpm_solver_step(v, t, t_prev, x_t, x0_last=extra[1], t_last=extra[0])
            kind = ("guided_" if guided else "") + ("autoguided_" if guide is not None else "")
            model = keras.Model(
                [x_t, t, t_prev, labels, guidance, *([autoguidance] if guide is not None else []), *extra],
                list(outputs),
                name=f"{solver.replace('+', 'p')}_{kind}step",
            )
            model.compile(jit_compile=True)  # XLA on TensorFlow too: ~1.8x faster per step on CPU
            self._step_models[key] = model
        return self._step_models[key]

    def denoise(self, x_t, t, labels, guidance=0.0):
        """The (guided) prediction at one step: ``(noise, x0)`` as NumPy arrays like x_t, unclipped."""
        x_t = np.asarray(x_t, dtype="float32")
        t = np.asarray(t)
        if t.dtype.kind not in "iu" or t.min() < 0 or t.max() >= self.scheduler.num_train_timesteps:
            raise ValueError(
                f"t must be integers from 0 to {self.scheduler.num_train_timesteps - 1}. Received: t={t.tolist()!r}"
            )
        steps = np.broadcast_to(t.astype("float32"), (len(x_t),))
        labels = np.broadcast_to(np.asarray(labels, dtype="int32"), (len(x_t),))
        if check_guidance(guidance) == 0:
            v = self.network([x_t, steps, labels], training=False)
        else:
            v = self.guided_v(x_t, steps, labels, guidance)
        x0, noise = self.scheduler.predict_x0_and_noise(v, t.reshape(-1), x_t)
        return ops.convert_to_numpy(noise), ops.convert_to_numpy(x0)

    def guided_steps(self, timesteps, guidance, guidance_interval=(0.0, 1.0)):
        """Which of ``timesteps`` get guidance: those whose noise level ``t / (T - 1)`` lies in the interval.

        Returns:
            bool array like ``timesteps``; all False when ``guidance`` is 0.
        """
        low, high = check_guidance_interval(guidance_interval)
        level = np.asarray(timesteps) / (self.scheduler.num_train_timesteps - 1)
        return (check_guidance(guidance) > 0) & (level >= low) & (level <= high)

    def sample(
        self,
        labels,
        steps=20,
        guidance=0.0,
        eta=0.0,
        seed=0,
        return_trajectory=False,
        batch_size=BATCH_SIZE,
        solver="ddim",
        guidance_interval=(0.0, 1.0),
        autoguidance=0.0,
        guide=None,
    ):
        """Draw one image per label; see `digitkit.diffusion.DiffusionModel.sample` for the arguments.

        Steps outside ``guidance_interval`` (`guided_steps`) take the plain conditional prediction:
        one network pass instead of two. ``guide`` is a network (a U-Net like this sampler's); with
        ``autoguidance`` 0 it is not used.

        The noise (the start and eta's) comes from ``numpy.random.default_rng(seed)``, so the same
        seed gives the same pixels on every backend and for every ``batch_size``.
        """
        labels = np.asarray(labels, dtype="int32").reshape(-1)
        timesteps = self.scheduler.timesteps(steps)
        guidance, eta, solver = check_guidance(guidance), self.scheduler.check_eta(eta), check_solver(solver)
        if solver != "ddim" and eta > 0:
            raise ValueError(f"eta > 0 is DDIM's alone; {solver} is deterministic. Received: eta={eta!r}")
        if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
        autoguidance = check_autoguidance(autoguidance, guide)
        guide = guide if autoguidance > 0 else None
        guided = self.guided_steps(timesteps, guidance, guidance_interval)
        models = {bool(g): self.step_model(guided=bool(g), solver=solver, guide=guide) for g in set(guided)}
        scales = [guidance] + ([autoguidance] if guide is not None else [])
        n = len(labels)
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n,) + IMAGE_SHAPE).astype("float32")
        xs, x0s = [x], []
        t_last = int(timesteps[0])  # <= t: the first step has no earlier prediction
        for t, t_prev, guided_here in zip(timesteps, list(timesteps[1:]) + [-1], guided):
            model = models[bool(guided_here)]
            if solver == "ddim":
                noise = np.zeros_like(x)
                if eta > 0 and t_prev >= 0:  # the last step adds none (its sigma is 0)
                    noise = rng.standard_normal(x.shape).astype("float32")
                extra = [np.full(n, eta, "float32"), noise]
            else:
                extra = [np.full(n, t_last, "int32"), x0s[-1] if x0s else np.zeros_like(x)]
            chunks = []
            for j in range(0, n, int(batch_size)):
                m = min(n, j + int(batch_size)) - j
                common = [x[j : j + m], np.full(m, t, "int32"), np.full(m, t_prev, "int32"), labels[j : j + m]]
                inputs = [*common, *(np.full(m, w, "float32") for w in scales), *(e[j : j + m] for e in extra)]
                chunks.append([out[:m] for out in model.predict_on_batch([_pad(a, BUCKET) for a in inputs])])
            x = np.concatenate([c[0] for c in chunks]).astype("float32")
            xs.append(x)
            x0s.append(np.concatenate([c[1] for c in chunks]).astype("float32"))
            t_last = int(t)
        images = to_unit(x)
        if not return_trajectory:
            return images
        trajectory = dict(
            x_t=to_unit(np.stack(xs)),
            x0=np.concatenate([to_unit(np.stack(x0s)), images[None]]),
            t=np.append(timesteps, -1),
        )
        return images, trajectory

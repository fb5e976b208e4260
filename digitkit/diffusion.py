"""Class-conditional diffusion: the model that trains a U-Net on the scheduler's noise, and samples it.

Taught in notebooks/04_diffusion.ipynb. Three pieces, split the way huggingface/diffusers splits
them: `digitkit.scheduler.DDIMScheduler` (the cosine schedule, the forward process and DDIM's one
step; no weights), `digitkit.unet.build_unet` (the network, which only predicts) and
`digitkit.sampler.DDIMSampler` (guidance and the loop over the timesteps). `DiffusionModel` holds
them together with an exponential moving average (EMA) of the weights.

The network predicts ``v = sqrt(alpha_bar) * noise - sqrt(1 - alpha_bar) * x_0`` (the "v" of
Salimans & Ho, 2022), from which both the noise and the clean digit follow without dividing by a
vanishing ``sqrt(alpha_bar)``; that keeps the estimates sane at the noisiest steps, where few-step
DDIM spends a large share of its steps. Training goes through Keras' own ``fit()``:
`DiffusionModel.compute_loss` noises a batch at random steps and takes the mean squared error of
the predicted ``v``. No backend-specific gradient code, so the same class trains on TensorFlow and
on JAX.

Sampling (`DiffusionModel.sample`) is DDIM (Song et al., 2021): any number of steps from 1 to
``timesteps``, ``eta=0`` deterministic, ``eta=1`` as noisy as DDPM. Classifier-free guidance mixes
a conditional and an unconditional prediction (the label is replaced by a "no label" token with
probability ``label_dropout`` during training), at every step or only at some noise levels
(``guidance_interval``), and sampling uses the EMA weights, kept inside the model so
``save_weights`` stores them.
"""

import keras
import numpy as np
from keras import ops

from digitkit.data import IMAGE_SHAPE, parse_digits
from digitkit.sampler import BATCH_SIZE, DDIMSampler
from digitkit.scheduler import DDIMScheduler
from digitkit.unet import build_unet

# The default guidance scale, chosen on the shipped model at 20 steps (10,000 samples): the one with
# the lowest Fréchet distance to 10,000 *training* digits among those the judge reads >= 99% right.
# Against the test set, w = 0.25 gives 99.43% judge accuracy and Fréchet distance 6.5 (the manifest's
# evaluation, seed 123, drawing 1,000 of each digit; 4.7 since it asks for the test images' digits; an
# earlier measurement: 99.19%, 6.7); w = 0.2: 98.94% and 5.1 (1,000 of each). Larger w draws
# more legible, less varied digits (notebook 04 measures 0 to 2).
GUIDANCE = 0.25
# The noise levels t / (T - 1) at which guidance acts (`DiffusionModel.sample`'s ``guidance_interval``):
# every step. Guiding only the middle levels trades distance for legibility on the shipped model
# (benchmarks/choose_guidance.py): w = 0.5 at 0.3-0.9 (12 guided steps of 20) reads 99.66% of the digits
# as asked, worst digit 9 at 99.2% (#13's accuracy targets), at Fréchet distance 7.64 (6.8x the floor),
# measured the manifest's way, against 99.43%, 98.7% and 4.71 for w = 0.25 at every step.
GUIDANCE_INTERVAL = (0.0, 1.0)
# The default number of DDIM steps (`DiffusionModel.generate`); quality hardly changes beyond it.
STEPS = 20


@keras.saving.register_keras_serializable(package="digitkit")
class DiffusionModel(keras.Model):
    """A class-conditional diffusion model: U-Net, EMA, a `DDIMScheduler` and a `DDIMSampler`.

    Train it with ``compile()`` and ``fit({"images": x, "labels": y})`` (or `digitkit.training.fit`); draw
    digits with `generate` or `sample`. Calling the model, ``model([x_t, t, labels])``, predicts
    ``v`` with the trained (not the averaged) weights.

    Args:
        timesteps: number of noising steps T of the cosine schedule.
        channels, blocks, embed_dim, groups, attention, scale_shift: the U-Net's shape (`build_unet`).
        num_classes: number of digit labels.
        label_dropout: probability of hiding the label in training, which
            teaches the same network an unconditional model for guidance.
        ema_decay: decay of the weights' moving average used for sampling.
        seed: seed of the training noise, steps and label dropout.

    Attributes:
        scheduler: the `DDIMScheduler`; ``alpha_bar`` its schedule.
        network, ema_network: the trained U-Net and its moving average.
        sampler: the `DDIMSampler` of the EMA network.
    """

    def __init__(
        self,
        timesteps=500,
        channels=(32, 64, 128),
        blocks=1,
        embed_dim=128,
        groups=8,
        attention=False,
        scale_shift=False,
        num_classes=10,
        label_dropout=0.1,
        ema_decay=0.999,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not 0.0 <= label_dropout < 1.0:
            raise ValueError(f"label_dropout must lie in [0, 1). Received: label_dropout={label_dropout}")
        if not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"ema_decay must lie in [0, 1). Received: ema_decay={ema_decay}")
        self.timesteps = int(timesteps)
        self.channels = tuple(channels)
        self.blocks = blocks
        self.embed_dim = embed_dim
        self.groups = groups
        self.attention = bool(attention)
        self.scale_shift = bool(scale_shift)
        self.num_classes = num_classes
        self.label_dropout = label_dropout
        self.ema_decay = ema_decay
        self.seed = seed
        self.scheduler = DDIMScheduler(self.timesteps)
        self.alpha_bar = self.scheduler.alpha_bar
        unet = dict(
            channels=self.channels,
            blocks=blocks,
            embed_dim=embed_dim,
            num_classes=num_classes,
            groups=groups,
            attention=self.attention,
            scale_shift=self.scale_shift,
        )
        self.network = build_unet(name="unet", seed=seed, **unet)
        self.ema_network = build_unet(name="ema_unet", **unet)
        self.ema_network.trainable = False
        for ema, weight in zip(self.ema_network.weights, self.network.weights):
            ema.assign(ops.convert_to_numpy(weight))  # a copy: JAX must not see one buffer twice
        self.ema_updates = self.add_weight(
            shape=(), initializer="zeros", trainable=False, dtype="float32", name="ema_updates"
        )
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.sampler = DDIMSampler(self.ema_network, self.scheduler, num_classes)
        self.built = True

    def networks_only(self):
        """The same U-Nets and EMA count in an uncompiled model (no optimizer state): what the shipped weights hold."""
        copy = type(self).from_config(self.get_config())
        copy.network.set_weights(self.network.get_weights())
        copy.ema_network.set_weights(self.ema_network.get_weights())
        copy.ema_updates.assign(ops.convert_to_numpy(self.ema_updates))
        return copy

    # ---------- training ----------
    def noise_images(self, images, t, noise):
        """The forward process: x_t from clean images in [0, 1], step indices and noise.

        Returns:
            x_t in the model's [-1, 1] scale.
        """
        return self.scheduler.add_noise(ops.cast(images, "float32") * 2.0 - 1.0, noise, t)

    def call(self, inputs, training=False):
        """Predict ``v`` with the trained weights.

        Args:
            inputs: ``[x_t (N, 28, 28, 1), t (N,), labels (N,)]``. Keras' ``fit()`` first calls
                the model on the training batch, a dict ``{"images", "labels"}``: that call
                returns None, and `compute_loss` does the work.

        Returns:
            ``v`` (N, 28, 28, 1).
        """
        if isinstance(inputs, dict):
            return None
        x_t, t, labels = inputs
        return self.network([x_t, ops.cast(t, "float32"), ops.cast(labels, "int32")], training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Noise the batch ``x`` at random steps; the mean squared error of the predicted ``v``.

        Args:
            x: dict with ``images`` (N, 28, 28, 1) in [0, 1] and int ``labels`` (N,).
            training: hide labels at random (``label_dropout``) and update the EMA.
        """
        images = ops.cast(x["images"], "float32")
        labels = ops.cast(ops.reshape(x["labels"], (-1,)), "int32")
        n = ops.shape(images)[0]
        t = keras.random.randint((n,), 0, self.timesteps, seed=self.seed_generator)
        noise = keras.random.normal(ops.shape(images), seed=self.seed_generator)
        if training and self.label_dropout > 0:
            hide = keras.random.uniform((n,), seed=self.seed_generator) < self.label_dropout
            labels = ops.where(hide, self.num_classes, labels)
        x0 = images * 2.0 - 1.0
        v_pred = self([self.scheduler.add_noise(x0, noise, t), t, labels], training=training)
        if training:
            self._update_ema()
        return ops.mean(ops.square(v_pred - self.scheduler.velocity(x0, noise, t)))

    def _update_ema(self):
        # Assigned in the training step, as BatchNormalization does with its moving
        # statistics: this works unchanged under TensorFlow and under JAX's
        # stateless training step. The warm-up keeps early averages from
        # remembering the random initialisation.
        n = self.ema_updates + 1.0
        decay = ops.minimum(self.ema_decay, (1.0 + n) / (10.0 + n))
        for ema, weight in zip(self.ema_network.weights, self.network.weights):
            ema.assign(decay * ema + (1.0 - decay) * ops.stop_gradient(weight))
        self.ema_updates.assign(n)

    # ---------- sampling ----------
    def predict_v(self, x_t, t, labels, use_ema=True):
        """The network's ``v`` for x_t (N, 28, 28, 1) in [-1, 1], steps t (N,), labels (N,).

        Label ``num_classes`` (10) asks the unconditional model.
        """
        net = self.ema_network if use_ema else self.network
        x_t = np.asarray(x_t, dtype="float32")
        t = np.broadcast_to(np.asarray(t, dtype="float32"), (len(x_t),))
        labels = np.broadcast_to(np.asarray(labels, dtype="int32"), (len(x_t),))
        return np.asarray(net.predict_on_batch([x_t, t, labels]))

    def denoise(self, x_t, t, digits, guidance=0.0):
        """What the network predicts: the noise and the clean digit hidden in x_t.

        Args:
            x_t: noisy images (N, 28, 28[, 1]) in the model's [-1, 1] scale.
            t: the step (int, or one per image).
            digits: the digit asked for (see `parse_digits`), one or one per image.
            guidance: classifier-free guidance scale.

        Returns:
            ``(noise, x0)``: the predicted noise (N, 28, 28) and the predicted
            clean digit (N, 28, 28) in [0, 1].
        """
        x_t = np.asarray(x_t, dtype="float32").reshape((-1,) + IMAGE_SHAPE)
        labels = np.broadcast_to(parse_digits(digits), (len(x_t),))
        noise, x0 = self.sampler.denoise(x_t, np.broadcast_to(np.asarray(t), (len(x_t),)), labels, guidance)
        return noise[..., 0], np.clip((x0[..., 0] + 1) / 2, 0, 1)

    def sampling_steps(self, steps):
        """The DDIM timesteps, from T-1 down to 0, ``steps`` of them, evenly spaced (`DDIMScheduler.timesteps`)."""
        return self.scheduler.timesteps(steps)

    def sample(
        self,
        digits,
        steps=STEPS,
        guidance=GUIDANCE,
        eta=0.0,
        seed=0,
        return_trajectory=False,
        batch_size=BATCH_SIZE,
        solver="ddim",
        guidance_interval=GUIDANCE_INTERVAL,
        autoguidance=0.0,
        guide=None,
    ):
        """Draw digits with DDIM and classifier-free guidance (`DDIMSampler.sample`).

        Args:
            digits: what to draw: ``7``, ``"646775"``, ``[0, 1, 2]`` or an int array.
            steps: number of denoising steps (1 to ``timesteps``); 20 is plenty.
            guidance: guidance scale w >= 0: the prediction is
                ``cond + w * (cond - uncond)``; 0 is the plain conditional model,
                larger gives more legible, less varied digits (see ``GUIDANCE``).
            eta: 0 is deterministic DDIM, 1 adds as much fresh noise per step as DDPM.
            seed: seed of the starting noise (and of eta's noise); the same seed
                gives the same pixels. The noise comes from NumPy, so it is the
                same on every Keras backend.
            return_trajectory: also return every intermediate state.
            batch_size: digits per network call (twice that with guidance).
            solver: ``"ddim"`` (first order, with eta) or ``"dpm++2m"`` (DPM-Solver++(2M):
                second order, deterministic; see `digitkit.sampler.SOLVERS`).
            guidance_interval: ``(low, high)``: guidance acts only at the steps whose noise level
                ``t / (T - 1)`` lies between them (1 is pure noise, 0 the clean digit); the others
                take the plain conditional prediction, one network pass instead of two.
                ``(0, 1)``: every step. See ``GUIDANCE_INTERVAL``.
            autoguidance: a >= 0, at every step: the prediction gains ``a * (cond - weak)``, ``weak``
                the ``guide``'s prediction of the same digit (Karras et al., 2024). 0: no guide.
            guide: a weaker `DiffusionModel` of the same schedule (e.g. this U-Net trained for a few
                epochs; its moving average predicts), needed when ``autoguidance > 0``.

        Returns:
            images: float32 (N, 28, 28) in [0, 1]. With ``return_trajectory``,
            ``(images, trajectory)`` where ``trajectory`` is a dict with
            ``"x_t"`` (steps+1, N, 28, 28): the noisy image before each step
            and the result after the last, ``"x0"`` (steps+1, N, 28, 28): the
            clean digit predicted at each step and the result, both mapped to
            [0, 1] for display, and ``"t"`` (steps+1,): the step of each entry
            (-1 for the result).

        Raises:
            ValueError: bad digits, steps, guidance, eta, solver, guidance_interval, autoguidance or guide.
        """
        if guide is not None and not (
            isinstance(guide, DiffusionModel)
            and [guide.timesteps, guide.num_classes] == [self.timesteps, self.num_classes]
        ):
            raise ValueError(
                f"guide must be a DiffusionModel with this one's timesteps ({self.timesteps}) and "
                f"{self.num_classes} classes. Received: guide={guide!r}"
            )
        return self.sampler.sample(
            parse_digits(digits),
            steps=steps,
            guidance=guidance,
            eta=eta,
            seed=seed,
            return_trajectory=return_trajectory,
            batch_size=batch_size,
            solver=solver,
            guidance_interval=guidance_interval,
            autoguidance=autoguidance,
            guide=None if guide is None else guide.ema_network,
        )

    def generate(self, digits, seed=0):
        """The course's generator API: ``sample(digits, seed=seed)`` with the defaults ``STEPS``, ``GUIDANCE``,
        ``GUIDANCE_INTERVAL`` and eta 0.

        Returns:
            float32 (len(digits), 28, 28) in [0, 1]; the same seed gives the same pixels.
        """
        return self.sample(
            digits, steps=STEPS, guidance=GUIDANCE, eta=0.0, seed=seed, guidance_interval=GUIDANCE_INTERVAL
        )

    def get_config(self):
        return {
            **super().get_config(),
            "timesteps": self.timesteps,
            "channels": list(self.channels),
            "blocks": self.blocks,
            "embed_dim": self.embed_dim,
            "groups": self.groups,
            "attention": self.attention,
            "scale_shift": self.scale_shift,
            "num_classes": self.num_classes,
            "label_dropout": self.label_dropout,
            "ema_decay": self.ema_decay,
            "seed": self.seed,
        }


def build_ddim(**kwargs):
    """The model shipped as ``load_pretrained("ddim")`` (untrained); recipe: `digitkit.training.RECIPES["ddim"]`."""
    return DiffusionModel(**{**ARCHITECTURE, **kwargs})


# The architecture of the shipped weights (its recipe: `digitkit.training.RECIPES["ddim"]`).
# The U-Net is small (0.4 M weights) so that a 2-core CPU trains an epoch in about 3 minutes
# and samples 10 digits in 20 steps in a fraction of a second.
# Tried on 2026-12-06 (2-core CPU, judged the manifest's way): widths 32/64/128 (1.5 M weights),
# 12 epochs with one cosine decay from 1e-3 (85 min, 7 min/epoch): 99.23%, worst digit 7 at 98.3%,
# FD 7.67 (6.9x the floor), behind these weights' 99.43% / 98.7% / 6.46 after 46 epochs (190 min).
# These weights trained 14 epochs more (one cosine from 5e-4, 42 min): 99.37%, worst digit 5 at 98.8%,
# FD 6.46, no better: at this width more epochs no longer help, a wider U-Net is the way on.
# Changes to the U-Net and the loss, each trained 6 epochs from scratch (widths 16/32/64, one cosine from
# 1e-3, 2-core CPU) and judged the manifest's way (judge accuracy / Fréchet distance, floor 1.117):
#   plain (these weights' U-Net)                      seed 0: 97.72% / 12.64   seed 1: 97.47% / 17.62
#   attention at 7x7 (``attention=True``)             seed 0: 97.37% / 16.38   seed 1: 97.67% / 15.45
#   scale-shift conditioning (``scale_shift=True``)   seed 0: 97.96% / 10.50   seed 1: 98.05% / 10.66
#   min-SNR-5 loss weighting (not in the code)        seed 0: 92.73% / 34.16
# Only scale-shift beats both plain seeds on both measures (+37k weights, the same FLOPs, but 20-30% more
# sampling time on a 2-core CPU: 100 digits 2.8-3.0 s against 2.3-2.4 s); attention is within the seeds'
# spread; min-SNR, which weights the noisiest steps (where the digit's class is decided) down, is far worse.
# Scale-shift over these weights' whole recipe (46 epochs, DDIM_STAGES, seed 0; 172 min) caught up only:
# 99.38%, worst digit 5 at 98.6%, FD 6.42 (5.75x), against these weights' 99.43% / 98.7% / 6.46, so the
# plain U-Net stays. On 1,000 samples (notebook 04's guidance table) its variety holds up better under
# strong guidance (FD 21 / 33 / 58 at w = 0.7 / 1 / 2, against 25 / 40 / 69) and matches at 0 and 0.25;
# judged the manifest's way at w = 0.5 the two are level again (99.79%, worst 99.5%, FD 16.60 against 99.82%,
# 99.5%, 17.68): both then read every digit >= 99.5% right, at about 15 times the Fréchet floor.
# Every Fréchet distance above drew its samples 1,000 of each digit, the manifest's measure until 2026-12-06;
# today's (`digitkit.evaluation.evaluate_generator`) asks for the digits of the test images it compares
# with, under which these weights measure 4.71 (4.22x the floor) instead of 6.46, their accuracy unchanged.
# Widths 32/64/128 over these weights' whole recipe (46 epochs, seed 0, 2-core CPU, 7.3 min an epoch:
# 5.6 hours over two sessions), judged from its checkpoint at epoch 26 with 5,000 Fréchet samples: read as
# asked 99.42% against 99.22% for these weights beside it, but FD 5.27 against 4.70 (these weights again,
# 500 of each digit: 99.38%, FD 4.70). It finished on 2026-12-07 and its last GIF frame looked cleaner
# than these weights', but its machine was shut down while the finished run was being judged, and the
# checkpoint went with it: a session lent a GPU can redo it in one call (DEVELOPERS.md).
ARCHITECTURE = dict(
    timesteps=500,
    channels=(16, 32, 64),
    blocks=1,
    embed_dim=128,
    attention=False,
    scale_shift=False,
    label_dropout=0.1,
    ema_decay=0.999,
)


def trajectory_frames(trajectory, index=0):
    """GIF frames of one digit's denoising: x_t beside the predicted x_0 at every step.

    Args:
        trajectory: the dict from ``sample(..., return_trajectory=True)``.
        index: which digit of the batch.

    Returns:
        A list of 2-D arrays for `digitkit.viz.save_gif`.
    """
    from digitkit.viz import tile

    return [tile(np.stack([xt[index], x0[index]]), ncols=2) for xt, x0 in zip(trajectory["x_t"], trajectory["x0"])]

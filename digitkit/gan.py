"""A dense GAN, the diagnostics that show why GANs fail, and the training GIF.

Taught in notebooks/02_gan.ipynb. `digitkit.cgan` reuses all of it: the
`GAN` model's alternating `train_step` (through the hooks `_unpack`,
`_generate`, `_discriminate`, `_sample_conditions`, `sample_images`) and the
`GANMonitor` callback that records the diagnostics and draws the GIF.

Diagnostics recorded per epoch in the ``History`` (by `GANMonitor`):

- ``d_acc_real`` / ``d_acc_fake``: how often the discriminator is right on real
  and on generated images (from ``train_step``, averaged over the epoch);
- ``g_grad_norm``: the norm of the generator's gradient (it vanishes when the
  discriminator wins with the saturating loss);
- ``label_entropy`` and ``digits_covered``: the judge reads 1,000 samples;
  ln(10) = 2.30 nats and 10 digits when every digit is equally common;
- ``frechet``: Fréchet distance to the MNIST test set on the judge's features.
"""

import json
import math
import pathlib
import time

import keras
import numpy as np
from keras import layers, ops
from matplotlib.figure import Figure

from digitkit import metrics, viz

IMAGE_SHAPE = (28, 28, 1)
GENERATOR_LOSSES = ("non_saturating", "saturating")

# The recipe of the shipped "gan" weights (`digitkit train gan`).
RECIPE = dict(epochs=40, batch_size=128)


def _check_positive(**values):
    for key, value in values.items():
        if value is None or not value > 0:
            raise ValueError(f"{key} must be positive. Received: {key}={value!r}")


def build_dense_generator(latent_dim=64, hidden=(256, 512), batch_norm=True, name="generator"):
    """The basic generator: noise → Dense + LeakyReLU (+ BatchNorm) → 28x28 image.

    Args:
        latent_dim: length of the noise vector.
        hidden: widths of the hidden Dense layers.
        batch_norm: BatchNormalization after each hidden layer (it keeps the
            activations in range and the training stable).
        name: the model's name.

    Returns:
        A `keras.Model` from (N, latent_dim) noise to (N, 28, 28, 1) images in [0, 1].
    """
    _check_positive(latent_dim=latent_dim)
    inputs = keras.Input((latent_dim,))
    x = inputs
    for width in hidden:
        x = layers.Dense(width, use_bias=not batch_norm)(x)
        if batch_norm:
            x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="sigmoid")(x)
    return keras.Model(inputs, layers.Reshape(IMAGE_SHAPE)(x), name=name)


def build_dense_discriminator(hidden=(512, 256), dropout=0.3, name="discriminator"):
    """The basic discriminator: image → Dense + LeakyReLU + Dropout → one logit.

    Args:
        hidden: widths of the hidden Dense layers.
        dropout: dropout after each hidden layer (slows the discriminator down,
            which keeps it from overpowering the generator).
        name: the model's name.

    Returns:
        A `keras.Model` from (N, 28, 28, 1) images to (N, 1) logits ("real" > 0).
    """
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1). Received: dropout={dropout}")
    inputs = keras.Input(IMAGE_SHAPE)
    x = layers.Flatten()(inputs)
    for width in hidden:
        x = layers.Dense(width)(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    return keras.Model(inputs, layers.Dense(1)(x), name=name)


class _Optimizers:
    """The two Adams of a `GAN` (``.discriminator``, ``.generator``)."""

    def __init__(self, discriminator, generator):
        self.discriminator = discriminator
        self.generator = generator


@keras.saving.register_keras_serializable(package="digitkit")
class GAN(keras.Model):
    """A generator and a discriminator trained in turns, each with its own Adam.

    ``fit(x)`` runs `train_step`: ``d_steps`` discriminator updates, then one
    generator update. The training step uses TensorFlow's ``GradientTape``
    (two models with two optimizers, alternating, is not free to write
    backend-agnostically in Keras 3); the builders, `generate` and the
    diagnostics are backend-agnostic.

    Args:
        generator: a model from noise (N, latent_dim) to images; default
            `build_dense_generator(latent_dim)`.
        discriminator: a model from images to one logit; default
            `build_dense_discriminator()`.
        latent_dim: length of the noise vector.
        d_learning_rate, g_learning_rate: Adam learning rates of each side.
        d_steps: discriminator updates per generator update.
        label_smoothing: one-sided smoothing: real images are labelled
            ``1 - label_smoothing`` for the discriminator.
        generator_loss: ``"non_saturating"`` (maximise log D(G(z)), the fix)
            or ``"saturating"`` (minimise log(1 - D(G(z))), the original
            minimax loss whose gradient vanishes when D wins).
        beta_1: Adam's first-moment decay for both sides (0.5 is the GAN habit).
        seed: seed of the noise drawn during training.
    """

    def __init__(self, generator=None, discriminator=None, latent_dim=64, d_learning_rate=2e-4,
                 g_learning_rate=2e-4, d_steps=1, label_smoothing=0.0,
                 generator_loss="non_saturating", beta_1=0.5, seed=0, **kwargs):
        super().__init__(**kwargs)
        _check_positive(latent_dim=latent_dim, d_learning_rate=d_learning_rate,
                        g_learning_rate=g_learning_rate)
        if int(d_steps) != d_steps or d_steps < 1:
            raise ValueError(f"d_steps must be a whole number >= 1. Received: d_steps={d_steps!r}")
        if not 0.0 <= label_smoothing < 0.5:
            raise ValueError(f"label_smoothing must lie in [0, 0.5). Received: label_smoothing={label_smoothing!r}")
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {GENERATOR_LOSSES}. "
                             f"Received: generator_loss={generator_loss!r}")
        self.latent_dim = int(latent_dim)
        self.d_learning_rate = float(d_learning_rate)
        self.g_learning_rate = float(g_learning_rate)
        self.d_steps = int(d_steps)
        self.label_smoothing = float(label_smoothing)
        self.generator_loss = generator_loss
        self.beta_1 = float(beta_1)
        self.seed = seed
        self.generator = generator if generator is not None else self._default_generator()
        self.discriminator = discriminator if discriminator is not None else self._default_discriminator()
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Held outside Keras' tracking so that save_weights stores the two networks
        # only (the shipped file is a third of the size without Adam's moments).
        self.optimizers = _Optimizers(
            discriminator=keras.optimizers.Adam(self.d_learning_rate, beta_1=self.beta_1),
            generator=keras.optimizers.Adam(self.g_learning_rate, beta_1=self.beta_1))
        self._trackers = {k: keras.metrics.Mean(name=k) for k in
                          ("d_loss", "g_loss", "d_acc_real", "d_acc_fake", "g_grad_norm")}
        self.built = True  # both networks are built by their Input layers

    # --- hooks a subclass (the conditional GAN) overrides -----------------
    def _default_generator(self):
        return build_dense_generator(self.latent_dim)

    def _default_discriminator(self):
        return build_dense_discriminator()

    def _unpack(self, data):
        """``(real_images, conditions)`` from a training batch; no conditions here."""
        if isinstance(data, (tuple, list)):
            data = data[0]
        return data, None

    def _sample_conditions(self, conditions):
        """Conditions for the generated half of a batch (the real batch's, here none)."""
        return conditions

    def _generate(self, noise, conditions, training=False):
        return self.generator(noise, training=training)

    def _discriminate(self, images, conditions, training=False):
        return self.discriminator(images, training=training)

    # --- training ---------------------------------------------------------
    @property
    def metrics(self):
        return list(self._trackers.values())

    def compile(self, **kwargs):
        """Compile for `fit`; the optimizers were made from the constructor's rates."""
        super().compile(**kwargs)

    def call(self, noise, training=False):
        return self._generate(noise, None, training=training)

    def _noise(self, batch):
        return keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)

    def discriminator_step(self, real, conditions=None):
        """One discriminator update (the generator's weights are not touched).

        Returns:
            ``(loss, real_logits, fake_logits)``.
        """
        import tensorflow as tf

        batch = ops.shape(real)[0]
        fake_conditions = self._sample_conditions(conditions)
        fake = self._generate(self._noise(batch), fake_conditions, training=True)
        with tf.GradientTape() as tape:
            real_logits = self._discriminate(real, conditions, training=True)
            fake_logits = self._discriminate(fake, fake_conditions, training=True)
            real_target = ops.full_like(real_logits, 1.0 - self.label_smoothing)
            loss = (ops.mean(keras.losses.binary_crossentropy(real_target, real_logits, from_logits=True))
                    + ops.mean(keras.losses.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits,
                                                                from_logits=True)))
        weights = self.discriminator.trainable_weights
        self.optimizers.discriminator.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss, real_logits, fake_logits

    def generator_step(self, batch, conditions=None):
        """One generator update (the discriminator's weights are not touched).

        Returns:
            ``(loss, gradient_norm)``.
        """
        import tensorflow as tf

        fake_conditions = self._sample_conditions(conditions)
        noise = self._noise(batch)
        with tf.GradientTape() as tape:
            fake_logits = self._discriminate(self._generate(noise, fake_conditions, training=True),
                                             fake_conditions, training=True)
            if self.generator_loss == "non_saturating":  # minimise -log D(G(z))
                loss = ops.mean(keras.losses.binary_crossentropy(ops.ones_like(fake_logits), fake_logits,
                                                                 from_logits=True))
            else:  # minimise log(1 - D(G(z))) = -BCE(0, logits)
                loss = -ops.mean(keras.losses.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits,
                                                                  from_logits=True))
        weights = self.generator.trainable_weights
        grads = tape.gradient(loss, weights)
        norm = ops.sqrt(sum(ops.sum(ops.square(g)) for g in grads))
        self.optimizers.generator.apply_gradients(zip(grads, weights))
        return loss, norm

    def train_step(self, data):
        real, conditions = self._unpack(data)
        for _ in range(self.d_steps):
            d_loss, real_logits, fake_logits = self.discriminator_step(real, conditions)
        g_loss, g_norm = self.generator_step(ops.shape(real)[0], conditions)
        values = dict(d_loss=d_loss, g_loss=g_loss, g_grad_norm=g_norm,
                      d_acc_real=ops.mean(ops.cast(real_logits > 0, "float32")),
                      d_acc_fake=ops.mean(ops.cast(fake_logits < 0, "float32")))
        for key, value in values.items():
            self._trackers[key].update_state(value)
        return {key: tracker.result() for key, tracker in self._trackers.items()}

    # --- sampling -----------------------------------------------------------
    def noise(self, n, seed=0):
        """Reproducible noise (n, latent_dim): same seed, same vectors (NumPy, any backend)."""
        if int(n) != n or n < 1:
            raise ValueError(f"n must be a whole number >= 1. Received: n={n!r}")
        return np.random.default_rng(seed).standard_normal((int(n), self.latent_dim)).astype("float32")

    def generate_from_noise(self, noise, conditions=None, batch_size=1000):
        """Images (N, 28, 28) in [0, 1] from given noise (and conditions)."""
        noise = np.asarray(noise, dtype="float32")
        out = []
        for i in range(0, len(noise), batch_size):
            c = None if conditions is None else conditions[i:i + batch_size]
            out.append(ops.convert_to_numpy(self._generate(noise[i:i + batch_size], c, training=False)))
        return np.clip(np.concatenate(out)[..., 0], 0.0, 1.0)

    def generate(self, n, seed=0):
        """``n`` random digits (n, 28, 28), float in [0, 1]; same seed, same pixels."""
        return self.generate_from_noise(self.noise(n, seed))

    def sample_images(self, n, seed=0):
        """Samples for the diagnostics: ``(images, requested_labels or None)``."""
        return self.generate(n, seed), None

    def latent_walk(self, seed_a, seed_b, steps=10):
        """Digits along the straight line between the noise of two seeds, (steps, 28, 28)."""
        a, b = self.noise(1, seed_a), self.noise(1, seed_b)
        t = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
        return self.generate_from_noise((1 - t) * a + t * b)

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim, "d_learning_rate": self.d_learning_rate,
            "g_learning_rate": self.g_learning_rate, "d_steps": self.d_steps,
            "label_smoothing": self.label_smoothing, "generator_loss": self.generator_loss,
            "beta_1": self.beta_1, "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


# --- diagnostics -------------------------------------------------------------
def coverage(labels, min_share=0.01):
    """Mode coverage of the judge's labels for generated samples.

    Args:
        labels: the digit the judge reads in each sample.
        min_share: a digit counts as covered when at least this share of the
            samples are read as it.

    Returns:
        dict with ``histogram`` (10 counts), ``label_entropy`` (nats) and
        ``digits_covered`` (0-10).
    """
    histogram = metrics.label_histogram(labels)
    total = max(int(histogram.sum()), 1)
    return dict(histogram=histogram, label_entropy=metrics.label_entropy(labels),
                digits_covered=int((histogram >= min_share * total).sum()))


def diagnose(model, reference_features, judge=None, n=1000, seed=0, min_share=0.01):
    """Judge-based quality of a GAN's samples right now.

    Args:
        model: a `GAN` (or anything with ``sample_images(n, seed)``).
        reference_features: judge features of real test images (same count as
            ``n`` for comparable Fréchet distances).
        judge: the classifier; the shipped judge by default.
        n: how many samples to draw.

    Returns:
        dict: ``label_entropy``, ``digits_covered``, ``histogram``, ``frechet``
        and, for a conditional model, ``class_accuracy``.
    """
    images, requested = model.sample_images(n, seed)
    judge = metrics._judge(judge)
    labels = metrics.judge_labels(images, judge)
    result = coverage(labels, min_share)
    result["frechet"] = metrics.frechet_from_features(metrics.judge_features(images, judge), reference_features)
    if requested is not None:
        result["class_accuracy"] = float((labels == np.asarray(requested)).mean())
    return result


class GANMonitor(keras.callbacks.Callback):
    """Records the diagnostics in the History and draws a fixed-seed grid every epoch.

    Shared by every GAN of the course. After each epoch it adds
    ``label_entropy``, ``digits_covered``, ``frechet`` (and ``class_accuracy``
    for a conditional GAN) to the epoch's logs, so ``history.history`` has them,
    and it keeps a tiled frame of ``grid_size`` samples. At the end of training
    it writes the frames as a looping GIF with `digitkit.viz.save_gif`.

    Args:
        reference_images: real images for the Fréchet distance (the test set,
            ``n_samples`` of them are used).
        judge: the classifier; the shipped judge by default.
        n_samples: samples drawn for the coverage and Fréchet distance.
        grid_size: images in each GIF frame (the same seed every epoch).
        gif_path: where the GIF goes at the end of training; None for no file.
        seed: seed of the samples and of the grid.
        fps: frames per second of the GIF.
        every: compute the judge diagnostics every this many epochs (the grid
            is drawn every epoch).
        gif_every: keep every this many frames in the GIF (1: all).
        gif_scale: pixel upscaling of the GIF's frames.
        defer: keep a copy of the generator's weights each epoch and compute
            the judge diagnostics only in `replay`, after training (the run
            is the same: the diagnostics draw no random numbers from Keras).
    """

    def __init__(self, reference_images=None, judge=None, n_samples=1000, grid_size=40,
                 gif_path=None, seed=0, fps=3, every=1, verbose=True, defer=False, gif_every=1, gif_scale=2):
        super().__init__()
        self.gif_every = gif_every
        self.gif_scale = gif_scale
        self.defer = defer
        self.snapshots = []
        self.reference_images = reference_images
        self.judge = judge
        self.n_samples = n_samples
        self.grid_size = grid_size
        self.gif_path = gif_path
        self.seed = seed
        self.fps = fps
        self.every = every
        self.verbose = verbose
        self.frames = []
        self.reference_features = None
        if reference_images is not None and n_samples and not defer:
            self.reference_features = metrics.judge_features(reference_images[:n_samples], metrics._judge(judge))
        self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.time()

    def on_train_begin(self, logs=None):
        if not self.frames:
            self.frames.append(self._frame())

    def _frame(self):
        images, _ = self.model.sample_images(self.grid_size, self.seed + 1)
        return viz.tile(images, ncols=10)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["epoch_seconds"] = time.time() - self._start
        self.frames.append(self._frame())
        if self.defer and (epoch + 1) % self.every == 0:
            self.snapshots.append((epoch, [ops.convert_to_numpy(w) for w in self.model.generator.weights]))
        elif self.reference_features is not None and (epoch + 1) % self.every == 0:
            result = diagnose(self.model, self.reference_features, self.judge, self.n_samples, self.seed)
            result.pop("histogram")
            logs.update(result)
        if self.verbose:
            shown = " ".join(f"{k}={v:.3g}" for k, v in logs.items() if np.ndim(v) == 0)
            print(f"epoch {epoch + 1}: {shown}", flush=True)

    def replay(self, history):
        """Compute the deferred diagnostics from the kept weights and add them to ``history``.

        Args:
            history: the run's history dict (lists per key).

        Returns:
            ``history`` with ``label_entropy``, ``digits_covered``, ``frechet``
            (and ``class_accuracy``) per recorded epoch.
        """
        judge = metrics._judge(self.judge)
        reference = metrics.judge_features(self.reference_images[:self.n_samples], judge)
        generator = self.model.generator
        final = [ops.convert_to_numpy(w) for w in generator.weights]
        for epoch, weights in self.snapshots:
            generator.set_weights(weights)
            result = diagnose(self.model, reference, judge, self.n_samples, self.seed)
            result.pop("histogram")
            for key, value in result.items():
                history.setdefault(key, []).append(float(value))
            if self.verbose:
                print(f"epoch {epoch + 1}: " + " ".join(f"{k}={v:.3g}" for k, v in result.items()), flush=True)
        generator.set_weights(final)
        self.snapshots = []
        return history

    def on_train_end(self, logs=None):
        if self.gif_path is not None:
            viz.save_gif(self.frames[::self.gif_every], self.gif_path, fps=self.fps, scale=self.gif_scale)


def train_gan(gan, x, epochs=10, batch_size=128, reference_images=None, judge=None, n_samples=1000,
              gif_path=None, seed=0, verbose=0, monitor=None, y=None, defer_diagnostics=False, gif_every=1):
    """Train a GAN with `GANMonitor` diagnostics.

    Args:
        gan: a `GAN` (or `digitkit.cgan.ConditionalGAN`, which also takes ``y``).
        x: float images (N, 28, 28, 1) in [0, 1].
        epochs, batch_size: the usual.
        reference_images: real images for the Fréchet distance (e.g. the test
            set); None skips the judge diagnostics.
        judge: the classifier; the shipped judge by default.
        n_samples: samples per epoch for the diagnostics.
        gif_path: where the training GIF goes; None for no file.
        seed: seeds the weights' initialisation and the shuffling.
        verbose: Keras' progress output (the monitor prints one line per epoch
            when ``verbose`` is truthy).
        monitor: a ready `GANMonitor` instead of a new one.
        y: labels, for a conditional GAN.
        gif_every: keep every this many frames in the GIF.
        defer_diagnostics: compute the judge diagnostics after training
            (`GANMonitor.replay`) instead of after each epoch.

    Returns:
        ``(history_dict, monitor)``: every per-epoch number as lists, and the
        monitor holding the GIF frames.
    """
    _check_positive(epochs=epochs, batch_size=batch_size)
    keras.utils.set_random_seed(seed)
    if monitor is None:
        monitor = GANMonitor(reference_images, judge=judge, n_samples=n_samples, gif_path=gif_path,
                             seed=seed, verbose=bool(verbose), defer=defer_diagnostics, gif_every=gif_every)
    if not gan.compiled:
        gan.compile()
    if y is None:
        history = gan.fit(x, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0, callbacks=[monitor])
    else:
        history = gan.fit(x, np.asarray(y), epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0,
                          callbacks=[monitor])
    result = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    if monitor.defer and monitor.reference_images is not None:
        result = monitor.replay(result)
    return result, monitor


def merge_histories(*histories):
    """Concatenate history dicts of consecutive ``fit`` calls (keys of the first)."""
    out = {}
    for h in histories:
        for k, v in h.items():
            out.setdefault(k, []).extend(v)
    return out


# --- figures -------------------------------------------------------------------
DIAGNOSTIC_PANELS = (
    ("discriminator accuracy", ("d_acc_real", "d_acc_fake")),
    ("generator gradient norm", ("g_grad_norm",)),
    ("label entropy (nats)", ("label_entropy",)),
    ("digits covered", ("digits_covered",)),
    ("Fréchet distance", ("frechet",)),
)


def plot_diagnostics(runs, samples=None, title=None):
    """The diagnostics of one or several runs side by side, with an optional sample grid.

    Args:
        runs: a history dict, or ``{name: history dict}`` for several runs
            (drawn in the same panels, so a learner's run sits beside the
            healthy one).
        samples: optional images (N, 28, 28) shown in a last panel.
        title: a title over the figure.

    Returns:
        A `matplotlib.figure.Figure`.
    """
    if runs and all(isinstance(v, list) for v in runs.values()):
        runs = {"run": runs}
    panels = [p for p in DIAGNOSTIC_PANELS if any(k in h for h in runs.values() for k in p[1])]
    ncols = len(panels) + (samples is not None)
    fig = Figure(figsize=(3.2 * ncols, 3.0))
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    colors = {name: f"C{i}" for i, name in enumerate(runs)}
    for ax, (panel, keys) in zip(axes, panels):
        for name, h in runs.items():
            for key, style in zip(keys, ("-", "--")):
                if key in h:
                    label = name if len(keys) == 1 else f"{name}: {key[-4:]}"
                    ax.plot(np.arange(1, len(h[key]) + 1), h[key], style, color=colors[name], label=label)
        if panel == "label entropy (nats)":
            ax.axhline(math.log(10), color="gray", lw=0.8, ls=":")
        if panel == "discriminator accuracy":
            ax.set_ylim(-0.02, 1.02)
        ax.set_title(panel, fontsize=10)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    if samples is not None:
        axes[-1].imshow(viz.tile(samples, ncols=int(math.ceil(math.sqrt(len(samples))))), cmap="gray")
        axes[-1].axis("off")
        axes[-1].set_title("samples", fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_label_histogram(labels_or_histogram, title="What the judge reads in the samples"):
    """A bar chart of how often each digit appears among generated samples."""
    h = np.asarray(labels_or_histogram)
    if h.shape != (10,):
        h = metrics.label_histogram(h)
    fig = Figure(figsize=(4.5, 2.6))
    ax = fig.subplots()
    ax.bar(range(10), h)
    ax.set_xticks(range(10))
    ax.set_xlabel("digit read by the judge")
    ax.set_ylabel("samples")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


# --- recorded runs -------------------------------------------------------------
def runs_path():
    """``assets/training/gan_runs.json``: the recorded histories of the shipped runs."""
    from digitkit._paths import project_dir

    return project_dir() / "assets" / "training" / "gan_runs.json"


def load_runs(path=None):
    """The recorded diagnostics ``{run name: {"knobs": ..., "history": ...}}``."""
    return json.loads(pathlib.Path(path or runs_path()).read_text())


def recorded_samples(run):
    """The 16 final samples stored with a recorded lab run, float (16, 28, 28) in [0, 1]."""
    pixels = [np.frombuffer(bytes.fromhex(h), dtype=np.uint8) for h in run["samples_hex"]]
    return np.stack(pixels).reshape(-1, 28, 28).astype("float32") / 255.0


def _write_runs(runs, path):
    # One run per line: small diffs in git, and the file stays readable.
    lines = [f"{json.dumps(name)}: {json.dumps(run)}" for name, run in runs.items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n")


def save_run(name, knobs, history, path=None, **extra):
    """Add (or replace) one run in the recorded-runs JSON."""
    path = pathlib.Path(path or runs_path())
    runs = json.loads(path.read_text()) if path.is_file() else {}
    runs[name] = dict(knobs=knobs, history={k: [round(float(x), 5) for x in v] for k, v in history.items()},
                      **extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_runs(runs, path)
    return path


# --- failure-mode lab ----------------------------------------------------------
# The knobs of the lab's runs (subset of MNIST, few epochs). The healthy run uses
# the defaults; each failure changes one or two knobs.
LAB_RUNS = {
    "healthy": dict(),
    "strong_discriminator": dict(d_learning_rate=2e-3, d_steps=5, generator_loss="saturating", dropout=0.0),
    "mode_collapse": dict(g_learning_rate=2e-3, d_learning_rate=2e-5, batch_norm=False),
    "fixed": dict(d_learning_rate=2e-3, d_steps=5, generator_loss="non_saturating", label_smoothing=0.1,
                  dropout=0.0),
    "collapse_with_batchnorm": dict(g_learning_rate=2e-3, d_learning_rate=2e-5, batch_norm=True),
}


def make_gan(latent_dim=64, d_learning_rate=2e-4, g_learning_rate=2e-4, d_steps=1, label_smoothing=0.0,
             generator_loss="non_saturating", batch_norm=True, dropout=0.3, seed=0):
    """A dense `GAN` from the lab's knobs (the ones the notebook's sliders set)."""
    _check_positive(latent_dim=latent_dim)
    keras.utils.set_random_seed(seed)
    return GAN(build_dense_generator(latent_dim, batch_norm=batch_norm), build_dense_discriminator(dropout=dropout),
               latent_dim=latent_dim, d_learning_rate=d_learning_rate, g_learning_rate=g_learning_rate,
               d_steps=d_steps, label_smoothing=label_smoothing, generator_loss=generator_loss, seed=seed)


def lab_run(knobs=None, n_images=10000, epochs=5, batch_size=64, n_samples=1000, seed=0, gif_path=None,
            judge=None, verbose=0, defer_diagnostics=False):
    """A short GAN run on a subset of MNIST, with the diagnostics of every epoch.

    Args:
        knobs: keyword arguments of `make_gan` (learning rates, ``d_steps``, ...).
        n_images: training images (the first ``n_images`` of MNIST's training set).
        epochs, batch_size: the usual.
        n_samples: samples (and test images) for the diagnostics.

    Returns:
        ``(gan, history_dict, monitor)``.
    """
    from digitkit.data import load_mnist

    (x_train, _), (x_test, _) = load_mnist(normalize=True)
    gan = make_gan(seed=seed, **(knobs or {}))
    history, monitor = train_gan(gan, x_train[:n_images], epochs=epochs, batch_size=batch_size,
                                 reference_images=x_test, judge=judge, n_samples=n_samples,
                                 gif_path=gif_path, seed=seed, verbose=verbose,
                                 defer_diagnostics=defer_diagnostics)
    return gan, history, monitor


LAB_SIZE = dict(n_images=10000, epochs=10, batch_size=64, n_samples=1000)


def record_lab_runs(names=None, path=None, verbose=0, defer=False, **size):
    """Run the failure-mode lab (`LAB_RUNS`) and record each history in ``gan_runs.json``.

    Args:
        names: which of `LAB_RUNS` (default: all).
        path: the JSON file (default: `runs_path()`).
        size: overrides of `LAB_SIZE` (``n_images``, ``epochs``, ...).

    Returns:
        ``{name: history}``.
    """
    size = {**LAB_SIZE, **size}
    out = {}
    for name in names or LAB_RUNS:
        start = time.time()
        model, history, _ = lab_run(LAB_RUNS[name], verbose=verbose, defer_diagnostics=defer, **size)
        samples = model.generate(1000, seed=0)
        labels = metrics.judge_labels(samples)
        save_run(name, LAB_RUNS[name], history, path=path, size=size, minutes=round((time.time() - start) / 60, 2),
                 final_histogram=metrics.label_histogram(labels).tolist(),
                 samples_hex=[bytes(np.round(image * 255).astype(np.uint8).reshape(-1)).hex()
                              for image in samples[:16]])
        out[name] = history
    return out


# --- the shipped model -----------------------------------------------------------
def build_pretrained_gan():
    """The untrained GAN of the shipped ``"gan"`` weights (`digitkit.load_pretrained("gan")`)."""
    return GAN(latent_dim=64)


def evaluate_gan(gan, n=10000, seed=123, judge=None):
    """Label entropy, digits covered and Fréchet distance over ``n`` samples vs ``n`` test images."""
    from digitkit.data import load_mnist

    _, (x_test, _) = load_mnist(normalize=True)
    judge = metrics._judge(judge)
    result = diagnose(gan, metrics.judge_features(x_test[:n], judge), judge, n=n, seed=seed)
    result["histogram"] = result["histogram"].tolist()
    result["n_samples"] = n
    return result


def train_pretrained_gan(epochs=None, batch_size=None, seed=0, out=None, gif_path=None, verbose=1,
                         record=True, defer_diagnostics=False, resume=False):
    """Train the shipped healthy GAN on all of MNIST's training images and save it.

    Args:
        epochs, batch_size: default to `RECIPE`.
        seed: seeds the run.
        out: folder for weights and manifest (default: the shipped ``weights/``).
        gif_path: the training GIF (default: ``assets/training/gan.gif``; a
            resumed run writes no GIF unless given one).
        record: add the run's history to ``assets/training/gan_runs.json``.
        resume: continue from the weights in ``out`` for ``epochs`` more
            epochs (with fresh optimizers); the manifest's command then
            chains both stages.

    Returns:
        ``(gan, quality dict)``.
    """
    from digitkit import pretrained
    from digitkit._paths import project_dir
    from digitkit.data import load_mnist

    epochs = epochs or RECIPE["epochs"]
    batch_size = batch_size or RECIPE["batch_size"]
    if gif_path is None and not resume:
        gif_path = project_dir() / "assets" / "training" / "gan.gif"
    (x_train, _), (x_test, _) = load_mnist(normalize=True)
    keras.utils.set_random_seed(seed)
    previous = dict(epochs=0, command="", minutes=0.0)
    if resume:
        gan, previous = pretrained.resume("gan", directory=out)
        seed = seed + previous["epochs"]  # new noise for the new stage
    else:
        gan = build_pretrained_gan()
    start = time.time()
    history, _ = train_gan(gan, x_train, epochs=epochs, batch_size=batch_size, reference_images=x_test,
                           gif_path=gif_path, seed=seed, verbose=verbose, defer_diagnostics=defer_diagnostics,
                           gif_every=2)
    minutes = (time.time() - start) / 60 + previous["minutes"]
    quality = evaluate_gan(gan)
    total = previous["epochs"] + epochs
    quality = dict(label_entropy=round(quality["label_entropy"], 4), digits_covered=quality["digits_covered"],
                   frechet=round(quality["frechet"], 3), n_samples=quality["n_samples"],
                   epochs=total, train_minutes=round(minutes, 1),
                   seconds_per_epoch=round(float(np.median(history["epoch_seconds"])), 1))
    command = previous["command"] + (f"digitkit train gan --resume --epochs {epochs}" if resume
                                     else f"digitkit train gan --epochs {epochs} --seed {seed}")
    pretrained.save_pretrained(gan, "gan", quality, command, directory=out)
    if record:
        if resume and "pretrained" in load_runs():
            history = merge_histories(load_runs()["pretrained"]["history"], history)
        save_run("pretrained", dict(epochs=total, batch_size=batch_size, n_images=len(x_train)), history,
                 quality=quality)
    return gan, quality

"""A convolutional conditional GAN: ask for a digit, get that digit.

Taught in notebooks/03_conditional_gan.ipynb. The training step, the
diagnostics and the training GIF are the basic GAN's (`digitkit.gan.GAN`,
`digitkit.gan.GANMonitor`, `digitkit.gan.train_gan`): `ConditionalGAN` only
overrides the hooks that feed the label to both networks.

The label enters both networks as a 10-vector (one-hot for a pure digit), so
blending two digits is interpolating their label vectors with the same noise.
"""

import time

import keras
import numpy as np
from keras import layers, ops
from matplotlib.figure import Figure

from digitkit import gan as gan_lib
from digitkit import metrics, viz
from digitkit.data import parse_digits

NUM_CLASSES = 10

# The recipe of the shipped "cgan" weights (`digitkit train cgan`).
RECIPE = dict(epochs=10, batch_size=64)

# The keras.io "Conditional GAN" example (Sayak Paul): architecture and hyperparameters.
REFERENCE = dict(latent_dim=128, batch_size=64, learning_rate=3e-4, epochs=20)


def build_conditional_generator(latent_dim=64, filters=(64, 32), label_dim=16, name="cgenerator"):
    """A compact DCGAN-style generator conditioned on a label vector.

    Noise and a learned projection of the label are mixed by a Dense layer
    into 7x7 feature maps, which transposed convolutions grow to 14x14 and
    then to the 28x28 image. The layers named ``stage_*`` are what
    `ConditionalGAN.visualize` shows.

    Args:
        latent_dim: length of the noise vector.
        filters: channels at 7x7 and at 14x14.
        label_dim: width of the label's projection (a label embedding that
            also accepts blended label vectors).
        name: the model's name.

    Returns:
        A `keras.Model` from ``[noise (N, latent_dim), labels (N, 10)]`` to
        images (N, 28, 28, 1) in [0, 1].
    """
    gan_lib._check_positive(latent_dim=latent_dim, label_dim=label_dim)
    noise = keras.Input((latent_dim,), name="noise")
    label = keras.Input((NUM_CLASSES,), name="label")
    x = layers.Concatenate()([noise, layers.Dense(label_dim, name="label_embedding")(label)])
    x = layers.Dense(7 * 7 * filters[0], use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((7, 7, filters[0]), name="stage_7x7")(x)
    x = layers.Conv2DTranspose(filters[1], 4, strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2, name="stage_14x14")(x)
    x = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid", name="stage_28x28")(x)
    return keras.Model([noise, label], x, name=name)


def build_conditional_discriminator(filters=(32, 64), dropout=0.3, name="cdiscriminator"):
    """A small convolutional discriminator that also sees the label.

    The label vector is projected to a 28x28 map stacked on the image as a
    second channel, and once more onto the final features (a projection
    discriminator), so the discriminator judges "is this a real *3*?".

    Args:
        filters: channels of the two stride-2 convolutions.
        dropout: dropout after each convolution.
        name: the model's name.

    Returns:
        A `keras.Model` from ``[images (N, 28, 28, 1), labels (N, 10)]`` to (N, 1) logits.
    """
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1). Received: dropout={dropout}")
    image = keras.Input((28, 28, 1), name="image")
    label = keras.Input((NUM_CLASSES,), name="label")
    label_map = layers.Reshape((28, 28, 1))(layers.Dense(28 * 28)(label))
    x = layers.Concatenate()([image, label_map])
    for f in filters:
        x = layers.Conv2D(f, 4, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    # Projection: the logit also gets <features, embedding(label)>, which makes the
    # "is this the right digit?" question explicit (Miyato & Koyama, 2018).
    projection = layers.Dot(axes=1)([x, layers.Dense(x.shape[-1], use_bias=False, name="label_projection")(label)])
    return keras.Model([image, label], layers.Add()([layers.Dense(1)(x), projection]), name=name)


def build_reference_generator(latent_dim=128, name="reference_generator"):
    """The keras.io "Conditional GAN" generator (noise and one-hot label concatenated)."""
    channels = latent_dim + NUM_CLASSES
    noise = keras.Input((latent_dim,))
    label = keras.Input((NUM_CLASSES,))
    x = layers.Concatenate()([noise, label])
    x = layers.Dense(7 * 7 * channels)(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((7, 7, channels), name="stage_7x7")(x)
    x = layers.Conv2DTranspose(128, 4, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.2, name="stage_14x14")(x)
    x = layers.Conv2DTranspose(128, 4, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.2, name="stage_28x28_features")(x)
    x = layers.Conv2D(1, 7, padding="same", activation="sigmoid", name="stage_28x28")(x)
    return keras.Model([noise, label], x, name=name)


def build_reference_discriminator(name="reference_discriminator"):
    """The keras.io "Conditional GAN" discriminator (one-hot label broadcast to 10 image channels)."""
    image = keras.Input((28, 28, 1))
    label = keras.Input((NUM_CLASSES,))
    label_maps = layers.UpSampling2D(28)(layers.Reshape((1, 1, NUM_CLASSES))(label))
    x = layers.Concatenate()([image, label_maps])
    x = layers.Conv2D(64, 3, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(128, 3, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.GlobalMaxPooling2D()(x)
    return keras.Model([image, label], layers.Dense(1)(x), name=name)


@keras.saving.register_keras_serializable(package="digitkit")
class ConditionalGAN(gan_lib.GAN):
    """A `digitkit.gan.GAN` whose networks also receive the digit's label.

    Trained with ``fit(images, labels)`` through the basic GAN's `train_step`
    (TensorFlow ``GradientTape``); everything else is backend-agnostic.

    Args:
        generator, discriminator: default to `build_conditional_generator`
            and `build_conditional_discriminator`.
        latent_dim, d_learning_rate, g_learning_rate, d_steps,
        label_smoothing, generator_loss, beta_1, seed: as in `digitkit.gan.GAN`.
    """

    def __init__(self, generator=None, discriminator=None, latent_dim=64, d_learning_rate=2e-4,
                 g_learning_rate=2e-4, **kwargs):
        super().__init__(generator, discriminator, latent_dim=latent_dim, d_learning_rate=d_learning_rate,
                         g_learning_rate=g_learning_rate, **kwargs)

    # --- hooks of the basic GAN's train_step ---
    def _default_generator(self):
        return build_conditional_generator(self.latent_dim)

    def _default_discriminator(self):
        return build_conditional_discriminator()

    def _unpack(self, data):
        images, labels = data[0], data[1]
        return images, ops.one_hot(ops.cast(ops.reshape(labels, (-1,)), "int32"), NUM_CLASSES)

    def _generate(self, noise, conditions, training=False):
        return self.generator([noise, conditions], training=training)

    def _discriminate(self, images, conditions, training=False):
        return self.discriminator([images, conditions], training=training)

    def call(self, inputs, training=False):
        noise, labels = inputs
        return self._generate(noise, labels, training=training)

    # --- sampling ---
    @staticmethod
    def one_hot(digits):
        """(N, 10) float label vectors for ints 0-9."""
        return np.eye(NUM_CLASSES, dtype="float32")[np.asarray(digits, dtype=int)]

    def generate(self, digits, seed=0):
        """One image per requested digit.

        Args:
            digits: a string like ``"646775"`` or a list of ints 0-9.
            seed: same seed, same pixels.

        Returns:
            float images (N, 28, 28) in [0, 1].

        Raises:
            ValueError: empty input or a character that is not a digit.
        """
        digits = parse_digits(digits)
        return self.generate_from_noise(self.noise(len(digits), seed), self.one_hot(digits))

    def sample_images(self, n, seed=0):
        """``n`` samples cycling through the digits 0-9, and the digits asked for."""
        digits = np.arange(n) % NUM_CLASSES
        return self.generate_from_noise(self.noise(n, seed), self.one_hot(digits)), digits

    def generate_mixed(self, a, b, weight_or_steps=0.5, seed=0):
        """Blend the conditions of two digits, keeping the same noise.

        Args:
            a, b: two digits 0-9.
            weight_or_steps: a float in [0, 1] gives one image whose label
                vector is ``(1 - w) * onehot(a) + w * onehot(b)`` (0 is pure
                ``a``, 1 is pure ``b``); an int >= 2 gives that many images
                from ``a`` to ``b``.
            seed: the noise; ``generate(str(a), seed)`` draws the same noise.

        Returns:
            float images (1 or steps, 28, 28) in [0, 1].
        """
        (a, b) = parse_digits([a, b])
        if isinstance(weight_or_steps, (int, np.integer)) and not isinstance(weight_or_steps, bool):
            if weight_or_steps < 2:
                raise ValueError("An int weight_or_steps is a number of steps and must be >= 2 "
                                 f"(pass a float for one blend). Received: weight_or_steps={weight_or_steps!r}")
            weights = np.linspace(0.0, 1.0, int(weight_or_steps), dtype="float32")
        else:
            w = float(weight_or_steps)
            if not 0.0 <= w <= 1.0:
                raise ValueError(f"The blend weight must lie in [0, 1]. Received: weight_or_steps={weight_or_steps!r}")
            weights = np.array([w], dtype="float32")
        labels = (1 - weights)[:, None] * self.one_hot([a]) + weights[:, None] * self.one_hot([b])
        noise = np.repeat(self.noise(1, seed), len(weights), axis=0)
        return self.generate_from_noise(noise, labels)

    def feature_maps(self, digit, seed=0):
        """What each ``stage_*`` layer of the generator produces for one digit.

        Returns:
            ``{layer name: array (H, W, channels)}`` from 7x7 up to the 28x28 output.
        """
        (digit,) = parse_digits([digit])
        names = [layer.name for layer in self.generator.layers if layer.name.startswith("stage_")]
        probe = keras.Model(self.generator.inputs, [self.generator.get_layer(n).output for n in names])
        outputs = probe([self.noise(1, seed), self.one_hot([digit])], training=False)
        return {n: ops.convert_to_numpy(o)[0] for n, o in zip(names, outputs)}

    def visualize(self, digit, seed=0, max_channels=16):
        """A figure with one panel per generator stage: how the digit is built, 7x7 to 28x28.

        Each panel tiles up to ``max_channels`` feature maps of that layer
        (each scaled to [0, 1]); the last panel is the image itself.
        """
        maps = self.feature_maps(digit, seed)
        fig = Figure(figsize=(3.2 * len(maps), 3.4))
        axes = fig.subplots(1, len(maps), squeeze=False)[0]
        for ax, (name, m) in zip(axes, maps.items()):
            m = np.moveaxis(m[..., :max_channels], -1, 0)
            low = m.min(axis=(1, 2), keepdims=True)
            high = m.max(axis=(1, 2), keepdims=True)
            scaled = m if m.shape[0] == 1 else (m - low) / np.maximum(high - low, 1e-8)
            ax.imshow(viz.tile(np.clip(scaled, 0, 1), ncols=int(np.ceil(np.sqrt(len(m))))), cmap="gray")
            title = (f"the image, {m.shape[1]}x{m.shape[2]}" if maps[name].shape[-1] == 1
                     else f"{m.shape[1]}x{m.shape[2]}: {len(m)} of {maps[name].shape[-1]} maps")
            ax.set_title(title, fontsize=9)
            ax.axis("off")
        fig.suptitle(f"How the generator draws a {int(parse_digits([digit])[0])} (seed {seed})")
        fig.tight_layout()
        return fig

    def class_interpolation(self, a, b, steps=8, seed=0):
        """The strip from digit ``a`` to ``b`` (same noise, blended labels), (steps, 28, 28)."""
        return self.generate_mixed(a, b, int(steps), seed=seed)


def interpolation_gif(model, path, digits="0123456789", steps=8, seed=0, fps=6):
    """A looping GIF that morphs through ``digits`` (each frame a row of 5 seeds)."""
    digits = parse_digits(digits)
    frames = []
    seeds = range(seed, seed + 5)
    for a, b in zip(digits, np.roll(digits, -1)):
        strips = [model.generate_mixed(int(a), int(b), steps, seed=s) for s in seeds]
        for i in range(steps - 1):
            frames.append(viz.tile(np.stack([s[i] for s in strips]), ncols=5))
    return viz.save_gif(frames, path, fps=fps, hold_last=0)


# --- training ---
def make_cgan(seed=0, **kwargs):
    """Our compact conditional GAN with its default networks."""
    keras.utils.set_random_seed(seed)
    return ConditionalGAN(seed=seed, **kwargs)


def make_reference_cgan(seed=0):
    """The keras.io example's networks and hyperparameters, in our training machinery.

    keras.io uses Adam(3e-4) with Keras' default beta_1 = 0.9 on both sides,
    latent 128, batch 64, 20 epochs on MNIST's 70,000 images.
    """
    keras.utils.set_random_seed(seed)
    return ConditionalGAN(build_reference_generator(REFERENCE["latent_dim"]), build_reference_discriminator(),
                          latent_dim=REFERENCE["latent_dim"], d_learning_rate=REFERENCE["learning_rate"],
                          g_learning_rate=REFERENCE["learning_rate"], beta_1=0.9, seed=seed)


def build_pretrained_cgan():
    """The untrained model of the shipped ``"cgan"`` weights (`digitkit.load_pretrained("cgan")`)."""
    return ConditionalGAN()


def evaluate_cgan(model, per_digit=1000, n_frechet=10000, seed=123, judge=None):
    """Class accuracy over ``per_digit`` samples of each digit, and Fréchet distance.

    The Fréchet distance compares ``n_frechet`` samples (digits cycling 0-9)
    with the first ``n_frechet`` test images, like `digitkit.gan.evaluate_gan`.
    """
    from digitkit.data import load_mnist

    _, (x_test, _) = load_mnist(normalize=True)
    judge = metrics._judge(judge)
    digits = np.repeat(np.arange(NUM_CLASSES), per_digit)
    images = model.generate_from_noise(model.noise(len(digits), seed), model.one_hot(digits))
    labels = metrics.judge_labels(images, judge)
    per_class = [float((labels[digits == d] == d).mean()) for d in range(NUM_CLASSES)]
    result = gan_lib.diagnose(model, metrics.judge_features(x_test[:n_frechet], judge), judge, n=n_frechet,
                              seed=seed)
    return dict(class_accuracy=float((labels == digits).mean()), per_class=per_class,
                frechet=result["frechet"], label_entropy=result["label_entropy"], n_frechet=n_frechet,
                per_digit=per_digit)


def _train_images(include_test=False):
    from digitkit.data import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist(normalize=True)
    if include_test:
        return np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test]), x_test
    return x_train, y_train, x_test


def train_pretrained_cgan(epochs=None, batch_size=None, seed=0, out=None, gif_path=None, verbose=1,
                          record=True, defer_diagnostics=False, resume=False):
    """Train the shipped conditional GAN on MNIST's training images and save it.

    Args:
        epochs, batch_size: default to `RECIPE`.
        seed: seeds the run.
        out: folder for weights and manifest (default: the shipped ``weights/``).
        gif_path: the training GIF (default: ``assets/training/cgan.gif``; a
            resumed run writes no GIF unless given one).
        record: add the run's history to ``assets/training/cgan_runs.json``.
        defer_diagnostics: see `digitkit.gan.train_gan`.
        resume: continue from the weights in ``out`` for ``epochs`` more
            epochs (fresh optimizers); the manifest's command chains both stages.

    Returns:
        ``(model, quality dict)``.
    """
    from digitkit import pretrained
    from digitkit._paths import project_dir

    epochs = epochs or RECIPE["epochs"]
    batch_size = batch_size or RECIPE["batch_size"]
    if gif_path is None and not resume:
        gif_path = project_dir() / "assets" / "training" / "cgan.gif"
    x, y, x_test = _train_images()
    previous = dict(epochs=0, command="", minutes=0.0)
    if resume:
        model, previous = pretrained.resume("cgan", directory=out)
        seed = seed + previous["epochs"]
    else:
        model = make_cgan(seed=seed)
    start = time.time()
    history, _ = gan_lib.train_gan(model, x, y=y, epochs=epochs, batch_size=batch_size, reference_images=x_test,
                                   gif_path=gif_path, seed=seed, verbose=verbose,
                                   defer_diagnostics=defer_diagnostics)
    minutes = (time.time() - start) / 60 + previous["minutes"]
    q = evaluate_cgan(model)
    total = previous["epochs"] + epochs
    quality = dict(class_accuracy=round(q["class_accuracy"], 4), frechet=round(q["frechet"], 3),
                   per_class=[round(a, 4) for a in q["per_class"]],
                   n_frechet=q["n_frechet"], per_digit=q["per_digit"], epochs=total,
                   train_minutes=round(minutes, 1),
                   seconds_per_epoch=round(float(np.median(history["epoch_seconds"])), 1))
    command = previous["command"] + (f"digitkit train cgan --resume --epochs {epochs}" if resume
                                     else f"digitkit train cgan --epochs {epochs} --seed {seed}")
    pretrained.save_pretrained(model, "cgan", quality, command, directory=out)
    if record:
        runs = gan_lib.load_runs(runs_path()) if runs_path().is_file() else {}
        if resume and "cgan_pretrained" in runs:
            history = gan_lib.merge_histories(runs["cgan_pretrained"]["history"], history)
        gan_lib.save_run("cgan_pretrained", dict(epochs=total, batch_size=batch_size, n_images=len(x)),
                         history, path=runs_path(), quality=quality)
    return model, quality


def runs_path():
    """``assets/training/cgan_runs.json``: recorded histories of the conditional runs."""
    return gan_lib.runs_path().with_name("cgan_runs.json")


def train_reference(epochs=None, n_images=None, seed=0, verbose=1, record=True, which="reference",
                    defer_diagnostics=False):
    """Train the keras.io reference (or ours, ``which="ours"``) on a budget and measure it.

    Args:
        epochs: epochs over ``n_images`` images (default: the reference's 20).
        n_images: training images (default: all 70,000 the example uses).
        which: ``"reference"`` or ``"ours"`` (ours at the same budget, for a fair comparison).

    Returns:
        the quality dict (class accuracy, Fréchet distance, minutes).
    """
    epochs = epochs or REFERENCE["epochs"]
    x, y, x_test = _train_images(include_test=True)
    if n_images:
        x, y = x[:n_images], y[:n_images]
    model = make_reference_cgan(seed) if which == "reference" else make_cgan(seed=seed)
    start = time.time()
    history, _ = gan_lib.train_gan(model, x, y=y, epochs=epochs, batch_size=REFERENCE["batch_size"],
                                   reference_images=x_test, n_samples=1000, seed=seed, verbose=verbose,
                                   defer_diagnostics=defer_diagnostics)
    minutes = (time.time() - start) / 60
    q = evaluate_cgan(model)
    quality = dict(class_accuracy=round(q["class_accuracy"], 4), frechet=round(q["frechet"], 3),
                   n_frechet=q["n_frechet"], epochs=epochs, n_images=len(x), train_minutes=round(minutes, 1),
                   params_generator=int(model.generator.count_params()),
                   seconds_per_epoch=round(float(np.median(history["epoch_seconds"])), 1))
    if record:
        gan_lib.save_run(f"{which}_{len(x)}x{epochs}", dict(which=which, epochs=epochs, n_images=len(x)),
                         history, path=runs_path(), quality=quality)
    return quality

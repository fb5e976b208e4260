"""A convolutional conditional GAN: ask for a digit, get that digit.

Taught in notebooks/03_conditional_gan.ipynb. The training step is the basic
GAN's (`digitkit.gan.GAN`), the diagnostics and the training path are every
GAN's (`digitkit.diagnostics`, `digitkit.training`): `ConditionalGAN` only
overrides the hooks that feed the label to both networks. The keras.io
example it is compared with is in `digitkit.reference`.

The label enters both networks as a 10-vector (one-hot for a pure digit), so
blending two digits is interpolating their label vectors with the same noise.
"""

import keras
import numpy as np
from keras import layers, ops
from matplotlib.figure import Figure

from digitkit import viz
from digitkit.checks import check_filters, check_positive
from digitkit.data import IMAGE_SHAPE, IMAGE_SIZE, NUM_PIXELS, parse_digits
from digitkit.gan import GAN
from digitkit.seeding import initializer, layer_seed

NUM_CLASSES = 10


def build_conditional_generator(
    latent_dim=64, filters=(64, 32), label_dim=16, name="cgenerator", seed=0, classes=NUM_CLASSES
):
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
        seed: seed of the initial weights.
        classes: length of the label vector (10 digits; `digitkit.selfcond` conditions on clusters).

    Returns:
        A `keras.Model` from ``[noise (N, latent_dim), labels (N, classes)]`` to
        images (N, 28, 28, 1) in [0, 1].
    """
    check_positive(latent_dim=latent_dim, label_dim=label_dim, classes=classes)
    side = IMAGE_SIZE // 4  # two stride-2 transposed convolutions grow it to the image size
    noise = keras.Input((latent_dim,), name="noise")
    label = keras.Input((classes,), name="label")
    embedding = layers.Dense(label_dim, name="label_embedding", kernel_initializer=initializer(seed, 0))(label)
    x = layers.Concatenate()([noise, embedding])
    x = layers.Dense(side * side * filters[0], use_bias=False, kernel_initializer=initializer(seed, 1))(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((side, side, filters[0]), name="stage_7x7")(x)
    x = layers.Conv2DTranspose(
        filters[1], 4, strides=2, padding="same", use_bias=False, kernel_initializer=initializer(seed, 2)
    )(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2, name="stage_14x14")(x)
    x = layers.Conv2DTranspose(
        1,
        4,
        strides=2,
        padding="same",
        activation="sigmoid",
        name="stage_28x28",
        kernel_initializer=initializer(seed, 3),
    )(x)
    return keras.Model([noise, label], x, name=name)


def build_conditional_discriminator(
    filters=(32, 64),
    dropout=0.3,
    name="cdiscriminator",
    seed=0,
    classes=NUM_CLASSES,
    classifier=False,
    label_channel=True,
):
    """A small convolutional discriminator that also sees the label.

    The label vector is projected to a 28x28 map stacked on the image as a
    second channel, and once more onto the final features (a projection
    discriminator), so the discriminator judges "is this a real *3*?".

    Args:
        filters: channels of the two stride-2 convolutions.
        dropout: dropout after each convolution.
        name: the model's name.
        seed: seed of the initial weights and of the dropout masks.
        classes: length of the label vector.
        classifier: also a head that reads the digit from the same features
            (an auxiliary classifier, Odena et al., 2017): its ``classes``
            logits follow the real/fake logit.
        label_channel: stack the label map on the image. False: the label enters
            through the projection only, so the convolutions, and the classifier
            head, see the image alone (with the label channel the head can read
            the label instead of the digit: it then agrees with the asked digit on
            every generated image, misdrawn or not).

    Returns:
        A `keras.Model` from ``[images (N, 28, 28, 1), labels (N, classes)]`` to (N, 1) logits, or
        with ``classifier`` (N, 1 + classes): the real/fake logit, then the class logits.
    """
    check_positive(classes=classes)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1). Received: dropout={dropout}")
    image = keras.Input(IMAGE_SHAPE, name="image")
    label = keras.Input((classes,), name="label")
    if label_channel:
        dense = layers.Dense(NUM_PIXELS, kernel_initializer=initializer(seed, 100))
        label_map = layers.Reshape(IMAGE_SHAPE)(dense(label))
    x = layers.Concatenate()([image, label_map]) if label_channel else image
    for i, f in enumerate(filters):
        x = layers.Conv2D(f, 4, strides=2, padding="same", kernel_initializer=initializer(seed, 101 + i))(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            x = layers.Dropout(dropout, seed=layer_seed(seed, 201 + i))(x)
    x = layers.Flatten()(x)
    # Projection: the logit also gets <features, embedding(label)>, which makes the
    # "is this the right digit?" question explicit (Miyato & Koyama, 2018).
    embedding = layers.Dense(
        x.shape[-1], use_bias=False, name="label_projection", kernel_initializer=initializer(seed, 110)
    )(label)
    projection = layers.Dot(axes=1)([x, embedding])
    logit = layers.Add()([layers.Dense(1, kernel_initializer=initializer(seed, 111))(x), projection])
    if classifier:
        class_logits = layers.Dense(classes, name="class_logits", kernel_initializer=initializer(seed, 112))(x)
        logit = layers.Concatenate()([logit, class_logits])
    return keras.Model([image, label], logit, name=name)


@keras.saving.register_keras_serializable(package="digitkit")
class ConditionalGAN(GAN):
    """A `digitkit.gan.GAN` whose networks also receive the digit's label.

    Compiled and trained like the basic GAN (``compile(d_optimizer=...,
    g_optimizer=...)``, then ``fit(images, labels)`` through its `train_step`).

    Args:
        generator, discriminator: default to `build_conditional_generator`
            and `build_conditional_discriminator` (with its classifier head
            when ``classifier_weight`` is set).
        generator_filters, discriminator_filters: the default networks' channels (7x7 and 14x14
            for the generator, 14x14 and 7x7 for the discriminator); ignored for a network passed in.
        label_channel: whether the default discriminator stacks the label on the image
            (`build_conditional_discriminator`); False lets its classifier head read only the image.
        classifier_weight: 0, or the weight of an auxiliary classification loss
            (AC-GAN, Odena et al., 2017): the discriminator also learns to
            read the digit of real images, and the generator is also trained
            to make images it reads as the digit asked for. The discriminator
            must then output ``1 + 10`` columns.
        latent_dim, d_learning_rate, g_learning_rate, d_steps,
        label_smoothing, generator_loss, beta_1, ema_momentum, seed: as in `digitkit.gan.GAN`.
    """

    conditional = True  # `generate(digits)`
    SETTINGS = GAN.SETTINGS + ("classifier_weight", "generator_filters", "discriminator_filters", "label_channel")

    def __init__(
        self,
        generator=None,
        discriminator=None,
        latent_dim=64,
        d_learning_rate=2e-4,
        g_learning_rate=2e-4,
        classifier_weight=0.0,
        generator_filters=(64, 32),
        discriminator_filters=(32, 64),
        label_channel=True,
        seed=0,
        **kwargs,
    ):
        if classifier_weight:
            check_positive(classifier_weight=classifier_weight)
        self.generator_filters = check_filters(generator_filters)
        self.discriminator_filters = check_filters(discriminator_filters)
        self.label_channel = bool(label_channel)
        if discriminator is None:
            discriminator = build_conditional_discriminator(
                self.discriminator_filters, seed=seed, classifier=classifier_weight > 0, label_channel=label_channel
            )
        columns = discriminator.output.shape[-1]
        if columns != (1 + NUM_CLASSES if classifier_weight else 1):
            raise ValueError(
                "With classifier_weight > 0 the discriminator outputs 1 + 10 columns (a real/fake logit, then "
                f"class logits), else 1. Received: classifier_weight={classifier_weight!r} and {columns} columns"
            )
        super().__init__(
            generator,
            discriminator,
            latent_dim=latent_dim,
            d_learning_rate=d_learning_rate,
            g_learning_rate=g_learning_rate,
            seed=seed,
            **kwargs,
        )
        self.classifier_weight = float(classifier_weight or 0.0)

    # --- hooks of the basic GAN's train_step ---
    def _default_generator(self):
        return build_conditional_generator(self.latent_dim, self.generator_filters, seed=self.seed)

    def _unpack(self, data):
        images, labels = data[0], data[1]
        return images, ops.one_hot(ops.cast(ops.reshape(labels, (-1,)), "int32"), NUM_CLASSES)

    def _discriminate(self, images, conditions, training=False):
        return self._discriminate_and_classify(images, conditions, training)[0]

    def _discriminate_and_classify(self, images, conditions, training=False):
        """``(real/fake logits (N, 1), class logits (N, 10) or None)`` from one discriminator call."""
        out = self.discriminator([images, conditions], training=training)
        return (out[:, :1], out[:, 1:]) if self.classifier_weight else (out, None)

    def class_loss(self, conditions, class_logits):
        """Cross-entropy of the discriminator's class logits against the label vectors."""
        return ops.mean(keras.losses.categorical_crossentropy(conditions, class_logits, from_logits=True))

    # --- the basic GAN's passes, plus the classification loss when classifier_weight is set ---
    def discriminator_pass(self, real, conditions=None):
        if not self.classifier_weight:
            return super().discriminator_pass(real, conditions)
        fake_conditions = self._sample_conditions(conditions)
        fake = ops.stop_gradient(self._generate(self._noise(ops.shape(real)[0]), fake_conditions, training=True))
        real_logits, real_classes = self._discriminate_and_classify(real, conditions, training=True)
        fake_logits = self._discriminate(fake, fake_conditions, training=True)
        loss = self.discriminator_loss(real_logits, fake_logits)
        return loss + self.classifier_weight * self.class_loss(conditions, real_classes), (real_logits, fake_logits)

    def generator_pass(self, batch, conditions=None):
        if not self.classifier_weight:
            return super().generator_pass(batch, conditions)
        fake_conditions = self._sample_conditions(conditions)
        images = self._generate(self._noise(batch), fake_conditions, training=True)
        fake_logits, fake_classes = self._discriminate_and_classify(images, fake_conditions, training=True)
        loss = self.generator_loss_value(fake_logits)
        return loss + self.classifier_weight * self.class_loss(fake_conditions, fake_classes)

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

    def sample_inputs(self, n, seed=0):
        """``(noise, label vectors)`` of ``n`` samples cycling through the digits 0-9."""
        return self.noise(n, seed), self.one_hot(np.arange(n) % NUM_CLASSES)

    def sample_images(self, n, seed=0):
        """``n`` samples cycling through the digits 0-9, and the digits asked for."""
        return self.generate_from_noise(*self.sample_inputs(n, seed)), np.arange(n) % NUM_CLASSES

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
                raise ValueError(
                    "An int weight_or_steps is a number of steps and must be >= 2 "
                    f"(pass a float for one blend). Received: weight_or_steps={weight_or_steps!r}"
                )
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
            title = (
                f"the image, {m.shape[1]}x{m.shape[2]}"
                if maps[name].shape[-1] == 1
                else f"{m.shape[1]}x{m.shape[2]}: {len(m)} of {maps[name].shape[-1]} maps"
            )
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


ARCHITECTURE = dict(classifier_weight=0.25, discriminator_filters=(64, 128), label_channel=False)
"""The shipped cGAN's knobs beyond the defaults: a discriminator twice as wide as the default that gets
the label through its projection only, so that its classifier head, weighted 0.25, reads the digit from
the image alone. Trained with the recipe's learning-rate decay (`digitkit.training.RECIPES`: 2e-4 for
20 epochs, then linearly to 0 at epoch 30), judged on its averaged weights the manifest's way:

| networks (G, D) | label channel | classifier_weight | learning rate | read as asked | worst digit | FD |
|---|---|---:|---|---:|---|---:|
| 64/32, 32/64 | yes | 0 | constant | 98.65% | 5 (95.6%) | 4.64 |
| 64/32, 32/64 | yes | 0.3 | constant | 98.95% | 5, 7 (97.6%) | 4.31 |
| 64/32, 32/64 | yes | 0.3 | decay | 98.71% | 7 (97.1%) | 3.63 |
| 128/64, 64/128 | yes | 0.3 | constant | 99.08% | 5 (97.4%) | 5.46 |
| 64/32, 64/128 | yes | 0.3 | decay | 99.06% | 5 (97.0%) | 3.34 |
| 64/32, 64/128 | yes | 0.6 | decay | 99.03% | 7 (97.7%) | 3.71 |
| 64/32, 64/128 | yes | 0.7 | decay | 99.10% | 5 (97.6%) | 4.15 |
| 64/32, 64/128 | yes | 0.8 | decay | 99.19% | 7 (97.9%) | 3.92 |
| 64/32, 64/128 (45 epochs) | yes | 0.8 | decay | 99.08% | 5 (97.4%) | 3.88 |
| 64/32, 64/128 | no | 0.5 | decay | 99.68% | 5 (99.2%) | 4.03 |
| **64/32, 64/128** (shipped) | **no** | **0.25** | **decay** | **99.60%** | **5 (98.8%)** | **3.79** |

(30 epochs unless said, 2026-12-02 to 12-06, 2-core CPU.) The decay lowers FD (more varied digits as the
two networks stop chasing each other), the wider discriminator lifts accuracy. With the label stacked on
the image as a second channel (`build_conditional_discriminator(label_channel=True)`, the default) the
classifier head can read the label instead of the digit: it agrees with the asked digit on every
generated image, the judge's misreads included, and raising its weight from 0.3 to 0.8 moved the worst
digit within run-to-run noise (about +-0.3 points). Without that channel the head is a real classifier
and the generator learns to draw digits it reads: every digit at 98.8% or more. The judge's numbers move
with its sampling seed (123 above): over seeds 123 and 1-4 (`benchmarks/eval_cgan_sampling.py --seeds`)
the shipped weights read 99.62% +- 0.03 as asked, worst digit 98.9% +- 0.1 (never under 98.8%), FD 3.88
+- 0.31 (3.5x the floor); the 0.5 run 99.68% +- 0.04, worst 98.9% +- 0.3, FD 4.23 +- 0.18 (3.8x); the
0.6 run with the label channel 99.13% +- 0.11, worst 97.7% +- 0.4, FD 4.05 +- 0.27 (3.6x): far more
digits read right for an FD within its noise. (Judged at epoch 15, before the decay: 99.52%, FD 5.62.) A
wider generator learns faster but draws less varied digits: ``(256, 128)`` with D ``(64, 128)`` after 11
epochs: 99.01%, FD 8.25; ``(128, 64)`` with the default D at epoch 15: 98.22%, FD 6.56.

Every Fréchet distance above drew its 10,000 samples 1,000 of each digit, against test images in
MNIST's own shares (892 fives to 1,135 ones), a mismatch that alone keeps real training digits 1.8x
the floor away (`benchmarks/judge_floor.py`). Since 2026-12-06 `digitkit.evaluation.evaluate_generator`
asks for the test images' own digits: the shipped weights measure FD 2.61 (2.33x the floor) that way,
their accuracy unchanged."""


def make_cgan(seed=0, **kwargs):
    """Our compact conditional GAN with its default networks (weights and noise seeded by ``seed``)."""
    return ConditionalGAN(seed=seed, **kwargs)

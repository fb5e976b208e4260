"""A dense GAN: its two builders and the `GAN` model that trains them in turns.

Taught in notebooks/02_gan.ipynb. `digitkit.cgan` reuses the model: the
`GAN`'s alternating `train_step` (through the hooks `_unpack`, `_generate`,
`_discriminate`, `_sample_conditions`) and its sampling methods.

What samples say about training lives in `digitkit.diagnostics`, the
failure-mode lab in `digitkit.lab`, recorded runs in `digitkit.runs` and the
one training path (build, fit, measure, write) in `digitkit.training`.

Compiled the Keras way (as keras.io's DCGAN example)::

    model = GAN(seed=0)
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))  # or compile(): the same defaults
    model.fit(x_train, epochs=10)

The two optimizers are attributes of the model, so ``save_weights`` of a
compiled model holds their state (a resumable checkpoint); `networks_only`
gives the same model without them (the shipped ``weights/gan.weights.h5``).
"""

import keras
import numpy as np
from keras import layers, ops

from digitkit.checks import check_positive, check_whole
from digitkit.data import IMAGE_SHAPE, NUM_PIXELS
from digitkit.seeding import initializer, layer_seed

GENERATOR_LOSSES = ("non_saturating", "saturating")


def build_dense_generator(latent_dim=64, hidden=(256, 512), batch_norm=True, name="generator", seed=0):
    """The basic generator: noise → Dense + LeakyReLU (+ BatchNorm) → 28x28 image.

    Args:
        latent_dim: length of the noise vector.
        hidden: widths of the hidden Dense layers.
        batch_norm: BatchNormalization after each hidden layer (it keeps the
            activations in range and the training stable).
        name: the model's name.
        seed: seed of the initial weights.

    Returns:
        A `keras.Model` from (N, latent_dim) noise to (N, 28, 28, 1) images in [0, 1].
    """
    check_positive(latent_dim=latent_dim)
    inputs = keras.Input((latent_dim,))
    x = inputs
    for i, width in enumerate(hidden):
        x = layers.Dense(width, use_bias=not batch_norm, kernel_initializer=initializer(seed, i))(x)
        if batch_norm:
            x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Dense(NUM_PIXELS, activation="sigmoid", kernel_initializer=initializer(seed, len(hidden)))(x)
    return keras.Model(inputs, layers.Reshape(IMAGE_SHAPE)(x), name=name)


def build_dense_discriminator(hidden=(512, 256), dropout=0.3, name="discriminator", seed=0):
    """The basic discriminator: image → Dense + LeakyReLU + Dropout → one logit.

    Args:
        hidden: widths of the hidden Dense layers.
        dropout: dropout after each hidden layer (slows the discriminator down,
            which keeps it from overpowering the generator).
        name: the model's name.
        seed: seed of the initial weights and of the dropout masks.

    Returns:
        A `keras.Model` from (N, 28, 28, 1) images to (N, 1) logits ("real" > 0).
    """
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1). Received: dropout={dropout}")
    inputs = keras.Input(IMAGE_SHAPE)
    x = layers.Flatten()(inputs)
    for i, width in enumerate(hidden):
        x = layers.Dense(width, kernel_initializer=initializer(seed, 100 + i))(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            x = layers.Dropout(dropout, seed=layer_seed(seed, 200 + i))(x)
    return keras.Model(inputs, layers.Dense(1, kernel_initializer=initializer(seed, 100 + len(hidden)))(x), name=name)


@keras.saving.register_keras_serializable(package="digitkit")
class GAN(keras.Model):
    """A generator and a discriminator trained in turns, each with its own optimizer.

    ``fit(x)`` runs `train_step`: ``d_steps`` discriminator updates, then one
    generator update. Compile first: ``compile(d_optimizer=..., g_optimizer=...,
    loss_fn=...)``; ``compile()`` alone builds two Adams from the constructor's
    learning rates and ``beta_1``.

    Args:
        generator: a model from noise (N, latent_dim) to images; default
            `build_dense_generator(latent_dim, seed=seed)`.
        discriminator: a model from images to one logit; default
            `build_dense_discriminator(seed=seed)`.
        latent_dim: length of the noise vector.
        d_learning_rate, g_learning_rate: learning rates of the default Adams.
        d_steps: discriminator updates per generator update.
        label_smoothing: one-sided smoothing: real images are labelled
            ``1 - label_smoothing`` for the discriminator.
        generator_loss: ``"non_saturating"`` (maximise log D(G(z)), the fix)
            or ``"saturating"`` (minimise log(1 - D(G(z))), the original
            minimax loss whose gradient vanishes when D wins).
        beta_1: Adam's first-moment decay of the default Adams (0.5 is the GAN habit).
        ema_momentum: None, or the momentum of an exponential moving average of
            the generator's weights kept by its Adam (Keras' ``use_ema``);
            `use_averaged_weights` copies the average into the generator. GAN
            weights oscillate as the two networks chase each other; their
            average draws cleaner digits (Yazici et al., 2019). 0.999 averages
            over about the last 1,000 steps.
        seed: seed of the default networks' weights and of the noise drawn in training.
    """

    conditional = False  # `generate(n)`; a conditional GAN's `generate(digits)` draws the digits asked for
    SETTINGS = (
        "latent_dim",
        "d_learning_rate",
        "g_learning_rate",
        "d_steps",
        "label_smoothing",
        "generator_loss",
        "beta_1",
        "ema_momentum",
        "seed",
    )

    def __init__(
        self,
        generator=None,
        discriminator=None,
        latent_dim=64,
        d_learning_rate=2e-4,
        g_learning_rate=2e-4,
        d_steps=1,
        label_smoothing=0.0,
        generator_loss="non_saturating",
        beta_1=0.5,
        ema_momentum=None,
        seed=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive(latent_dim=latent_dim, d_learning_rate=d_learning_rate, g_learning_rate=g_learning_rate)
        check_whole(d_steps=d_steps)
        if not 0.0 <= label_smoothing < 0.5:
            raise ValueError(f"label_smoothing must lie in [0, 0.5). Received: label_smoothing={label_smoothing!r}")
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(
                f"generator_loss must be one of {GENERATOR_LOSSES}. Received: generator_loss={generator_loss!r}"
            )
        if ema_momentum is not None and (
            isinstance(ema_momentum, bool) or not isinstance(ema_momentum, (int, float)) or not 0 < ema_momentum < 1
        ):
            raise ValueError(f"ema_momentum must be None or lie in (0, 1). Received: ema_momentum={ema_momentum!r}")
        self.latent_dim = int(latent_dim)
        self.ema_momentum = None if ema_momentum is None else float(ema_momentum)
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
        self.d_optimizer = self.g_optimizer = self.loss_fn = None
        self._trackers = {
            k: keras.metrics.Mean(name=k) for k in ("d_loss", "g_loss", "d_acc_real", "d_acc_fake", "g_grad_norm")
        }
        self.built = True  # both networks are built by their Input layers

    # --- hooks a subclass (the conditional GAN) overrides -----------------
    def _default_generator(self):
        return build_dense_generator(self.latent_dim, seed=self.seed)

    def _default_discriminator(self):
        return build_dense_discriminator(seed=self.seed)

    def _unpack(self, data):
        """``(real_images, conditions)`` from a training batch; no conditions here."""
        if isinstance(data, (tuple, list)):
            data = data[0]
        return data, None

    def _sample_conditions(self, conditions):
        """Conditions for the generated half of a batch (the real batch's, here none)."""
        return conditions

    def _generate(self, noise, conditions, training=False):
        """The generator on ``noise``, and on ``conditions`` too when a subclass has them."""
        return self.generator(noise if conditions is None else [noise, conditions], training=training)

    def _discriminate(self, images, conditions, training=False):
        """The discriminator's real/fake logits (N, 1), given ``conditions`` when there are some."""
        return self.discriminator(images if conditions is None else [images, conditions], training=training)

    # --- training ---------------------------------------------------------
    @property
    def metrics(self):
        return list(self._trackers.values())

    def compile(self, d_optimizer=None, g_optimizer=None, loss_fn=None, schedule=None, **kwargs):
        """Set the two optimizers and the loss, the way keras.io's GAN examples do.

        Args:
            d_optimizer, g_optimizer: the discriminator's and the generator's
                optimizers; default ``Adam(d_learning_rate or g_learning_rate,
                beta_1=beta_1)``.
            loss_fn: ``loss_fn(targets, logits)`` -> mean loss; default binary
                cross-entropy on logits.
            schedule: None, or ``schedule(learning_rate)`` -> a Keras
                ``LearningRateSchedule`` for each default Adam, given its
                learning rate (e.g. ``lambda lr: LinearDecay(lr, 18760, 28140)``).
            kwargs: passed to ``keras.Model.compile`` (e.g. ``jit_compile``).
        """
        super().compile(**kwargs)
        schedule = schedule or (lambda learning_rate: learning_rate)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(schedule(self.d_learning_rate), beta_1=self.beta_1)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(
            schedule(self.g_learning_rate),
            beta_1=self.beta_1,
            use_ema=self.ema_momentum is not None,
            ema_momentum=self.ema_momentum or 0.99,
        )
        self.loss_fn = loss_fn or keras.losses.BinaryCrossentropy(from_logits=True)
        if keras.backend.backend() == "jax":  # Keras' JAX trainer carries the state of `model.optimizer`
            from digitkit import gan_jax

            self.optimizer = gan_jax.OptimizerPair(self)

    def build_optimizers(self):
        """Create both optimizers' variables now (before ``load_weights`` of a checkpoint)."""
        if self.d_optimizer is None:
            raise ValueError("Compile the GAN first. Received: a GAN with d_optimizer=None")
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def use_averaged_weights(self):
        """Copy the moving average of the generator's weights into the generator (``ema_momentum`` set).

        `digitkit.training.train` does this after the last epoch, so the
        shipped weights are the average; the per-epoch diagnostics and the
        training GIF show the raw weights. Training on continues from the average.
        The generator's batch-norm statistics are then those of the average
        (`recalibrate_batch_norm`), not of the last raw weights.

        Returns:
            The model.
        """
        trained = self.g_optimizer is not None and self.g_optimizer.built
        if self.ema_momentum is None or not trained:
            raise ValueError(
                "Only a GAN trained with ema_momentum has an average to use. "
                f"Received: ema_momentum={self.ema_momentum!r}, trained={trained}"
            )
        self.g_optimizer.finalize_variable_values(self.generator.trainable_variables)
        return self.recalibrate_batch_norm()

    def recalibrate_batch_norm(self, n=5000, seed=0):
        """Set the generator's batch-norm statistics to those of its current weights.

        Batch normalisation keeps running means and variances of what each
        layer saw during training, so after `use_averaged_weights` they describe
        the raw weights of the last steps, not their average. One pass over
        ``n`` generated samples (`sample_inputs` of ``seed``) in training mode,
        with momentum 0, replaces them by the average's own (the shipped cGAN:
        FD 4.58 -> 4.31; the basic GAN: 19.81 -> 19.15).

        Returns:
            The model.
        """
        norms = [layer for layer in self.generator.layers if isinstance(layer, layers.BatchNormalization)]
        momenta = [layer.momentum for layer in norms]
        noise, conditions = self.sample_inputs(n, seed)
        try:
            for layer in norms:
                layer.momentum = 0.0  # the running statistics become this one batch's
            self._generate(noise, conditions, training=True)
        finally:
            for layer, momentum in zip(norms, momenta):
                layer.momentum = momentum
        return self

    def networks_only(self):
        """The same networks in an uncompiled model (no optimizer state): what the shipped weights hold."""
        return type(self)(self.generator, self.discriminator, **self.settings())

    def settings(self):
        """The constructor's knobs, ``{name: value}`` (`SETTINGS`): what `networks_only` and `get_config` copy."""
        return {k: getattr(self, k) for k in self.SETTINGS}

    def call(self, noise, training=False):
        return self._generate(noise, None, training=training)

    def _noise(self, batch):
        return keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)

    def discriminator_loss(self, real_logits, fake_logits):
        """``loss_fn(1 - smoothing, real) + loss_fn(0, fake)``: D says real to real, fake to fake."""
        real_target = ops.full_like(real_logits, 1.0 - self.label_smoothing)
        return self.loss_fn(real_target, real_logits) + self.loss_fn(ops.zeros_like(fake_logits), fake_logits)

    def generator_loss_value(self, fake_logits):
        """The generator's loss on D's logits for its images (non-saturating or saturating)."""
        if self.generator_loss == "non_saturating":  # minimise -log D(G(z))
            return self.loss_fn(ops.ones_like(fake_logits), fake_logits)
        return -self.loss_fn(ops.zeros_like(fake_logits), fake_logits)  # minimise log(1 - D(G(z)))

    def _require_compiled(self):
        if self.d_optimizer is None:
            self.compile()

    def discriminator_pass(self, real, conditions=None):
        """The discriminator's loss on a real batch and as many generated images (no update).

        Returns:
            ``(loss, (real_logits, fake_logits))``, the shape ``jax.value_and_grad(..., has_aux=True)`` takes.
        """
        fake_conditions = self._sample_conditions(conditions)
        fake = ops.stop_gradient(self._generate(self._noise(ops.shape(real)[0]), fake_conditions, training=True))
        real_logits = self._discriminate(real, conditions, training=True)
        fake_logits = self._discriminate(fake, fake_conditions, training=True)
        return self.discriminator_loss(real_logits, fake_logits), (real_logits, fake_logits)

    def generator_pass(self, batch, conditions=None):
        """The generator's loss on ``batch`` generated images as the discriminator sees them (no update)."""
        fake_conditions = self._sample_conditions(conditions)
        images = self._generate(self._noise(batch), fake_conditions, training=True)
        return self.generator_loss_value(self._discriminate(images, fake_conditions, training=True))

    def discriminator_step(self, real, conditions=None):
        """One discriminator update on TensorFlow (the generator's weights are not touched).

        Returns:
            ``(loss, real_logits, fake_logits)``.
        """
        import tensorflow as tf

        self._require_compiled()
        with tf.GradientTape() as tape:
            loss, (real_logits, fake_logits) = self.discriminator_pass(real, conditions)
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss, real_logits, fake_logits

    def generator_step(self, batch, conditions=None):
        """One generator update on TensorFlow (the discriminator's weights are not touched).

        Returns:
            ``(loss, gradient_norm)``.
        """
        import tensorflow as tf

        self._require_compiled()
        with tf.GradientTape() as tape:
            loss = self.generator_pass(batch, conditions)
        weights = self.generator.trainable_weights
        grads = tape.gradient(loss, weights)
        self.g_optimizer.apply_gradients(zip(grads, weights))
        return loss, gradient_norm(grads)

    def batch_parts(self, data):
        """``(real_images, conditions or None)`` from a training batch (the `_unpack` hook)."""
        return self._unpack(data)

    def step_values(self, d_loss, g_loss, g_norm, real_logits, fake_logits):
        """The values one train step adds to each metric: ``{metric name: value}``."""
        return dict(
            d_loss=d_loss,
            g_loss=g_loss,
            g_grad_norm=g_norm,
            d_acc_real=ops.mean(ops.cast(real_logits > 0, "float32")),
            d_acc_fake=ops.mean(ops.cast(fake_logits < 0, "float32")),
        )

    def train_step(self, *args):
        """``d_steps`` discriminator updates, then one generator update.

        On TensorFlow ``train_step(data)`` with `discriminator_step` and
        `generator_step`; on JAX Keras calls ``train_step(state, data)``, the
        stateless step of `digitkit.gan_jax` (the same passes and losses).
        """
        if keras.backend.backend() == "jax":
            from digitkit import gan_jax

            return gan_jax.train_step(self, *args)
        (data,) = args
        real, conditions = self._unpack(data)
        for _ in range(self.d_steps):
            d_loss, real_logits, fake_logits = self.discriminator_step(real, conditions)
        g_loss, g_norm = self.generator_step(ops.shape(real)[0], conditions)
        for key, value in self.step_values(d_loss, g_loss, g_norm, real_logits, fake_logits).items():
            self._trackers[key].update_state(value)
        return {key: tracker.result() for key, tracker in self._trackers.items()}

    # --- sampling -----------------------------------------------------------
    def noise(self, n, seed=0):
        """Reproducible noise (n, latent_dim): same seed, same vectors (NumPy, any backend)."""
        check_whole(n=n)
        return np.random.default_rng(seed).standard_normal((int(n), self.latent_dim)).astype("float32")

    def generate_from_noise(self, noise, conditions=None, batch_size=1000):
        """Images (N, 28, 28) in [0, 1] from given noise (and conditions)."""
        noise = np.asarray(noise, dtype="float32")
        out = []
        for i in range(0, len(noise), batch_size):
            c = None if conditions is None else conditions[i : i + batch_size]
            out.append(ops.convert_to_numpy(self._generate(noise[i : i + batch_size], c, training=False)))
        return np.clip(np.concatenate(out)[..., 0], 0.0, 1.0)

    def sample_inputs(self, n, seed=0):
        """``(noise, conditions)`` of ``n`` typical samples, as the generator takes them (here no conditions)."""
        return self.noise(n, seed), None

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
            **self.settings(),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def gradient_norm(grads):
    """The global L2 norm of a list of gradients (the ``g_grad_norm`` metric)."""
    return ops.sqrt(sum(ops.sum(ops.square(g)) for g in grads))

"""The keras.io "Conditional GAN" example (Sayak Paul), rebuilt to compare our conditional GAN with it.

Taught in notebooks/03_conditional_gan.ipynb: its networks and
hyperparameters in our training machinery (`digitkit.training.fit`), measured
on the judge like every generator (`digitkit.evaluation.evaluate_generator`).
``digitkit train cgan --reference`` runs `train_reference` for both models
and records them in ``assets/training/cgan_runs.json``.
"""

import time

import keras
import numpy as np
from keras import layers

from digitkit import runs
from digitkit.cgan import NUM_CLASSES, ConditionalGAN, make_cgan
from digitkit.data import IMAGE_SHAPE, IMAGE_SIZE, load_mnist
from digitkit.seeding import initializer

# The example's architecture and hyperparameters.
REFERENCE = dict(latent_dim=128, batch_size=64, learning_rate=3e-4, epochs=20)


def build_reference_generator(latent_dim=128, name="reference_generator", seed=0):
    """The keras.io "Conditional GAN" generator (noise and one-hot label concatenated)."""
    side = IMAGE_SIZE // 4
    channels = latent_dim + NUM_CLASSES
    noise = keras.Input((latent_dim,))
    label = keras.Input((NUM_CLASSES,))
    x = layers.Concatenate()([noise, label])
    x = layers.Dense(side * side * channels, kernel_initializer=initializer(seed, 0))(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((side, side, channels), name="stage_7x7")(x)
    x = layers.Conv2DTranspose(128, 4, strides=2, padding="same", kernel_initializer=initializer(seed, 1))(x)
    x = layers.LeakyReLU(0.2, name="stage_14x14")(x)
    x = layers.Conv2DTranspose(128, 4, strides=2, padding="same", kernel_initializer=initializer(seed, 2))(x)
    x = layers.LeakyReLU(0.2, name="stage_28x28_features")(x)
    x = layers.Conv2D(
        1, 7, padding="same", activation="sigmoid", name="stage_28x28", kernel_initializer=initializer(seed, 3)
    )(x)
    return keras.Model([noise, label], x, name=name)


def build_reference_discriminator(name="reference_discriminator", seed=0):
    """The keras.io "Conditional GAN" discriminator (one-hot label broadcast to 10 image channels)."""
    image = keras.Input(IMAGE_SHAPE)
    label = keras.Input((NUM_CLASSES,))
    label_maps = layers.UpSampling2D(IMAGE_SIZE)(layers.Reshape((1, 1, NUM_CLASSES))(label))
    x = layers.Concatenate()([image, label_maps])
    x = layers.Conv2D(64, 3, strides=2, padding="same", kernel_initializer=initializer(seed, 100))(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(128, 3, strides=2, padding="same", kernel_initializer=initializer(seed, 101))(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.GlobalMaxPooling2D()(x)
    return keras.Model([image, label], layers.Dense(1, kernel_initializer=initializer(seed, 102))(x), name=name)


def make_reference_cgan(seed=0):
    """The keras.io example's networks and hyperparameters, in our training machinery.

    keras.io uses Adam(3e-4) with Keras' default beta_1 = 0.9 on both sides,
    latent 128, batch 64, 20 epochs on MNIST's 70,000 images.
    """
    return ConditionalGAN(
        build_reference_generator(REFERENCE["latent_dim"], seed=seed),
        build_reference_discriminator(seed=seed),
        latent_dim=REFERENCE["latent_dim"],
        d_learning_rate=REFERENCE["learning_rate"],
        g_learning_rate=REFERENCE["learning_rate"],
        beta_1=0.9,
        seed=seed,
    )


def train_reference(
    epochs=None,
    n_images=None,
    seed=0,
    verbose=1,
    record=True,
    which="reference",
    defer_diagnostics=False,
    evaluation=None,
):
    """Train the keras.io reference (or ours, ``which="ours"``) on a budget and measure it.

    Args:
        epochs: epochs over ``n_images`` images (default: the reference's 20).
        n_images: training images (default: all 70,000 the example uses).
        which: ``"reference"`` or ``"ours"`` (ours at the same budget, for a fair comparison).
        record: add the run to ``assets/training/cgan_runs.json``.
        evaluation: overrides of `digitkit.evaluation.EVALUATION`.

    Returns:
        the quality dict (class accuracy, Fréchet distance, minutes).
    """
    from digitkit import evaluation as grading
    from digitkit import training

    epochs = epochs or REFERENCE["epochs"]
    (x_train, y_train), (x_test, y_test) = load_mnist(normalize=True)
    x, y = np.concatenate([x_train, x_test])[:n_images], np.concatenate([y_train, y_test])[:n_images]
    model = make_reference_cgan(seed) if which == "reference" else make_cgan(seed=seed)
    start = time.time()
    history = training.fit(
        model,
        x,
        y,
        epochs=epochs,
        batch_size=REFERENCE["batch_size"],
        reference_images=x_test,
        n_samples=1000,
        seed=seed,
        verbose=verbose,
        defer_diagnostics=defer_diagnostics,
    )
    minutes = (time.time() - start) / 60
    q = grading.evaluate_generator(model, **{**grading.EVALUATION, **(evaluation or {})})
    quality = dict(
        class_accuracy=round(q["class_accuracy"], 4),
        frechet=round(q["frechet"], 3),
        n_frechet=q["n_frechet"],
        epochs=epochs,
        n_images=len(x),
        train_minutes=round(minutes, 1),
        params_generator=int(model.generator.count_params()),
        seconds_per_epoch=round(float(np.median(history["epoch_seconds"])), 1),
    )
    if record:
        runs.save_run(
            f"{which}_{len(x)}x{epochs}",
            dict(which=which, epochs=epochs, n_images=len(x)),
            history,
            path=runs.runs_path("cgan"),
            quality=quality,
        )
    return quality

"""A convolutional (DCGAN-style) basic GAN: notebook 02's ``"dcgan"``, between the dense GAN and the shipped ``"gan"``.

``digitkit train dcgan`` (45 epochs, batch 64, 74 minutes on a 2-core CPU) reaches
a Fréchet distance of 230 on 10,000 samples (205x the judge's floor; notebook
02's dense GAN: 324) at label entropy 2.29, every digit 7.8-13% of the samples.
What is left are blends between digits, which the shipped ``"gan"``
(`digitkit.selfcond`, the conditional GAN's networks told one of 50 clusters
of the training images) avoids.

Only the two networks are new: the model is `digitkit.gan.GAN` (its
alternating ``train_step``, the `digitkit.diagnostics.GANMonitor` diagnostics and
``generate(n, seed)``), so everything the course says about the dense GAN
holds here too.

Why convolutions do better on digits: a transposed convolution paints every
part of the image with the same small kernels (weight sharing), each output
pixel depends on a small neighbourhood (locality), and a stroke moved by a few
pixels is drawn by the same weights (translation equivariance). A dense layer
has to learn every pixel's stroke separately: the dense generator's output
layer has 401,408 weights, this one's 512, and the dense samples stay speckled.
"""

import keras
from keras import layers

from digitkit import gan as gan_lib
from digitkit.checks import check_filters
from digitkit.data import IMAGE_SHAPE, IMAGE_SIZE

# The architecture of the shipped "dcgan" weights (`digitkit.load_pretrained("dcgan")` builds it).
ARCHITECTURE = dict(latent_dim=64, generator_filters=(64, 32), discriminator_filters=(32, 64), dropout=0.3)


def _check_latent_dim(latent_dim):
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a whole number >= 1. Received: latent_dim={latent_dim!r}")


def build_conv_generator(latent_dim=64, filters=(64, 32), seed=0, name="conv_generator"):
    """Noise → Dense → 7x7 maps → two stride-2 transposed convolutions → the image.

    Each hidden stage is BatchNormalization + LeakyReLU; the last transposed
    convolution has one channel and a sigmoid, so pixels lie in [0, 1] like
    the course's images.

    Args:
        latent_dim: length of the noise vector.
        filters: channels at 7x7 and at 14x14.
        seed: seeds the initial weights (same seed, same untrained network).
        name: the model's name.

    Returns:
        A `keras.Model` from (N, latent_dim) noise to (N, 28, 28, 1) images in [0, 1].
    """
    _check_latent_dim(latent_dim)
    filters = check_filters(filters)
    base = IMAGE_SIZE // 4  # two stride-2 stages grow base x base to the image size

    def init(i):
        return keras.initializers.GlorotUniform(seed=seed * 100 + i)

    noise = keras.Input((latent_dim,), name="noise")
    x = layers.Dense(base * base * filters[0], use_bias=False, kernel_initializer=init(0))(noise)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((base, base, filters[0]), name="stage_7x7")(x)
    x = layers.Conv2DTranspose(filters[1], 4, strides=2, padding="same", use_bias=False, kernel_initializer=init(1))(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2, name="stage_14x14")(x)
    x = layers.Conv2DTranspose(
        IMAGE_SHAPE[-1],
        4,
        strides=2,
        padding="same",
        activation="sigmoid",
        kernel_initializer=init(2),
        name="stage_28x28",
    )(x)
    return keras.Model(noise, x, name=name)


def build_conv_discriminator(filters=(32, 64), dropout=0.3, seed=0, name="conv_discriminator"):
    """Image → two stride-2 convolutions (LeakyReLU, Dropout) → one logit.

    No BatchNormalization: a real batch and a fake batch go through the
    discriminator separately, and batch statistics would tell them apart.

    Args:
        filters: channels of the two convolutions (at 14x14 and at 7x7).
        dropout: dropout after each convolution (keeps the discriminator from
            overpowering the generator).
        seed: seeds the initial weights and the dropout masks.
        name: the model's name.

    Returns:
        A `keras.Model` from (N, 28, 28, 1) images to (N, 1) logits ("real" > 0).
    """
    filters = check_filters(filters)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1). Received: dropout={dropout!r}")
    image = keras.Input(IMAGE_SHAPE, name="image")
    x = image
    for i, f in enumerate(filters):
        x = layers.Conv2D(
            f, 4, strides=2, padding="same", kernel_initializer=keras.initializers.GlorotUniform(seed=seed * 100 + i)
        )(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            x = layers.Dropout(dropout, seed=seed * 100 + 50 + i)(x)
    x = layers.Flatten()(x)
    logit = layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed=seed * 100 + 99))(x)
    return keras.Model(image, logit, name=name)


def make_dcgan(
    latent_dim=64, generator_filters=(64, 32), discriminator_filters=(32, 64), dropout=0.3, seed=0, **gan_kwargs
):
    """A `digitkit.gan.GAN` with the convolutional networks.

    Args:
        latent_dim, generator_filters, discriminator_filters, dropout: the
            networks' sizes (see `build_conv_generator`, `build_conv_discriminator`).
        seed: seeds both networks' initial weights and the training noise.
        gan_kwargs: the `GAN`'s training knobs (``d_learning_rate``, ...).

    Returns:
        An untrained `digitkit.gan.GAN`.
    """
    generator = build_conv_generator(latent_dim, generator_filters, seed=seed)
    discriminator = build_conv_discriminator(discriminator_filters, dropout, seed=seed + 1)
    return gan_lib.GAN(generator=generator, discriminator=discriminator, latent_dim=latent_dim, seed=seed, **gan_kwargs)

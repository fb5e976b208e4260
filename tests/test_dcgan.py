import numpy as np
import pytest

from digitkit import dcgan, gan
from digitkit.data import IMAGE_SHAPE


@pytest.fixture(scope="module")
def small():
    return dcgan.make_dcgan(latent_dim=8, generator_filters=(8, 4), discriminator_filters=(4, 8), seed=0)


def test_networks_shapes_and_ranges():
    g = dcgan.build_conv_generator(latent_dim=5, filters=(8, 4))
    d = dcgan.build_conv_discriminator(filters=(4, 8))
    noise = np.random.default_rng(0).standard_normal((3, 5)).astype("float32")
    images = np.asarray(g(noise))
    assert images.shape == (3, *IMAGE_SHAPE)
    assert images.min() >= 0.0 and images.max() <= 1.0 and images.std() > 0
    assert np.asarray(d(images)).shape == (3, 1)


def test_generator_grows_7x7_to_14x14_to_28x28():
    g = dcgan.build_conv_generator(latent_dim=4, filters=(6, 3))
    shapes = {name: tuple(g.get_layer(name).output.shape[1:]) for name in ("stage_7x7", "stage_14x14", "stage_28x28")}
    assert shapes == {"stage_7x7": (7, 7, 6), "stage_14x14": (14, 14, 3), "stage_28x28": IMAGE_SHAPE}


def test_same_seed_same_network_other_seed_other_network():
    noise = np.ones((2, 8), "float32")
    a = np.asarray(dcgan.build_conv_generator(8, (8, 4), seed=3)(noise))
    b = np.asarray(dcgan.build_conv_generator(8, (8, 4), seed=3)(noise))
    c = np.asarray(dcgan.build_conv_generator(8, (8, 4), seed=4)(noise))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    wa = dcgan.build_conv_discriminator((4, 8), seed=1).get_weights()
    wb = dcgan.build_conv_discriminator((4, 8), seed=1).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(wa, wb))


def test_make_dcgan_is_a_gan_and_generates_reproducibly(small):
    assert isinstance(small, gan.GAN) and small.latent_dim == 8
    a = small.generate(5, seed=2)
    assert a.shape == (5, *IMAGE_SHAPE[:2]) and a.dtype == np.float32
    assert a.min() >= 0.0 and a.max() <= 1.0
    np.testing.assert_array_equal(a, small.generate(5, seed=2))
    assert not np.array_equal(a, small.generate(5, seed=3))


def test_a_fit_step_changes_both_networks():
    model = dcgan.make_dcgan(latent_dim=8, generator_filters=(8, 4), discriminator_filters=(4, 8), seed=1)
    before = [np.array(w) for w in model.generator.trainable_weights + model.discriminator.trainable_weights]
    model.compile()
    x = np.random.default_rng(0).uniform(0, 1, (16, *IMAGE_SHAPE)).astype("float32")
    history = model.fit(x, epochs=1, batch_size=16, verbose=0)
    after = model.generator.trainable_weights + model.discriminator.trainable_weights
    assert all(not np.array_equal(b, np.array(w)) for b, w in zip(before, after))
    assert np.isfinite(history.history["d_loss"][0]) and np.isfinite(history.history["g_loss"][0])


def test_the_shipped_networks_are_the_architecture():
    from digitkit import pretrained

    model = pretrained.build("dcgan")
    assert model.latent_dim == dcgan.ARCHITECTURE["latent_dim"]
    assert tuple(model.generator.get_layer("stage_7x7").output.shape[-1:]) == (
        dcgan.ARCHITECTURE["generator_filters"][0],
    )
    assert model.generate(2, seed=0).shape == (2, *IMAGE_SHAPE[:2])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(latent_dim=0), "latent_dim"),
        (dict(latent_dim=2.5), "latent_dim"),
        (dict(filters=(8,)), "filters"),
        (dict(filters=(8, -1)), "filters"),
    ],
)
def test_generator_bad_args_raise(kwargs, match):
    with pytest.raises(ValueError, match=f"Received: {match}="):
        dcgan.build_conv_generator(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(dropout=1.0), "dropout"),
        (dict(dropout=-0.1), "dropout"),
        (dict(filters="ab"), "filters"),
    ],
)
def test_discriminator_bad_args_raise(kwargs, match):
    with pytest.raises(ValueError, match=f"Received: {match}="):
        dcgan.build_conv_discriminator(**kwargs)

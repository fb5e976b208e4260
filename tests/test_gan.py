import keras
import numpy as np
import pytest

from digitkit import gan, pretrained, schedules
from digitkit.apps import GenerateApp
from digitkit.data import IMAGE_SHAPE


@pytest.fixture(scope="module")
def small_gan():
    return gan.GAN(latent_dim=8, seed=0)


@pytest.fixture(scope="module")
def real_batch():
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, (16, *IMAGE_SHAPE)).astype("float32")


def test_builders_shapes_and_seeded_weights():
    g = gan.build_dense_generator(latent_dim=5, seed=3)
    d = gan.build_dense_discriminator(seed=3)
    images = g(np.zeros((3, 5), "float32"))
    assert tuple(images.shape) == (3, *IMAGE_SHAPE)
    assert tuple(d(images).shape) == (3, 1)
    # the same seed gives the same initial weights, another seed other ones
    for build in (gan.build_dense_generator, gan.build_dense_discriminator):
        a, b, c = build(seed=1), build(seed=1), build(seed=2)
        np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])
        assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_generate_shape_range_and_seed(small_gan):
    a = small_gan.generate(6, seed=3)
    assert a.shape == (6, 28, 28) and a.dtype == np.float32
    assert a.min() >= 0.0 and a.max() <= 1.0 and a.std() > 0
    np.testing.assert_array_equal(a, small_gan.generate(6, seed=3))
    assert not np.array_equal(a, small_gan.generate(6, seed=4))


def test_latent_walk_ends_are_the_seeds(small_gan):
    walk = small_gan.latent_walk(1, 2, steps=5)
    assert walk.shape == (5, 28, 28)
    np.testing.assert_allclose(walk[0], small_gan.generate(1, seed=1)[0], atol=1e-6)
    np.testing.assert_allclose(walk[-1], small_gan.generate(1, seed=2)[0], atol=1e-6)


def _snapshot(model):
    return [np.array(w) for w in model.trainable_weights]


def _changed(before, model):
    return [not np.array_equal(b, np.array(w)) for b, w in zip(before, model.trainable_weights)]


def test_each_phase_updates_only_its_network(real_batch):
    model = gan.GAN(latent_dim=8, seed=1)
    model.compile()
    g0, d0 = _snapshot(model.generator), _snapshot(model.discriminator)
    model.discriminator_step(real_batch)
    assert all(_changed(d0, model.discriminator))
    assert not any(_changed(g0, model.generator))
    g1, d1 = _snapshot(model.generator), _snapshot(model.discriminator)
    _, norm = model.generator_step(16)
    assert float(norm) > 0
    assert all(_changed(g1, model.generator))
    assert not any(_changed(d1, model.discriminator))
    assert int(model.d_optimizer.iterations) == 1 and int(model.g_optimizer.iterations) == 1


def test_compile_takes_the_optimizers_and_the_loss(real_batch):
    model = gan.GAN(latent_dim=8, seed=2, d_steps=2, label_smoothing=0.1, generator_loss="saturating")
    d_opt, g_opt = keras.optimizers.SGD(0.01), keras.optimizers.Adam(1e-3)
    model.compile(d_optimizer=d_opt, g_optimizer=g_opt, loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    assert model.d_optimizer is d_opt and model.g_optimizer is g_opt
    g0, d0 = _snapshot(model.generator), _snapshot(model.discriminator)
    history = model.fit(real_batch, batch_size=16, epochs=1, verbose=0).history
    assert any(_changed(g0, model.generator)) and any(_changed(d0, model.discriminator))
    for key in ("d_loss", "g_loss", "d_acc_real", "d_acc_fake", "g_grad_norm"):
        assert np.isfinite(history[key][0])
    assert 0.0 <= history["d_acc_real"][0] <= 1.0 and 0.0 <= history["d_acc_fake"][0] <= 1.0
    # d_steps=2: two discriminator updates per generator update, each with its own optimizer
    assert int(d_opt.iterations) == 2 and int(g_opt.iterations) == 1
    # the saturating generator loss is minus the discriminator's loss on fakes: negative
    assert history["g_loss"][0] < 0


def test_default_compile_builds_adams_from_the_constructor():
    model = gan.GAN(latent_dim=4, d_learning_rate=1e-3, g_learning_rate=3e-4, beta_1=0.6)
    model.compile()
    assert isinstance(model.d_optimizer, keras.optimizers.Adam)
    assert float(model.d_optimizer.learning_rate) == pytest.approx(1e-3)
    assert float(model.g_optimizer.learning_rate) == pytest.approx(3e-4)
    assert model.g_optimizer.beta_1 == pytest.approx(0.6)


def test_compile_schedule_gives_each_adam_a_schedule_of_its_own_rate():
    model = gan.GAN(latent_dim=4, d_learning_rate=1e-3, g_learning_rate=3e-4)
    model.compile(schedule=lambda peak: schedules.LinearDecay(peak, start=10, end=20))
    for optimizer, peak in ((model.d_optimizer, 1e-3), (model.g_optimizer, 3e-4)):
        assert float(optimizer.learning_rate) == pytest.approx(peak)  # step 0: held
        optimizer.iterations.assign(15)
        assert float(optimizer.learning_rate) == pytest.approx(peak / 2)  # halfway down


def test_losses_are_the_textbook_formulas():
    model = gan.GAN(latent_dim=4, label_smoothing=0.1)
    model.compile()
    logits = np.array([[0.0], [2.0]], "float32")
    softplus = np.log1p(np.exp(-logits))  # -log(sigmoid(logits))
    real_part = 0.9 * softplus + 0.1 * (softplus + logits)  # BCE with target 0.9
    fake_part = softplus + logits  # BCE with target 0: -log(1 - sigmoid)
    expected = real_part.mean() + fake_part.mean()
    assert float(model.discriminator_loss(logits, logits)) == pytest.approx(expected, rel=1e-5)
    assert float(model.generator_loss_value(logits)) == pytest.approx(softplus.mean(), rel=1e-5)


def test_networks_only_shares_the_networks_without_optimizers():
    model = gan.GAN(latent_dim=4, d_steps=2, seed=5)
    model.compile()
    model.build_optimizers()
    twin = model.networks_only()
    assert twin.generator is model.generator and twin.discriminator is model.discriminator
    assert twin.d_optimizer is None and twin.d_steps == 2 and twin.seed == 5


def test_the_averaged_generator_is_the_moving_average_of_its_weights(real_batch):
    model = gan.GAN(latent_dim=4, ema_momentum=0.5, seed=1)
    model.compile()
    start = [np.array(w) for w in model.generator.trainable_weights]
    model.fit(real_batch, epochs=1, batch_size=8, verbose=0)  # two generator steps
    last = [np.array(w) for w in model.generator.trainable_weights]
    model.use_averaged_weights()
    averaged = [np.array(w) for w in model.generator.trainable_weights]
    changed = [i for i, (a, b) in enumerate(zip(start, last)) if not np.allclose(a, b)]
    assert changed  # training moved the weights, and the average lies strictly between start and end
    for i in changed:
        assert not np.allclose(averaged[i], last[i]) and not np.allclose(averaged[i], start[i])
        assert np.abs(averaged[i] - last[i]).max() <= np.abs(start[i] - last[i]).max() + 1e-6


def test_recalibrate_batch_norm_sets_the_statistics_of_the_current_weights():
    model = gan.GAN(latent_dim=4, seed=0)
    norm = next(layer for layer in model.generator.layers if isinstance(layer, keras.layers.BatchNormalization))
    before = keras.ops.convert_to_numpy(norm.moving_mean).copy()
    assert model.recalibrate_batch_norm(n=256, seed=3) is model
    seen = keras.ops.convert_to_numpy(keras.Model(model.generator.input, norm.input)(model.noise(256, 3)))
    assert not np.allclose(before, seen.mean(axis=0))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(norm.moving_mean), seen.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(norm.moving_variance), seen.var(axis=0), rtol=1e-3)
    assert norm.momentum == 0.99  # restored


def test_use_averaged_weights_needs_an_average():
    with pytest.raises(ValueError, match="ema_momentum"):
        gan.GAN(latent_dim=4).use_averaged_weights()
    with pytest.raises(ValueError, match="trained=False"):
        gan.GAN(latent_dim=4, ema_momentum=0.9).use_averaged_weights()


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(d_learning_rate=-1e-3), "d_learning_rate"),
        (dict(g_learning_rate=0.0), "g_learning_rate"),
        (dict(latent_dim=0), "latent_dim"),
        (dict(d_steps=0), "d_steps"),
        (dict(label_smoothing=0.7), "label_smoothing"),
        (dict(generator_loss="hinge"), "generator_loss"),
        (dict(ema_momentum=1.0), "ema_momentum"),
        (dict(ema_momentum=True), "ema_momentum"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, word):
    with pytest.raises(ValueError, match=f"Received: {word}="):
        gan.GAN(**kwargs)


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match="latent_dim"):
        gan.build_dense_generator(latent_dim=0)
    with pytest.raises(ValueError, match="n="):
        gan.GAN(latent_dim=4).generate(0)
    with pytest.raises(ValueError, match="dropout"):
        gan.build_dense_discriminator(dropout=1.0)


def test_config_round_trip():
    model = gan.GAN(
        latent_dim=7,
        d_learning_rate=1e-3,
        d_steps=3,
        label_smoothing=0.2,
        generator_loss="saturating",
        ema_momentum=0.9,
    )
    clone = gan.GAN.from_config(model.get_config())
    assert clone.settings() == model.settings() and model.settings()["ema_momentum"] == 0.9
    assert clone.generator.count_params() == model.generator.count_params()


def test_generate_app_methods(small_gan):
    app = GenerateApp(small_gan, n=10)
    figure = app.generate(seed=1)
    assert len(figure.axes) == 10
    shown = np.stack([ax.get_images()[0].get_array() for ax in figure.axes])
    np.testing.assert_allclose(shown.reshape(10, -1), small_gan.generate(10, seed=1).reshape(10, -1), atol=1e-6)
    assert len(app.walk(0, 1, t=0.3, steps=5).axes) == 6


def test_pretrained_gan_loads_unchanged():
    model = pretrained.load_pretrained("gan")
    a = model.generate(8, seed=0)
    assert a.shape == (8, 28, 28) and 0.0 <= a.min() and a.max() <= 1.0
    np.testing.assert_array_equal(a, model.generate(8, seed=0))
    assert keras.ops.convert_to_numpy(model.generator.weights[0]).std() > 0
    assert model.d_optimizer is None  # loaded for sampling: not compiled

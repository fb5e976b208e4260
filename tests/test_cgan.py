import keras
import numpy as np
import pytest

from digitkit import cgan, gan, metrics, pretrained, viz
from digitkit.apps import AdvancedApp


@pytest.fixture(scope="module")
def model():
    return cgan.make_cgan(latent_dim=8, seed=0)


@pytest.fixture(scope="module")
def shipped():
    return pretrained.load_pretrained("cgan")


def test_is_a_gan_and_reuses_its_train_step():
    assert issubclass(cgan.ConditionalGAN, gan.GAN)
    assert "train_step" not in vars(cgan.ConditionalGAN)
    assert cgan.ConditionalGAN.conditional and not gan.GAN.conditional


def test_builders_shapes():
    g = cgan.build_conditional_generator(latent_dim=5)
    d = cgan.build_conditional_discriminator()
    labels = cgan.ConditionalGAN.one_hot([1, 2, 3])
    images = g([np.zeros((3, 5), "float32"), labels])
    assert tuple(images.shape) == (3, 28, 28, 1)
    assert tuple(d([images, keras.ops.convert_to_tensor(labels)]).shape) == (3, 1)


def test_classifier_head_adds_ten_class_logits():
    d = cgan.build_conditional_discriminator(classifier=True)
    labels = keras.ops.convert_to_tensor(cgan.ConditionalGAN.one_hot([1, 2, 3]))
    assert tuple(d([keras.ops.zeros((3, 28, 28, 1)), labels]).shape) == (3, 11)
    assert cgan.ConditionalGAN(latent_dim=4, classifier_weight=0.5).discriminator.output.shape[-1] == 11
    assert cgan.ConditionalGAN(latent_dim=4).discriminator.output.shape[-1] == 1


@pytest.mark.parametrize(
    "kwargs",
    [dict(classifier_weight=0.5, discriminator="plain"), dict(discriminator="classifier"), dict(classifier_weight=-1)],
)
def test_classifier_weight_and_discriminator_must_agree(kwargs):
    heads = {"plain": False, "classifier": True}
    if "discriminator" in kwargs:
        kwargs["discriminator"] = cgan.build_conditional_discriminator(classifier=heads[kwargs["discriminator"]])
    with pytest.raises(ValueError, match="classifier_weight"):
        cgan.ConditionalGAN(latent_dim=4, **kwargs)


def test_classifier_weight_adds_the_class_loss_to_both_passes():
    """Same networks, same noise: the losses differ by exactly the weighted cross-entropy of the digit."""
    g = cgan.build_conditional_generator(latent_dim=4)
    d = cgan.build_conditional_discriminator(dropout=0.0, classifier=True)
    rng = np.random.default_rng(0)
    real = keras.ops.convert_to_tensor(rng.uniform(0, 1, (8, 28, 28, 1)).astype("float32"))
    labels = keras.ops.convert_to_tensor(cgan.ConditionalGAN.one_hot(np.arange(8) % 10))

    def passes(weight):
        m = cgan.ConditionalGAN(g, d, latent_dim=4, classifier_weight=weight, seed=3)
        m.compile()
        d_loss = float(m.discriminator_pass(real, labels)[0])
        return d_loss, float(m.generator_pass(8, labels))

    (d1, g1), (d2, g2), (d3, g3) = passes(0.5), passes(1.5), passes(2.5)
    read_real = float(
        cgan.ConditionalGAN(g, d, latent_dim=4, classifier_weight=1).class_loss(labels, d([real, labels])[:, 1:])
    )
    assert read_real > 0
    np.testing.assert_allclose(d2 - d1, read_real, rtol=1e-4)
    assert g2 - g1 > 0
    np.testing.assert_allclose([d3 - d2, g3 - g2], [d2 - d1, g2 - g1], rtol=1e-4)


def test_classifier_weight_trains_and_survives_the_config():
    m = cgan.make_cgan(latent_dim=8, seed=1, classifier_weight=0.5)
    rng = np.random.default_rng(0)
    m.compile()
    history = m.fit(rng.uniform(0, 1, (16, 28, 28, 1)).astype("float32"), rng.integers(0, 10, 16), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0]) and np.isfinite(history.history["g_loss"][0])
    copy = cgan.ConditionalGAN.from_config(m.get_config())
    assert copy.classifier_weight == 0.5 and copy.discriminator.output.shape[-1] == 11
    assert m.networks_only().classifier_weight == 0.5


def test_without_the_label_channel_the_class_head_reads_the_image_alone():
    rng = np.random.default_rng(0)
    images = keras.ops.convert_to_tensor(rng.uniform(0, 1, (4, 28, 28, 1)).astype("float32"))
    threes, sevens = (keras.ops.convert_to_tensor(cgan.ConditionalGAN.one_hot([d] * 4)) for d in (3, 7))

    def outputs(label_channel):
        d = cgan.build_conditional_discriminator(dropout=0.0, classifier=True, label_channel=label_channel, seed=1)
        return [keras.ops.convert_to_numpy(d([images, labels])) for labels in (threes, sevens)]

    (with3, with7), (alone3, alone7) = outputs(True), outputs(False)
    assert not np.allclose(with3[:, 1:], with7[:, 1:])  # the stacked label reaches the class logits
    np.testing.assert_allclose(alone3[:, 1:], alone7[:, 1:], rtol=1e-6)  # only the image does
    assert not np.allclose(alone3[:, 0], alone7[:, 0])  # the real/fake logit still asks "a real 3?"
    m = cgan.ConditionalGAN(latent_dim=4, classifier_weight=0.5, label_channel=False)

    def first_conv_channels(model):
        return next(x for x in model.discriminator.layers if isinstance(x, keras.layers.Conv2D)).kernel.shape[2]

    assert first_conv_channels(m) == 1 and first_conv_channels(cgan.ConditionalGAN(latent_dim=4)) == 2
    assert cgan.ConditionalGAN.from_config(m.get_config()).label_channel is False


def test_filters_set_the_default_networks_widths_and_survive_the_config():
    m = cgan.ConditionalGAN(latent_dim=4, generator_filters=(24, 12), discriminator_filters=(8, 16))
    assert m.generator.get_layer("stage_7x7").output.shape[-1] == 24
    assert m.generator.get_layer("stage_14x14").output.shape[-1] == 12
    convs = [layer for layer in m.discriminator.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [8, 16]
    copy = cgan.ConditionalGAN.from_config(m.get_config())
    assert copy.generator_filters == (24, 12) and copy.discriminator_filters == (8, 16)
    assert copy.generator.count_params() == m.generator.count_params()
    with pytest.raises(ValueError, match="Received: filters=\\(0, 12\\)"):
        cgan.ConditionalGAN(latent_dim=4, generator_filters=(0, 12))


def test_sample_inputs_cycle_the_digits_and_recalibrate_the_generator():
    m = cgan.make_cgan(latent_dim=8, seed=2)
    noise, labels = m.sample_inputs(25, seed=4)
    np.testing.assert_array_equal(noise, m.noise(25, 4))
    np.testing.assert_array_equal(labels.argmax(axis=1), np.arange(25) % 10)
    norm = next(layer for layer in m.generator.layers if isinstance(layer, keras.layers.BatchNormalization))
    before = keras.ops.convert_to_numpy(norm.moving_mean).copy()
    m.recalibrate_batch_norm(n=100)
    assert not np.allclose(before, keras.ops.convert_to_numpy(norm.moving_mean))


def test_generate_string_list_and_seed(model):
    a = model.generate("646775", seed=5)
    assert a.shape == (6, 28, 28) and a.dtype == np.float32
    assert 0.0 <= a.min() and a.max() <= 1.0
    np.testing.assert_array_equal(a, model.generate([6, 4, 6, 7, 7, 5], seed=5))
    assert not np.array_equal(a, model.generate("646775", seed=6))


@pytest.mark.parametrize("bad", ["12a", "", "  ", "1 2", [], [1, 10], [-1], ["1"], None])
def test_bad_digits_raise_clear_errors(model, bad):
    with pytest.raises(ValueError, match="Received: digits="):
        model.generate(bad)


def test_mixing_weights_zero_and_one_are_the_pure_digits(model):
    np.testing.assert_allclose(model.generate_mixed(3, 8, 0.0, seed=2)[0], model.generate("3", seed=2)[0], atol=1e-6)
    np.testing.assert_allclose(model.generate_mixed(3, 8, 1.0, seed=2)[0], model.generate("8", seed=2)[0], atol=1e-6)
    strip = model.generate_mixed(3, 8, 5, seed=2)
    assert strip.shape == (5, 28, 28)
    np.testing.assert_allclose(strip[-1], model.generate("8", seed=2)[0], atol=1e-6)
    with pytest.raises(ValueError, match="weight_or_steps"):
        model.generate_mixed(3, 8, 1.5)
    with pytest.raises(ValueError, match="weight_or_steps"):
        model.generate_mixed(3, 8, 1)


def test_visualize_one_panel_per_generator_stage(model):
    maps = model.feature_maps(4, seed=0)
    assert [m.shape[:2] for m in maps.values()] == [(7, 7), (14, 14), (28, 28)]
    figure = model.visualize(4, seed=0)
    assert len(figure.axes) == len(maps)
    assert [ax.get_title().split(":")[0] for ax in figure.axes] == ["7x7", "14x14", "the image, 28x28"]
    # the last panel is the generated digit itself
    np.testing.assert_allclose(
        figure.axes[-1].get_images()[0].get_array()[1:29, 1:29], model.generate("4", seed=0)[0], atol=1e-5
    )


def test_one_fit_step_changes_both_networks(model):
    m = cgan.make_cgan(latent_dim=8, seed=1)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (16, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, 16)
    g0 = [np.array(w) for w in m.generator.trainable_weights]
    d0 = [np.array(w) for w in m.discriminator.trainable_weights]
    m.compile()
    history = m.fit(x, y, batch_size=16, epochs=1, verbose=0).history
    assert int(m.d_optimizer.iterations) == 1 and int(m.g_optimizer.iterations) == 1
    assert all(not np.array_equal(a, np.array(b)) for a, b in zip(d0, m.discriminator.trainable_weights))
    assert any(not np.array_equal(a, np.array(b)) for a, b in zip(g0, m.generator.trainable_weights))
    assert np.isfinite(history["g_grad_norm"][0])


def test_advanced_app_methods(model):
    app = AdvancedApp(model)
    figure = app.generate("123", seed=0)
    assert len(figure.axes) == 3
    shown = np.stack([ax.get_images()[0].get_array() for ax in figure.axes])
    np.testing.assert_allclose(shown, model.generate("123", seed=0), atol=1e-6)
    assert len(app.mix(1, 7, 0.3).axes) == 3
    assert len(app.visualize(2).axes) == 3


def test_interpolation_gif(model, tmp_path):
    path = cgan.interpolation_gif(model, tmp_path / "mix.gif", digits="012", steps=4)
    frames = viz.read_gif(path)
    assert len(frames) == 3 * 3  # (steps - 1) frames from each digit to the next, around the loop
    assert frames[0].ndim == 2 and frames[0].std() > 0


def test_pretrained_conditioning_works(shipped):
    digits = np.arange(50) % 10
    images = shipped.generate(list(digits), seed=7)
    assert images.shape == (50, 28, 28) and 0.0 <= images.min() and images.max() <= 1.0
    assert metrics.class_accuracy(images, digits) > 0.9
    np.testing.assert_array_equal(images, shipped.generate(list(digits), seed=7))

import keras
import numpy as np

from digitkit import cgan, reference, training


def test_reference_networks_are_the_keras_io_example():
    model = reference.make_reference_cgan(seed=0)
    assert isinstance(model, cgan.ConditionalGAN)
    assert model.latent_dim == reference.REFERENCE["latent_dim"] == 128
    assert model.beta_1 == 0.9 and model.d_learning_rate == reference.REFERENCE["learning_rate"]
    labels = cgan.ConditionalGAN.one_hot([1, 2])
    images = model.generator([np.zeros((2, 128), "float32"), labels])
    assert tuple(images.shape) == (2, 28, 28, 1)
    assert tuple(model.discriminator([images, keras.ops.convert_to_tensor(labels)]).shape) == (2, 1)
    # the keras.io generator is much larger than ours
    assert model.generator.count_params() > 4 * cgan.make_cgan().generator.count_params()
    assert [ax.get_title().split(":")[0] for ax in model.visualize(4).axes][:2] == ["7x7", "14x14"]


def test_same_seed_same_reference_weights():
    a, b = reference.build_reference_generator(seed=1), reference.build_reference_generator(seed=1)
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])
    assert not np.array_equal(a.get_weights()[0], reference.build_reference_generator(seed=2).get_weights()[0])


def test_reference_trains_in_the_common_path():
    model = reference.make_reference_cgan(seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1, (16, 28, 28, 1)).astype("float32"), rng.integers(0, 10, 16)
    history = training.fit(model, x, y, epochs=1, batch_size=16)
    assert np.isfinite(history["d_loss"]).all() and int(model.g_optimizer.iterations) == 1

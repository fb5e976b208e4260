import math

import keras
import numpy as np
import pytest
from PIL import Image

from digitkit import classifier, gan, metrics
from digitkit.apps import GenerateApp


@pytest.fixture(scope="module")
def small_gan():
    return gan.make_gan(latent_dim=8, seed=0)


@pytest.fixture(scope="module")
def real_batch():
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, (16, 28, 28, 1)).astype("float32")


def test_builders_shapes():
    g = gan.build_dense_generator(latent_dim=5)
    d = gan.build_dense_discriminator()
    images = g(np.zeros((3, 5), "float32"))
    assert tuple(images.shape) == (3, 28, 28, 1)
    assert tuple(d(images).shape) == (3, 1)


def test_generate_shape_range_and_seed(small_gan):
    a = small_gan.generate(6, seed=3)
    assert a.shape == (6, 28, 28) and a.dtype == np.float32
    assert a.min() >= 0.0 and a.max() <= 1.0
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
    model = gan.make_gan(latent_dim=8, seed=1)
    g0, d0 = _snapshot(model.generator), _snapshot(model.discriminator)
    model.discriminator_step(real_batch)
    assert all(_changed(d0, model.discriminator))
    assert not any(_changed(g0, model.generator))
    g1, d1 = _snapshot(model.generator), _snapshot(model.discriminator)
    _, norm = model.generator_step(16)
    assert float(norm) > 0
    assert all(_changed(g1, model.generator))
    assert not any(_changed(d1, model.discriminator))


def test_fit_step_changes_both_networks_and_logs_diagnostics(real_batch):
    model = gan.make_gan(latent_dim=8, seed=2, d_steps=2, label_smoothing=0.1, generator_loss="saturating")
    g0, d0 = _snapshot(model.generator), _snapshot(model.discriminator)
    model.compile()
    history = model.fit(real_batch, batch_size=16, epochs=1, verbose=0).history
    assert any(_changed(g0, model.generator)) and any(_changed(d0, model.discriminator))
    for key in ("d_loss", "g_loss", "d_acc_real", "d_acc_fake", "g_grad_norm"):
        assert np.isfinite(history[key][0])
    assert 0.0 <= history["d_acc_real"][0] <= 1.0


@pytest.mark.parametrize("kwargs, word", [
    (dict(d_learning_rate=-1e-3), "d_learning_rate"),
    (dict(g_learning_rate=0.0), "g_learning_rate"),
    (dict(latent_dim=0), "latent_dim"),
    (dict(d_steps=0), "d_steps"),
    (dict(label_smoothing=0.7), "label_smoothing"),
    (dict(generator_loss="hinge"), "generator_loss"),
])
def test_bad_arguments_raise_clear_errors(kwargs, word):
    with pytest.raises(ValueError, match=f"Received: {word}="):
        gan.GAN(**kwargs)


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match="latent_dim"):
        gan.build_dense_generator(latent_dim=0)
    with pytest.raises(ValueError, match="n="):
        gan.GAN(latent_dim=4).generate(0)


def test_config_round_trip():
    model = gan.GAN(latent_dim=7, d_learning_rate=1e-3, d_steps=3, label_smoothing=0.2,
                    generator_loss="saturating")
    clone = gan.GAN.from_config(model.get_config())
    for key in ("latent_dim", "d_learning_rate", "g_learning_rate", "d_steps", "label_smoothing",
                "generator_loss", "beta_1"):
        assert getattr(clone, key) == getattr(model, key)
    assert clone.generator.count_params() == model.generator.count_params()


def test_coverage_on_known_labels():
    balanced = np.repeat(np.arange(10), 100)
    result = gan.coverage(balanced)
    assert result["digits_covered"] == 10
    assert math.isclose(result["label_entropy"], math.log(10), rel_tol=1e-9)
    collapsed = np.array([3] * 990 + [5] * 10)
    result = gan.coverage(collapsed)
    assert result["digits_covered"] == 2
    assert result["histogram"][3] == 990
    assert math.isclose(result["label_entropy"], -(0.99 * math.log(0.99) + 0.01 * math.log(0.01)))
    assert gan.coverage(collapsed, min_share=0.05)["digits_covered"] == 1


class _Fixed:
    """A stand-in GAN whose samples are known images."""

    def __init__(self, images):
        self.images = images

    def sample_images(self, n, seed=0):
        return self.images[:n], None


def test_diagnose_on_known_inputs():
    judge = classifier.build_judge()
    rng = np.random.default_rng(0)
    real = rng.uniform(0, 1, (50, 28, 28)).astype("float32")
    reference = metrics.judge_features(real, judge)
    same = gan.diagnose(_Fixed(real), reference, judge=judge, n=50)
    labels = metrics.judge_labels(real, judge)
    np.testing.assert_array_equal(same["histogram"], np.bincount(labels, minlength=10))
    assert abs(same["frechet"]) < 1e-6  # identical sets
    other = gan.diagnose(_Fixed(np.zeros((50, 28, 28), "float32")), reference, judge=judge, n=50)
    assert other["frechet"] > 1e-3 and other["digits_covered"] == 1


def test_monitor_records_history_and_writes_looping_gif(tmp_path):
    judge = classifier.build_judge()
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (64, 28, 28, 1)).astype("float32")
    path = tmp_path / "train.gif"
    model = gan.make_gan(latent_dim=8, seed=3)
    history, monitor = gan.train_gan(model, x, epochs=3, batch_size=32, reference_images=x, judge=judge,
                                     n_samples=40, gif_path=path, seed=3)
    for key in ("label_entropy", "digits_covered", "frechet", "g_grad_norm", "d_acc_fake"):
        assert len(history[key]) == 3
    assert len(monitor.frames) == 4  # before training, then one per epoch
    with Image.open(path) as gif:
        assert gif.info.get("loop") == 0  # loops forever
        durations = []
        for i in range(gif.n_frames):
            gif.seek(i)
            durations.append(gif.info["duration"])
    # One frame before training and one per epoch; Pillow merges the 3 copies
    # that hold the last frame into its duration.
    assert len(durations) == 4
    assert sum(durations) == pytest.approx((4 + 3) * 1000 / monitor.fps, abs=7 * 10)  # GIF stores centiseconds


def test_plot_diagnostics_returns_figure(small_gan):
    h = dict(d_acc_real=[0.6, 0.7], d_acc_fake=[0.5, 0.6], g_grad_norm=[1.0, 0.5],
             label_entropy=[1.0, 2.0], digits_covered=[5, 10], frechet=[30.0, 10.0])
    fig = gan.plot_diagnostics({"a": h, "b": h}, samples=small_gan.generate(4))
    assert len(fig.axes) == 6


def test_generate_app_methods(small_gan):
    app = GenerateApp(small_gan, n=10)
    assert len(app.generate(seed=1).axes) == 10
    assert len(app.walk(0, 1, t=0.3, steps=5).axes) == 6


def test_pretrained_gan_if_shipped():
    from digitkit import pretrained

    if "gan" not in pretrained.read_manifest():
        pytest.fail("weights/manifest.json has no 'gan' entry: run `digitkit train gan`.")
    model = pretrained.load_pretrained("gan")
    a = model.generate(8, seed=0)
    assert a.shape == (8, 28, 28) and 0.0 <= a.min() and a.max() <= 1.0
    np.testing.assert_array_equal(a, model.generate(8, seed=0))
    assert keras.ops.convert_to_numpy(model.generator.weights[0]).std() > 0


def test_deferred_diagnostics_equal_live_ones():
    judge = classifier.build_judge()
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (64, 28, 28, 1)).astype("float32")
    runs = []
    for defer in (False, True):
        model = gan.make_gan(latent_dim=8, seed=4)
        history, _ = gan.train_gan(model, x, epochs=2, batch_size=32, reference_images=x, judge=judge,
                                   n_samples=40, seed=4, defer_diagnostics=defer)
        runs.append(history)
    for key in ("label_entropy", "digits_covered", "frechet", "d_loss"):
        np.testing.assert_allclose(runs[0][key], runs[1][key], rtol=1e-4, atol=1e-6)

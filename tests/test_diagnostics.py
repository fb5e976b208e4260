import math

import keras
import numpy as np
import pytest

from digitkit import classifier, diagnostics, metrics, training
from digitkit.gan import GAN


@pytest.fixture(scope="module")
def judge():
    return classifier.build_judge(seed=0)


def test_coverage_on_known_labels():
    balanced = np.repeat(np.arange(10), 100)
    result = diagnostics.coverage(balanced)
    assert result["digits_covered"] == 10
    assert math.isclose(result["label_entropy"], math.log(10), rel_tol=1e-9)
    collapsed = np.array([3] * 990 + [5] * 10)
    result = diagnostics.coverage(collapsed)
    assert result["digits_covered"] == 2
    assert result["histogram"][3] == 990
    assert math.isclose(result["label_entropy"], -(0.99 * math.log(0.99) + 0.01 * math.log(0.01)))
    assert diagnostics.coverage(collapsed, min_share=0.05)["digits_covered"] == 1


class _Fixed:
    """A stand-in GAN whose samples are known images."""

    def __init__(self, images, requested=None):
        self.images, self.requested = images, requested

    def sample_images(self, n, seed=0):
        return self.images[:n], self.requested


def test_diagnose_on_known_inputs(judge):
    rng = np.random.default_rng(0)
    real = rng.uniform(0, 1, (50, 28, 28)).astype("float32")
    reference = metrics.judge_features(real, judge)
    labels = metrics.judge_labels(real, judge)
    same = diagnostics.diagnose(_Fixed(real, requested=labels), reference, judge=judge, n=50)
    np.testing.assert_array_equal(same["histogram"], np.bincount(labels, minlength=10))
    assert abs(same["frechet"]) < 1e-6  # identical sets
    assert same["class_accuracy"] == 1.0  # the judge reads exactly what was "requested"
    other = diagnostics.diagnose(_Fixed(np.zeros((50, 28, 28), "float32")), reference, judge=judge, n=50)
    assert other["frechet"] > 1e-3 and other["digits_covered"] == 1 and "class_accuracy" not in other


def test_monitor_records_diagnostics_per_epoch_and_deferred_equals_live(judge):
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (64, 28, 28, 1)).astype("float32")
    runs = []
    for defer in (False, True):
        keras.utils.set_random_seed(4)  # the test fixes the shuffling; the library sets no global seed
        model = GAN(latent_dim=8, seed=4)
        runs.append(
            training.fit(
                model,
                x,
                epochs=2,
                batch_size=32,
                reference_images=x,
                judge=judge,
                n_samples=40,
                seed=4,
                defer_diagnostics=defer,
            )
        )
    for key in ("label_entropy", "digits_covered", "frechet", "d_loss"):
        assert len(runs[0][key]) == 2
        np.testing.assert_allclose(runs[0][key], runs[1][key], rtol=1e-4, atol=1e-6)
    assert all(0 <= c <= 10 for c in runs[0]["digits_covered"]) and min(runs[0]["frechet"]) > 0


def test_monitor_compares_with_reference_images_spread_over_the_set(mnist):
    _, (x_test, _) = mnist
    monitor = diagnostics.GANMonitor(x_test, n_samples=1000, defer=True)
    np.testing.assert_array_equal(monitor.reference_images, x_test[::10])  # both halves of MNIST's test set
    with pytest.raises(ValueError, match="from 1 to 10000"):
        diagnostics.GANMonitor(x_test, n_samples=20000, defer=True)


def test_plot_diagnostics_draws_each_run_in_each_panel():
    h = dict(
        d_acc_real=[0.6, 0.7],
        d_acc_fake=[0.5, 0.6],
        g_grad_norm=[1.0, 0.5],
        label_entropy=[1.0, 2.0],
        digits_covered=[5, 10],
        frechet=[30.0, 10.0],
    )
    samples = np.random.default_rng(0).uniform(0, 1, (4, 28, 28))
    fig = diagnostics.plot_diagnostics({"a": h, "b": dict(h, frechet=[40.0, 20.0])}, samples=samples, title="t")
    assert [ax.get_title() for ax in fig.axes] == [p for p, _ in diagnostics.DIAGNOSTIC_PANELS] + ["samples"]
    frechet_axis = fig.axes[4]
    assert [list(line.get_ydata()) for line in frechet_axis.get_lines()] == [[30.0, 10.0], [40.0, 20.0]]
    assert len(fig.axes[0].get_lines()) == 4  # real and fake accuracy of both runs
    assert fig.axes[-1].get_images()[0].get_array().shape[0] > 28  # the tiled samples
    only_loss = diagnostics.plot_diagnostics({"frechet": [3.0, 2.0]})
    assert [ax.get_title() for ax in only_loss.axes] == ["Fréchet distance"]


def test_plot_label_histogram_counts_labels_or_takes_counts():
    fig = diagnostics.plot_label_histogram([3, 3, 5])
    heights = [patch.get_height() for patch in fig.axes[0].patches]
    assert heights == [0, 0, 0, 2, 0, 1, 0, 0, 0, 0]
    fig = diagnostics.plot_label_histogram(np.arange(10), title="given")
    assert [patch.get_height() for patch in fig.axes[0].patches] == list(range(10))
    assert fig.axes[0].get_title() == "given"

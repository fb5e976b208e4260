import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from digitkit import comparison, pretrained


@pytest.fixture(scope="module")
def real(mnist):
    """Test images (float in [0, 1]) and labels: what the fake generators below 'draw'."""
    _, (x, y) = mnist
    return x[:2000].astype("float32") / 255, y[:2000]


class FakeGAN:
    """Draws real test digits in a seed-dependent order, like an unconditional generator."""

    def __init__(self, real):
        self.images = real[0]
        self.generator = type("Net", (), {"count_params": lambda self: 1234})()

    def generate(self, n, seed=0):
        return self.images[np.random.default_rng(seed).permutation(len(self.images))[:n]]


class FakeConditional:
    """Draws, for each requested digit, a real test image of that digit (DDIM-like: no `generate`)."""

    def __init__(self, real, with_generate=True):
        self.images, self.labels = real
        self.network = type("Net", (), {"count_params": lambda self: 99})()
        self.calls = []
        if with_generate:
            self.generate = self.sample

    def sample(self, digits, steps=None, seed=0):
        self.calls.append(steps)
        rng = np.random.default_rng(seed)
        from digitkit.data import parse_digits

        return np.stack([self.images[rng.choice(np.flatnonzero(self.labels == d))] for d in parse_digits(digits)])


def test_top_confusions_lists_the_largest_mistakes_first():
    cm = np.diag(np.full(10, 100))
    cm[4, 9], cm[7, 2], cm[3, 5] = 12, 30, 12
    top = comparison.top_confusions(cm, k=3)
    assert top.values.tolist() == [[7, 2, 30], [3, 5, 12], [4, 9, 12]]
    with pytest.raises(ValueError, match="Received: shape=\\(3, 3\\)"):
        comparison.top_confusions(np.eye(3))


def fake_results(labels):
    a, b = labels.copy(), labels.copy()
    a[[0, 1, 2]] = (labels[[0, 1, 2]] + 1) % 10
    b[[1, 2, 3]] = (labels[[1, 2, 3]] + 2) % 10
    results = {}
    for name, predictions in (("dense", a), ("judge", b)):
        cm = np.zeros((10, 10), dtype=int)
        np.add.at(cm, (labels, predictions), 1)
        results[name] = dict(accuracy=float((predictions == labels).mean()), confusion=cm, predictions=predictions)
    return results


def test_classifier_table_and_the_images_both_get_wrong(real):
    images, labels = real[0][:100], real[1][:100]
    results = fake_results(labels)
    table = comparison.classifier_table(results, k=1)
    assert table.loc["dense", "test accuracy"] == pytest.approx(0.97)
    assert table.loc["judge", "mistakes"] == 3
    assert table.loc["dense", "most confused (true → read: count)"].endswith(": 1")
    assert comparison.all_wrong(results, labels).tolist() == [1, 2]
    fig = comparison.all_wrong_figure(images, labels, results)
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == [f"{labels[i]}: d{(labels[i] + 1) % 10} j{(labels[i] + 2) % 10}" for i in (1, 2)]
    with pytest.raises(ValueError, match="No image is misread"):
        comparison.all_wrong_figure(
            images,
            labels,
            {"dense": results["dense"], "judge": {"predictions": labels, "confusion": np.eye(10), "accuracy": 1.0}},
        )


OLD = {
    "gan": {"quality": {"frechet": 324.0, "n_samples": 10000, "label_entropy": 2.22, "train_minutes": 21.6}},
    "ddim": {
        "quality": {
            "class_accuracy": 0.99,
            "per_class": [1.0] * 5 + [0.9] + [1.0] * 4,
            "frechet": 6.0,
            "n_frechet": 10000,
            "steps": 20,
            "guidance": 0.25,
            "eta": 0.0,
            "train_minutes": 190,
        }
    },
    "judge": {"quality": {"test_accuracy": 0.99, "frechet_floor": {"10000": 2.0}}},
}
NEW = {
    "ddim": {
        "quality": {
            "class_accuracy": 0.99,
            "per_class": [0.9] * 10,
            "worst_digit": 3,
            "frechet": 6.0,
            "frechet_floor": 1.5,
            "frechet_over_floor": 4.0,
            "n_frechet": 10000,
            "train_minutes": 190,
            "settings": {"steps": 20},
        }
    }
}


def test_generator_quality_reads_old_and_contract_manifest_keys():
    old = comparison.generator_quality("ddim", OLD)
    assert (old["worst_digit"], old["frechet_floor"], old["frechet_over_floor"]) == (5, 2.0, 3.0)
    assert old["settings"] == {"steps": 20, "guidance": 0.25, "eta": 0.0}
    gan = comparison.generator_quality("gan", OLD)
    assert (gan["class_accuracy"], gan["worst_digit"], gan["n_frechet"], gan["frechet_floor"]) == (
        None,
        None,
        10000,
        2.0,
    )
    new = comparison.generator_quality("ddim", NEW)
    assert (new["worst_digit"], new["frechet_floor"], new["frechet_over_floor"]) == (3, 1.5, 4.0)
    assert set(old) == set(new)
    with pytest.raises(ValueError, match="Received: name='cgan'"):
        comparison.generator_quality("cgan", NEW)


def test_manifest_rows_of_the_shipped_manifest():
    rows = comparison.manifest_rows()
    shipped = pretrained.read_manifest()
    assert rows["cgan"]["class accuracy"] == shipped["cgan"]["quality"]["class_accuracy"]
    assert rows["cgan"]["worst digit"] == int(np.argmin(shipped["cgan"]["quality"]["per_class"]))
    assert rows["gan"]["class accuracy"] is None and rows["gan"]["FD"] == shipped["gan"]["quality"]["frechet"]


def test_draw_asks_conditional_generators_for_every_digit(real):
    ddim = FakeConditional(real, with_generate=False)
    images, digits = comparison.draw("ddim", ddim, 20, seed=1)
    assert images.shape == (20, 28, 28) and digits.tolist() == list(range(10)) * 2 and ddim.calls == [20]
    images, digits = comparison.draw("gan", FakeGAN(real), 5, seed=1)
    assert digits is None and np.array_equal(images, FakeGAN(real).generate(5, seed=1))
    with pytest.raises(ValueError, match="Received: name='vae'"):
        comparison.draw("vae", ddim, 3)
    assert comparison.count_parameters(FakeGAN(real)) == 1234 and comparison.count_parameters(ddim) == 99


def test_balanced_subset_has_every_digit_equally_often(real):
    images, labels = real
    subset = comparison.balanced_subset(labels, labels, 53, seed=0)
    assert np.bincount(subset, minlength=10).min() >= 5 and len(subset) == 53
    assert np.array_equal(subset, comparison.balanced_subset(labels, labels, 53, seed=0))
    assert not np.array_equal(subset, comparison.balanced_subset(labels, labels, 53, seed=1))


def test_measure_generators_on_generators_that_draw_real_digits(real):
    live = comparison.measure_generators({"gan": FakeGAN(real), "cgan": FakeConditional(real)}, n=50)
    gan, cgan = live["gan"], live["cgan"]
    assert gan["class accuracy"] is None and gan["parameters"] == 1234
    assert cgan["class accuracy"] >= 0.9 and 0 <= cgan["worst digit"] <= 9 and cgan["parameters"] == 99
    assert gan["FD floor"] == cgan["FD floor"] == pytest.approx(comparison.judge_floor(50), rel=1e-4)
    assert comparison.judge_floor(50) > comparison.judge_floor(500) > 0  # biased upwards at small n
    assert cgan["FD / floor"] == pytest.approx(cgan["FD"] / cgan["FD floor"])
    assert gan["samples / s"] > 0 and gan["n"] == 50
    table = comparison.side_by_side(comparison.manifest_rows(OLD, names=("gan", "ddim")), live)
    assert list(table.columns.get_level_values(0).unique()) == ["gan", "cgan", "ddim"]
    assert table.loc["parameters", ("cgan", "live")] == 99 and pd.isna(table.loc["parameters", ("ddim", "live")])
    text = comparison.format_table(table)
    assert text.loc["class accuracy", ("ddim", "manifest")] == "99.0%"
    assert text.loc["class accuracy", ("gan", "live")] == "–"
    table.loc["samples / s", ("gan", "live")] = 1.234
    assert comparison.format_table(table).loc["samples / s", ("gan", "live")] == "1.2"


def test_figures_of_the_same_digits_and_of_a_seed_sweep(real):
    fig = comparison.same_digits_figure(
        {"cgan": FakeConditional(real), "ddim": FakeConditional(real, False)}, digits="0123", seed=0
    )
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes if ax.images] == [f"{m} {d}" for m in ("cgan", "ddim") for d in "0123"]
    fig = comparison.seed_sweep_figure({"gan": FakeGAN(real), "cgan": FakeConditional(real)}, digit=7, seeds=range(3))
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == ["gan s0", "gan s1", "gan s2", "cgan s0", "cgan s1", "cgan s2"]  # real 7s are found among 64

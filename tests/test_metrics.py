import numpy as np
import pytest

from digitkit import metrics


def test_frechet_of_identical_gaussians_is_zero_and_grows_with_the_mean_gap():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(5000, 8))
    assert metrics.frechet_from_features(f, f) == pytest.approx(0.0, abs=1e-6)
    # Same covariance, means 2 apart on every axis: FD = 8 * 2**2 = 32.
    assert metrics.frechet_from_features(f, f + 2.0) == pytest.approx(32.0, rel=1e-6)


def test_frechet_matches_the_closed_form_for_diagonal_gaussians():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(200000, 2)) * [1.0, 2.0]
    b = rng.normal(size=(200000, 2)) * [3.0, 1.0]
    # sum over axes of (s_a - s_b)^2 with standard deviations s.
    assert metrics.frechet_from_features(a, b) == pytest.approx((1 - 3) ** 2 + (2 - 1) ** 2, rel=0.02)


def test_frechet_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2"):
        metrics.frechet_from_features(np.zeros((1, 4)), np.zeros((5, 4)))


def test_frechet_distance_on_the_judge_separates_digits_from_noise(mnist):
    (x, _), (xt, _) = mnist
    same = metrics.frechet_distance(x[:1000], xt[:1000])
    noise = metrics.frechet_distance(np.random.default_rng(0).uniform(size=(1000, 28, 28)), xt[:1000])
    # Features have a total variance near 1,750: real vs real is tiny, noise is thousands.
    assert same < 30 and noise > 100 * same


def test_the_judge_is_sure_of_real_digits_and_unsure_of_blends(test_digits):
    x, _ = test_digits
    real = metrics.unsure_share(x)
    blends = metrics.unsure_share((x[:50] + x[50:]) / 2)  # two digits in one image
    assert real < 0.05 and blends > 0.2  # the judge reads a confident digit in most blends, not in all
    with pytest.raises(ValueError, match="threshold="):
        metrics.unsure_share(x[:2], threshold=0.0)


def test_class_accuracy_of_the_judge_on_real_digits(test_digits):
    x, y = test_digits
    assert metrics.class_accuracy(x, y) >= 0.97
    assert metrics.class_accuracy(x, (y + 1) % 10) <= 0.03
    with pytest.raises(ValueError, match="one label per image"):
        metrics.class_accuracy(x, y[:5])


def test_per_digit_accuracy_is_each_digits_share_read_right():
    labels = np.array([0, 0, 1, 1, 1, 1, 9])
    read = np.array([0, 3, 1, 1, 1, 7, 9])
    shares = metrics.per_digit_accuracy(read, labels)
    assert shares[[0, 1, 9]].tolist() == [0.5, 0.75, 1.0]
    assert np.isnan(shares[2:9]).all()  # no image is labelled 2-8
    with pytest.raises(ValueError, match="one label per reading"):
        metrics.per_digit_accuracy(read, labels[:3])


def test_label_histogram_and_entropy():
    assert metrics.label_histogram([0, 0, 9]).tolist() == [2, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert metrics.label_entropy(np.arange(10).repeat(5)) == pytest.approx(np.log(10))
    assert metrics.label_entropy([4] * 30) == 0.0


def test_resolve_judge_returns_the_given_judge_or_the_shipped_one():
    from digitkit import classifier

    judge = classifier.build_judge(seed=0)
    assert metrics.resolve_judge(judge) is judge
    assert metrics.resolve_judge() is metrics.default_judge() is metrics.resolve_judge(None)


def test_frechet_floor_is_the_train_vs_test_distance(mnist):
    from digitkit import classifier

    (x, _), (xt, _) = mnist
    judge = classifier.build_judge(seed=0)
    floor = metrics.frechet_floor(50, judge=judge)  # against every 200th test digit (`data.test_reference`)
    assert floor == pytest.approx(metrics.frechet_distance(x[:50], xt[::200], judge))
    shipped = metrics.frechet_floor(200)
    assert shipped == pytest.approx(metrics.frechet_distance(x[:200], xt[::50]), rel=1e-6) and shipped > 0
    assert metrics.frechet_floor(200) == shipped  # cached
    with pytest.raises(ValueError, match="Received: n=1"):
        metrics.frechet_floor(1)


def test_recorded_judge_floor_is_the_judges_train_vs_test_distance(mnist):
    from digitkit import pretrained

    floor = pretrained.read_manifest()["judge"]["quality"]["frechet_floor"]
    assert floor["10000"] < floor["2000"] < floor["1000"]  # the distance is biased upwards for small sets
    (x, _), (xt, _) = mnist
    assert metrics.frechet_distance(x[:1000], xt[::10]) == pytest.approx(floor["1000"], rel=1e-3)


def test_recorded_reading_of_real_digits_is_the_judges(mnist):
    from digitkit import pretrained

    reading = pretrained.read_manifest()["judge"]["quality"]["reads_real_digits"]
    _, (xt, yt) = mnist
    read = metrics.judge_labels(xt)
    per_class = metrics.per_digit_accuracy(read, yt)
    assert reading["test"]["accuracy"] == pytest.approx((read == yt).mean(), abs=1e-4)
    assert reading["test"]["per_class"] == pytest.approx(per_class, abs=1e-4)
    for measured in reading.values():  # the worst digit is the one with the lowest share
        assert measured["worst_accuracy"] == min(measured["per_class"]) < measured["accuracy"]
        assert measured["per_class"][measured["worst_digit"]] == measured["worst_accuracy"]

import numpy as np
import pytest

from digitkit import classifier, data, diffusion, evaluation, metrics, pretrained


class _Copier:
    """A conditional stand-in generator: for digit d it returns the d-th of ten fixed test images."""

    conditional = True

    def __init__(self, images):
        self.images = images

    def generate(self, digits, seed=0):
        return self.images[np.asarray(digits, dtype=int)]


class _Repeater:
    """An unconditional stand-in: always the same image."""

    conditional = False

    def __init__(self, image):
        self.image = image

    def generate(self, n, seed=0):
        return np.repeat(self.image[None], n, axis=0)


@pytest.fixture(scope="module")
def judge():
    return classifier.build_judge(seed=0)


def test_a_conditional_generator_is_graded_per_digit(mnist, judge):
    _, (x_test, _) = mnist
    images = x_test[:10].astype("float32") / 255.0
    read = metrics.judge_labels(images, judge)  # what this (untrained) judge reads in each
    result = evaluation.evaluate_generator(_Copier(images), per_digit=3, n_frechet=30, judge=judge)
    expected = [float(read[d] == d) for d in range(10)]
    assert result["per_class"] == expected and result["class_accuracy"] == pytest.approx(np.mean(expected))
    assert result["worst_digit"] == int(np.argmin(expected))
    shares = np.bincount(read, minlength=10) / 10
    np.testing.assert_allclose(result["digit_shares"], shares)
    assert result["label_entropy"] == pytest.approx(metrics.label_entropy(read))
    assert result["n_frechet"] == 30 and result["frechet_over_floor"] == pytest.approx(
        result["frechet"] / result["frechet_floor"]
    )
    assert result["settings"] == {} or set(result["settings"]) == {"steps", "guidance", "guidance_interval", "eta"}


class _TestDrawer:
    """A conditional stand-in that draws MNIST's test images themselves: the next unused one of each asked digit."""

    conditional = True

    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def generate(self, digits, seed=0):
        digits = np.asarray(digits, dtype=int)
        rank = np.array([(digits[:i] == d).sum() for i, d in enumerate(digits)])
        return np.stack([self.images[np.flatnonzero(self.labels == d)[k]] for d, k in zip(digits, rank)])


def test_a_generator_that_draws_the_test_digits_is_at_frechet_zero(mnist, judge):
    """The Fréchet samples ask for the digits of the test images they are compared with, not 0-9 evenly."""
    _, (x_test, y_test) = mnist
    reference, labels = data.test_reference(50)  # every 200th test digit: both halves of the test set
    drawer = _TestDrawer(np.concatenate([reference, x_test[..., None] / 255.0]), np.concatenate([labels, y_test]))
    result = evaluation.evaluate_generator(drawer, per_digit=5, n_frechet=50, judge=judge)
    assert abs(result["frechet"]) < 1e-6 < result["frechet_floor"]
    assert np.bincount(labels, minlength=10).tolist() != [5] * 10  # evenly drawn digits would differ


def test_an_unconditional_generator_has_no_class_accuracy(mnist, judge):
    _, (x_test, _) = mnist
    result = evaluation.evaluate_generator(_Repeater(x_test[0] / 255.0), per_digit=1, n_frechet=20, judge=judge)
    assert result["class_accuracy"] is None and result["per_class"] is None and result["worst_digit"] is None
    assert result["label_entropy"] == 0.0 and max(result["digit_shares"]) == 1.0  # one image: one digit
    assert result["frechet"] > result["frechet_floor"]  # one repeated digit is far from twenty real ones


def test_quality_record_has_exactly_the_contract_keys():
    measured = dict(
        class_accuracy=0.91234,
        per_class=[0.9] * 10,
        worst_digit=3,
        label_entropy=-0.0,
        digit_shares=[0.1] * 10,
        frechet=7.12345,
        frechet_floor=2.0,
        frechet_over_floor=3.56,
        n_frechet=100,
        settings={"steps": 20},
    )
    record = evaluation.quality_record(measured, 3, 1.234, 20.06, "tensorflow on cpu:0, 2 CPU cores")
    assert tuple(record) == pretrained.GENERATOR_QUALITY_KEYS
    assert record["class_accuracy"] == 0.9123 and record["frechet"] == 7.123 and record["train_minutes"] == 1.2
    assert str(record["label_entropy"]) == "0.0" and record["settings"] == {"steps": 20}


def test_generate_dispatches_counts_and_digits(judge):
    assert evaluation.is_conditional(_Copier(None)) and not evaluation.is_conditional(_Repeater(None))
    assert evaluation.generate(_Repeater(np.zeros((28, 28))), 4).shape == (4, 28, 28)


class _CopierSampler(_Copier):
    """A stand-in DDIM: ``sample`` returns the copier's images and records how it was called."""

    def __init__(self, images):
        super().__init__(images)
        self.calls = []

    def sample(self, labels, steps, guidance, eta, seed, solver, guidance_interval):
        self.calls.append(
            dict(steps=steps, guidance=guidance, eta=eta, seed=seed, solver=solver, guidance_interval=guidance_interval)
        )
        return self.generate(labels)


def test_evaluate_ddim_grades_each_step_count_per_digit(mnist, judge):
    _, (x_test, _) = mnist
    images = x_test[:10].astype("float32") / 255.0
    read = metrics.judge_labels(images, judge)
    expected = np.array([float(read[d] == d) for d in range(10)])
    model = _CopierSampler(images)
    rows = evaluation.evaluate_ddim(
        model,
        steps=(3, 7),
        per_digit=2,
        guidance=0.5,
        seed=4,
        reference=images,
        judge=judge,
        solver="dpm++2m",
        guidance_interval=(0.2, 0.9),
    )
    assert [r["steps"] for r in rows] == [3, 7]
    # first, untimed, a guided and a plain step of the same solver (XLA compiles them), then the timed runs
    assert [(c["steps"], c["guidance"], c["solver"]) for c in model.calls[:2]] == [
        (2, 0.5, "dpm++2m"),
        (2, 0.0, "dpm++2m"),
    ]
    assert [c["steps"] for c in model.calls[2:]] == [3, 7]
    assert model.calls[2] == dict(
        steps=3, guidance=0.5, eta=0.0, seed=4, solver="dpm++2m", guidance_interval=(0.2, 0.9)
    )
    evaluation.evaluate_ddim(model, steps=(3,), per_digit=1, reference=images, judge=judge)
    assert model.calls[-1]["guidance_interval"] == diffusion.GUIDANCE_INTERVAL  # the shipped default
    for row in rows:
        assert row["accuracy"] == pytest.approx(expected.mean())
        assert row["worst_digit"] == int(np.argmin(expected)) and row["worst_accuracy"] == expected.min()
        assert row["frechet"] >= 0 and row["seconds_per_100"] >= 0

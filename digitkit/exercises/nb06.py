"""Exercises of notebooks/06_comparison.ipynb: the models compared."""

import numpy as np

from digitkit.exercises import AnswerError, Exercise, as_int, as_name, as_number, expect_close
from digitkit.pretrained import GENERATORS

SMALL, LARGE = 100, 1000


def _check_self_distance(answer):
    from digitkit.metrics import frechet_from_features

    features = np.random.default_rng(0).normal(size=(500, 16))
    expected = frechet_from_features(features, features)
    expect_close(as_number(answer), expected, 1e-3, "the Fréchet distance of a set with itself")
    return "0: same mean, same covariance. Two *different* samples of the same digits give more: the floor."


def _manifest_rows():
    from digitkit.comparison import manifest_rows

    return manifest_rows()


def _lowest_frechet():
    rows = _manifest_rows()
    return min((name for name in rows if rows[name]["FD"] is not None), key=lambda name: rows[name]["FD"])


def _check_lowest_frechet(answer):
    name = as_name(answer, GENERATORS)
    rows, best = _manifest_rows(), _lowest_frechet()
    if name != best:
        raise AnswerError(f"{name} has a Fréchet distance of {rows[name]['FD']:.1f} in the manifest; one is lower.")
    return f"{best}, at {rows[best]['FD']:.1f}."


def _gaussian_floor(n):
    from digitkit.metrics import frechet_from_features

    rng = np.random.default_rng(0)
    return frechet_from_features(rng.normal(size=(n, 32)), rng.normal(size=(n, 32)))


def _check_floor(answer):
    n = as_int(answer)
    expected = SMALL if _gaussian_floor(SMALL) > _gaussian_floor(LARGE) else LARGE
    if n not in (SMALL, LARGE):
        raise AnswerError(f"answer {SMALL} or {LARGE}. Received: {answer!r}")
    if n != expected:
        raise AnswerError("no: estimating a mean and a covariance from fewer images leaves more noise.")
    return (
        f"n = {expected}: two small samples of the same digits differ more, so FD is biased upwards at small n. "
        "Compare only FDs at the same n, or divide by the floor at that n."
    )


def _unconditional():
    rows = _manifest_rows()
    return [name for name in rows if rows[name]["class accuracy"] is None]


def _check_no_accuracy(answer):
    name = as_name(answer, GENERATORS)
    if [name] != _unconditional():
        raise AnswerError(f"{name} has a class accuracy: it can be asked for a digit.")
    return f"{name}: it cannot be asked for a digit, so there is no 'digit asked for' to compare with."


q1 = Exercise(
    "What is the Fréchet distance of a set of images with itself?",
    _check_self_distance,
    "The formula compares two means and two covariances.",
    "0 (`metrics.frechet_distance(x, x)`).",
)
q2 = Exercise(
    "Which generator has the lowest Fréchet distance in the manifest: 'gan', 'cgan' or 'ddim'?",
    _check_lowest_frechet,
    "`comparison.manifest_rows()` has an 'FD' for each generator.",
    lambda: f"{_lowest_frechet()!r}: `min(rows, key=lambda name: rows[name]['FD'])`.",
)
q3 = Exercise(
    f"The judge's floor is the Fréchet distance between n real training and n real test digits. Is it larger at "
    f"n = {SMALL} or at n = {LARGE}?",
    _check_floor,
    "A mean and a covariance estimated from few images are noisy: two such estimates disagree more.",
    f"{SMALL}: the floor, like every FD, is biased upwards at small n (see the live table's 'FD floor').",
)
q4 = Exercise(
    "Which generator has no class accuracy, and so none in the table: 'gan', 'cgan' or 'ddim'?",
    _check_no_accuracy,
    "Class accuracy compares the digit the judge reads with the digit that was asked for.",
    "'gan': the basic GAN draws whatever digit comes out of the noise.",
)

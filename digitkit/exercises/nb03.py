"""Exercises of notebooks/03_conditional_gan.ipynb: the conditional GAN."""

import functools

import numpy as np

from digitkit.exercises import AnswerError, Exercise, as_int, as_number, call, expect_array, expect_close


def _worst_digit():
    from digitkit.comparison import generator_quality

    quality = generator_quality("cgan")
    return quality["worst_digit"], quality["per_class"]


def _check_worst_digit(answer):
    digit = as_int(answer)
    worst, per_class = _worst_digit()
    if not 0 <= digit <= 9:
        raise AnswerError(f"a digit is 0-9. Received: {answer!r}")
    if digit != worst:
        raise AnswerError(f"the judge reads {digit}s right {per_class[digit]:.1%} of the time; one digit does worse.")
    return f"{worst}: the judge reads it as asked {per_class[worst]:.1%} of the time, the lowest of the ten."


def _blend(a, b, weight):
    eye = np.eye(10)
    return (1 - weight) * eye[a] + weight * eye[b]


def _check_blend(answer):
    expect_array(answer, _blend(3, 8, 0.25), "your label vector")
    return "0.75 at index 3, 0.25 at index 8: the generator is asked for three quarters of a 3."


def _check_one_hot(answer):
    for digits in ([6, 4, 6, 7, 7, 5], [0], list(range(10))):
        expect_array(call(answer, digits), np.eye(10)[digits], f"one_hot({digits})")
    return "one row per digit, a single 1 in the digit's column: what the cGAN's label input starts from."


@functools.lru_cache(maxsize=1)
def _parameter_ratio():
    from digitkit.cgan import build_conditional_generator
    from digitkit.reference import build_reference_generator

    ours, reference = build_conditional_generator().count_params(), build_reference_generator().count_params()
    return reference / ours, ours, reference


def _check_ratio(answer):
    ratio, ours, reference = _parameter_ratio()
    expect_close(as_number(answer), ratio, 0.1, "the ratio")
    return f"{reference:,} / {ours:,} = {ratio:.2f}: five times the weights, and about 40 times the computation."


q1 = Exercise(
    "Which digit does the judge read least reliably in the shipped cGAN's samples (the manifest's per_class)?",
    _check_worst_digit,
    "`manifest['cgan']['quality']['per_class']` has one accuracy per digit: find the smallest.",
    lambda: f"{_worst_digit()[0]}: `int(np.argmin(manifest['cgan']['quality']['per_class']))`.",
)
q2 = Exercise(
    "Which 10-element label vector does generate_mixed(3, 8, 0.25) feed the generator? "
    "(A list or array, index = digit.)",
    _check_blend,
    "(1 - w) * onehot(a) + w * onehot(b).",
    "`0.75 * np.eye(10)[3] + 0.25 * np.eye(10)[8]`: 0.75 at index 3, 0.25 at index 8, 0 elsewhere.",
)
q3 = Exercise(
    "Write a function one_hot(digits) that turns a list of N digits into an (N, 10) array of one-hot rows.",
    _check_one_hot,
    "`np.eye(10)` is ten one-hot rows; index it with the digits.",
    "def one_hot(digits):\n    return np.eye(10, dtype='float32')[np.asarray(digits)]",
)
q4 = Exercise(
    "How many times more parameters has the keras.io reference generator than ours? (e.g. 2.5)",
    _check_ratio,
    "`reference.build_reference_generator().count_params()` and `cgan.build_conditional_generator().count_params()`.",
    "About 5.0: 1,491,215 / 297,009 = 5.02.",
)

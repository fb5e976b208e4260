"""Exercises of notebooks/04_diffusion.ipynb: DDIM diffusion."""

import numpy as np

from digitkit.exercises import AnswerError, Exercise, as_int, call, cosine_alpha_bar, expect_array

THRESHOLD = 0.5
STEPS, DIGITS = 20, 10


def _half_step():
    alpha_bar = cosine_alpha_bar(500)
    return int(np.argmax(alpha_bar < THRESHOLD)), alpha_bar


def _check_half_step(answer):
    t = as_int(answer)
    expected, alpha_bar = _half_step()
    if t != expected:
        side = "still above" if alpha_bar[min(max(t, 0), len(alpha_bar) - 1)] >= THRESHOLD else "already below"
        raise AnswerError(f"at t = {t} alpha_bar is {side} {THRESHOLD}; you want the first step below it.")
    return f"t = {expected} (alpha_bar {alpha_bar[expected]:.3f}): the cosine schedule halves the signal near T/2."


def _cases():
    rng = np.random.default_rng(0)
    return [(rng.uniform(-1, 1, (2, 28, 28)), rng.normal(size=(2, 28, 28)), ab) for ab in (0.9, 0.5, 0.02)]


def _check_noisy(answer):
    for x0, noise, ab in _cases():
        expect_array(call(answer, x0, noise, ab), np.sqrt(ab) * x0 + np.sqrt(1 - ab) * noise, f"noisy(x0, noise, {ab})")
    return "x_t = sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) noise: one jump to any step, no loop."


def _check_x0(answer):
    for x_t, v, ab in _cases():
        expect_array(call(answer, x_t, v, ab), np.sqrt(ab) * x_t - np.sqrt(1 - ab) * v, f"predict_x0(x_t, v, {ab})")
    return "x0_hat = sqrt(alpha_bar) x_t - sqrt(1 - alpha_bar) v: a rotation, no division by a tiny sqrt(alpha_bar)."


def _check_network_images(answer):
    count = as_int(answer)
    expected = STEPS * 2 * DIGITS
    if count != expected:
        hint = " Guidance needs two predictions per digit." if count == STEPS * DIGITS else ""
        raise AnswerError(f"not {count}.{hint}")
    return (
        f"{STEPS} steps x {DIGITS} digits x 2 (with and without the label) = {expected} images through the "
        "U-Net; with guidance 0 it would be half."
    )


q1 = Exercise(
    "With the cosine schedule over T = 500 steps, at which step t does alpha_bar first fall below 0.5?",
    _check_half_step,
    "`ab = scheduler.cosine_alpha_bar(500)`; `np.argmax(ab < 0.5)` is the first index where it holds.",
    lambda: f"t = {_half_step()[0]}: `int(np.argmax(scheduler.cosine_alpha_bar(500) < 0.5))`.",
)
q2 = Exercise(
    "Write noisy(x0, noise, alpha_bar_t) that returns x_t of the forward process.",
    _check_noisy,
    "Two weights whose squares sum to 1: sqrt(alpha_bar_t) for the digit, sqrt(1 - alpha_bar_t) for the noise.",
    "def noisy(x0, noise, alpha_bar_t):\n    return np.sqrt(alpha_bar_t) * x0 + np.sqrt(1 - alpha_bar_t) * noise",
)
q3 = Exercise(
    "Write predict_x0(x_t, v, alpha_bar_t) that returns the clean digit the network's v-prediction implies.",
    _check_x0,
    "The section 'What the network predicts' has the formula for x0_hat.",
    "def predict_x0(x_t, v, alpha_bar_t):\n    return np.sqrt(alpha_bar_t) * x_t - np.sqrt(1 - alpha_bar_t) * v",
)
q4 = Exercise(
    f"To draw {DIGITS} digits with {STEPS} DDIM steps and guidance 0.25, how many images pass through the U-Net "
    "in all?",
    _check_network_images,
    "One network call per step; with guidance each digit goes in twice (conditional and unconditional).",
    f"{STEPS} x {DIGITS} x 2 = {STEPS * DIGITS * 2}.",
)

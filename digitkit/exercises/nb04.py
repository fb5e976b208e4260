"""Exercises of notebooks/04_diffusion.ipynb: DDIM diffusion."""

import numpy as np

from digitkit.exercises import AnswerError, Exercise, as_int, call, cosine_alpha_bar, expect_array

THRESHOLD = 0.5
STEPS, DIGITS, GUIDED = 20, 10, 10


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
    expected = (STEPS + GUIDED) * DIGITS
    if count != expected:
        hints = {
            STEPS * DIGITS: " A guided step needs two predictions per digit.",
            2 * STEPS * DIGITS: " Only the guided steps need the second, unconditional prediction.",
        }
        raise AnswerError(f"not {count}.{hints.get(count, '')}")
    return (
        f"{STEPS} steps x {DIGITS} digits with the label, and {GUIDED} guided steps x {DIGITS} digits without it: "
        f"{expected} images through the U-Net; guided at every step it would be {2 * STEPS * DIGITS}."
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
    f"To draw {DIGITS} digits with {STEPS} DDIM steps, guided at the {GUIDED} noisiest of them, how many images "
    "pass through the U-Net in all?",
    _check_network_images,
    "Every step predicts each digit with its label; a guided step also predicts it without (the 'no label' token).",
    f"{STEPS} x {DIGITS} + {GUIDED} x {DIGITS} = {(STEPS + GUIDED) * DIGITS}.",
)

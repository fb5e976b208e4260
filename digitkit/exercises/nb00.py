"""Exercises of notebooks/00_data.ipynb: the MNIST data."""

import numpy as np

from digitkit.exercises import AnswerError, Exercise, as_int, call, expect_array, mnist


def _ink_share_by_digit():
    (x_train, y_train), _ = mnist()
    ink = (x_train > 0).mean(axis=(1, 2))
    return np.array([ink[y_train == d].mean() for d in range(10)])


def _check_most_ink(answer):
    digit = as_int(answer)
    shares = _ink_share_by_digit()
    if not 0 <= digit <= 9:
        raise AnswerError(f"a digit is 0-9. Received: {answer!r}")
    best = int(shares.argmax())
    if digit != best:
        raise AnswerError(f"{digit}s use {shares[digit]:.1%} of their pixels on average; one digit uses more.")
    return (
        f"{best}s use {shares[best]:.1%} of their pixels, 1s the least ({shares[1]:.1%}): "
        "a loop is a long stroke, a 1 a short one."
    )


def _check_fives(answer):
    count = as_int(answer)
    (_, y_train), _ = mnist()
    expected = int(np.bincount(y_train, minlength=10)[5])
    if count != expected:
        raise AnswerError(
            f"the training set does not have {count} fives. " + ("Too many." if count > expected else "Too few.")
        )
    return f"{expected} fives: the rarest digit, against {np.bincount(y_train).max()} of the most common (1)."


def _check_least_ink(answer):
    index = as_int(answer)
    (x_train, _), _ = mnist()
    ink = (x_train > 0).sum(axis=(1, 2))
    if not 0 <= index < len(x_train):
        raise AnswerError(f"an index into x_train is 0-{len(x_train) - 1}. Received: {answer!r}")
    if ink[index] != ink.min():
        raise AnswerError(f"image {index} has {ink[index]} inked pixels; one has fewer.")
    return f"image {index} has only {ink.min()} inked pixels (the most inked has {ink.max()})."


def _check_prepare(answer):
    (x_train, _), _ = mnist()
    cases = [x_train[:3], np.zeros((2, 28, 28), np.uint8), np.full((1, 28, 28), 255, np.uint8)]
    for x in cases:
        result = call(answer, x)
        if np.asarray(result).dtype != np.float32:
            raise AnswerError(f"prepare should return float32. Received dtype {np.asarray(result).dtype}")
        expect_array(result, x / 255.0, "prepare(x)")
    return "prepare(x) gives float32 pixels in [0, 1], as the models expect."


def _check_csv_columns(answer):
    from digitkit.data import NUM_PIXELS

    columns = as_int(answer)
    if columns != NUM_PIXELS + 1:
        raise AnswerError(f"not {columns} columns. Count the pixels of a 28x28 image, plus the label.")
    return f"{NUM_PIXELS + 1} columns: 'label', then pixel0 ... pixel{NUM_PIXELS - 1}."


q1 = Exercise(
    "Which digit has the highest mean ink share (share of pixels > 0) in the training set? Answer an int.",
    _check_most_ink,
    "Group `pixels` (the DataFrame of the pixel section) by digit and look at the 'ink share' column.",
    "0: `pixels.groupby('digit')['ink share'].mean().idxmax()`. Zeros are long loops; 1s use the least ink.",
)
q2 = Exercise(
    "How many 5s are in the training set?",
    _check_fives,
    "`np.bincount(y_train)` counts each digit.",
    "`np.bincount(y_train)[5]`, which is 5421.",
)
q3 = Exercise(
    "What is the index (in x_train) of the training image with the least ink (fewest pixels > 0)?",
    _check_least_ink,
    "Count inked pixels per image with `(x_train > 0).sum(axis=(1, 2))`, then take the argmin.",
    "`int((x_train > 0).sum(axis=(1, 2)).argmin())`, which is 57362; show it with `viz.image_grid(x_train[57362])`.",
)
q4 = Exercise(
    "Write a function prepare(x) that turns uint8 images (N, 28, 28) into float32 pixels in [0, 1].",
    _check_prepare,
    "uint8 pixels run from 0 to 255; divide, and mind the dtype.",
    "def prepare(x):\n    return x.astype('float32') / 255",
)
q5 = Exercise(
    "How many columns does a Kaggle-style train.csv (with labels) have?",
    _check_csv_columns,
    "One column per pixel of a 28x28 image, plus one.",
    "785: `label`, then `pixel0` ... `pixel783` (`data.to_kaggle_csv(...).shape[1]`).",
)

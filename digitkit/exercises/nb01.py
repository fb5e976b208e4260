"""Exercises of notebooks/01_dense_classifier.ipynb: the dense classifier."""

import functools

import numpy as np

from digitkit.exercises import AnswerError, Exercise, as_int, as_number, call, expect_close, mnist, pretrained


def _check_sum(answer):
    expect_close(as_number(answer), 1.0, 1e-3, "the sum of the 10 probabilities")
    return "softmax turns 10 scores into probabilities that sum to 1: the model always answers some digit."


@functools.lru_cache(maxsize=1)
def _second_dense_parameters():
    import keras

    from digitkit.classifier import build_dense_classifier

    dense = [layer for layer in build_dense_classifier().layers if isinstance(layer, keras.layers.Dense)]
    return int(dense[1].count_params()), dense[0].units, dense[1].units


def _check_parameters(answer):
    count = as_int(answer)
    expected, units_in, units_out = _second_dense_parameters()
    if count != expected:
        raise AnswerError(f"not {count}. Each of the {units_out} units has one weight per input, plus a bias.")
    return f"{units_in} x {units_out} weights + {units_out} biases = {expected:,}."


def _confusion_cases():
    rng = np.random.default_rng(0)
    cases = []
    for true, predicted in ((4, 9), (7, 2), (3, 5), (0, 6)):
        cm = rng.integers(0, 20, size=(10, 10))
        np.fill_diagonal(cm, 900)
        cm[true, predicted] = 40
        cases.append((cm, (true, predicted)))
    return cases


def _check_top_confusion(answer):
    for cm, expected in _confusion_cases():
        result = call(answer, cm)
        try:
            got = tuple(int(v) for v in result)
        except (TypeError, ValueError) as error:
            raise AnswerError(f"top_confusion should return a pair (true, predicted). Received: {result!r}") from error
        if got != expected:
            raise AnswerError(
                f"on a matrix whose largest mistake is {expected} (row true, column predicted) "
                f"it returned {got}. Did you skip the diagonal?"
            )
    return "top_confusion finds the most frequent mistake; try it on result['confusion']."


@functools.lru_cache(maxsize=1)
def _most_confident_mistake():
    from digitkit.classifier import predict_probabilities

    _, (x_test, y_test) = mnist()
    probabilities = predict_probabilities(pretrained("dense"), x_test)
    predictions = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predictions != y_test)
    index = int(wrong[probabilities[wrong].max(axis=1).argmax()])
    return index, int(y_test[index]), int(predictions[index]), float(probabilities[index].max())


def _check_confident_mistake(answer):
    index = as_int(answer)
    expected, label, read, confidence = _most_confident_mistake()
    if index != expected:
        raise AnswerError(f"test image {index} is not the most confident mistake of the shipped dense model.")
    return f"test image {index} is a {label} that the model reads as {read} with {confidence:.1%} confidence."


q1 = Exercise(
    "The 10 probabilities the classifier returns for one image sum to what?",
    _check_sum,
    "Look at the last layer: which activation turns scores into probabilities?",
    "1.0: the last layer is a softmax. Check with `dense.predict(x_test[:1]).sum()`.",
)
q2 = Exercise(
    "How many weights and biases does the second Dense layer (128 -> 64 units) have?",
    _check_parameters,
    "Every one of the 64 units has a weight for each of the 128 inputs, and one bias.",
    "128 * 64 + 64 = 8,256 (see `dense.summary()`).",
)
q3 = Exercise(
    "Write a function top_confusion(confusion) that returns the (true, predicted) pair of the largest mistake "
    "in a 10x10 confusion matrix (rows: true digit).",
    _check_top_confusion,
    "Copy the matrix, set its diagonal to 0 (`np.fill_diagonal`), then `np.unravel_index(m.argmax(), m.shape)`.",
    "def top_confusion(confusion):\n    m = np.array(confusion)\n    np.fill_diagonal(m, 0)\n"
    "    return tuple(int(i) for i in np.unravel_index(m.argmax(), m.shape))",
)
q4 = Exercise(
    "Which test image (its index) is the shipped dense model most confident about while being wrong?",
    _check_confident_mistake,
    "`p = classifier.predict_probabilities(dense, x_test)`; among the indices where `p.argmax(1) != y_test`, "
    "take the one with the largest `p.max(1)`.",
    lambda: (
        "test image {} (a {} read as {} at {:.1%}): `wrong = np.flatnonzero(p.argmax(1) != y_test); "
        "wrong[p[wrong].max(1).argmax()]`".format(*_most_confident_mistake())
    ),
)

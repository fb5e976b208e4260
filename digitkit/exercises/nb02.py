"""Exercises of notebooks/02_gan.ipynb: the basic GAN and its failure modes."""

import functools

import numpy as np

from digitkit.exercises import AnswerError, Exercise, as_int, as_name, as_number, expect_close, pretrained

SAMPLE_SEED = 3


def _check_entropy(answer):
    from digitkit.metrics import label_entropy

    expected = label_entropy(np.arange(10))
    expect_close(as_number(answer), expected, 0.005, "the label entropy of ten equally common digits")
    return f"ln 10 = {expected:.4f} nats: the most a histogram of ten digits can have."


def _final_gradients():
    from digitkit.lab import LAB_RUNS
    from digitkit.runs import load_runs

    runs = load_runs()
    return {name: runs[name]["history"]["g_grad_norm"][-1] for name in LAB_RUNS if name in runs}


def _smallest_gradient_run():
    gradients = _final_gradients()
    return min(gradients, key=gradients.get)


def _check_smallest_gradient(answer):
    gradients = _final_gradients()
    name = as_name(answer, list(gradients))
    smallest = _smallest_gradient_run()
    if name != smallest:
        raise AnswerError(f"{name!r} ends with a gradient norm of {gradients[name]:.3f}; one run ends lower.")
    return (
        f"{smallest!r} ends at {gradients[smallest]:.3f}, against {gradients['healthy']:.2f} for 'healthy': "
        "the saturating loss falls silent when D wins."
    )


def _saturating_slope(d_of_fake):
    def loss(z):  # log(1 - D) as a function of D's logit z
        return np.log(1 - 1 / (1 + np.exp(-z)))

    logit = np.log(d_of_fake / (1 - d_of_fake))
    step = 1e-6
    return abs((loss(logit + step) - loss(logit - step)) / (2 * step))


def _check_slope(answer):
    expected = _saturating_slope(0.01)
    expect_close(abs(as_number(answer)), expected, 1e-4, "the slope's size")
    return f"{expected:.4f}: the slope equals D(G(z)) itself, so a generator that is losing badly hears almost nothing."


@functools.lru_cache(maxsize=1)
def _judge_reads_sample():
    from digitkit.metrics import judge_labels

    image = pretrained("dense_gan").generate(1, seed=SAMPLE_SEED)
    return int(judge_labels(image)[0])


def _check_judge_reads(answer):
    digit = as_int(answer)
    expected = _judge_reads_sample()
    if digit != expected:
        raise AnswerError(f"the judge does not read {digit} in model.generate(1, seed={SAMPLE_SEED}).")
    return f"the judge reads {expected}. The GAN chose that digit itself: it cannot be asked for one."


q1 = Exercise(
    "What label entropy (in nats) has a generator whose samples the judge reads as each of the ten digits "
    "equally often?",
    _check_entropy,
    "The entropy of a uniform distribution over k outcomes is ln k.",
    "ln 10 = 2.3026 (`metrics.label_entropy(np.arange(10))`).",
)
q2 = Exercise(
    "Which run of the failure-mode lab ends with the smallest generator gradient norm ('g_grad_norm')?",
    _check_smallest_gradient,
    "`{name: runs[name]['history']['g_grad_norm'][-1] for name in lab.LAB_RUNS}`",
    lambda: f"{_smallest_gradient_run()!r}: `min(gradients, key=gradients.get)` over the final gradient norms.",
)
q3 = Exercise(
    "With the saturating loss log(1 - D(G(z))), how large is its slope with respect to D's logit when D(G(z)) = 0.01?",
    _check_slope,
    "D = sigmoid(logit), and d sigmoid / d logit = D (1 - D). Differentiate log(1 - D).",
    "0.01: d/dl log(1 - sigmoid(l)) = -sigmoid(l) = -D(G(z)).",
)
q4 = Exercise(
    f"Which digit does the judge read in the pretrained dense GAN's sample model.generate(1, seed={SAMPLE_SEED})?",
    _check_judge_reads,
    f"`metrics.judge_labels(model.generate(1, seed={SAMPLE_SEED}))`",
    lambda: f"{_judge_reads_sample()}: `metrics.judge_labels(model.generate(1, seed={SAMPLE_SEED}))[0]`.",
)

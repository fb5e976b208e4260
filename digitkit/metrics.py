"""Grading generated digits with the judge CNN.

`frechet_distance` is FID's formula on the judge's 128-wide ``features``
layer instead of Inception's; `class_accuracy` is how often the judge reads
the digit that was asked for. Every generator in the course is reported with
these two numbers.
"""

import functools

import numpy as np

from digitkit.data import to_model_input


@functools.lru_cache(maxsize=1)
def default_judge():
    """The shipped judge, loaded once per process."""
    from digitkit.pretrained import load_pretrained

    return load_pretrained("judge")


def resolve_judge(judge=None):
    """``judge`` itself, or the shipped judge (`default_judge`) when it is None."""
    return default_judge() if judge is None else judge


_EXTRACTORS = {}  # id(judge) -> (judge, its features model)


def judge_features(images, judge=None, batch_size=500):
    """The judge's penultimate (``features``) activations, shape (N, 128)."""
    import keras

    judge = resolve_judge(judge)
    kept = _EXTRACTORS.get(id(judge))
    if kept is None or kept[0] is not judge:  # one extractor per judge: built (and traced) once
        kept = _EXTRACTORS[id(judge)] = (judge, keras.Model(judge.inputs, judge.get_layer("features").output))
    extractor = kept[1]
    return np.asarray(extractor.predict(to_model_input(images), batch_size=batch_size, verbose=0), dtype="float64")


def frechet_from_features(f1, f2):
    """Fréchet distance between Gaussians fitted to two feature sets (N, D)."""
    f1, f2 = np.asarray(f1, dtype="float64"), np.asarray(f2, dtype="float64")
    if len(f1) < 2 or len(f2) < 2:
        raise ValueError(f"Need at least 2 samples on each side. Received: {len(f1)} and {len(f2)}")
    mu1, mu2 = f1.mean(axis=0), f2.mean(axis=0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    # tr(sqrt(s1 s2)) through symmetric matrices only: sqrt(s1) s2 sqrt(s1).
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.linalg.eigvalsh(root1 @ s2 @ root1)
    trace_root = np.sqrt(np.clip(cross, 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * trace_root)


def frechet_distance(a, b, judge=None):
    """Fréchet distance between two image sets, measured on the judge's features.

    Near 0 for two samples of the same distribution, large for noise against
    digits. Like FID it is biased upwards for small sets: compare numbers
    computed on sets of the same size (the course uses 1,000 to 10,000).

    Args:
        a, b: images (N, 28, 28[, 1]), uint8 or float in [0, 1].
        judge: a classifier with a ``features`` layer; the shipped judge by default.
    """
    return frechet_from_features(judge_features(a, judge), judge_features(b, judge))


def judge_probabilities(images, judge=None):
    """The judge's probabilities of the ten digits for each image, shape (N, 10)."""
    from digitkit.classifier import predict_probabilities

    return predict_probabilities(resolve_judge(judge), images, batch_size=500)


def judge_labels(images, judge=None):
    """The digit the judge reads in each image, shape (N,)."""
    return judge_probabilities(images, judge).argmax(axis=1)


def class_accuracy(images, labels, judge=None):
    """Share of images in which the judge reads the digit that was asked for."""
    labels = np.asarray(labels).astype(int).reshape(-1)
    if len(labels) != len(np.asarray(images)):
        raise ValueError(f"Need one label per image. Received: {len(np.asarray(images))} images, {len(labels)} labels")
    return float((judge_labels(images, judge) == labels).mean())


def per_digit_accuracy(read, labels):
    """For each digit 0-9, the share of images labelled with it that were read as it.

    Args:
        read: the digits read (e.g. `judge_labels`); labels: the digits asked for (or the true ones).

    Returns:
        float64 array (10,); NaN for a digit no image is labelled with.
    """
    read, labels = np.asarray(read).reshape(-1), np.asarray(labels).astype(int).reshape(-1)
    if len(read) != len(labels):
        raise ValueError(f"Need one label per reading. Received: {len(read)} readings, {len(labels)} labels")
    hits = np.bincount(labels[read == labels], minlength=10)[:10]
    counts = np.bincount(labels, minlength=10)[:10]
    with np.errstate(invalid="ignore", divide="ignore"):
        return hits / counts


def unsure_share(images, threshold=0.9, judge=None):
    """Share of images whose most likely digit the judge gives less than ``threshold`` probability.

    Real test digits: 1.2% at 0.9 (all 10,000 of the test set). A generator that draws
    blends between two digits (an unconditional GAN) scores high here even when its
    strokes are clean (`benchmarks/eval_gans.py`).
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must lie in (0, 1]. Received: threshold={threshold!r}")
    return float((judge_probabilities(images, judge).max(axis=1) < threshold).mean())


def label_histogram(labels):
    """Counts of each digit 0-9 among ``labels``."""
    return np.bincount(np.asarray(labels).astype(int), minlength=10)[:10]


def label_entropy(labels):
    """Entropy in nats of the digits' histogram: ln(10) = 2.30 when all are equally common."""
    counts = label_histogram(labels)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def frechet_floor(n, judge=None):
    """The judge's Fréchet distance between ``n`` real training and ``n`` real test digits.

    No generator can be expected below it at the same ``n`` (the distance is
    biased upwards for small sets), so generators are reported as
    ``frechet / frechet_floor`` too. For the shipped judge the value recorded
    in its manifest entry (``quality["frechet_floor"][str(n)]``) is used when
    there is one; otherwise it is measured on the first ``n`` training images
    and the ``n`` test images generators are compared with (`digitkit.data.test_reference`),
    once per process.
    """
    if int(n) != n or n < 2:
        raise ValueError(f"n must be a whole number >= 2. Received: n={n!r}")
    if judge is not None:
        return _measure_floor(int(n), judge)
    from digitkit.pretrained import read_manifest

    recorded = read_manifest().get("judge", {}).get("quality", {}).get("frechet_floor", {})
    if str(int(n)) in recorded:
        return float(recorded[str(int(n))])
    return _shipped_floor(int(n))


@functools.lru_cache(maxsize=8)
def _shipped_floor(n):
    return _measure_floor(n, default_judge())


def _measure_floor(n, judge):
    from digitkit.data import load_mnist, test_reference

    reference, _ = test_reference(n)
    (x_train, _), _ = load_mnist(normalize=True)
    return frechet_distance(x_train[:n], reference, judge)

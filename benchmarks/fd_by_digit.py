"""Where a conditional generator's Fréchet distance comes from: digit by digit, and mean against spread.

    nice -n 19 python3 benchmarks/fd_by_digit.py                        # the shipped cGAN and DDIM (~15 min, 2 cores)
    nice -n 19 python3 benchmarks/fd_by_digit.py ddim --guidance 0 0.25  # the DDIM at two guidance scales
    nice -n 19 python3 benchmarks/fd_by_digit.py ddim --weights runs/ddim_w32  # a training run's weights

Each generator draws the manifest's Fréchet samples (`digitkit.evaluation.evaluate_generator`: the
digits of all 10,000 test images, the manifest's evaluation seed). Printed per row: the whole
distance and its mean term (the squared distance between the two feature means; the rest is the
covariance term), then the same for each digit: its samples against the test images of that digit.
Real training digits, drawn in the test set's shares, give the reference row: what chance alone leaves at these sizes.

Measured 2026-12-06 (shipped weights; FD, mean term in brackets):

| row | all | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 |
|---|---|---|---|---|---|---|---|---|---|---|---|
| real training digits | 0.89 (0.10) | 2.2 | 3.5 | 5.8 (1.8) | 4.1 | 2.8 (1.1) | 3.6 | 3.3 | 1.9 | 6.1 | 3.5 |
| cGAN | 2.61 (0.45) | 6.6 | 11.2 | 14.6 (4.3) | 8.2 | 7.7 (4.0) | 15.0 | 14.7 | 12.7 | 19.8 | 8.1 |
| DDIM, guidance 0.25 | 4.71 (1.28) | 4.2 | 4.1 | 18.4 (14.1) | 5.8 | 20.9 (18.1) | 10.8 | 7.9 | 10.7 | 10.1 | 6.9 |

Digit by digit the DDIM is closer to real handwriting than the cGAN for eight digits of ten; its whole
distance is larger because its 2s and 4s sit off the real ones' mean. Guidance does that: the DDIM's 4s
alone measure 8.2 (mean term 1.8) unguided, 17.8 (14.5) at guidance 0.25 and 103 at 1; its 2s 18.6
(3.8), 18.1 (15.1) and 116. Guidance buys the judge's reading by pushing each digit away from the
unconditional prediction (all digits at once), and for 2 and 4 that moves their whole population off the
real one; an unguided model that is read right as often is what #13's targets need.
"""

import argparse

import numpy as np

from digitkit import logs  # noqa: F401  (quiet TensorFlow: imported before Keras loads it)


def frechet_parts(f1, f2):
    """``(distance, mean term)`` of two feature sets: the mean term is ``|mu1 - mu2|^2``."""
    from digitkit import metrics

    return metrics.frechet_from_features(f1, f2), float(((f1.mean(axis=0) - f2.mean(axis=0)) ** 2).sum())


def by_digit(features, labels, test_features, test_labels):
    """``[(distance, mean term)] * 10``: each digit's features against the test features of that digit."""
    return [frechet_parts(features[labels == d], test_features[test_labels == d]) for d in range(10)]


def _row(name, features, labels, test_features, test_labels):
    total, mean = frechet_parts(features, test_features)
    digits = by_digit(features, labels, test_features, test_labels)
    parts = " ".join(f"{d}:{fd:.1f}({m:.1f})" for d, (fd, m) in enumerate(digits))
    return f"{name:>24}: FD {total:.2f} (mean term {mean:.2f}); by digit FD(mean term): {parts}"


def main():
    from digitkit import diffusion, evaluation, metrics, pretrained
    from digitkit.data import load_mnist, test_reference

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["cgan", "ddim"], help="shipped conditional generators")
    parser.add_argument("--guidance", type=float, nargs="+", default=[diffusion.GUIDANCE], help="the DDIM's scales")
    parser.add_argument("--n", type=int, default=10000, help="test images compared with (and samples)")
    parser.add_argument("--weights", help="a run's directory (its weights and manifest) instead of weights/")
    args = parser.parse_args()
    seed = evaluation.EVALUATION["seed"]
    (x_train, y_train), _ = load_mnist(normalize=True)
    reference, test_labels = test_reference(args.n)
    test = (metrics.judge_features(reference), test_labels)
    counts = np.bincount(test_labels, minlength=10)
    real = np.concatenate([np.flatnonzero(y_train == d)[: counts[d]] for d in range(10)])  # the test set's shares
    print(_row("real training digits", metrics.judge_features(x_train[real]), y_train[real], *test), flush=True)
    for name in args.names:
        model = pretrained.load_pretrained(name, directory=args.weights)
        if name != "ddim":
            images = evaluation.generate(model, test_labels, seed=seed)
            print(_row(name, metrics.judge_features(images), test_labels, *test), flush=True)
            continue
        for w in args.guidance:
            images = model.sample(test_labels, steps=diffusion.STEPS, guidance=w, seed=seed)
            print(_row(f"ddim, guidance {w:g}", metrics.judge_features(images), test_labels, *test), flush=True)


if __name__ == "__main__":
    main()

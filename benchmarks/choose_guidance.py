"""The DDIM's guidance scale and interval, measured: the judge's accuracy, and the distance to *training* digits.

    nice -n 19 python3 benchmarks/choose_guidance.py                       # the grid below, 300 per digit (~60 min)
    python3 benchmarks/choose_guidance.py --per-digit 500 --seed 7 --settings 0.25@0-1 0.5@0.3-0.9
    python3 benchmarks/choose_guidance.py --weights runs/ddim --settings 0.25@0-1 0.5@0.3-0.9   # a run's weights

Each setting is ``guidance@low-high``: the guidance scale and the noise levels ``t / (T - 1)`` it acts at
(`digitkit.diffusion.DiffusionModel.sample`'s ``guidance_interval``; 1 is pure noise), at 20 DDIM steps.
For each, the DDIM draws ``--per-digit`` samples of every digit, which the judge reads (accuracy and the
worst digit), and as many samples again asking for the digits of as many training images drawn at
random (seed 0), whose judge features they are compared with (Fréchet distance). The test set is not
used, so that choosing a default here leaves the manifest's numbers (`digitkit.evaluation.evaluate_generator`)
a fair measure.
Rows that meet #13's accuracy targets (>= 99.6% in all, no digit under 99.2%) are marked.

Measured on the shipped DDIM (2026-12-06, 2 cores, 2 to 5 min a row). A first screen, 300 per digit,
seed 123, FD of 3,000 samples against 3,000 training digits:

| guidance | guided noise levels | guided steps of 20 | accuracy | worst digit | FD to training digits |
|---:|---|---:|---:|---|---:|
| 0 | - | 0 | 97.60% | 9 (95.7%) | 24.78 |
| 0.25 | 0-1 (every step: the default) | 20 | 99.50% | 8 (98.3%) | 6.91 |
| 0.25 | 0.5-1 | 10 | 99.47% | 8 (98.3%) | 7.47 |
| 0.5 | 0-0.5 | 10 | 98.07% | 2 (96.7%) | 20.52 |
| 0.5 | 0.5-1 | 10 | 99.80% | 9 (99.3%) | 6.00 |
| 0.5 | 0.6-1 | 8 | 99.73% | 8 (99.3%) | 5.85 |
| 0.5 | 0.7-1 | 6 | 99.60% | 8 (99.0%) | 5.78 |
| 0.5 | 0.4-0.9 | 10 | 99.70% | 8 (99.0%) | 5.55 |
| 0.5 | 0.3-0.9 | 12 | 99.73% | 1 (99.3%) | 5.46 |
| 0.5 | 0.4-0.8 | 8 | 99.43% | 8 (98.7%) | 8.93 |
| 0.5 | 0.5-0.9 | 8 | 99.70% | 8 (99.0%) | 5.72 |
| 0.35 | 0.5-1 | 10 | 99.63% | 8 (99.0%) | 5.86 |
| 0.6 | 0.5-1 | 10 | 99.93% | 8 (99.7%) | 7.15 |
| 0.75 | 0.6-1 | 8 | 99.97% | 9 (99.7%) | 8.64 |
| 0.75 | 0.4-0.9 | 10 | 99.90% | 2 (99.7%) | 5.67 |
| 0.75 | 0.3-0.9 | 12 | 99.90% | 2 (99.7%) | 5.80 |
| 1 | 0.5-1 | 10 | 99.93% | 2 (99.7%) | 13.42 |
| 1 | 0.7-1 | 6 | 99.90% | 1 (99.7%) | 10.46 |
| 1 | 0.4-0.9 | 10 | 100.00% | 0 (100.0%) | 7.54 |
| 1 | 0.7-0.9 | 4 | 99.70% | 1 (99.3%) | 5.49 |
| 1.5 | 0.7-0.9 | 4 | 99.97% | 5 (99.7%) | 7.43 |

Then the best of them again, on another seed and more samples (500 per digit, seed 7, 5,000 against
5,000 training digits):

| guidance | guided noise levels | guided steps | accuracy | worst digit | FD to training digits |
|---:|---|---:|---:|---|---:|
| 0.25 | 0-1 (the default) | 20 | 99.06% | 9 (97.8%) | 2.93 |
| 0.5 | 0-1 | 20 | 99.64% | 9 (99.0%) | 6.16 |
| 0.5 | 0.3-0.9 | 12 | 99.34% | 9 (98.2%) | 3.07 |
| 0.6 | 0.3-0.9 | 12 | 99.56% | 9 (98.6%) | 3.84 |
| 0.75 | 0.3-0.9 | 12 | 99.70% | 9 (99.0%) | 5.54 |
| 0.75 | 0.4-0.9 | 10 | 99.70% | 9 (99.0%) | 5.18 |
| 1 | 0.7-0.9 | 4 | 99.36% | 9 (98.2%) | 4.40 |

The screen's lead of the intervals over the default (a fifth lower distance at higher accuracy) did
not hold: picked as the best of 21 noisy numbers, it was partly noise. What held: the noisy levels
decide the digit (guiding only 0-0.5 hardly helps; leaving out 0.8-0.9 costs most), and at equal
accuracy an interval is closer to real digits than guidance at every step, for fewer network passes.
No setting beat the default's distance, so `digitkit.diffusion.GUIDANCE_INTERVAL` stays every step.
Measured the manifest's way (1,000 of each digit, seed 123, against the test set), 0.5 at 0.3-0.9 reads
99.66% (worst digit 9 at 99.2%) at FD 7.64 (6.8x the floor), the default 99.43% (5 at 98.7%) at 4.71.

The tables above compared with the *last* 3,000 (5,000) training images, as this script did until
2026-12-06. That slice has a style of its own: at 3,000 images it is FD 28.1 from the first 3,000 test
digits, where the first 3,000 training digits are 10.2 (`benchmarks/autoguidance.py`, whose screen it
misled), so distances to it favour samples drawn in its style. The two settings re-measured the manifest's
way kept their order; a new screen draws its training digits at random.
"""

import argparse
import time

import numpy as np

from digitkit import logs  # noqa: F401  (quiet TensorFlow: imported before Keras loads it)

ACCURACY, WORST = 0.996, 0.992  # #13's targets
SETTINGS = (
    "0@0-1 0.25@0-1 0.25@0.5-1 0.5@0-0.5 0.5@0.5-1 0.5@0.6-1 0.5@0.7-1 0.5@0.4-0.9 0.5@0.3-0.9 0.5@0.4-0.8 "
    "0.5@0.5-0.9 0.35@0.5-1 0.6@0.5-1 0.75@0.6-1 0.75@0.4-0.9 0.75@0.3-0.9 1@0.5-1 1@0.7-1 1@0.4-0.9 1@0.7-0.9 "
    "1.5@0.7-0.9"
).split()


def parse_setting(text):
    """``"0.5@0.3-0.9"`` -> ``(0.5, (0.3, 0.9))``."""
    from digitkit.sampler import check_guidance, check_guidance_interval

    try:
        guidance, interval = text.split("@")
        return check_guidance(float(guidance)), check_guidance_interval(tuple(map(float, interval.split("-"))))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a setting is guidance@low-high, e.g. 0.5@0.3-0.9; got {text!r}") from None


def measure(model, guidance, interval, per_digit, seed, reference):
    """Accuracy, worst digit and Fréchet distance to ``reference = (features, labels)`` of one setting."""
    from digitkit import diffusion, metrics

    kwargs = dict(steps=diffusion.STEPS, guidance=guidance, guidance_interval=interval, seed=seed)
    digits = np.repeat(np.arange(10), per_digit)
    read = metrics.judge_labels(model.sample(digits, **kwargs))
    per_class = metrics.per_digit_accuracy(read, digits)
    features, labels = reference
    frechet = metrics.frechet_from_features(metrics.judge_features(model.sample(labels, **kwargs)), features)
    guided = int(model.sampler.guided_steps(model.sampling_steps(diffusion.STEPS), guidance, interval).sum())
    return dict(
        guidance=guidance,
        interval=interval,
        guided_steps=guided,
        accuracy=float((read == digits).mean()),
        worst_digit=int(per_class.argmin()),
        worst_accuracy=float(per_class.min()),
        frechet=frechet,
    )


def format_row(r):
    low, high = r["interval"]
    return (
        f"| {r['guidance']:g} | {low:g}-{high:g} | {r['guided_steps']} | {r['accuracy']:.2%} | "
        f"{r['worst_digit']} ({r['worst_accuracy']:.1%}) | {r['frechet']:.2f} |"
    )


def main():
    from digitkit import metrics, pretrained
    from digitkit.data import load_mnist

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-digit", type=int, default=300, help="samples of each digit, and x10 for the distance")
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--settings", nargs="+", type=parse_setting, default=[parse_setting(s) for s in SETTINGS])
    parser.add_argument("--weights", default=None, help="a run's folder (its ddim weights and manifest)")
    args = parser.parse_args()
    model = pretrained.load_pretrained("ddim", directory=args.weights)
    (x_train, y_train), _ = load_mnist(normalize=True)
    n = 10 * args.per_digit
    drawn = np.random.default_rng(0).choice(len(x_train), n, replace=False)  # not a slice: see above
    reference = metrics.judge_features(x_train[drawn]), y_train[drawn]
    print(f"{args.weights or 'shipped'} DDIM, {args.per_digit} per digit, FD of {n} samples to {n} training digits")
    print("| guidance | guided noise levels | guided steps of 20 | accuracy | worst digit | FD to training digits |")
    print("|---:|---|---:|---:|---|---:|", flush=True)
    rows = []
    for guidance, interval in args.settings:
        start = time.perf_counter()
        rows.append(measure(model, guidance, interval, args.per_digit, args.seed, reference))
        met = rows[-1]["accuracy"] >= ACCURACY and rows[-1]["worst_accuracy"] >= WORST
        print(format_row(rows[-1]), f"({time.perf_counter() - start:.0f} s)", "meets #13's accuracy" * met, flush=True)


if __name__ == "__main__":
    main()

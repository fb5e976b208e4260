"""The shipped DDIM under different samplers: solver x steps x guidance, judged on the same digits.

No retraining: the same network, sampled with DDIM's first-order step or DPM-Solver++(2M)
(`digitkit.sampler.SOLVERS`), at several step counts and guidance scales. For each setting it
prints the judge's class accuracy (all digits, and the worst digit), the Fréchet distance of the
samples to the first N test images beside the judge's floor at that N, and the sampling time.
Every setting draws the same digits from the same starting noise (``--seed``).

    nice -n 19 python3 benchmarks/eval_ddim_sampling.py                  # 200 per digit (~30 min on 2 cores)
    python3 benchmarks/eval_ddim_sampling.py --per-digit 20 --settings ddim:20:0.25 dpm++2m:10:0.25  # smoke
"""

import argparse
import time

import numpy as np

from digitkit import diffusion, metrics, pretrained
from digitkit.data import load_mnist

SETTINGS = (  # solver:steps:guidance; the first is the shipped default
    f"ddim:{diffusion.STEPS}:{diffusion.GUIDANCE}",
    f"dpm++2m:{diffusion.STEPS}:{diffusion.GUIDANCE}",
    f"dpm++2m:10:{diffusion.GUIDANCE}",
    f"ddim:10:{diffusion.GUIDANCE}",
    f"ddim:{diffusion.STEPS}:0.5",
    f"dpm++2m:{diffusion.STEPS}:0.5",
    f"ddim:{diffusion.STEPS}:1.0",
)


def parse_setting(text):
    """``"dpm++2m:20:0.25"`` -> ``("dpm++2m", 20, 0.25)``."""
    try:
        solver, steps, guidance = text.split(":")
        return solver, int(steps), float(guidance)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a setting is solver:steps:guidance, e.g. ddim:20:0.25; got {text!r}"
        ) from None


def evaluate(model, settings, per_digit, seed=0):
    """One dict per setting: solver, steps, guidance, accuracy, worst digit and its accuracy, FD, seconds."""
    labels = np.repeat(np.arange(10, dtype="int32"), per_digit)
    _, (x_test, _) = load_mnist(normalize=True)
    reference = metrics.judge_features(x_test[: len(labels)])
    floor = metrics.frechet_floor(len(labels))
    rows = []
    for solver, steps, guidance in settings:
        start = time.perf_counter()
        images = model.sample(labels, steps=steps, guidance=guidance, solver=solver, seed=seed)
        seconds = time.perf_counter() - start
        predicted = metrics.judge_labels(images)
        per_class = np.array([(predicted[labels == d] == d).mean() for d in range(10)])
        frechet = metrics.frechet_from_features(metrics.judge_features(images), reference)
        rows.append(
            dict(
                solver=solver,
                steps=steps,
                guidance=guidance,
                accuracy=float((predicted == labels).mean()),
                worst_digit=int(per_class.argmin()),
                worst=float(per_class.min()),
                frechet=frechet,
                over_floor=frechet / floor,
                seconds=seconds,
            )
        )
        print(format_row(rows[-1]), flush=True)
    return rows, floor


HEADER = (
    "| solver | steps | guidance | accuracy | worst digit | FD | FD/floor | sampling s |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
)


def format_row(r):
    return (
        f"| {r['solver']} | {r['steps']} | {r['guidance']:g} | {r['accuracy']:.2%} | "
        f"{r['worst_digit']} ({r['worst']:.1%}) | {r['frechet']:.2f} | {r['over_floor']:.2f} | {r['seconds']:.0f} |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-digit", type=int, default=200, help="samples of each digit (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--settings", nargs="+", type=parse_setting, default=[parse_setting(s) for s in SETTINGS], metavar="S:N:G"
    )
    args = parser.parse_args()
    model = pretrained.load_pretrained("ddim")
    n = 10 * args.per_digit
    print(f"shipped DDIM, {n} samples ({args.per_digit} per digit), seed {args.seed}")
    print(HEADER, flush=True)
    _, floor = evaluate(model, args.settings, args.per_digit, seed=args.seed)
    print(f"judge's floor at {n}: {floor:.3f} (train vs test)")


if __name__ == "__main__":
    main()

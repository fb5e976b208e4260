"""The shipped DDIM (or a run's: --weights) under different samplers: solver x steps x guidance (x eta), judged alike.

No retraining: the same network, sampled with DDIM's first-order step or DPM-Solver++(2M)
(`digitkit.sampler.SOLVERS`), at several step counts, guidance scales, guidance intervals (the noise
levels guidance acts at; default `digitkit.diffusion.GUIDANCE_INTERVAL`) and (DDIM) etas. For each setting it
prints `digitkit.evaluation.evaluate_ddim`'s measures: the judge's class accuracy (all digits, and
the worst digit), the Fréchet distance of the samples to N test images (`digitkit.data.test_reference`) beside the
judge's floor at that N, and the sampling time per 100 digits.
Every setting draws the same digits from the same starting noise (``--seed``).

    nice -n 19 python3 benchmarks/eval_ddim_sampling.py                  # 200 per digit (~30 min on 2 cores)
    python3 benchmarks/eval_ddim_sampling.py --per-digit 20 --settings ddim:20:0.25 dpm++2m:10:0.25  # smoke
    python3 benchmarks/eval_ddim_sampling.py --settings ddim:20:0:0.5 ddim:20:0.25:1   # eta 0.5 and 1
    python3 benchmarks/eval_ddim_sampling.py --settings ddim:20:0.25@0-1 ddim:20:0.5@0.5-1   # guidance intervals
    python3 benchmarks/eval_ddim_sampling.py --weights runs/ddim   # a run's weights (`digitkit train ddim --out`)
    python3 benchmarks/eval_ddim_sampling.py --checkpoint runs/ddim_w32/ddim.resume.weights.h5 --settings \
        ddim:20:0 ddim:20:0.1 ddim:20:0.25   # a run mid-way (its EMA network), at three guidance scales
"""

import argparse

from digitkit import diffusion, evaluation, metrics, pretrained
from digitkit.data import test_reference
from digitkit.sampler import check_guidance_interval

SETTINGS = (  # solver:steps:guidance[:eta][@low-high]; the first is the shipped default
    f"ddim:{diffusion.STEPS}:{diffusion.GUIDANCE}",
    f"dpm++2m:{diffusion.STEPS}:{diffusion.GUIDANCE}",
    f"dpm++2m:10:{diffusion.GUIDANCE}",
    f"ddim:10:{diffusion.GUIDANCE}",
    f"ddim:{diffusion.STEPS}:0.5",
    f"dpm++2m:{diffusion.STEPS}:0.5",
    f"ddim:{diffusion.STEPS}:1.0",
)


def parse_setting(text):
    """``"dpm++2m:20:0.25"`` -> ``("dpm++2m", 20, 0.25, 0.0, GUIDANCE_INTERVAL)``; ``"ddim:20:0.25:1"``: eta 1;
    ``"ddim:20:0.5@0.4-0.9"``: guidance at the noise levels 0.4 to 0.9."""
    try:
        body, *interval = text.split("@")
        solver, steps, guidance, *eta = body.split(":")
        if len(eta) > 1 or len(interval) > 1:
            raise ValueError
        low_high = tuple(map(float, interval[0].split("-"))) if interval else diffusion.GUIDANCE_INTERVAL
        setting = solver, int(steps), float(guidance), float(eta[0]) if eta else 0.0, check_guidance_interval(low_high)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "a setting is solver:steps:guidance[:eta][@low-high], e.g. ddim:20:0.25, ddim:20:0.25:1 or "
            f"ddim:20:0.5@0.4-0.9; got {text!r}"
        ) from None
    if setting[3] and solver != "ddim":
        raise argparse.ArgumentTypeError(f"eta is DDIM's alone ({solver} is deterministic); got {text!r}")
    return setting


def evaluate(model, settings, per_digit, seed=0):
    """One dict per setting (`digitkit.evaluation.evaluate_ddim`'s, with solver, guidance and FD/floor)."""
    n = 10 * per_digit
    reference, _ = test_reference(n)  # the floor's comparison
    floor = metrics.frechet_floor(n)
    rows = []
    for solver, steps, guidance, eta, interval in settings:
        (row,) = evaluation.evaluate_ddim(
            model,
            steps=(steps,),
            per_digit=per_digit,
            guidance=guidance,
            eta=eta,
            seed=seed,
            reference=reference,
            solver=solver,
            guidance_interval=interval,
        )
        rows.append(
            dict(row, solver=solver, guidance=guidance, interval=interval, eta=eta, over_floor=row["frechet"] / floor)
        )
        print(format_row(rows[-1]), flush=True)
    return rows, floor


HEADER = (
    "| solver | steps | guidance | guided noise | eta | accuracy | worst digit | FD | FD/floor | s per 100 digits |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def format_row(r):
    return (
        f"| {r['solver']} | {r['steps']} | {r['guidance']:g} | {r['interval'][0]:g}-{r['interval'][1]:g} | "
        f"{r['eta']:g} | {r['accuracy']:.2%} | "
        f"{r['worst_digit']} ({r['worst_accuracy']:.1%}) | {r['frechet']:.2f} | {r['over_floor']:.2f} | "
        f"{r['seconds_per_100']:.1f} |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-digit", type=int, default=200, help="samples of each digit (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--settings",
        nargs="+",
        type=parse_setting,
        default=[parse_setting(s) for s in SETTINGS],
        metavar="S:N:G[:E][@L-H]",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--weights", default=None, help="a folder with ddim weights and their manifest (default: the shipped ones)"
    )
    source.add_argument("--checkpoint", default=None, help="a training run's checkpoint (ddim.resume.weights.h5)")
    args = parser.parse_args()
    if args.checkpoint:
        from digitkit import training

        model, state = training.load_run("ddim", args.checkpoint)
        which = f"{args.checkpoint} (epoch {state['epoch']})"
    else:
        model = pretrained.load_pretrained("ddim", directory=args.weights)
        which = "shipped" if args.weights is None else args.weights
    n = 10 * args.per_digit
    print(f"{which} DDIM, {n} samples ({args.per_digit} per digit), seed {args.seed}")
    print(HEADER, flush=True)
    _, floor = evaluate(model, args.settings, args.per_digit, seed=args.seed)
    print(f"judge's floor at {n}: {floor:.3f} (train vs test)")


if __name__ == "__main__":
    main()

"""Sampling tricks on the shipped cGAN: what the truncation trick and picking by its own discriminator buy.

No retraining: the same generator, its noise drawn differently, judged the manifest's way
(`digitkit.evaluation.evaluate_generator`: 1,000 samples of each digit, Fréchet distance on
10,000 against the test set, seed 123).

- ``truncation:T``: every noise coordinate beyond ``T`` standard deviations is drawn again
  (the "truncation trick" of BigGAN, Brock et al., 2019): fewer unusual drawings.
- ``best:K:HEAD``: K candidates per asked digit, kept by the cGAN's own discriminator (never the
  judge): ``class`` its auxiliary classifier's log-probability of the asked digit, ``real`` its
  real/fake logit (discriminator rejection, Azadi et al., 2019, as a best-of-K).

Measured on this 2-core CPU (10 s a setting) on four cGANs: the one shipped until 2026-12-05 (98.95%,
FD 4.31), the one shipped on 12-05 (wider discriminator, classifier head 0.6, learning-rate decay), the
one shipped for a few hours after that (the same, its classifier head reading the image alone:
`label_channel=False`, weight 0.5) and the one shipped since (weight 0.25).
Truncation and picking by the classifier head raise the share read as asked and lift the worst
digit, and raise the Fréchet distance several times: they keep the most typical drawings and lose
the variety of real handwriting. Picking the better of two by the real/fake logit did little on the
12-05 weights; on the 0.5 weights, whose discriminator's convolutions see the image alone, it lowers FD
by about 0.4 on average, though not at every seed (seed 7: 3.65 -> 3.83); on the shipped 0.25 weights it
changes nothing. The Fréchet distance of
10,000 samples moves by a few tenths with the sampling seed alone, so compare settings over several
seeds (``--seeds``) before believing a difference of that size. Over seeds 123, 1-4 (2.5 min a row;
measured before `evaluate_generator`'s Fréchet samples asked for the test images' digits, see
`digitkit.cgan.ARCHITECTURE`: the shipped weights' manifest FD went from 3.79 to 2.61 with it):

| weights | setting | read as asked | worst digit's share | lowest | FD | FD / floor |
|---|---|---:|---:|---:|---:|---:|
| 0.5 | plain | 99.68% +- 0.04% | 98.9% +- 0.3% | 98.5% | 4.23 +- 0.18 | 3.79 +- 0.16 |
| 0.5 | best:2:real | 99.64% +- 0.03% | 99.0% +- 0.2% | 98.7% | 3.85 +- 0.20 | 3.45 +- 0.18 |
| 0.25 (shipped) | plain | 99.62% +- 0.03% | 98.9% +- 0.1% | 98.8% | 3.88 +- 0.31 | 3.47 +- 0.28 |
| 0.25 (shipped) | best:2:real | 99.64% +- 0.06% | 99.0% +- 0.1% | 98.9% | 3.88 +- 0.28 | 3.47 +- 0.25 |

So the shipped generator alone does what the better of two did for the 0.5 weights, and `generate`
stays plain (a second candidate would double the generator's work for nothing measurable).
At the manifest's seed 123, the 12-05 weights and the 0.5 weights:

| setting | 12-05: as asked | worst | FD | FD/floor | 0.5: as asked | worst | FD | FD/floor |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| plain | 99.03% | 7 (97.7%) | 3.71 | 3.32 | 99.68% | 5 (99.2%) | 4.03 | 3.61 |
| truncation:3.0 | 99.09% | 5 (97.6%) | 4.02 | 3.60 | 99.72% | 5 (99.1%) | 4.48 | 4.01 |
| truncation:2.5 | 99.23% | 7 (97.9%) | 5.46 | 4.89 | 99.80% | 5 (99.3%) | 6.11 | 5.47 |
| truncation:2.0 | 99.47% | 5 (98.3%) | 12.31 | 11.02 | 99.82% | 5 (99.3%) | 12.23 | 10.95 |
| best:2:class | 99.78% | 5 (99.3%) | 14.58 | 13.06 | 99.94% | 5 (99.7%) | 15.27 | 13.67 |
| best:2:real | 99.07% | 7 (97.5%) | 3.74 | 3.35 | 99.63% | 7 (98.9%) | 3.54 | 3.17 |

(The cGAN shipped before 12-05: plain 98.95%, worst 5 97.6%, FD 4.31; truncation:2.0 99.51% / 12.76;
truncation:1.5 99.77% / 38.33; best:2:class 99.65% / 15.75; best:2:real 98.89% / 4.64.) On the earlier
weights none of the tricks was a way to #13's cGAN goals (99.0%, every digit >= 98%, FD <= 3.5x the
floor): the generator itself had to improve, and it did when its discriminator's classifier head stopped
seeing the label (with the label stacked on the image, the head agreed with the asked digit on all of 2,000
generated images, the judge's misreads among them; without any label it read only 87%).

    python3 benchmarks/eval_cgan_sampling.py                          # the table's settings
    python3 benchmarks/eval_cgan_sampling.py plain truncation:2.5 best:4:real
    python3 benchmarks/eval_cgan_sampling.py plain --weights runs/NAME   # a run's weights
    python3 benchmarks/eval_cgan_sampling.py plain best:2:real --seeds 123,1,2,3,4   # mean +- sd over seeds
"""

import argparse

import numpy as np
from keras import ops

from digitkit import evaluation, pretrained
from digitkit.data import parse_digits

SETTINGS = ("plain", "truncation:2.0", "truncation:1.5", "best:2:class", "best:2:real")


def truncated_noise(model, n, seed, threshold):
    """The model's noise with every coordinate beyond ``threshold`` drawn again until it is inside."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((int(n), model.latent_dim)).astype("float32")
    outside = np.abs(z) > threshold
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum())).astype("float32")
        outside = np.abs(z) > threshold
    return z


def discriminator_scores(model, images, labels, head):
    """Per image: the asked digit's log-probability by the classifier head, or the real/fake logit."""
    out = np.concatenate(
        [
            ops.convert_to_numpy(model.discriminator([images[i : i + 1000, ..., None], labels[i : i + 1000]]))
            for i in range(0, len(images), 1000)
        ]
    )
    if head == "real":
        return out[:, 0]
    logits = out[:, 1:]
    top = logits.max(axis=1, keepdims=True)
    log_probs = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    return (log_probs * labels).sum(axis=1)


class Sampled:
    """The shipped cGAN behind the generator API (``generate(digits, seed)``), with one sampling setting."""

    conditional = True

    def __init__(self, model, setting):
        self.model, self.setting = model, setting.split(":")
        if self.setting[0] not in ("plain", "truncation", "best"):
            raise ValueError(f"a setting is plain, truncation:T or best:K:class|real. Received: {setting!r}")

    def generate(self, digits, seed=0):
        model, (kind, *args) = self.model, self.setting
        labels = model.one_hot(parse_digits(digits))
        if kind == "plain":
            return model.generate_from_noise(model.noise(len(labels), seed), labels)
        if kind == "truncation":
            return model.generate_from_noise(truncated_noise(model, len(labels), seed, float(args[0])), labels)
        k, head = int(args[0]), args[1]
        seeds = [seed] + [seed * 1000 + j for j in range(1, k)]  # the first candidate is the plain sample
        candidates = [model.generate_from_noise(model.noise(len(labels), s), labels) for s in seeds]
        scores = np.stack([discriminator_scores(model, c, labels, head) for c in candidates])
        return np.stack(candidates)[scores.argmax(axis=0), np.arange(len(labels))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", nargs="*", default=SETTINGS, help="plain, truncation:T, best:K:class|real")
    parser.add_argument("--weights", default=None, help="a run folder's cgan (default: the shipped weights)")
    parser.add_argument(
        "--seeds", default=None, help="judge at these sampling seeds (e.g. 123,1,2,3,4) and print mean +- sd"
    )
    args = parser.parse_args(argv)
    model = pretrained.load_pretrained("cgan", directory=args.weights)
    if args.seeds:
        return print_over_seeds(model, args.settings, [int(s) for s in args.seeds.split(",")])
    print("| setting | read as asked | worst digit | FD | FD / floor |\n|---|---:|---:|---:|---:|")
    for setting in args.settings:
        r = evaluation.evaluate_generator(Sampled(model, setting), **evaluation.EVALUATION)
        print(
            f"| {setting} | {r['class_accuracy']:.2%} | {r['worst_digit']} ({min(r['per_class']):.1%}) | "
            f"{r['frechet']:.2f} | {r['frechet_over_floor']:.2f} |",
            flush=True,
        )


def print_over_seeds(model, settings, seeds):
    """Each setting judged at every seed: mean +- standard deviation of each measure, and the lowest digit."""
    print("| setting | seeds | read as asked | worst digit's share | lowest | FD | FD / floor |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for setting in settings:
        runs = [
            evaluation.evaluate_generator(Sampled(model, setting), **{**evaluation.EVALUATION, "seed": seed})
            for seed in seeds
        ]
        m = np.array([[r["class_accuracy"], min(r["per_class"]), r["frechet"], r["frechet_over_floor"]] for r in runs])
        mean, sd = m.mean(axis=0), m.std(axis=0, ddof=1) if len(runs) > 1 else np.zeros(4)
        print(
            f"| {setting} | {len(seeds)} | {mean[0]:.2%} +- {sd[0]:.2%} | {mean[1]:.1%} +- {sd[1]:.1%} | "
            f"{m[:, 1].min():.1%} | {mean[2]:.2f} +- {sd[2]:.2f} | {mean[3]:.2f} +- {sd[3]:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

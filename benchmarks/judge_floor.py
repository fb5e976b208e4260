"""The judge's Fréchet floor: its distance between real training and real test digits.

A generator cannot beat real handwriting, so the judge's Fréchet distance between
the first N training images and the first N test images is the floor at that
sample size (the distance is biased upwards for small N). For N = 1,000 and
2,000 it also prints the mean and spread over disjoint chunks of both sets, to
show how noisy one draw is.

    nice -n 19 python3 benchmarks/judge_floor.py            # prints the numbers
    nice -n 19 python3 benchmarks/judge_floor.py --write    # also records them in weights/manifest.json
"""

import argparse
import json

import numpy as np

from digitkit import metrics
from digitkit.data import load_mnist
from digitkit.pretrained import weights_dir

SIZES = (1000, 2000, 10000)
CHUNKS = 5  # disjoint chunks for N = 1,000 and 2,000


def judge_floor(sizes=SIZES, chunks=CHUNKS):
    """``{n: {"first": fd, "chunks": [fd, ...]}}`` of the judge between train and test images."""
    (x_train, _), (x_test, _) = load_mnist(normalize=True)
    n_max = max(sizes)
    train = metrics.judge_features(x_train[: max(n_max, max(sizes[:-1]) * chunks)])
    test = metrics.judge_features(x_test[:n_max])
    out = {}
    for n in sizes:
        first = metrics.frechet_from_features(train[:n], test[:n])
        parts = (
            []
            if n * chunks > len(test)
            else [
                metrics.frechet_from_features(train[i * n : (i + 1) * n], test[i * n : (i + 1) * n])
                for i in range(chunks)
            ]
        )
        out[n] = dict(first=first, chunks=parts)
    return out


def write_manifest(floor, directory=None):
    """Record ``{"1000": x, "2000": y, "10000": z}`` (first-N numbers) in the judge's manifest quality."""
    path = (directory or weights_dir()) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["judge"]["quality"]["frechet_floor"] = {str(n): round(v["first"], 3) for n, v in floor.items()}
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the numbers in weights/manifest.json")
    args = parser.parse_args()
    floor = judge_floor()
    for n, v in floor.items():
        line = f"N={n:>6}: first-N train vs test FD = {v['first']:.3f}"
        if v["chunks"]:
            c = np.array(v["chunks"])
            line += (
                f"; {len(c)} disjoint chunks: mean {c.mean():.3f}, sd {c.std(ddof=1):.3f}, "
                f"range {c.min():.3f}-{c.max():.3f}"
            )
        print(line, flush=True)
    if args.write:
        print(f"recorded in {write_manifest(floor)}")


if __name__ == "__main__":
    main()

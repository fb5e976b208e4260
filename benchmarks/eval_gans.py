"""The course's unconditional GANs side by side: notebook 02's dense GAN and DCGAN, the shipped self-conditioned GAN.

For each: the Fréchet distance of ``--n`` samples to as many test digits (and the
judge's floor at that size), the label entropy, the smallest and largest digit
share, and the share of samples the judge is unsure of (its top probability under
0.9: digits that sit between two others). For the self-conditioned GAN also how
pure its k-means clusters are: the share of training images whose label is their
cluster's most common one.

    nice -n 19 python3 benchmarks/eval_gans.py             # 10,000 samples each, about two minutes
"""

import argparse

import numpy as np

from digitkit import metrics
from digitkit.data import load_mnist, test_reference
from digitkit.pretrained import DCGAN, DENSE_GAN, load_pretrained

NAMES = (DENSE_GAN, DCGAN, "gan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n",
        type=int,
        default=10000,
        help="samples per GAN and test digits (below 10,000 spread over the test set: data.test_reference)",
    )
    parser.add_argument("--seed", type=int, default=123)
    args = parser.parse_args()
    (x_train, y_train), _ = load_mnist(normalize=True)
    floor = metrics.frechet_floor(args.n)
    reference, _ = test_reference(args.n)
    real_unsure = metrics.unsure_share(reference)
    print(f"n = {args.n}, judge's floor {floor:.2f}; real test digits: unsure {real_unsure:.1%}")
    print(f"{'GAN':10} {'FD':>8} {'FD/floor':>9} {'entropy':>8} {'shares':>12} {'unsure':>7}")
    for name in NAMES:
        images = load_pretrained(name).generate(args.n, seed=args.seed)
        labels = metrics.judge_labels(images)
        shares, entropy = metrics.label_histogram(labels) / args.n, metrics.label_entropy(labels)
        fd = metrics.frechet_distance(images, reference)
        spread = f"{shares.min():.1%}-{shares.max():.1%}"
        print(f"{name:10} {fd:8.1f} {fd / floor:8.1f}x {entropy:8.3f} {spread:>12} {metrics.unsure_share(images):7.1%}")
    gan = load_pretrained("gan")
    clusters = np.asarray(gan.nearest_cluster(x_train))
    majority = sum(np.bincount(y_train[clusters == k], minlength=10).max() for k in np.unique(clusters))
    share = majority / len(y_train)
    print(f"gan's {gan.clusters} clusters: {share:.1%} of the training images share their cluster's digit")


if __name__ == "__main__":
    main()

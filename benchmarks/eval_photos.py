"""How many synthetic phone photos of MNIST test digits the shipped classifiers read correctly.

    python benchmarks/eval_photos.py               # 200 photos
    python benchmarks/eval_photos.py --n 50 --seed 1 --show 5

Each MNIST test digit is thinned to its skeleton and redrawn by
`digitkit.photos.photo_set`: 640x480 to 4032x3024 pictures, pens from 1.5% to
25% of the digit's height, dark pen on paper and chalk on a board, uneven
lighting, grain, blur, off-centre and small digits in big frames. Each photo
goes through `digitkit.prepare_drawing` and the "dense" classifier and the
judge; the same digits unmodified give the accuracy to compare with. Prints
also the seconds `prepare_drawing` takes per photo, and the misread ones.
"""

import argparse
import time

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="how many photos (the first N test digits)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=10, help="print the settings of this many misread photos")
    args = parser.parse_args(argv)

    import digitkit
    from digitkit import classifier, photos

    _, (x_test, y_test) = digitkit.load_mnist()
    x, y = x_test[: args.n], y_test[: args.n]
    prepared, settings, seconds, blank = [], [], [], 0
    for photo, setting in photos.photo_set(x, seed=args.seed):
        start = time.perf_counter()
        try:
            prepared.append(digitkit.prepare_drawing(photo, name="photo"))
        except digitkit.BlankDrawingError:
            prepared.append(np.zeros((28, 28), "float32"))
            blank += 1
        seconds.append(time.perf_counter() - start)
        settings.append(setting)
    prepared = np.stack(prepared)
    print(
        f"{args.n} synthetic photos, seed {args.seed}: prepare_drawing {np.median(seconds):.3f} s median, "
        f"{max(seconds):.3f} s max per photo; {blank} found blank"
    )
    print(f"  {'model':<8} {'photos':>8} {'unmodified':>11}")
    for name in ("dense", "judge"):
        model = digitkit.load_pretrained(name)
        on_photos = classifier.predict_probabilities(model, prepared).argmax(axis=1)
        on_digits = classifier.predict_probabilities(model, digitkit.to_model_input(x)).argmax(axis=1)
        print(f"  {name:<8} {(on_photos == y).mean():>8.1%} {(on_digits == y).mean():>11.1%}")
        if name == "dense":
            read = on_photos
    for k in np.flatnonzero(read != y)[: args.show]:
        s = settings[k]
        print(
            f"  dense misread #{k}: {y[k]} read as {read[k]}; size {s['size']}, height {s['height']:.2f}, "
            f"stroke {s['stroke']:.3f}, {'dark ink' if s['dark_ink'] else 'chalk'}, "
            f"lighting {s['lighting']:.2f}, grain {s['grain']:.3f}"
        )


if __name__ == "__main__":
    main()

"""The ``digitkit`` command: train, evaluate, predict, and open the course.

    digitkit lab                         open JupyterLab on notebooks/
    digitkit app [--host 0.0.0.0] [--port 8866] [--open]   serve Digit Studio
    digitkit train classifier [--model dense|judge|all]
    digitkit train gan|cgan|ddim [--epochs N] [--seed S] [--resume] [--out DIR]
    digitkit train gan --lab                 also record the failure-mode lab
    digitkit train cgan --reference          the keras.io example beside ours
    digitkit evaluate classifier [--model dense] [--png confusion.png]
    digitkit predict IMAGE [--model dense]
"""

import argparse
import sys


def _train_options(args):
    """The keyword arguments of `digitkit.training.train` from the command line (the CLI sets the global seed)."""
    import keras

    keras.utils.set_random_seed(args.seed)  # the shuffling; the library itself seeds through seed= arguments
    evaluation = {k: getattr(args, k) for k in ("per_digit", "n_frechet") if getattr(args, k, None)}
    return dict(epochs=args.epochs, seed=args.seed, out=args.out, n_images=getattr(args, "n_images", None),
                resume=getattr(args, "resume", False), evaluation=evaluation or None)


def _train_classifier(args):
    from digitkit import training

    names = list(training.CLASSIFIERS) if args.model == "all" else [args.model]
    for name in names:
        training.train(name, **_train_options(args))


def _train_generator(args):
    from digitkit import training

    if getattr(args, "lab", False):
        from digitkit import lab

        lab.record_lab_runs(verbose=1)
    if getattr(args, "reference", False):  # the keras.io example and ours, same budget, same seed, same measures
        from digitkit import reference

        for which in ("ours", "reference"):
            print(f"{which}: {reference.train_reference(epochs=args.epochs, which=which, seed=args.seed, verbose=2)}")
        return
    _, quality = training.train(args.what, **_train_options(args))
    print(f"{args.what}: {quality}")


def _evaluate_classifier(args):
    from digitkit import classifier, data, pretrained, viz

    model = pretrained.load_pretrained(args.model)
    _, (x_test, y_test) = data.load_mnist(normalize=True)
    result = classifier.evaluate_classifier(model, x_test, y_test)
    print(f"{args.model}: test accuracy {result['accuracy']:.4f} on {len(y_test)} images")
    for digit, acc in enumerate(result["per_class"]):
        print(f"  digit {digit}: {acc:.4f}")
    figure = viz.plot_confusion(result["confusion"])
    figure.savefig(args.png, dpi=100, bbox_inches="tight")
    print(f"confusion matrix -> {args.png}")


def _predict(args):
    import imageio.v3 as iio

    from digitkit import classifier, data, pretrained

    try:
        image = iio.imread(args.image)
    except Exception as e:
        sys.exit(f"Cannot read {args.image} as an image ({e}).")
    try:
        digit = data.prepare_drawing(image)
    except ValueError as e:
        sys.exit(f"{args.image}: {e}")
    probabilities = classifier.predict_probabilities(pretrained.load_pretrained(args.model), digit)[0]
    print(f"{args.image}: {probabilities.argmax()} ({probabilities.max():.1%})")
    for d, p in enumerate(probabilities):
        print(f"  {d}: {p:.3f}")


def _lab(args):
    import subprocess

    from digitkit._paths import project_dir

    return subprocess.call([sys.executable, "-m", "jupyter", "lab", str(project_dir() / "notebooks")])


def _app(args):
    from digitkit.apps import serve  # imports Solara: only for this command

    serve.run(host=args.host, port=args.port, open_browser=args.open)


def _add_train_arguments(p):
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-images", type=int, default=None, help="train on the first N training images (default: all)")
    p.add_argument("--out", default=None,
                   help="folder for weights, manifest, GIF, history and checkpoint (default: the shipped places)")


def make_parser():
    parser = argparse.ArgumentParser(prog="digitkit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("lab", help="open the course in JupyterLab").set_defaults(func=_lab)

    p = sub.add_parser("app", help="serve Digit Studio (Identify, Generate, Advanced, Visualize) to every browser")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on; 0.0.0.0 serves a whole room")
    p.add_argument("--port", type=int, default=8866)
    p.add_argument("--open", action="store_true", help="open the page in a web browser")
    p.set_defaults(func=_app)

    train = sub.add_parser("train", help="train a model and record it in weights/manifest.json")
    train_sub = train.add_subparsers(dest="what", required=True)
    p = train_sub.add_parser("classifier")
    p.add_argument("--model", choices=["dense", "dense_plain", "judge", "all"], default="all")
    _add_train_arguments(p)
    p.set_defaults(func=_train_classifier)
    helps = {"gan": "the healthy dense GAN of notebook 02", "cgan": "the conditional GAN of notebook 03",
             "ddim": "the class-conditional diffusion model of notebook 04 (CPU: about 3 hours)"}
    for name, text in helps.items():
        p = train_sub.add_parser(name, help=text)
        _add_train_arguments(p)
        p.add_argument("--resume", action="store_true",
                       help="continue the checkpoint in --out (optimizer state and epoch counter): --epochs more")
        p.add_argument("--per-digit", type=int, default=None, help="judge samples of each digit (default 1000)")
        p.add_argument("--n-frechet", type=int, default=None, help="samples for the Fréchet distance (default 10000)")
        if name == "gan":
            p.add_argument("--lab", action="store_true", help="first record the failure-mode lab runs")
        if name == "cgan":
            p.add_argument("--reference", action="store_true",
                           help="instead, train the keras.io Conditional GAN example and ours on its budget "
                                "(--epochs over 70,000 images) and print both qualities")
        p.set_defaults(func=_train_generator)

    evaluate = sub.add_parser("evaluate", help="measure a pretrained model")
    eval_sub = evaluate.add_subparsers(dest="what", required=True)
    p = eval_sub.add_parser("classifier")
    p.add_argument("--model", choices=["dense", "dense_plain", "judge"], default="dense")
    p.add_argument("--png", default="confusion.png", help="where to write the confusion matrix")
    p.set_defaults(func=_evaluate_classifier)

    p = sub.add_parser("predict", help="read the digit in a PNG/JPG")
    p.add_argument("image")
    p.add_argument("--model", choices=["dense", "judge"], default="dense")
    p.set_defaults(func=_predict)
    return parser


def main(argv=None):
    args = make_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

"""digitkit: the handwritten-digits course's command.

Commands, each with an example:

  digitkit lab [JUPYTER ARGS...]    open the course's notebooks in JupyterLab
      digitkit lab --port 8890 --no-browser
  digitkit app                      serve Digit Studio (Identify, Generate, Advanced, Visualize) to a room
      digitkit app --host 0.0.0.0 --port 8866
  digitkit predict IMAGE            read the digit in a PNG/JPG: a drawing, a scan or a phone photo
      digitkit predict photo.jpg --model judge
  digitkit generate MODEL [DIGITS]  write generated digits as PNGs, one per digit and a grid
      digitkit generate cgan 646775 --seed 0 --out digits
      digitkit generate ddim 0123456789 --steps 20 --guidance 0.25 --out digits
      digitkit generate gan --n 16 --out digits
  digitkit evaluate classifier      measure a shipped classifier on the MNIST test set
      digitkit evaluate classifier --model dense --png confusion.png
  digitkit evaluate generator NAME  judge a generator the manifest's way: shipped, a --folder, a --checkpoint
      digitkit evaluate generator ddim --checkpoint runs/ddim.resume.weights.h5 --n-frechet 2000
  digitkit train NAME               train a model, record it in weights/manifest.json
      (NAME: classifier, gan, cgan, ddim, or notebook 02's dense_gan and dcgan)
      digitkit train classifier --model dense
      digitkit train ddim --epochs 4
      digitkit train ddim --architecture '{"channels": [32, 64, 128]}' --out runs/wide   (a wider U-Net)
      digitkit train cgan --resume --epochs 2 --out runs/mine   (optimizer state and epoch counter kept)
      KERAS_BACKEND=jax digitkit train ddim --devices all      (every GPU, each batch split across them)

TensorFlow's own log lines are hidden; --verbose (before the command) shows them:
      digitkit --verbose predict photo.jpg
"""

import argparse
import json
import os
import sys

from digitkit.pretrained import DCGAN, DENSE_GAN, TRAINED_GENERATORS

UNCONDITIONAL = ("gan", DENSE_GAN, DCGAN)  # `digitkit generate` draws random digits (--n), no DIGITS


def _train_options(args):
    """The keyword arguments of `digitkit.training.train` from the command line (the CLI sets the global seed)."""
    import keras

    keras.utils.set_random_seed(args.seed)  # the shuffling; the library itself seeds through seed= arguments
    evaluation = {k: getattr(args, k) for k in ("per_digit", "n_frechet") if getattr(args, k, None)}
    return dict(
        epochs=args.epochs,
        seed=args.seed,
        out=args.out,
        n_images=getattr(args, "n_images", None),
        resume=getattr(args, "resume", False),
        evaluation=evaluation or None,
        devices=getattr(args, "devices", None),
        architecture=getattr(args, "architecture", None),
    )


def architecture_knobs(text):
    """``--architecture``'s JSON object, e.g. ``{"channels": [32, 64, 128]}`` (argparse answers anything else)."""
    try:
        knobs = json.loads(text)
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(f"not JSON ({e}): {text!r}") from None
    if not isinstance(knobs, dict):
        raise argparse.ArgumentTypeError(f"a JSON object is needed, e.g. '{{\"channels\": [32, 64, 128]}}': {text!r}")
    return knobs


def _check_devices(args):
    """``--devices all`` needs the JAX backend and batches that split evenly: exit 2 with the reason otherwise."""
    from digitkit import distribute, training

    batch_size = training.RECIPES[args.what]["batch_size"]
    try:
        distribute.data_parallel(args.devices, batch_size, args.n_images or 60000)
    except ValueError as e:
        print(f"digitkit train {args.what} --devices {args.devices}: {e}", file=sys.stderr)
        sys.exit(2)


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
    if args.devices:
        _check_devices(args)
    try:
        training.networks(args.what, args.architecture)
    except ValueError as e:
        sys.exit(f"digitkit train {args.what}: {e}")
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


def _evaluate_generator(args):
    import time

    from digitkit.checks import check_whole

    options = {k: getattr(args, k) for k in ("per_digit", "n_frechet") if getattr(args, k) is not None}
    try:  # bad input answers before TensorFlow is imported
        check_whole(**options)
        if args.architecture is not None and args.checkpoint is None:
            raise ValueError("--architecture goes with --checkpoint (a folder's manifest records its networks)")
        if args.checkpoint and not os.path.isfile(args.checkpoint):
            raise ValueError(f"No such checkpoint: {args.checkpoint}")
        from digitkit import evaluation, pretrained, training

        if args.checkpoint:
            model, state = training.load_run(args.model, args.checkpoint, args.architecture)
            source = f"{args.checkpoint}, epoch {state['epoch']}"
        else:
            model = pretrained.load_pretrained(args.model, directory=args.folder)
            source = args.folder or "shipped"
    except (OSError, ValueError) as e:  # a foreign file, a folder without this model
        sys.exit(f"digitkit evaluate generator: {e}")
    start = time.perf_counter()
    measured = evaluation.evaluate_generator(model, **{**evaluation.EVALUATION, **options})
    seconds = time.perf_counter() - start
    print(f"{args.model} ({source}): {evaluation.describe_quality(measured)}; judged in {seconds:.0f} s")


def _predict(args):
    from digitkit import data

    try:  # the file is read and the digit found before TensorFlow is imported: a bad file answers at once
        digit = data.prepare_drawing(data.load_image(args.image), name=args.image)
    except (OSError, ValueError) as e:  # FileNotFoundError, not an image, BlankDrawingError
        sys.exit(f"digitkit predict: {e}")
    from digitkit import classifier, pretrained

    probabilities = classifier.predict_probabilities(pretrained.load_pretrained(args.model), digit)[0]
    print(f"{args.image}: {probabilities.argmax()} ({probabilities.max():.1%})")
    for d, p in enumerate(probabilities):
        print(f"  {d}: {p:.3f}")


def _check_generate(parser, args):
    """Everything about a generate command that can be wrong, checked before TensorFlow loads."""
    from digitkit.data import parse_digits

    if args.model in UNCONDITIONAL:
        if args.digits is not None:
            parser.error(
                f"the {args.model} draws random digits and takes no DIGITS (use --n). Received: {args.digits!r}"
            )
    else:
        try:
            args.digits = "".join(str(d) for d in parse_digits(args.digits or "0123456789"))
        except ValueError as e:
            parser.error(str(e))
    if args.n < 1:
        parser.error(f"--n must be at least 1. Received: {args.n}")
    if args.model != "ddim" and (args.steps, args.guidance, args.guidance_interval) != (None, None, None):
        parser.error(f"--steps, --guidance and --guidance-interval are for ddim only. Received: model={args.model!r}")
    if args.steps is not None and args.steps < 1:
        parser.error(f"--steps must be at least 1. Received: {args.steps}")
    if args.guidance is not None and args.guidance < 0:
        parser.error(f"--guidance must be >= 0. Received: {args.guidance}")
    if args.guidance_interval is not None and not 0 <= args.guidance_interval[0] <= args.guidance_interval[1] <= 1:
        low, high = args.guidance_interval
        parser.error(f"--guidance-interval needs 0 <= LOW <= HIGH <= 1. Received: {low:g} {high:g}")


def generated_names(model, seed, digits=None, n=1, steps=None, guidance=None, guidance_interval=(0, 1)):
    """The files `digitkit generate` writes: ``(one name per image, the grid's name)``.

    The settings are in the names, so the same command writes the same files:
    ``cgan_seed0_646775_0-6.png`` ... and ``cgan_seed0_646775_grid.png``;
    ``ddim_seed0_steps20_guidance0.25_646775_...`` (guided at every step; at the noise levels
    0.3-0.9 only: ``..._guidance0.5_noise0.3-0.9_...``); ``gan_seed0_n8_0.png`` ...
    """
    stem = f"{model}_seed{seed}"
    if model == "ddim":
        low, high = guidance_interval
        stem += f"_steps{steps}_guidance{guidance:g}" + (f"_noise{low:g}-{high:g}" if (low, high) != (0, 1) else "")
    if model in UNCONDITIONAL:
        stem += f"_n{n}"
        return [f"{stem}_{i}.png" for i in range(n)], f"{stem}_grid.png"
    stem += f"_{digits}" + (f"_x{n}" if n > 1 else "")
    labels = [d for _ in range(n) for d in digits]
    return [f"{stem}_{i}-{d}.png" for i, d in enumerate(labels)], f"{stem}_grid.png"


def _generate(args):
    import pathlib

    import numpy as np
    from PIL import Image

    from digitkit import pretrained, viz

    generator = pretrained.load_pretrained(args.model)
    if args.model in UNCONDITIONAL:
        images = generator.generate(args.n, seed=args.seed)
    elif args.model == "cgan":
        images = generator.generate(args.digits * args.n, seed=args.seed)
    else:
        from digitkit.diffusion import GUIDANCE, GUIDANCE_INTERVAL

        args.steps = 20 if args.steps is None else args.steps
        args.guidance = GUIDANCE if args.guidance is None else args.guidance
        args.guidance_interval = tuple(args.guidance_interval or GUIDANCE_INTERVAL)
        images = generator.sample(
            args.digits * args.n,
            steps=args.steps,
            guidance=args.guidance,
            seed=args.seed,
            guidance_interval=args.guidance_interval,
        )
    names, grid = generated_names(
        args.model, args.seed, args.digits, args.n, args.steps, args.guidance, args.guidance_interval or (0, 1)
    )
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def save(pixels, name):
        Image.fromarray(np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8)).save(out / name)

    for image, name in zip(images, names):
        save(image, name)
    save(viz.tile(images, ncols=len(args.digits) if args.digits else 10), grid)
    print(f"{len(names)} digits and {grid} -> {out}")


def _lab(args):
    import shutil
    import subprocess

    from digitkit import paths

    extra = list(args.jupyter_args)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        extra.append("--allow-root")
        print("digitkit lab: running as root (Colab, Docker, a workshop VM), so JupyterLab gets --allow-root.")
    if shutil.which("jupyter") is None and not _has_module("jupyterlab"):
        sys.exit("digitkit lab: JupyterLab is not installed. Install it with: pip install jupyterlab")
    notebooks = paths.notebooks_dir()
    return subprocess.call([sys.executable, "-m", "jupyter", "lab", str(notebooks), *extra])


def _has_module(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _quiet_or_verbose(verbose):
    from digitkit import logs

    (logs.verbose if verbose else logs.quiet)()


def _app(args):
    from digitkit.apps import serve  # imports Solara: only for this command

    serve.run(host=args.host, port=args.port, open_browser=args.open)


def _add_train_arguments(p):
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-images", type=int, default=None, help="train on the first N training images (default: all)")
    p.add_argument(
        "--out",
        default=None,
        help="folder for weights, manifest, GIF, history and checkpoint (default: the shipped places)",
    )


def make_parser():
    parser = argparse.ArgumentParser(
        prog="digitkit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's log lines")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "lab",
        help="open the course in JupyterLab (extra flags go to JupyterLab)",
        epilog="example: digitkit lab --port 8890 --no-browser",
    )
    p.set_defaults(func=_lab, jupyter_args=[])

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
    helps = {
        "gan": "the self-conditioned GAN of the Studio's Generate tab (notebook 02)",
        "dense_gan": "the dense GAN of notebook 02's failure-mode lab",
        "dcgan": "the plain convolutional GAN of notebook 02",
        "cgan": "the conditional GAN of notebook 03",
        "ddim": "the class-conditional diffusion model of notebook 04 (CPU: about 3 hours)",
    }
    for name, text in helps.items():
        p = train_sub.add_parser(name, help=text)
        _add_train_arguments(p)
        p.add_argument(
            "--resume",
            action="store_true",
            help="continue the checkpoint in --out (optimizer state and epoch counter): --epochs more",
        )
        p.add_argument("--per-digit", type=int, default=None, help="judge samples of each digit (default 1000)")
        p.add_argument("--n-frechet", type=int, default=None, help="samples for the Fréchet distance (default 10000)")
        p.add_argument(
            "--devices",
            choices=["all"],
            default=None,
            help="data-parallel on every accelerator, each batch split across them (KERAS_BACKEND=jax)",
        )
        p.add_argument(
            "--architecture",
            type=architecture_knobs,
            default=None,
            metavar="JSON",
            help="knobs of the networks other than the shipped ones, e.g. '{\"channels\": [32, 64, 128]}' "
            "(ddim), '{\"attention\": true}' (self-attention at 7x7); the checkpoint and manifest record them",
        )
        if name == "dense_gan":
            p.add_argument("--lab", action="store_true", help="first record the failure-mode lab runs")
        if name == "cgan":
            p.add_argument(
                "--reference",
                action="store_true",
                help="instead, train the keras.io Conditional GAN example and ours on its budget "
                "(--epochs over 70,000 images) and print both qualities",
            )
        p.set_defaults(func=_train_generator)

    evaluate = sub.add_parser("evaluate", help="measure a pretrained model")
    eval_sub = evaluate.add_subparsers(dest="what", required=True)
    p = eval_sub.add_parser("classifier", epilog="example: digitkit evaluate classifier --model judge")
    p.add_argument("--model", choices=["dense", "dense_plain", "judge"], default="dense")
    p.add_argument("--png", default="confusion.png", help="where to write the confusion matrix")
    p.set_defaults(func=_evaluate_classifier)
    p = eval_sub.add_parser(
        "generator",
        help="judge a generator: shipped, trained into a folder, or a training run's checkpoint",
        epilog="examples: digitkit evaluate generator cgan\n"
        "          digitkit evaluate generator ddim --checkpoint runs/ddim.resume.weights.h5 --n-frechet 2000\n"
        "          digitkit evaluate generator ddim --folder runs/wide   (what train --out runs/wide wrote)\n"
        "The manifest's measure is the default (1,000 of each digit, 10,000 for the Fréchet distance): about\n"
        "10-25 minutes for the shipped DDIM on a 2-core CPU.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", choices=TRAINED_GENERATORS)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--checkpoint", help="a training checkpoint (<model>.resume.weights.h5), e.g. mid-run")
    where.add_argument("--folder", help="a folder that digitkit train --out wrote (its manifest.json and weights)")
    p.add_argument(
        "--architecture",
        type=architecture_knobs,
        default=None,
        metavar="JSON",
        help="--checkpoint: its networks, for a checkpoint that does not record them",
    )
    p.add_argument("--per-digit", type=int, default=None, help="cgan, ddim: samples of each digit (default 1000)")
    p.add_argument("--n-frechet", type=int, default=None, help="samples for the Fréchet distance (default 10000)")
    p.set_defaults(func=_evaluate_generator)

    p = sub.add_parser(
        "predict",
        help="read the digit in a PNG/JPG (drawing, scan or photo)",
        epilog="example: digitkit predict photo.jpg --model judge",
    )
    p.add_argument("image")
    p.add_argument("--model", choices=["dense", "judge"], default="dense")
    p.set_defaults(func=_predict)

    p = sub.add_parser(
        "generate",
        help="write generated digits as PNGs, one per digit and a grid",
        epilog="examples: digitkit generate cgan 646775 --out digits\n"
        "          digitkit generate ddim 0123456789 --steps 20 --guidance 0.25 --out digits\n"
        "          digitkit generate gan --n 16 --seed 1 --out digits\n"
        "          digitkit generate dense_gan --n 16 --out digits   (notebook 02's dense GAN; dcgan its conv one)\n"
        "The seed and settings are in the file names: the same command writes the same files.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", choices=TRAINED_GENERATORS)
    p.add_argument(
        "digits",
        nargs="?",
        default=None,
        help="cgan and ddim: the digits to draw, such as 646775 (default: 0123456789)",
    )
    p.add_argument(
        "--n",
        type=int,
        default=None,
        help="gan, dense_gan, dcgan: how many digits (default 10); cgan, ddim: how many of each (default 1)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=None, help="ddim: denoising steps (default 20)")
    p.add_argument("--guidance", type=float, default=None, help="ddim: guidance scale (default: the shipped one)")
    p.add_argument(
        "--guidance-interval",
        type=float,
        nargs=2,
        default=None,
        metavar=("LOW", "HIGH"),
        help="ddim: guide only the steps whose noise level t/(T-1) lies from LOW to HIGH (default: every step)",
    )
    p.add_argument("--out", required=True, help="folder for the PNGs (made if missing)")
    p.set_defaults(func=_generate, parser=p)
    return parser


def main(argv=None):
    parser = make_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "lab":
        args.jupyter_args = extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "generate":
        if args.n is None:
            args.n = 10 if args.model in UNCONDITIONAL else 1
        _check_generate(args.parser, args)
    _quiet_or_verbose(args.verbose)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

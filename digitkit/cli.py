"""The ``digitkit`` command: train, evaluate, predict, and open the course.

    digitkit lab                         open JupyterLab on notebooks/
    digitkit app [--host 0.0.0.0] [--port 8866] [--open]   serve Digit Studio
    digitkit train classifier [--model dense|judge|all]
    digitkit train ddim [--epochs 4] [--eval-per-digit 100]
    digitkit train gan [--epochs N] [--lab] [--resume]
    digitkit train cgan [--epochs N] [--reference] [--resume]
    digitkit evaluate classifier [--model dense] [--png confusion.png]
    digitkit predict IMAGE [--model dense]
"""

import argparse
import sys
import time


def _train_classifier(args):
    from digitkit import classifier, data, pretrained

    (x_train, y_train), (x_test, y_test) = data.load_mnist(normalize=True)
    names = ["judge", "dense", "dense_plain"] if args.model == "all" else [args.model]
    for name in names:
        recipe = dict(classifier.RECIPES[name])
        if args.epochs:
            recipe["epochs"] = args.epochs
        model = classifier.BUILDERS[name]()
        start = time.time()
        classifier.train_classifier(model, x_train, y_train, validation_data=(x_test, y_test),
                                    seed=args.seed, verbose=2, **recipe)
        minutes = (time.time() - start) / 60
        accuracy = classifier.evaluate_classifier(model, x_test, y_test)["accuracy"]
        command = f"digitkit train classifier --model {name} --seed {args.seed}"
        if args.epochs:
            command += f" --epochs {args.epochs}"
        path = pretrained.save_pretrained(
            model, name, dict(test_accuracy=round(accuracy, 4), train_minutes=round(minutes, 1)),
            command, directory=args.out)
        print(f"{name}: test accuracy {accuracy:.4f} after {minutes:.1f} min -> {path}")


def _train_gan(args):
    from digitkit import gan

    if args.lab:
        gan.record_lab_runs(verbose=1)
    model, quality = gan.train_pretrained_gan(epochs=args.epochs, seed=args.seed, out=args.out,
                                              resume=args.resume)
    print(f"gan: {quality}")


def _train_cgan(args):
    from digitkit import cgan

    if args.reference:  # the keras.io example and ours, same budget, same seed, same measures
        for which in ("ours", "reference"):
            print(f"{which}: {cgan.train_reference(epochs=args.epochs, which=which, seed=args.seed, verbose=2)}")
        return
    model, quality = cgan.train_pretrained_cgan(epochs=args.epochs, seed=args.seed, out=args.out,
                                                resume=args.resume)
    print(f"cgan: {quality}")


def _train_ddim(args):
    import pathlib

    from digitkit import data, diffusion, pretrained, viz
    from digitkit._paths import project_dir

    (x_train, y_train), _ = data.load_mnist(normalize=True)
    recipe = dict(diffusion.RECIPE)
    for key in ("epochs", "batch_size", "learning_rate"):
        if getattr(args, key) is not None:
            recipe[key] = getattr(args, key)
    previous = dict(epochs=0, minutes=0.0, command="")
    seed = args.seed
    if args.resume:  # continue the weights in --out (fresh optimizer, new noise)
        model, previous = pretrained.resume("ddim", directory=args.out)
        seed += previous["epochs"]
    else:
        model = diffusion.build_ddim(seed=args.seed)
    runs = project_dir() / "runs"
    runs.mkdir(exist_ok=True)
    gif = pathlib.Path(args.gif or project_dir() / "assets" / "training" / "ddim.gif")
    earlier = viz.read_gif(gif) if args.resume and gif.exists() else []  # a resumed run extends the GIF
    # the GIF keeps the guidance its first frames were drawn with, whatever GUIDANCE is tuned to later,
    # so that a resumed stage continues the same picture
    frames = diffusion.SampleGrid(guidance=0.7, gif_path=gif, weights_path=runs / "ddim.checkpoint.weights.h5",
                                  previous_frames=earlier)
    start = time.time()
    diffusion.train_ddim(model, x_train, y_train, seed=seed, callbacks=[frames], verbose=2, **recipe)
    minutes = (time.time() - start) / 60 + previous["minutes"]
    quality = dict(train_minutes=round(minutes, 1), epochs=recipe["epochs"] + previous["epochs"],
                   trained_on=diffusion.device_note())
    if args.eval_per_digit:
        for row in diffusion.evaluate_ddim(model, steps=(20,), per_digit=args.eval_per_digit):
            quality.update(judge_accuracy_20_steps=round(row["accuracy"], 4),
                           frechet_20_steps=round(row["frechet"], 2), eval_samples=10 * args.eval_per_digit)
    command = previous["command"] + f"digitkit train ddim {'--resume ' if args.resume else ''}--seed {args.seed}" + "".join(
        f" --{k.replace('_', '-')} {getattr(args, k)}" for k in ("epochs", "batch_size", "learning_rate")
        if getattr(args, k) is not None)
    path = pretrained.save_pretrained(model, "ddim", quality, command, directory=args.out)
    print(f"ddim: {quality} -> {path}")


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
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="folder for weights and manifest (default: weights/)")
    p.set_defaults(func=_train_classifier)

    p = train_sub.add_parser("gan", help="the healthy dense GAN of notebook 02")
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lab", action="store_true", help="first record the failure-mode lab runs")
    p.add_argument("--resume", action="store_true", help="continue training the weights in --out")
    p.add_argument("--out", default=None, help="folder for weights and manifest (default: weights/)")
    p.set_defaults(func=_train_gan)
    p = train_sub.add_parser("cgan", help="the conditional GAN of notebook 03")
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reference", action="store_true",
                   help="instead, train the keras.io Conditional GAN example and ours on its budget "
                        "(--epochs over 70,000 images) and print both qualities")
    p.add_argument("--resume", action="store_true", help="continue training the weights in --out")
    p.add_argument("--out", default=None, help="folder for weights and manifest (default: weights/)")
    p.set_defaults(func=_train_cgan)

    p = train_sub.add_parser("ddim", help="the class-conditional diffusion model (CPU: about 40 min)")
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--learning-rate", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-per-digit", type=int, default=100,
                   help="judge samples per digit after training (0: skip; needs weights/judge)")
    p.add_argument("--gif", default=None,
                   help="training GIF, one frame per epoch, extended by --resume (default: assets/training/ddim.gif)")
    p.add_argument("--resume", action="store_true", help="continue training the weights in --out")
    p.add_argument("--out", default=None, help="folder for weights and manifest (default: weights/)")
    p.set_defaults(func=_train_ddim)

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

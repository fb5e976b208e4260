"""Train the convolutional basic GAN (`digitkit.dcgan`) epoch by epoch, resumably, on CPU.

Every epoch it saves a checkpoint (both networks, both Adams' state, the
training noise's seed state and the GIF frames), measures the judge's label
entropy, digit shares and Fréchet distance on ``--n-eval`` samples against as
many test images, and appends one JSON line to ``<dir>/log.jsonl``.
``--resume`` continues from the last checkpoint exactly where it stopped.
``--final`` evaluates the checkpoint with the lowest Fréchet distance on
10,000 samples and, if it beats the shipped ``gan`` weights, ships it.

    nice -n 19 python3 benchmarks/train_dcgan.py --epochs 1 --n-images 6000 --dir /tmp/dcgan_smoke
    nice -n 19 python3 benchmarks/train_dcgan.py --epochs 40 --dir /tmp/dcgan
    nice -n 19 python3 benchmarks/train_dcgan.py --epochs 40 --dir /tmp/dcgan --resume
    nice -n 19 python3 benchmarks/train_dcgan.py --dir /tmp/dcgan --final
"""

import argparse
import json
import os
import pathlib
import time

import numpy as np

from digitkit import dcgan, gan, metrics, pretrained
from digitkit._paths import project_dir
from digitkit.data import load_mnist


def _state(model):
    arrays = {"seed_state": np.asarray(model.seed_generator.state.numpy())}
    for side in ("generator", "discriminator"):
        for i, v in enumerate(getattr(model.optimizers, side).variables):
            arrays[f"{side}_{i}"] = np.asarray(v.numpy())
    return arrays


def save_checkpoint(model, monitor, directory, epoch):
    model.save_weights(directory / f"epoch_{epoch:03d}.weights.h5")
    np.savez(directory / f"epoch_{epoch:03d}.state.npz", frames=np.stack(monitor.frames), **_state(model))


def load_checkpoint(directory, epoch):
    """The model (networks and optimizer state restored) and the GIF frames of a checkpoint."""
    model = dcgan.build_pretrained_dcgan()
    model.load_weights(directory / f"epoch_{epoch:03d}.weights.h5")
    state = np.load(directory / f"epoch_{epoch:03d}.state.npz")
    model.seed_generator.state.assign(state["seed_state"])
    for side, network in (("generator", model.generator), ("discriminator", model.discriminator)):
        optimizer = getattr(model.optimizers, side)
        optimizer.build(network.trainable_variables)
        for i, v in enumerate(optimizer.variables):
            v.assign(state[f"{side}_{i}"])
    return model, list(state["frames"])


def read_log(directory):
    path = directory / "log.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def measure(model, reference_features, n):
    result = gan.diagnose(model, reference_features, n=n, seed=123)
    shares = result["histogram"] / result["histogram"].sum()
    return dict(frechet=round(result["frechet"], 3), label_entropy=round(result["label_entropy"], 4),
                digit_shares=[round(float(s), 4) for s in shares])


def train(args):
    directory = pathlib.Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    (x_train, _), (x_test, _) = load_mnist(normalize=True)
    x_train = x_train[:args.n_images] if args.n_images else x_train
    log = read_log(directory) if args.resume else []
    if log:
        model, frames = load_checkpoint(directory, log[-1]["epoch"])
    else:
        model, frames = dcgan.build_pretrained_dcgan(), []
    if args.learning_rate:  # both Adams, also on resume (the restored moments are kept)
        model.optimizers.generator.learning_rate = args.learning_rate
        model.optimizers.discriminator.learning_rate = args.learning_rate
    learning_rate = float(model.optimizers.generator.learning_rate.numpy())
    monitor = gan.GANMonitor(None, gif_path=args.gif, verbose=False, gif_scale=2)
    monitor.frames = frames
    reference = metrics.judge_features(x_test[:args.n_eval])
    floor = metrics.frechet_distance(x_train[:args.n_eval], x_test[:args.n_eval])
    start_epoch = log[-1]["epoch"] if log else 0
    for epoch in range(start_epoch + 1, args.epochs + 1):
        start = time.time()
        history, _ = gan.train_gan(model, x_train, epochs=1, batch_size=args.batch_size, monitor=monitor,
                                   seed=args.seed + epoch)
        seconds = time.time() - start
        save_checkpoint(model, monitor, directory, epoch)
        line = dict(epoch=epoch, seconds=round(seconds, 1), learning_rate=learning_rate, n_eval=args.n_eval,
                    floor=round(floor, 3),
                    d_loss=round(history["d_loss"][-1], 4), g_loss=round(history["g_loss"][-1], 4),
                    d_acc_real=round(history["d_acc_real"][-1], 3), d_acc_fake=round(history["d_acc_fake"][-1], 3))
        if epoch % args.eval_every == 0 or epoch == args.epochs:
            line.update(measure(model, reference, args.n_eval))
        with open(directory / "log.jsonl", "a") as f:
            f.write(json.dumps(line) + "\n")
        shares = line.get("digit_shares")
        print(f"epoch {epoch}: {seconds:.0f}s d_loss={line['d_loss']} g_loss={line['g_loss']} "
              f"FD={line.get('frechet')} (floor {line['floor']}) entropy={line.get('label_entropy')} "
              f"shares {min(shares) if shares else None}-{max(shares) if shares else None}", flush=True)


def final(args):
    """Evaluate the lowest-FD checkpoint on 10,000 samples; ship it as "gan" if it beats the shipped one."""
    directory = pathlib.Path(args.dir)
    log = [line for line in read_log(directory) if "frechet" in line]
    best = min(log, key=lambda line: line["frechet"])
    model, _ = load_checkpoint(directory, best["epoch"])
    result = gan.evaluate_gan(model, n=10000)
    manifest = pretrained.read_manifest()
    floor = manifest["judge"]["quality"]["frechet_floor"]["10000"]
    shares = np.asarray(result["histogram"]) / sum(result["histogram"])
    seconds = [line["seconds"] for line in read_log(directory)]
    quality = dict(class_accuracy=None, per_class=None, worst_digit=None,
                   label_entropy=round(result["label_entropy"], 4), digit_shares=[round(float(s), 4) for s in shares],
                   frechet=round(result["frechet"], 3), frechet_floor=floor,
                   frechet_over_floor=round(result["frechet"] / floor, 2), n_frechet=10000, epochs=best["epoch"],
                   train_minutes=round(sum(seconds[:best["epoch"]]) / 60, 1),
                   seconds_per_epoch=round(float(np.median(seconds)), 1),
                   trained_on=f"tensorflow on cpu, {os.cpu_count()} cores (shared, nice 19)",
                   settings={})
    print(json.dumps(quality, indent=2), flush=True)
    shipped = manifest.get("gan", {}).get("quality", {}).get("frechet")
    if shipped is not None and quality["frechet"] >= shipped:
        print(f"not shipped: FD {quality['frechet']} does not beat the shipped {shipped}")
        return
    print("saved", pretrained.save_pretrained(model, "gan", quality, _command(read_log(directory)[:best["epoch"]])))


def _command(log):
    """The chain of runs that made the log's epochs (a new run whenever the learning rate changed)."""
    stages = []
    for line in log:
        rate = line.get("learning_rate", 2e-4)
        if stages and stages[-1][0] == rate:
            stages[-1][1] = line["epoch"]
        else:
            stages.append([rate, line["epoch"]])
    runs = [f"python benchmarks/train_dcgan.py --epochs {epochs} --learning-rate {rate:g}" + (" --resume" if i else "")
            for i, (rate, epochs) in enumerate(stages)]
    return " && ".join(runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="/tmp/dcgan", help="checkpoints and log.jsonl")
    parser.add_argument("--epochs", type=int, default=40, help="train up to this many epochs in all")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-images", type=int, default=0, help="train on the first N images (0: all 60,000)")
    parser.add_argument("--n-eval", type=int, default=2000, help="samples (and test images) measured per epoch")
    parser.add_argument("--eval-every", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--learning-rate", type=float, default=0.0, help="both Adams' rate (0: keep the model's)")
    parser.add_argument("--gif", default=str(project_dir() / "assets" / "training" / "gan.gif"))
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --dir")
    parser.add_argument("--final", action="store_true", help="evaluate the best checkpoint at n=10,000 and ship it")
    args = parser.parse_args()
    final(args) if args.final else train(args)


if __name__ == "__main__":
    main()

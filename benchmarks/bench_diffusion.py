"""How fast the diffusion model samples and trains, on each Keras backend installed.

    python benchmarks/bench_diffusion.py                    # tensorflow and jax (if installed)
    python benchmarks/bench_diffusion.py --backends tensorflow --train-batches 10

Prints, per backend: the time to sample 100 digits and 10 digits at 20 DDIM
steps with guidance (the widgets' case), and the training throughput in
images per second with the shipped recipe's batch size. Each backend runs in
its own process (KERAS_BACKEND is read when Keras is first imported). The
machine's load average is printed too: on a shared machine, timings vary.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def _median_seconds(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def worker(args):
    import keras
    import numpy as np

    from digitkit import data, diffusion, pretrained, training

    try:
        model, weights = pretrained.load_pretrained("ddim"), "pretrained"
    except (FileNotFoundError, ValueError):
        model, weights = diffusion.build_ddim(), "untrained (no shipped weights)"
    digits100 = np.repeat(np.arange(10), 10)
    model.sample(digits100, steps=2, seed=0)  # compile the predict function for both batch sizes
    model.sample("0123456789", steps=2, seed=0)
    result = dict(backend=keras.backend.backend(), weights=weights, cpu_count=os.cpu_count(),
                  sample_100_at_20_steps_s=_median_seconds(
                      lambda: model.sample(digits100, steps=20, guidance=diffusion.GUIDANCE, seed=0), args.repeats),
                  sample_10_at_20_steps_s=_median_seconds(
                      lambda: model.sample("0123456789", steps=20, guidance=diffusion.GUIDANCE, seed=0), args.repeats))
    if args.train_batches:
        (x, y), _ = data.load_mnist(normalize=True)
        batch = training.RECIPES["ddim"]["batch_size"]
        n = batch * args.train_batches
        trainer = diffusion.build_ddim()
        trainer.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4, clipnorm=1.0))
        inputs = {"images": x[:n], "labels": y[:n]}
        trainer.fit(inputs, epochs=1, batch_size=batch, verbose=0)  # compile
        seconds = _median_seconds(lambda: trainer.fit(inputs, epochs=1, batch_size=batch, verbose=0), 1)
        result["train_images_per_s"] = n / seconds
    result["load_average"] = os.getloadavg()[0]
    print("RESULT " + json.dumps(result))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats of each sampling (median)")
    parser.add_argument("--train-batches", type=int, default=20, help="batches per training measurement (0: skip)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for backend in args.backends.split(","):
        module = "jax" if backend == "jax" else backend
        if subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode:
            print(f"{backend}: not installed, skipped")
            continue
        env = {**os.environ, "KERAS_BACKEND": backend,
               "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        run = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker",
                              "--repeats", str(args.repeats), "--train-batches", str(args.train_batches)],
                             capture_output=True, text=True, env=env, cwd=root)
        lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
        if run.returncode or not lines:
            print(f"{backend}: failed\n{run.stderr[-3000:]}")
            continue
        r = json.loads(lines[-1][len("RESULT "):])
        print(f"{backend} ({r['weights']} weights, {r['cpu_count']} CPU cores, load average {r['load_average']:.1f}):")
        print(f"  sample 100 digits, 20 steps, with guidance: {r['sample_100_at_20_steps_s']:.2f} s")
        print(f"  sample  10 digits, 20 steps, with guidance: {r['sample_10_at_20_steps_s']:.2f} s")
        if "train_images_per_s" in r:
            print(f"  training throughput: {r['train_images_per_s']:.0f} images/s")


if __name__ == "__main__":
    main()

"""How fast the diffusion model samples and trains, on each Keras backend installed.

    python benchmarks/bench_diffusion.py                    # tensorflow and jax (if installed)
    python benchmarks/bench_diffusion.py --backends tensorflow --train-batches 10

Prints, per backend: the time to sample 100 digits and 10 digits at 20 DDIM
steps with guidance (the widgets' case), and the training throughput in
images per second with the shipped recipe's batch size. Each backend runs in
its own process (KERAS_BACKEND is read when Keras is first imported).

Beside the times, the arithmetic: the U-Net's FLOPs per image and forward pass
(`digitkit.unet.forward_flops`: conv and dense multiply-adds from the layer
shapes, 2 FLOPs each), the machine's measured GFLOP/s on a 2048x2048 float32
matmul (NumPy and the backend) and on one 3x3 convolution of the U-Net's shape
(32 channels at 28x28, the batch of a guided 100-digit step), the GFLOP/s that
sampling achieves, and the time the matmul rate would allow for the same
arithmetic (with guidance, two passes per step). Every time is the minimum of
``--repeats`` runs: on a shared machine the minimum is the least disturbed one.
The load average is printed too.
"""

import argparse
import json
import os
import subprocess
import sys
import time


def _min_seconds(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def machine_gflops(repeats):
    """Measured GFLOP/s: NumPy and backend float32 matmul (2048^2), and a U-Net-shaped 3x3 convolution."""
    import keras
    import numpy as np
    from keras import ops

    rng = np.random.default_rng(0)
    a = rng.standard_normal((2048, 2048)).astype("float32")
    matmul_flops = 2 * 2048**3
    numpy_s = _min_seconds(lambda: a @ a, repeats)
    ta = ops.convert_to_tensor(a)
    ops.convert_to_numpy(ops.matmul(ta, ta))
    backend_s = _min_seconds(lambda: ops.convert_to_numpy(ops.matmul(ta, ta)), repeats)
    x = ops.convert_to_tensor(rng.standard_normal((200, 28, 28, 32)).astype("float32"))
    kernel = ops.convert_to_tensor(rng.standard_normal((3, 3, 32, 32)).astype("float32"))
    conv = keras.layers.Conv2D(32, 3, padding="same", use_bias=False)
    conv.build(x.shape)
    conv.kernel.assign(kernel)
    ops.convert_to_numpy(ops.conv(x, kernel, padding="same"))
    conv_s = _min_seconds(lambda: ops.convert_to_numpy(ops.conv(x, kernel, padding="same")), repeats)
    conv_flops = 2 * 200 * 28 * 28 * 9 * 32 * 32
    return dict(
        numpy_matmul_gflops=matmul_flops / numpy_s / 1e9,
        backend_matmul_gflops=matmul_flops / backend_s / 1e9,
        conv_gflops=conv_flops / conv_s / 1e9,
    )


def worker(args):
    import keras
    import numpy as np

    from digitkit import data, diffusion, pretrained, training, unet

    try:
        model, weights = pretrained.load_pretrained("ddim"), "pretrained"
    except (FileNotFoundError, ValueError):
        model, weights = diffusion.build_ddim(), "untrained (no shipped weights)"
    digits100 = np.repeat(np.arange(10), 10)
    model.sample(digits100, steps=2, seed=0)  # compile the predict function for both batch sizes
    model.sample("0123456789", steps=2, seed=0)
    result = dict(
        backend=keras.backend.backend(),
        weights=weights,
        cpu_count=os.cpu_count(),
        unet_flops=unet.forward_flops(model.ema_network),
        **machine_gflops(args.repeats),
        sample_100_at_20_steps_s=_min_seconds(
            lambda: model.sample(digits100, steps=20, guidance=diffusion.GUIDANCE, seed=0), args.repeats
        ),
        sample_10_at_20_steps_s=_min_seconds(
            lambda: model.sample("0123456789", steps=20, guidance=diffusion.GUIDANCE, seed=0), args.repeats
        ),
    )
    if args.train_batches:
        (x, y), _ = data.load_mnist(normalize=True)
        batch = training.RECIPES["ddim"]["batch_size"]
        n = batch * args.train_batches
        trainer = diffusion.build_ddim()
        trainer.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4, clipnorm=1.0))
        inputs = {"images": x[:n], "labels": y[:n]}
        trainer.fit(inputs, epochs=1, batch_size=batch, verbose=0)  # compile
        seconds = _min_seconds(lambda: trainer.fit(inputs, epochs=1, batch_size=batch, verbose=0), 1)
        result["train_images_per_s"] = n / seconds
    result["load_average"] = os.getloadavg()[0]
    print("RESULT " + json.dumps(result))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats of each measurement (minimum)")
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
        env = {
            **os.environ,
            "KERAS_BACKEND": backend,
            "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        }
        run = subprocess.run(
            [
                sys.executable,
                os.path.abspath(__file__),
                "--worker",
                "--repeats",
                str(args.repeats),
                "--train-batches",
                str(args.train_batches),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=root,
        )
        lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
        if run.returncode or not lines:
            print(f"{backend}: failed\n{run.stderr[-3000:]}")
            continue
        r = json.loads(lines[-1][len("RESULT ") :])
        print(f"{backend} ({r['weights']} weights, {r['cpu_count']} CPU cores, load average {r['load_average']:.1f}):")
        print(f"  U-Net: {r['unet_flops'] / 1e6:.1f} MFLOPs per image and forward pass (conv + dense multiply-adds)")
        print(
            f"  machine: matmul 2048^2 float32 {r['numpy_matmul_gflops']:.1f} GFLOP/s (NumPy), "
            f"{r['backend_matmul_gflops']:.1f} GFLOP/s ({backend}); "
            f"U-Net-shaped 3x3 conv {r['conv_gflops']:.1f} GFLOP/s"
        )
        limit = max(r["numpy_matmul_gflops"], r["backend_matmul_gflops"])
        print("  sample, 20 steps, guidance (2 passes/step)   measured   achieved     matmul limit   ratio")
        for n in (100, 10):
            seconds = r[f"sample_{n}_at_20_steps_s"]
            gflop = n * 20 * 2 * r["unet_flops"] / 1e9
            print(
                f"  {n:>3} digits: {gflop:6.1f} GFLOP{'':20}{seconds:7.2f} s {gflop / seconds:7.1f} GFLOP/s "
                f"{gflop / limit:8.2f} s   {seconds / (gflop / limit):5.1f}x"
            )
        if "train_images_per_s" in r:
            print(f"  training throughput: {r['train_images_per_s']:.0f} images/s")


if __name__ == "__main__":
    main()

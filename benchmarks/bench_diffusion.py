"""How fast the diffusion model samples and trains, on each Keras backend installed.

    python benchmarks/bench_diffusion.py                    # tensorflow and jax (if installed)
    python benchmarks/bench_diffusion.py --backends tensorflow --train-batches 10
    python benchmarks/bench_diffusion.py --backends tensorflow --train-batches 0 --channels shipped 32,64,128 48,96,192

Prints, per backend: the time to sample 100 digits and 10 digits at 20 DDIM
steps with the default guidance (the widgets' case: guided at the steps of
`digitkit.diffusion.GUIDANCE_INTERVAL`), and the training throughput in
images per second with the shipped recipe's batch size. Each backend runs in
its own process (KERAS_BACKEND is read when Keras is first imported).

Beside the times, the arithmetic: the U-Net's FLOPs per image and forward pass
(`digitkit.unet.forward_flops`: conv and dense multiply-adds from the layer
shapes, 2 FLOPs each), the machine's measured GFLOP/s on a 2048x2048 float32
matmul (NumPy and the backend) and on one 3x3 convolution of the U-Net's shape
(32 channels at 28x28, the batch of a guided 100-digit step), the GFLOP/s that
sampling achieves, and the time the matmul rate would allow for the same
arithmetic (one pass per step, two at a guided step). Every time is the minimum of
``--repeats`` runs: on a shared machine the minimum is the least disturbed one.
The load average is printed too.

Beside the whole sampling loop, the U-Net's passes alone are timed (the same compiled call on
the same batches, one per step, no scheduler step and no Python loop): the gap between the two is
what the loop itself costs. ``--channels`` times U-Nets of other widths as well (untrained:
their speed does not depend on the weights), e.g. the widths #13's quality goals call for.
On a 2-core CPU a 3x3 convolution with 16 channels keeps the matrix units far less busy than
one with 64 or more, so the narrow shipped U-Net sits further from the limit than a wider one.
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


def load_model(channels):
    """``(model, description)``: the shipped DDIM for ``"shipped"``, else an untrained one of those widths."""
    from digitkit import diffusion, pretrained

    if channels == "shipped":
        try:
            return pretrained.load_pretrained("ddim"), "the shipped weights"
        except (FileNotFoundError, ValueError):
            return diffusion.build_ddim(), "untrained: no shipped weights"
    widths = tuple(int(c) for c in channels.split(","))
    return diffusion.build_ddim(channels=widths, seed=0), "untrained: timing only"


def unet_passes_seconds(model, n, guided_steps, plain_steps, repeats):
    """Seconds for the compiled U-Net passes of sampling ``n`` digits, nothing else: ``guided_steps``
    passes on the guided batch (2n images) and ``plain_steps`` on the plain one (n images)."""
    import keras
    import numpy as np

    network = model.ema_network
    forward = keras.Model(network.inputs, network.outputs, name="forward")
    forward.compile(jit_compile=True)  # as the sampler's step model
    rng = np.random.default_rng(0)
    batches = {}
    for size in (2 * n, n):
        batches[size] = [
            rng.standard_normal((size, 28, 28, 1)).astype("float32"),
            np.full(size, 250.0, "float32"),
            np.arange(size, dtype="int32") % 11,
        ]
        forward.predict_on_batch(batches[size])
    passes = [batches[2 * n]] * guided_steps + [batches[n]] * plain_steps
    return _min_seconds(lambda: [forward.predict_on_batch(inputs) for inputs in passes], repeats)


def worker(args):
    import keras
    import numpy as np

    from digitkit import data, diffusion, training, unet

    model, weights = load_model(args.channels)
    digits100 = np.repeat(np.arange(10), 10)
    model.sample(digits100, steps=20, seed=0)  # compile the step models (guided and plain) for both batch sizes
    model.sample("0123456789", steps=20, seed=0)
    guided = int(
        model.sampler.guided_steps(model.sampling_steps(20), diffusion.GUIDANCE, diffusion.GUIDANCE_INTERVAL).sum()
    )
    result = dict(
        backend=keras.backend.backend(),
        weights=weights,
        channels=list(model.channels),
        cpu_count=os.cpu_count(),
        unet_flops=unet.forward_flops(model.ema_network),
        **machine_gflops(args.repeats),
        sample_100_at_20_steps_s=_min_seconds(
            lambda: model.sample(digits100, steps=20, guidance=diffusion.GUIDANCE, seed=0), args.repeats
        ),
        sample_10_at_20_steps_s=_min_seconds(
            lambda: model.sample("0123456789", steps=20, guidance=diffusion.GUIDANCE, seed=0), args.repeats
        ),
        guided_steps=guided,
        guidance_interval=list(diffusion.GUIDANCE_INTERVAL),
        unet_100_at_20_steps_s=unet_passes_seconds(model, 100, guided, 20 - guided, args.repeats),
        unet_10_at_20_steps_s=unet_passes_seconds(model, 10, guided, 20 - guided, args.repeats),
    )
    if args.train_batches:
        (x, y), _ = data.load_mnist(normalize=True)
        batch = training.RECIPES["ddim"]["batch_size"]
        n = batch * args.train_batches
        trainer = diffusion.build_ddim(channels=model.channels)
        trainer.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4, clipnorm=1.0))
        inputs = {"images": x[:n], "labels": y[:n]}
        trainer.fit(inputs, epochs=1, batch_size=batch, verbose=0)  # compile
        seconds = _min_seconds(lambda: trainer.fit(inputs, epochs=1, batch_size=batch, verbose=0), 1)
        result["train_images_per_s"] = n / seconds
    result["load_average"] = os.getloadavg()[0]
    print("RESULT " + json.dumps(result))


def report(backend, r):
    """Print one worker's result: the machine's limit, then sampling (whole loop, and the U-Net alone)."""
    widths = "/".join(map(str, r["channels"]))
    print(
        f"{backend}, U-Net {widths} ({r['weights']}, {r['cpu_count']} CPU cores, load average {r['load_average']:.1f}):"
    )
    print(f"  U-Net: {r['unet_flops'] / 1e6:.1f} MFLOPs per image and forward pass (conv + dense multiply-adds)")
    print(
        f"  machine: matmul 2048^2 float32 {r['numpy_matmul_gflops']:.1f} GFLOP/s (NumPy), "
        f"{r['backend_matmul_gflops']:.1f} GFLOP/s ({backend}); "
        f"U-Net-shaped 3x3 conv {r['conv_gflops']:.1f} GFLOP/s"
    )
    limit = max(r["numpy_matmul_gflops"], r["backend_matmul_gflops"])
    guided = r.get("guided_steps", 20)  # results from before the guidance interval: every step guided
    passes = 20 + guided
    print(
        f"  20 steps, {guided} of them guided ({passes} passes/image)    measured   achieved     matmul limit   ratio"
    )
    for n in (100, 10):
        gflop = n * passes * r["unet_flops"] / 1e9
        for what, key in (("sample", "sample"), ("  U-Net passes alone", "unet")):
            seconds = r[f"{key}_{n}_at_20_steps_s"]
            label = f"{what} {n} digits:" if key == "sample" else f"{what}:"
            print(
                f"  {label:<28}{gflop:6.1f} GFLOP {seconds:9.2f} s {gflop / seconds:7.1f} GFLOP/s "
                f"{gflop / limit:8.2f} s   {seconds / (gflop / limit):5.1f}x"
            )
    if "train_images_per_s" in r:
        print(f"  training throughput: {r['train_images_per_s']:.0f} images/s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument(
        "--channels",
        nargs="+",
        default=["shipped"],
        help="U-Nets to time: 'shipped' (the pretrained DDIM) or widths like 48,96,192 (untrained)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats of each measurement (minimum)")
    parser.add_argument("--train-batches", type=int, default=20, help="batches per training measurement (0: skip)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        (args.channels,) = args.channels
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
        for channels in args.channels:
            command = [sys.executable, os.path.abspath(__file__), "--worker", "--channels", channels]
            command += ["--repeats", str(args.repeats), "--train-batches", str(args.train_batches)]
            run = subprocess.run(command, capture_output=True, text=True, env=env, cwd=root)
            lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
            if run.returncode or not lines:
                print(f"{backend}, U-Net {channels}: failed\n{run.stderr[-3000:]}")
                continue
            report(backend, json.loads(lines[-1][len("RESULT ") :]))


if __name__ == "__main__":
    main()

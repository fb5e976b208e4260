"""How fast the ``digitkit`` command answers, and how much memory it takes.

    python benchmarks/bench_cli.py                        # this checkout
    python benchmarks/bench_cli.py --tree /work/main --tree .   # before and after

For each source tree (put first on ``PYTHONPATH``) it runs, a few times each:
``digitkit predict digit.png`` (a generated picture of a 7), ``digitkit predict
missing.png`` and ``digitkit --help``, and prints the median wall time and the
peak resident memory of the process (``os.wait4``'s ``ru_maxrss``). The machine's
load average is printed too: on a shared machine, timings vary.
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
COMMANDS = {
    "predict digit.png": ["predict", "{png}"],
    "predict missing.png": ["predict", "{missing}"],
    "--help": ["--help"],
}


def _run(tree, argv, cwd):
    # run from a folder outside every tree (python -m puts the current folder first on sys.path),
    # reading the course's files from this checkout
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(tree).resolve()), DIGITKIT_HOME=str(ROOT))
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "digitkit.cli", *argv],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr_lines = len(process.stderr.read().splitlines())
    process.stderr.close()
    return seconds, usage.ru_maxrss / 1024, process.returncode, stderr_lines  # ru_maxrss is in KiB on Linux


def _digit_png(folder):
    import numpy as np
    from PIL import Image

    image = np.full((280, 280), 255, np.uint8)
    image[40:60, 60:220] = 0  # the bar of a 7
    for row in range(60, 250):  # its stem, leaning left
        col = 220 - (row - 60) * 110 // 190
        image[row, col - 10 : col + 10] = 0
    path = folder / "digit.png"
    Image.fromarray(image).save(path)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tree",
        action="append",
        default=None,
        help="a source tree holding digitkit/ (repeat to compare; default: this checkout)",
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    trees = args.tree or [str(ROOT)]
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        fill = dict(png=str(_digit_png(folder)), missing=str(folder / "missing.png"))
        for tree in trees:
            print(f"\n{tree}")
            print(f"  {'command':<22} {'median s':>9} {'peak MiB':>9} {'exit':>5} {'stderr lines':>13}")
            for label, template in COMMANDS.items():
                runs = [_run(tree, [part.format(**fill) for part in template], folder) for _ in range(args.repeats)]
                seconds = statistics.median(r[0] for r in runs)
                memory = max(r[1] for r in runs)
                print(f"  {label:<22} {seconds:>9.2f} {memory:>9.0f} {runs[-1][2]:>5} {runs[-1][3]:>13}")


if __name__ == "__main__":
    main()

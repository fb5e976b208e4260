"""The wheel a learner gets from ``pip install git+...`` (Colab, Kaggle) runs the course outside the repo.

Builds the wheel, installs it (without dependencies: they come from this
environment through ``--system-site-packages``) into a fresh virtual environment
in a temporary folder, and runs the loaders, ``digitkit predict`` and a generator
from a folder that is not the repository.
"""

import os
import pathlib
import subprocess
import sys
import zipfile

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _run(argv, cwd, env, timeout=300):
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python of a venv with the wheel installed, a working folder outside the repo, env, wheel path)."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DIGITKIT_HOME")}
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp / "dist"),
            str(ROOT),
        ],
        cwd=tmp,
        env=env,
    )
    wheel = next((tmp / "dist").glob("digitkit-*.whl"))
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(tmp / "venv")], cwd=tmp, env=env)
    python = tmp / "venv" / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)], cwd=tmp, env=env)
    work = tmp / "work"
    work.mkdir()
    return python, work, env, wheel


def test_the_wheel_carries_the_data_the_weights_and_the_notebooks(installed):
    *_, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "data/mnist.npz",
        "weights/manifest.json",
        "weights/dense.weights.h5",
        "weights/cgan.weights.h5",
        "weights/ddim.weights.h5",
        "assets/training/gan_runs.json",
        "notebooks/00_data.ipynb",
    ):
        assert f"digitkit/_course/{name}" in names
    assert "digitkit/static/canvas.js" in names


def test_the_installed_package_loads_the_course_outside_the_repo(installed):
    python, work, env, _ = installed
    code = (
        "import digitkit, digitkit.paths as p; (x, y), _ = digitkit.load_mnist(); "
        "print(digitkit.__file__); print(p.project_dir()); print(p.output_dir()); print(x.shape)"
    )
    file, home, output, shape = _run([str(python), "-c", code], cwd=work, env=env).stdout.splitlines()
    assert not file.startswith(str(ROOT)) and str(python.parent.parent) in file  # the venv's copy, not the repo
    assert home.endswith("digitkit/_course") and pathlib.Path(output) == work  # writes go to the working folder
    assert shape == "(60000, 28, 28)"


def test_predict_and_generate_run_from_the_wheel(installed):
    python, work, env, _ = installed
    from PIL import Image

    from digitkit import data, photos

    _, (x, y) = data.load_mnist()
    Image.fromarray(photos.render_photo(photos.skeleton(x[0]), size=(1200, 900), stroke=0.1)).save(work / "img.png")
    out = _run([str(python), "-m", "digitkit.cli", "predict", "img.png"], cwd=work, env=env).stdout
    assert out.startswith(f"img.png: {y[0]} (")
    _run([str(python), "-m", "digitkit.cli", "generate", "cgan", "646775", "--out", "d"], cwd=work, env=env)
    grid = np.asarray(Image.open(work / "d" / "cgan_seed0_646775_grid.png"))
    assert grid.shape == (30, 175) and grid.max() > 200
    assert len(list((work / "d").glob("cgan_seed0_646775_*-*.png"))) == 6

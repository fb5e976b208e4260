import os
import pathlib
import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import pytest

from digitkit import cli
from tests.conftest import upscale


def test_predict_reads_a_png_of_a_digit(tmp_path, mnist, capsys):
    _, (x, y) = mnist
    path = tmp_path / "digit.png"
    iio.imwrite(path, 255 - upscale(x[0]).astype(np.uint8))  # dark ink on paper
    cli.main(["predict", str(path)])
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"{path}: {y[0]} (")
    assert len([line for line in out.splitlines() if line.startswith("  ")]) == 10


def test_predict_refuses_a_blank_image(tmp_path):
    path = tmp_path / "blank.png"
    iio.imwrite(path, np.full((100, 100), 255, np.uint8))
    with pytest.raises(SystemExit, match="no digit found in .*blank.png: it looks blank"):
        cli.main(["predict", str(path)])


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("notes.png", "not a picture", "notes.png is not an image"),
        ("empty.png", "", "empty.png is not an image: the file is empty"),
        ("missing.png", None, "No such file: .*missing.png"),
    ],
)
def test_predict_names_a_file_that_is_not_an_image(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit, match=message) as raised:
        cli.main(["predict", str(path)])
    assert "pyav" not in str(raised.value) and "opencv" not in str(raised.value)


def test_evaluate_prints_accuracy_and_writes_the_confusion_matrix(tmp_path, capsys):
    png = tmp_path / "cm.png"
    cli.main(["evaluate", "classifier", "--model", "dense", "--png", str(png)])
    out = capsys.readouterr().out
    assert "test accuracy 0.98" in out and out.count("digit ") == 10
    assert iio.imread(png).ndim == 3


def test_train_writes_weights_and_manifest_elsewhere(tmp_path, test_digits):
    from digitkit import pretrained

    cli.main(
        ["train", "classifier", "--model", "dense_plain", "--epochs", "1", "--n-images", "2000", "--out", str(tmp_path)]
    )
    entry = pretrained.read_manifest(tmp_path)["dense_plain"]
    assert entry["command"] == "digitkit train classifier --model dense_plain --seed 0 --epochs 1"
    assert 0.5 < entry["quality"]["test_accuracy"] <= 1
    loaded = pretrained.load_pretrained("dense_plain", directory=tmp_path)
    x, y = test_digits
    assert (loaded.predict(x, verbose=0).argmax(axis=1) == y).mean() > 0.5
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "classifier_runs.json",
        "dense_plain.weights.h5",
        "manifest.json",
    ]


def test_train_names_an_unknown_knob_of_the_architecture_before_training(tmp_path):
    with pytest.raises(SystemExit, match=r"digitkit train ddim: Unknown knobs for ddim: \['width'\]"):
        cli.main(["train", "ddim", "--architecture", '{"width": 32}', "--out", str(tmp_path)])
    assert list(tmp_path.iterdir()) == []


def test_evaluate_generator_judges_a_checkpoint_and_a_folder_as_train_did(tmp_path, capsys):
    from digitkit import pretrained

    tiny = ["--per-digit", "2", "--n-frechet", "20"]
    cli.main(["train", "cgan", "--epochs", "1", "--n-images", "256", *tiny, "--out", str(tmp_path)])
    recorded = pretrained.quality("cgan", directory=tmp_path)
    capsys.readouterr()
    checkpoint = str(tmp_path / "cgan.resume.weights.h5")
    cli.main(["evaluate", "generator", "cgan", "--checkpoint", checkpoint, *tiny])
    cli.main(["evaluate", "generator", "cgan", "--folder", str(tmp_path), *tiny])
    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith(f"cgan ({checkpoint}, epoch 1): read as asked ")
    assert second.startswith(f"cgan ({tmp_path}): read as asked ")
    for line in (first, second):
        assert f"FD {recorded['frechet']:.2f} = " in line and "(20 samples)" in line
    with pytest.raises(SystemExit, match="holds networks with architecture="):
        cli.main(
            [
                "evaluate",
                "generator",
                "cgan",
                "--checkpoint",
                checkpoint,
                "--architecture",
                '{"discriminator_filters": [32, 64]}',
            ]
        )


def _run_in_fresh_python(code):
    """Run code in a new interpreter (this checkout's digitkit first); return its stdout lines."""
    root = pathlib.Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    return done.stdout.splitlines(), done.stderr


_MAIN = """
import sys
from digitkit import cli
try:
    cli.main({argv!r})
except SystemExit as e:
    print("exit", e.code)
print("tensorflow imported:", "tensorflow" in sys.modules, "keras imported:", "keras" in sys.modules)
"""


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--help"], "exit 0"),
        (["predict", "missing.png"], "exit digitkit predict: No such file: missing.png"),
        (["generate", "cgan", "12a", "--out", "d"], "exit 2"),
        (["generate", "gan", "646775", "--out", "d"], "exit 2"),
        (["generate", "dense_gan", "646775", "--out", "d"], "exit 2"),
        (["generate", "dcgan", "646775", "--out", "d"], "exit 2"),
        (["generate", "ddim", "7", "--steps", "0", "--out", "d"], "exit 2"),
        (["generate", "ddim", "7", "--guidance-interval", "0.9", "0.3", "--out", "d"], "exit 2"),
        (["generate", "cgan", "7", "--guidance-interval", "0.3", "0.9", "--out", "d"], "exit 2"),
        (["train", "ddim", "--architecture", "channels=32,64,128", "--out", "d"], "exit 2"),
        (["train", "ddim", "--architecture", "[32, 64, 128]", "--out", "d"], "exit 2"),
        (["evaluate", "generator", "ddim", "--checkpoint", "a.h5", "--folder", "d"], "exit 2"),
        (
            ["evaluate", "generator", "ddim", "--checkpoint", "a.h5"],
            "exit digitkit evaluate generator: No such checkpoint: a.h5",
        ),
        (
            ["evaluate", "generator", "cgan", "--per-digit", "0"],
            "exit digitkit evaluate generator: per_digit must be a whole number >= 1. Received: per_digit=0",
        ),
    ],
)
def test_help_and_bad_input_answer_without_importing_tensorflow(argv, expected):
    lines, stderr = _run_in_fresh_python(_MAIN.format(argv=argv))
    assert expected in lines
    assert lines[-1] == "tensorflow imported: False keras imported: False"
    if argv[0] == "generate":
        assert "usage: digitkit generate" in stderr and "Received" in stderr


def test_help_is_plain_text_with_every_command_and_an_example(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "``" not in out and "::" not in out and ".. " not in out
    for command in ("lab", "predict", "generate", "evaluate", "train"):
        assert f"\n  digitkit {command}" in out  # the command ...
        assert f"\n      digitkit {command}" in out or f"\n      digitkit --verbose {command}" in out  # ... an example


def test_generate_writes_the_same_files_for_the_same_command(tmp_path, capsys):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        cli.main(["generate", "cgan", "646775", "--seed", "3", "--out", str(out)])
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(
        [
            "cgan_seed3_646775_0-6.png",
            "cgan_seed3_646775_1-4.png",
            "cgan_seed3_646775_2-6.png",
            "cgan_seed3_646775_3-7.png",
            "cgan_seed3_646775_4-7.png",
            "cgan_seed3_646775_5-5.png",
            "cgan_seed3_646775_grid.png",
        ]
    )
    assert all((first / n).read_bytes() == (second / n).read_bytes() for n in names)
    assert iio.imread(first / "cgan_seed3_646775_0-6.png").shape == (28, 28)
    assert iio.imread(first / "cgan_seed3_646775_grid.png").shape == (30, 6 * 29 + 1)
    cli.main(["generate", "cgan", "646775", "--seed", "4", "--out", str(first)])
    assert (first / "cgan_seed4_646775_grid.png").read_bytes() != (first / "cgan_seed3_646775_grid.png").read_bytes()


@pytest.mark.parametrize("name", ["dense_gan", "dcgan"])
def test_generate_draws_notebook_02s_gans_apart_from_the_gan(tmp_path, capsys, name):
    cli.main(["generate", name, "--n", "3", "--seed", "1", "--out", str(tmp_path)])
    cli.main(["generate", "gan", "--n", "3", "--seed", "1", "--out", str(tmp_path)])
    theirs, ours = (iio.imread(tmp_path / f"{model}_seed1_n3_grid.png") for model in (name, "gan"))
    assert theirs.shape == ours.shape == (30, 3 * 29 + 1)
    singles = sorted(f.name for f in tmp_path.glob(f"{name}_*_?.png"))
    assert singles == [f"{name}_seed1_n3_{i}.png" for i in range(3)]
    assert np.abs(theirs.astype(int) - ours.astype(int)).mean() > 5  # two different networks, not one twice


def test_generate_ddim_guides_only_the_interval_asked_for(tmp_path, capsys):
    from digitkit import pretrained

    common = ["generate", "ddim", "7", "--steps", "4", "--guidance", "2", "--out", str(tmp_path)]
    cli.main(common + ["--guidance-interval", "0.5", "1"])
    cli.main(common)
    interval, everywhere = (
        iio.imread(tmp_path / f"ddim_seed0_steps4_guidance2{part}_7_0-7.png") for part in ("_noise0.5-1", "")
    )
    want = pretrained.load_pretrained("ddim").sample("7", steps=4, guidance=2.0, guidance_interval=(0.5, 1), seed=0)[0]
    assert np.abs(interval / 255.0 - want).max() <= 1 / 255 + 1e-6  # the PNG holds those pixels, rounded to 8 bits
    assert np.abs(interval.astype(int) - everywhere.astype(int)).max() > 10  # not guided at every step


def test_generated_names_carry_every_setting():
    assert cli.generated_names("gan", 1, n=2) == (["gan_seed1_n2_0.png", "gan_seed1_n2_1.png"], "gan_seed1_n2_grid.png")
    names, grid = cli.generated_names("ddim", 0, "07", n=2, steps=20, guidance=0.25)
    assert grid == "ddim_seed0_steps20_guidance0.25_07_x2_grid.png"
    assert names == [f"ddim_seed0_steps20_guidance0.25_07_x2_{i}-{d}.png" for i, d in enumerate("0707")]
    _, grid = cli.generated_names("ddim", 0, "07", steps=20, guidance=0.5, guidance_interval=(0.3, 0.9))
    assert grid == "ddim_seed0_steps20_guidance0.5_noise0.3-0.9_07_grid.png"


def test_lab_passes_flags_on_and_adds_allow_root_as_root(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(subprocess, "call", lambda argv: calls.append(argv) or 0)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert cli.main(["lab", "--port", "8890", "--no-browser"]) == 0
    argv = calls[-1]
    assert argv[1:4] == ["-m", "jupyter", "lab"] and pathlib.Path(argv[4]).name == "notebooks"
    assert argv[5:] == ["--port", "8890", "--no-browser", "--allow-root"]
    assert "running as root" in capsys.readouterr().out
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    cli.main(["lab", "--ServerApp.token=x"])
    assert calls[-1][5:] == ["--ServerApp.token=x"]

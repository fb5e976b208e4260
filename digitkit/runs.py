"""Training records on disk: the histories of recorded runs and the folder of training GIFs.

``assets/training/<model>_runs.json`` holds ``{run name: {"knobs": ..., "history": ...,
...}}``, one run per line (small diffs in git). ``gan_runs.json`` has the
shipped GAN's run (``"pretrained"``) and the failure-mode lab's runs
(`digitkit.lab`); ``cgan_runs.json`` the conditional GAN's (``"cgan_pretrained"``,
and the keras.io reference comparison of `digitkit.reference`).
"""

import json
import pathlib

import numpy as np

from digitkit.data import IMAGE_SIZE


def training_dir():
    """``assets/training/``: the shipped models' training GIFs and recorded runs."""
    from digitkit import project_dir

    return project_dir() / "assets" / "training"


def runs_path(model="gan"):
    """``assets/training/<model>_runs.json``: the recorded histories of ``model``'s runs."""
    return training_dir() / f"{model}_runs.json"


def load_runs(path=None):
    """The recorded runs ``{run name: {"knobs": ..., "history": ...}}`` (default: the GAN's)."""
    return json.loads(pathlib.Path(path or runs_path()).read_text())


def recorded_samples(run):
    """The 16 final samples stored with a recorded lab run, float (16, 28, 28) in [0, 1]."""
    pixels = [np.frombuffer(bytes.fromhex(h), dtype=np.uint8) for h in run["samples_hex"]]
    return np.stack(pixels).reshape(-1, IMAGE_SIZE, IMAGE_SIZE).astype("float32") / 255.0


def samples_hex(images):
    """Images (N, 28, 28) in [0, 1] as hex strings of their uint8 pixels (what `recorded_samples` reads)."""
    return [bytes(np.round(np.asarray(image) * 255).astype(np.uint8).reshape(-1)).hex() for image in images]


def write_runs(runs, path):
    """Write ``{run name: run}`` to ``path``, one run per line."""
    lines = [f"{json.dumps(name)}: {json.dumps(run)}" for name, run in runs.items()]
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n")
    return path


def save_run(name, knobs, history, path=None, **extra):
    """Add (or replace) one run in a recorded-runs JSON (default: the GAN's).

    Args:
        name: the run's name.
        knobs: what the run was made with (a dict).
        history: ``{key: list of per-epoch numbers}``, rounded to 5 digits.
        extra: more JSON-able fields of the run (quality, samples, ...).

    Returns:
        The path written.
    """
    path = pathlib.Path(path or runs_path())
    runs = json.loads(path.read_text()) if path.is_file() else {}
    runs[name] = dict(knobs=knobs, history={k: [round(float(x), 5) for x in v] for k, v in history.items()}, **extra)
    return write_runs(runs, path)


def merge_histories(*histories):
    """Concatenate history dicts of consecutive ``fit`` calls (keys of the first)."""
    out = {}
    for h in histories:
        for k, v in h.items():
            out.setdefault(k, []).extend(v)
    return out

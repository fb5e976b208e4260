"""Shipped weights: a manifest with checksums, and `load_pretrained(name)`.

``weights/manifest.json`` records, for every model, its file, sha256, the
quality measured on it and the command that trained it. Every generator's
``quality`` has the same keys (`GENERATOR_QUALITY_KEYS`, written by
`digitkit.evaluation.quality_record`); the classifiers' have
``test_accuracy`` and ``train_minutes``, and the judge's also the reference levels every
generator is measured against: ``frechet_floor`` (its Fréchet distance between real training and
test digits) and ``reads_real_digits`` (how often it reads real digits as labelled), both
written by ``benchmarks/judge_floor.py``. Read them with `quality`.
"""

import datetime
import hashlib
import importlib
import json
import pathlib

from digitkit.paths import project_dir

# name -> (module, constructor of the untrained model). A generator's module also holds the
# `ARCHITECTURE` of its shipped networks: the constructor's knobs that shape them, the ones a run's
# ``architecture`` (`digitkit.training.networks`) may change.
_BUILDERS = {
    "dense": ("digitkit.classifier", "build_dense_classifier"),
    "dense_plain": ("digitkit.classifier", "build_plain_dense_classifier"),
    "judge": ("digitkit.classifier", "build_judge"),
    "gan": ("digitkit.selfcond", "SelfConditionedGAN"),
    "dense_gan": ("digitkit.gan", "GAN"),
    "dcgan": ("digitkit.dcgan", "make_dcgan"),
    "cgan": ("digitkit.cgan", "ConditionalGAN"),
    "ddim": ("digitkit.diffusion", "DiffusionModel"),
}


GENERATORS = ("gan", "cgan", "ddim")
"""The course's three generators: the Studio's and notebook 06's."""
DENSE_GAN = "dense_gan"
"""Notebook 02's dense GAN, the failure-mode lab's subject: trained and shipped like a generator."""
DCGAN = "dcgan"
"""Notebook 02's plain convolutional GAN, the step between the dense GAN and the shipped self-conditioned ``"gan"``."""
TRAINED_GENERATORS = GENERATORS + (DENSE_GAN, DCGAN)
"""Every generator `digitkit train NAME` makes (with its GIF, history and per-epoch diagnostics)."""

# The quality keys of every generator's manifest entry, in this order; None where one does not apply
# (the basic GAN is not asked for digits, so it has no class accuracy).
GENERATOR_QUALITY_KEYS = (
    "class_accuracy",  # share of samples the judge reads as the digit asked for (None: gan)
    "per_class",  # that share for each digit 0-9 (None: gan)
    "worst_digit",  # the digit with the lowest share (None: gan)
    "label_entropy",  # entropy of the judge's labels of the samples, nats (ln 10 = 2.30 is uniform)
    "digit_shares",  # share of samples the judge reads as each digit 0-9
    "frechet",  # Fréchet distance of n_frechet samples to n_frechet test images (`data.test_reference`)
    "frechet_floor",  # the judge's train-vs-test distance at the same n (`digitkit.metrics.frechet_floor`)
    "frechet_over_floor",  # frechet / frechet_floor
    "n_frechet",
    "epochs",
    "train_minutes",
    "seconds_per_epoch",
    "trained_on",
    "settings",  # the sampling defaults used (DDIM: steps, guidance, guidance_interval, eta; {} for the GANs)
)


class CorruptWeightsError(ValueError):
    """The weights file does not match the checksum in the manifest."""


def weights_dir():
    """The course's ``weights/`` folder."""
    return project_dir() / "weights"


def read_manifest(directory=None):
    """The manifest as a dict ``name -> entry`` (empty if there is none yet)."""
    path = pathlib.Path(directory or weights_dir()) / "manifest.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text())


def sha256(path):
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def available():
    """Names `load_pretrained` knows."""
    return sorted(_BUILDERS)


def _check_known(name):
    if name not in _BUILDERS:
        raise ValueError(f"Unknown pretrained model. Expected one of {available()}. Received: name={name!r}")


def shipped_architecture(name):
    """The knobs of the networks shipped as ``name``: its module's ``ARCHITECTURE`` ({} if it has none).

    `digitkit.training.train` builds a new run from them and records them as the manifest entry's
    ``"architecture"``.
    """
    _check_known(name)
    return dict(getattr(importlib.import_module(_BUILDERS[name][0]), "ARCHITECTURE", {}))


def build(name, architecture=None, **kwargs):
    """An untrained model (or generator object) of the kind shipped as ``name``.

    Args:
        architecture: the knobs of its networks as a manifest entry records them (``"architecture"``,
            written by `digitkit.training.train`); None builds `shipped_architecture`.
        **kwargs: more constructor arguments (``seed``, a GAN's ``ema_momentum``).
    """
    knobs = shipped_architecture(name) if architecture is None else dict(architecture)
    module, constructor = _BUILDERS[name]
    return getattr(importlib.import_module(module), constructor)(**knobs, **kwargs)


def load_pretrained(name, directory=None):
    """Load shipped weights after checking their sha256 against the manifest.

    The model is built with the networks its manifest entry records (``"architecture"``), so the
    weights of a run trained with other knobs (``training.train(..., out=run)``) load from
    ``directory=run`` whatever the code's ``ARCHITECTURE`` says now.

    Args:
        name: ``"dense"`` or ``"judge"`` (classifiers from (N, 28, 28, 1)
            images in [0, 1] to 10 probabilities); see `available()`.
        directory: where the weights and manifest are; defaults to ``weights/``.

    Raises:
        ValueError: unknown name.
        FileNotFoundError: the manifest entry or the weights file is missing.
        CorruptWeightsError: the file's checksum differs from the manifest's.
    """
    _check_known(name)
    directory = pathlib.Path(directory or weights_dir())
    entry = read_manifest(directory).get(name)
    if entry is None:
        raise FileNotFoundError(f"{directory / 'manifest.json'} has no entry for {name!r}.")
    model = build(name, entry.get("architecture"))
    path = directory / entry["file"]
    if not path.is_file():
        raise FileNotFoundError(
            f"Weights file {path} is missing. Restore it (git checkout -- weights/) or retrain it: {entry['command']}"
        )
    actual = sha256(path)
    if actual != entry["sha256"]:
        raise CorruptWeightsError(
            f"{path} is corrupt or was changed: its sha256 is {actual[:12]}..., the manifest "
            f"expects {entry['sha256'][:12]}.... Restore it (git checkout -- weights/) "
            f"or retrain it: {entry['command']}"
        )
    try:
        model.load_weights(path)
    except Exception as e:
        raise CorruptWeightsError(f"{path} could not be loaded into {name!r} ({e}).") from e
    if hasattr(model, "compile") and name in ("dense", "dense_plain", "judge"):
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def quality(name, directory=None):
    """The measured quality of model ``name`` from the manifest (a dict; see `GENERATOR_QUALITY_KEYS`).

    Raises:
        ValueError: unknown name.
        FileNotFoundError: the manifest has no entry for ``name``.
    """
    _check_known(name)
    directory = pathlib.Path(directory or weights_dir())
    entry = read_manifest(directory).get(name)
    if entry is None:
        raise FileNotFoundError(
            f"{directory / 'manifest.json'} has no entry for {name!r}: train it with "
            f"`digitkit train {name if name in TRAINED_GENERATORS else 'classifier --model ' + name}`."
        )
    return dict(entry["quality"])


def save_pretrained(model, name, quality, command, directory=None, **extra):
    """Save weights as ``<name>.weights.h5`` and record them in the manifest.

    A GAN or a DDIM is saved without its optimizers (``networks_only()``):
    the shipped files hold the networks; a resumable checkpoint is
    `digitkit.training.Checkpoint`'s job.

    Args:
        model: anything with ``save_weights(path)``.
        quality: dict of measured numbers (e.g. ``{"test_accuracy": 0.985}``).
        command: the shell command that reproduces the weights.
        directory: defaults to the shipped ``weights/``; pass another folder
            to keep the shipped weights untouched.
        extra: more JSON-able fields of the entry (e.g. ``recipe``, ``evaluation``).

    Returns:
        The path written.
    """
    import keras

    directory = pathlib.Path(directory or weights_dir())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.weights.h5"
    (model.networks_only() if hasattr(model, "networks_only") else model).save_weights(path)
    manifest = read_manifest(directory)
    manifest[name] = dict(
        file=path.name,
        sha256=sha256(path),
        quality=quality,
        command=command,
        keras=keras.__version__,
        backend=keras.backend.backend(),
        date=datetime.date.today().isoformat(),
        **extra,
    )
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def resume(name, directory=None):
    """Load weights to train further, with what the manifest says of their training so far.

    Every ``digitkit train ... --resume`` uses it, so that the new manifest entry
    counts all epochs and minutes and chains the commands that made the weights.

    Returns:
        ``(model, previous)``: the loaded model and a dict with ``epochs``,
        ``minutes`` and ``command`` (ending in ``" && "``, ready to prepend).
    """
    model = load_pretrained(name, directory=directory)
    entry = read_manifest(directory or weights_dir())[name]
    previous = dict(
        epochs=entry["quality"]["epochs"], minutes=entry["quality"]["train_minutes"], command=entry["command"] + " && "
    )
    return model, previous

"""One training path for every model of the course: build (or resume), fit, measure, write.

``digitkit train NAME`` is `train(NAME)`: it builds the model (or resumes its
checkpoint), trains it with Keras' ``fit`` and the course's callbacks
(`SampleGrid` draws the training GIF through the generator API, `EpochTimer`
times the epochs, `Checkpoint` keeps a resumable checkpoint with the optimizer
state and the epoch, and `digitkit.diagnostics.GANMonitor` records a GAN's
diagnostics), measures every generator on the judge the same way
(`evaluate_generator`), and writes the weights, the manifest entry
(`digitkit.pretrained`), the training GIF and the history (`digitkit.runs`).

The recipes (`RECIPES`) are the defaults that made the shipped weights; what
they do not say (the architectures, DDIM's sampling steps and guidance) lives
in the model modules. Nothing here touches global random state: seeds go to
the builders and to `keras.random.SeedGenerator`s (the ``digitkit`` command
sets Keras' global seed for the shuffling).
"""

import json
import math
import os
import pathlib
import shlex
import time

import keras
import numpy as np

from digitkit import classifier, pretrained, runs, viz
from digitkit.callbacks import Checkpoint, EpochLine, EpochTimer, SampleGrid, read_checkpoint
from digitkit.checks import check_positive, check_whole
from digitkit.data import load_mnist
from digitkit.evaluation import EVALUATION, evaluate_generator, is_conditional, quality_record
from digitkit.schedules import linear_decay, staged_cosine

GENERATORS, TRAINED_GENERATORS = pretrained.GENERATORS, pretrained.TRAINED_GENERATORS
DENSE_GAN, DCGAN = pretrained.DENSE_GAN, pretrained.DCGAN
CLASSIFIERS = tuple(classifier.RECIPES)

# DDIM's learning rate: cosine decay with warm-up, restarted at the same fractions of the run as the
# six stages that trained the shipped weights (4, 4, 10, 8, 10 and 10 epochs at these peaks).
DDIM_STAGES = ((4, 1.5e-3), (4, 7.5e-4), (10, 1e-3), (8, 7.5e-4), (10, 7.5e-4), (10, 5e-4))

# The cGAN holds its learning rates for two thirds of the run, then lowers them linearly to 0
# (`digitkit.schedules.linear_decay`): FD 4.31 -> 3.63 on the earlier, narrower networks. The
# schedule spans the run's epochs, so `--epochs 10` then `--resume --epochs 20` is not the same run
# as `--epochs 30` (a run cut short resumes into the same schedule: `--resume --epochs <the rest>`).
RECIPES = {
    "gan": dict(epochs=40, batch_size=64, gif_every=2, monitor_samples=1000, ema_momentum=0.999),
    DENSE_GAN: dict(epochs=65, batch_size=128, gif_every=2, monitor_samples=1000),
    DCGAN: dict(epochs=45, batch_size=64, gif_every=2, monitor_samples=1000),
    "cgan": dict(epochs=30, batch_size=64, gif_every=1, monitor_samples=1000, ema_momentum=0.999, decay_from=2 / 3),
    "ddim": dict(epochs=46, batch_size=64, gif_every=1, stages=DDIM_STAGES, warmup=500, weight_decay=1e-4),
    **{name: dict(recipe) for name, recipe in classifier.RECIPES.items()},
}


def compile_for_training(model, total_steps, recipe=None, learning_rate=None):
    """Compile a GAN, conditional GAN or `DiffusionModel` with its recipe's optimizers.

    GANs get their two Adams from the constructor's learning rates, lowered linearly
    to 0 over the run's last part where the recipe has ``decay_from``
    (`digitkit.schedules.linear_decay` over ``total_steps``); the DDIM
    AdamW on `digitkit.schedules.staged_cosine` of the recipe's stages over ``total_steps`` (or, given a
    ``learning_rate``, one cosine decay from it after the warm-up).
    """
    recipe = recipe or RECIPES["gan" if hasattr(model, "d_optimizer") else "ddim"]
    if hasattr(model, "d_optimizer"):
        decay_from = recipe.get("decay_from")
        model.compile(schedule=None if decay_from is None else lambda peak: linear_decay(total_steps, peak, decay_from))
    else:
        stages = ((1, learning_rate),) if learning_rate else recipe.get("stages", DDIM_STAGES)
        schedule = staged_cosine(total_steps, stages, recipe.get("warmup", 500))
        model.compile(
            optimizer=keras.optimizers.AdamW(schedule, weight_decay=recipe.get("weight_decay", 1e-4), clipnorm=1.0)
        )
    return model


def load_checkpoint(model, path, total_steps, recipe=None):
    """Compile ``model``, create its optimizers' variables and load a `Checkpoint` into it.

    Returns:
        The checkpoint's `read_checkpoint` dict (epoch, minutes, seed, history); ``model`` holds its
        networks and its optimizers' iteration counts and moments.
    """
    compile_for_training(model, total_steps, recipe)
    if hasattr(model, "build_optimizers"):
        model.build_optimizers()
    else:
        model.optimizer.build(model.trainable_variables)
    model.load_weights(path)
    return read_checkpoint(path)


def load_run(name, checkpoint, architecture=None):
    """Generator ``name`` as a `train` checkpoint left it, to judge or sample mid-run.

    Args:
        name: a generator of `RECIPES` (``"gan"``, ``"cgan"``, ``"ddim"``, ...).
        checkpoint: a `Checkpoint` file (``<name>.resume.weights.h5``, or a copy of one).
        architecture: the networks' knobs that differ from the shipped ones (`networks`); needed only for a
            checkpoint written before checkpoints recorded them, and otherwise the recorded ones must match.

    Returns:
        ``(model, state)``: the model, a GAN's generator switched to its moving average as `train`
        does before judging, and the checkpoint's `read_checkpoint` dict.
    """
    if name not in TRAINED_GENERATORS:
        raise ValueError(f"Unknown generator. Expected one of {TRAINED_GENERATORS}. Received: name={name!r}")
    if not str(checkpoint).endswith(".weights.h5"):  # else Keras reads it as a legacy .h5 and fails obscurely
        raise ValueError(
            "A checkpoint's file name ends in .weights.h5 (Keras tells its format by the name): rename the copy. "
            f"Received: checkpoint={str(checkpoint)!r}"
        )
    state = read_checkpoint(checkpoint)
    knobs = networks(name, architecture)
    if state["architecture"] is not None:
        recorded = networks(name, state["architecture"])
        if architecture is not None and knobs != recorded:
            raise ValueError(
                f"{checkpoint} holds networks with architecture={recorded}. Received: architecture={architecture!r}"
            )
        knobs = recorded
    model = build(name, state["seed"], knobs)
    try:
        load_checkpoint(model, checkpoint, total_steps=1, recipe=RECIPES[name])
    except ValueError as e:  # Keras names the layer whose shapes differ
        raise ValueError(f"{checkpoint} does not fit {name} with architecture={knobs}: {e}") from None
    if getattr(model, "ema_momentum", None):
        model.use_averaged_weights()
    return model, state


def fit(
    model,
    x,
    y=None,
    epochs=1,
    batch_size=128,
    initial_epoch=0,
    reference_images=None,
    judge=None,
    n_samples=1000,
    gif_path=None,
    gif_every=1,
    seed=0,
    verbose=0,
    callbacks=(),
    defer_diagnostics=False,
    previous_frames=(),
    recipe=None,
    learning_rate=None,
):
    """Train any generator of the course with ``fit`` and the course's callbacks.

    Compiles the model with `compile_for_training` if it is not compiled yet.

    Args:
        model: a `digitkit.gan.GAN`, `digitkit.cgan.ConditionalGAN` or `DiffusionModel`.
        x: float images (N, 28, 28, 1) in [0, 1]; y: their labels (conditional models).
        epochs: the epoch to stop after (as Keras counts: ``initial_epoch + new epochs``).
        batch_size: the usual.
        initial_epoch: epochs already done (a resumed run).
        reference_images: real images for a GAN's per-epoch diagnostics
            (`digitkit.diagnostics.GANMonitor`, ``n_samples`` of them); None: none.
        judge: the grading classifier (default: the shipped judge).
        gif_path: the training GIF (one frame every ``gif_every`` epochs, `SampleGrid`).
        seed: seed of the diagnostics' and the GIF's samples.
        verbose: 1: a line per epoch (the GAN monitor's, with its diagnostics, else `EpochLine`'s);
            2: Keras' own line per epoch instead (and the GAN monitor's).
        callbacks: more Keras callbacks.
        defer_diagnostics: compute the GAN diagnostics after training (`GANMonitor.replay`).
        previous_frames: frames the GIF starts with (a resumed run).
        recipe, learning_rate: passed to `compile_for_training` if the model is not compiled.

    Returns:
        The history: ``{key: list of per-epoch numbers}`` (with ``epoch_seconds``).
    """
    check_positive(epochs=epochs - initial_epoch, batch_size=batch_size)
    if not model.compiled:
        compile_for_training(model, (epochs - initial_epoch) * math.ceil(len(x) / batch_size), recipe, learning_rate)
    timer, monitor = EpochTimer(), None
    if reference_images is not None and hasattr(model, "d_optimizer"):
        from digitkit.diagnostics import GANMonitor

        monitor = GANMonitor(
            reference_images,
            judge=judge,
            n_samples=n_samples,
            seed=seed,
            verbose=bool(verbose),
            defer=defer_diagnostics,
        )
    grid = None
    if gif_path is not None:
        grid = SampleGrid(
            seed=seed + 1,
            every=gif_every,
            gif_path=gif_path,
            previous_frames=previous_frames,
            start_frame=initial_epoch == 0,
        )
    # a line per epoch at verbose=1, unless the GAN monitor prints one (after its diagnostics)
    line = EpochLine(epochs) if verbose == 1 and (monitor is None or monitor.defer) else None
    callbacks = [c for c in (timer, monitor, line, grid) if c is not None] + list(callbacks)  # yours see our logs
    if hasattr(model, "d_optimizer"):
        data = dict(x=x) if y is None else dict(x=x, y=np.asarray(y))
    else:
        data = dict(x={"images": x, "labels": np.asarray(y)})
    history = model.fit(
        **data,
        epochs=epochs,
        initial_epoch=initial_epoch,
        batch_size=batch_size,
        shuffle=True,
        verbose=verbose if verbose == 2 else 0,
        callbacks=callbacks,
    )
    result = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    if monitor is not None and monitor.defer:
        result = monitor.replay(result)
    return result


def device_note():
    """Where this process computes, for the manifest: e.g. ``"tensorflow on cpu:0, 2 CPU cores"``."""
    devices = keras.distribution.list_devices()
    return f"{keras.backend.backend()} on {', '.join(devices)}, {os.cpu_count()} CPU cores"


def build(name, seed=0, architecture=None):
    """The untrained model ``name`` of the course, its weights seeded by ``seed``.

    ``architecture``: knobs of its networks that differ from the shipped ones (`networks`); None: the shipped networks.
    """
    if name not in RECIPES:
        raise ValueError(f"Unknown model. Expected one of {TRAINED_GENERATORS + CLASSIFIERS}. Received: name={name!r}")
    ema = RECIPES[name].get("ema_momentum")
    knobs = networks(name, architecture)
    return pretrained.build(name, knobs or None, seed=seed, **({} if ema is None else {"ema_momentum": ema}))


def networks(name, architecture=None):
    """The knobs of model ``name``'s networks: `pretrained.shipped_architecture` with ``architecture`` over it.

    ``architecture`` may only change knobs the shipped networks name (e.g. a DDIM's
    ``{"channels": [32, 64, 128]}``); values come back as JSON has them (lists, not tuples), as a
    manifest or checkpoint records them.
    """
    shipped = pretrained.shipped_architecture(name)
    unknown = sorted(set(architecture or {}) - set(shipped))
    if unknown:
        raise ValueError(
            f"Unknown knobs for {name}: {unknown}. Expected some of {sorted(shipped)}. "
            f"Received: architecture={architecture!r}"
        )
    return json.loads(json.dumps({**shipped, **(architecture or {})}))


# where each model's history is recorded (file stem under assets/training/, run name); notebooks read these
HISTORIES = {
    "gan": ("gan", "selfcond_pretrained"),
    DENSE_GAN: ("gan", "pretrained"),
    DCGAN: ("gan", "dcgan_pretrained"),
    "cgan": ("cgan", "cgan_pretrained"),
    "ddim": ("ddim", "ddim_pretrained"),
    **{name: ("classifier", name) for name in CLASSIFIERS},
}


def places(name, out=None):
    """Where `train` writes: ``weights`` folder, ``gif``, ``history`` (runs JSON) and ``checkpoint``.

    With ``out``, everything goes into that folder; otherwise the weights into
    ``weights/``, the GIF and history into ``assets/training/`` and the
    resumable checkpoint into ``runs/``. A course read from an installed
    package is never written to: there everything goes to ``./runs/<name>/``.
    """
    from digitkit import paths

    stem, _ = HISTORIES[name]
    if out is None and paths.project_dir() == paths.packaged_dir():
        out = paths.output_dir() / "runs" / name
    if out is not None:
        out = pathlib.Path(out)
        return dict(
            weights=out,
            gif=out / f"{name}.gif",
            history=out / f"{stem}_runs.json",
            checkpoint=out / f"{name}.resume.weights.h5",
        )
    return dict(
        weights=pretrained.weights_dir(),
        gif=runs.training_dir() / f"{name}.gif",
        history=runs.runs_path(stem),
        checkpoint=paths.output_dir() / "runs" / f"{name}.resume.weights.h5",
    )


def _start(name, seed, resume, where, recipe, steps_per_epoch, new_epochs, architecture):
    """``(model, done)``: a new model, or the resumed one.

    ``done``: ``{epoch, minutes, seed, history, history_epochs, architecture}`` of the epochs trained
    before (their history from the checkpoint, or else from the run's recorded history, or none)
    and the knobs of the networks they trained (`networks`).
    """
    knobs = networks(name, architecture)
    if not resume:
        done = dict(epoch=0, minutes=0.0, seed=seed, history={}, history_epochs=[], architecture=knobs)
        return build(name, seed, knobs), done
    if where["checkpoint"].is_file():
        done = read_checkpoint(where["checkpoint"])
        # a checkpoint written before checkpoints kept it: the caller's word; knobs added since: their shipped value
        trained = networks(name, done["architecture"]) if done["architecture"] else knobs
        model = None
    else:  # no checkpoint: continue the weights in the manifest's folder with fresh optimizers
        model, previous = pretrained.resume(name, directory=where["weights"])
        print(f"{where['checkpoint']} not found: resuming {name} from its weights with fresh optimizer state")
        done = dict(epoch=previous["epochs"], minutes=previous["minutes"], seed=seed, history=None)
        trained = networks(name, pretrained.read_manifest(where["weights"])[name].get("architecture"))
    if architecture is not None and knobs != trained:
        raise ValueError(
            f"The run in {where['weights']} trained networks with architecture={trained}; resuming needs the same. "
            f"Received: architecture={architecture!r}"
        )
    if model is None:
        model = build(name, done["seed"] + done["epoch"], trained)  # new noise for the new epochs
        load_checkpoint(model, where["checkpoint"], (done["epoch"] + new_epochs) * steps_per_epoch, recipe)
    done["architecture"] = trained
    if done["history"] is None:  # the history the last finished run recorded, if any
        recorded = runs.load_runs(where["history"]) if where["history"].is_file() else {}
        run = recorded.get(HISTORIES[name][1], {})
        done["history"], done["history_epochs"] = run.get("history", {}), run.get("epochs", [])
    return model, done


def train(
    name,
    epochs=None,
    seed=0,
    out=None,
    resume=False,
    n_images=None,
    evaluation=None,
    monitor_samples=None,
    verbose=1,
    devices=None,
    architecture=None,
):
    """Train model ``name`` (see `RECIPES`) and write its weights, manifest entry, GIF and history.

    Args:
        name: ``"gan"``, ``"cgan"``, ``"ddim"``, ``"dense_gan"`` or ``"dcgan"`` (notebook 02's) or a classifier
            (``"dense"``, ``"dense_plain"``, ``"judge"``).
        epochs: epochs to train now (default: the recipe's).
        seed: seeds the weights and the model's noise.
        out: folder for everything written (default: the shipped places, see `places`).
        resume: continue from the checkpoint in `places` (optimizer state and
            epoch counter restored): ``epochs`` more epochs, numbered on.
        n_images: train on the first ``n_images`` training images (default: all 60,000).
        evaluation: overrides of `digitkit.evaluation.EVALUATION` (``per_digit``, ``n_frechet``, ``seed``).
        monitor_samples: samples for a GAN's per-epoch diagnostics (default: the recipe's).
        verbose: 0 silent, 1 one line per epoch, 2 Keras' progress.
        devices: ``"all"``: data-parallel on every device (JAX backend; sets Keras' global
            distribution, `digitkit.distribute.data_parallel`); None: one device.
        architecture: knobs of the generator's networks that differ from the shipped ones, e.g.
            ``{"channels": [32, 64, 128]}`` for a wider DDIM U-Net (see `networks`); the checkpoint
            and the manifest entry record them, so a resumed run and `digitkit.pretrained.load_pretrained`
            build the same networks. None: the shipped networks (or, resuming, the checkpoint's).

    Returns:
        ``(model, quality)``: the trained model and its manifest quality.
    """
    if name not in RECIPES:
        raise ValueError(f"Unknown model. Expected one of {sorted(RECIPES)}. Received: name={name!r}")
    recipe = dict(RECIPES[name])
    new_epochs = recipe["epochs"] if epochs is None else epochs
    check_whole(epochs=new_epochs)
    where = places(name, out)
    (x, y), (x_test, y_test) = load_mnist(normalize=True)
    x, y = x[:n_images], y[:n_images]
    if name in CLASSIFIERS:
        if devices is not None or architecture is not None:
            raise ValueError(
                "devices= and architecture= are for the generators (gan, cgan, ddim). "
                f"Received: name={name!r}, devices={devices!r}, architecture={architecture!r}"
            )
        return _train_classifier(
            name, x, y, (x_test, y_test), dict(recipe, epochs=new_epochs), seed, where, resume, verbose
        )
    batch_size = recipe["batch_size"]
    if devices is not None:  # before the model is built, so its variables are laid out on every device
        from digitkit.distribute import data_parallel

        keras.distribution.set_distribution(data_parallel(devices, batch_size, len(x)))
    steps_per_epoch = math.ceil(len(x) / batch_size)
    model, done = _start(name, seed, resume, where, recipe, steps_per_epoch, new_epochs, architecture)
    total = done["epoch"] + new_epochs
    if not model.compiled:
        compile_for_training(model, total * steps_per_epoch, recipe)
    earlier = viz.read_gif(where["gif"]) if resume and where["gif"].is_file() else ()
    start = time.time()
    history = fit(
        model,
        x,
        y if is_conditional(model) else None,
        epochs=total,
        initial_epoch=done["epoch"],
        batch_size=batch_size,
        reference_images=x_test if name != "ddim" else None,
        n_samples=monitor_samples or recipe.get("monitor_samples", 1000),
        gif_path=where["gif"],
        gif_every=recipe["gif_every"],
        seed=seed,
        verbose=verbose,
        previous_frames=earlier,
        recipe=recipe,
        callbacks=[
            Checkpoint(
                where["checkpoint"],
                seed=done["seed"],
                minutes_before=done["minutes"],
                architecture=done["architecture"],
                history_before=done["history"],
                epochs_before=done["history_epochs"],
            )
        ],
    )
    minutes = done["minutes"] + (time.time() - start) / 60
    if getattr(model, "ema_momentum", None):
        model.use_averaged_weights()  # the weights to ship and judge: the generator's moving average
    measured = evaluate_generator(model, **{**EVALUATION, **(evaluation or {})})
    quality = quality_record(measured, total, minutes, float(np.median(history["epoch_seconds"])), device_note())
    _write(name, model, quality, history, where, done, total, recipe, evaluation)
    return model, quality


def _write(name, model, quality, history, where, done, total, recipe, evaluation):
    """The manifest entry (one command that reproduces the weights) and the run's history."""
    command = f"digitkit train {name} --epochs {total} --seed {done['seed']}"
    knobs = done["architecture"]
    changed = {k: v for k, v in knobs.items() if networks(name).get(k) != v}
    if changed:
        command += f" --architecture {shlex.quote(json.dumps(changed))}"
    recipe = dict(recipe, epochs=total)
    pretrained.save_pretrained(
        model,
        name,
        quality,
        command,
        directory=where["weights"],
        recipe=recipe,
        evaluation={**EVALUATION, **(evaluation or {})},
        **({"architecture": knobs} if knobs else {}),  # the networks the weights fit: load_pretrained builds them
    )
    stem, run_name = HISTORIES[name]
    history = runs.merge_histories(done["history"], history)
    epochs = done["history_epochs"] + list(range(done["epoch"] + 1, total + 1))
    record = {**{k: v for k, v in recipe.items() if k != "stages"}, **knobs}
    runs.save_run(run_name, record, history, path=where["history"], quality=quality, epochs=epochs)


def _train_classifier(name, x, y, validation, recipe, seed, where, resume, verbose):
    """A classifier through `digitkit.classifier.train_classifier` (a fresh optimizer each run)."""
    if resume:
        raise ValueError(f"--resume is for the generators (gan, cgan, ddim). Received: name={name!r}, resume=True")
    model = build(name, seed)
    start = time.time()
    history = classifier.train_classifier(
        model,
        x,
        y,
        validation_data=validation,
        seed=seed,
        callbacks=[EpochTimer()],
        verbose=2 if verbose == 2 else 0,
        **recipe,
    )
    minutes = (time.time() - start) / 60
    accuracy = classifier.evaluate_classifier(model, *validation)["accuracy"]
    quality = dict(test_accuracy=round(accuracy, 4), train_minutes=round(minutes, 1))
    if name == "judge":
        from digitkit import metrics

        floors = {str(n): round(metrics.frechet_floor(n, judge=model), 3) for n in (1000, 2000, 10000)}
        quality["frechet_floor"] = floors
    command = f"digitkit train classifier --model {name} --seed {seed}" + (
        f" --epochs {recipe['epochs']}" if recipe["epochs"] != classifier.RECIPES[name]["epochs"] else ""
    )
    pretrained.save_pretrained(model, name, quality, command, directory=where["weights"])
    runs.save_run(
        name,
        dict(recipe),
        {k: [float(v) for v in vs] for k, vs in history.history.items()},
        path=where["history"],
        quality=quality,
    )
    if verbose:
        print(f"{name}: test accuracy {accuracy:.4f} after {minutes:.1f} min")
    return model, quality

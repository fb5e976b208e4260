"""The course's models side by side: the two classifiers, and the three generators.

Taught in notebooks/06_comparison.ipynb. Every function returns a pandas
DataFrame or a matplotlib Figure.

The generators are compared on the measures of the manifest (`generator_quality`
reads both its older keys and the contract keys ``class_accuracy, per_class,
worst_digit, frechet, frechet_floor, frechet_over_floor, train_minutes, ...``)
and re-measured live (`measure_generators`): class accuracy and Fréchet distance
on the judge, against the judge's own floor at the same sample size (the
Fréchet distance between real training and real test digits), samples per
second and parameters.
"""

import time

import numpy as np
import pandas as pd

from digitkit import metrics, viz
from digitkit.pretrained import GENERATORS

CONDITIONAL = ("cgan", "ddim")
MEASURES = (
    "class accuracy",
    "worst digit",
    "FD",
    "FD floor",
    "FD / floor",
    "samples / s",
    "parameters",
    "train minutes",
)


# ----- the classifiers -------------------------------------------------------------------------


def evaluate_classifiers(models, images, labels):
    """``{name: digitkit.classifier.evaluate_classifier(model, images, labels)}`` for each model."""
    from digitkit.classifier import evaluate_classifier

    return {name: evaluate_classifier(model, images, labels) for name, model in models.items()}


def top_confusions(confusion, k=5):
    """The ``k`` most frequent mistakes of a 10x10 confusion matrix (rows true, columns predicted).

    Returns:
        DataFrame with columns ``true``, ``predicted``, ``count``, most frequent first
        (ties in order of the true, then the predicted digit).
    """
    cm = np.asarray(confusion)
    if cm.shape != (10, 10):
        raise ValueError(f"Expected a 10x10 confusion matrix. Received: shape={cm.shape}")
    true, predicted = np.nonzero(~np.eye(10, dtype=bool))
    counts = cm[true, predicted]
    order = np.argsort(-counts, kind="stable")[:k]
    return pd.DataFrame({"true": true[order], "predicted": predicted[order], "count": counts[order]})


def classifier_table(results, k=3):
    """Test accuracy, number of mistakes and the ``k`` most frequent confusions of each classifier."""
    rows = {}
    for name, result in results.items():
        pairs = top_confusions(result["confusion"], k)
        confusion = np.asarray(result["confusion"])
        rows[name] = {
            "test accuracy": result["accuracy"],
            "mistakes": int(confusion.sum() - np.trace(confusion)),
            "most confused (true → read: count)": ", ".join(
                f"{t} → {p}: {c}" for t, p, c in pairs.itertuples(index=False)
            ),
        }
    return pd.DataFrame(rows).T


def all_wrong(results, labels):
    """Indices of the images that every classifier in ``results`` gets wrong."""
    labels = np.asarray(labels).astype(int)
    wrong = np.ones(len(labels), dtype=bool)
    for result in results.values():
        wrong &= np.asarray(result["predictions"]) != labels
    return np.flatnonzero(wrong)


def all_wrong_figure(images, labels, results, max_images=20):
    """The images every classifier gets wrong; above each: the label, then what each model read."""
    indices = all_wrong(results, labels)[:max_images]
    if len(indices) == 0:
        raise ValueError("No image is misread by every classifier. Received: results for " + ", ".join(results))
    short = {name: name[0] for name in results}
    titles = [
        f"{labels[i]}: " + " ".join(f"{short[n]}{r['predictions'][i]}" for n, r in results.items()) for i in indices
    ]
    return viz.image_grid(np.asarray(images)[indices], titles=titles, ncols=10, size=1.0)


# ----- the generators, from the manifest -------------------------------------------------------


def judge_floor_from_manifest(n, manifest):
    """The judge's train-vs-test Fréchet distance at ``n`` images, if the manifest records it."""
    floors = manifest.get("judge", {}).get("quality", {}).get("frechet_floor")
    if isinstance(floors, dict) and n is not None:
        return floors.get(str(n))
    return None


def generator_quality(name, manifest=None):
    """A generator's manifest quality under the contract keys, from old or new manifest entries.

    Keys missing from an older entry are derived where they can be (``worst_digit`` from
    ``per_class``, ``frechet_over_floor`` from the two distances, ``settings`` from
    ``steps``/``guidance``/``eta``) and are None otherwise.
    """
    if manifest is None:
        from digitkit.pretrained import read_manifest

        manifest = read_manifest()
    if name not in manifest:
        raise ValueError(
            f"The manifest has no entry for that generator. Expected one of {sorted(manifest)}. Received: name={name!r}"
        )
    q = manifest[name].get("quality", {})
    per_class = q.get("per_class")
    n = q.get("n_frechet", q.get("n_samples"))
    floor = q.get("frechet_floor") or judge_floor_from_manifest(n, manifest)
    frechet = q.get("frechet")
    ratio = q.get("frechet_over_floor")
    if ratio is None and frechet is not None and floor:
        ratio = frechet / floor
    worst = q.get("worst_digit")
    if worst is None and per_class is not None:
        worst = int(np.argmin(per_class))
    settings = q.get("settings")
    if settings is None:
        settings = {key: q[key] for key in ("steps", "guidance", "eta") if key in q}
    return dict(
        class_accuracy=q.get("class_accuracy"),
        per_class=per_class,
        worst_digit=worst,
        label_entropy=q.get("label_entropy"),
        digit_shares=q.get("digit_shares"),
        frechet=frechet,
        frechet_floor=floor,
        frechet_over_floor=ratio,
        n_frechet=n,
        epochs=q.get("epochs"),
        train_minutes=q.get("train_minutes"),
        seconds_per_epoch=q.get("seconds_per_epoch"),
        trained_on=q.get("trained_on"),
        settings=settings,
    )


def manifest_rows(manifest=None, names=GENERATORS):
    """``{name: {measure: value}}`` of the `MEASURES` the manifest records (None where it does not)."""
    rows = {}
    for name in names:
        q = generator_quality(name, manifest)
        rows[name] = {
            "class accuracy": q["class_accuracy"],
            "worst digit": q["worst_digit"],
            "FD": q["frechet"],
            "FD floor": q["frechet_floor"],
            "FD / floor": q["frechet_over_floor"],
            "samples / s": None,
            "parameters": None,
            "train minutes": q["train_minutes"],
            "n": q["n_frechet"],
        }
    return rows


# ----- the generators, measured live -----------------------------------------------------------


def draw(name, model, n, seed=0):
    """``n`` samples of a generator: ``(images (n, 28, 28), requested digits or None)``.

    The conditional generators are asked for the digits 0-9 in turn; the DDIM samples
    with its defaults (``generate``, or 20 steps where the model has no ``generate`` yet).
    """
    if name not in GENERATORS:
        raise ValueError(f"Unknown generator. Expected one of {GENERATORS}. Received: name={name!r}")
    if name == "gan":
        return np.asarray(model.generate(n, seed=seed)), None
    digits = np.arange(n) % 10
    return generate_digits(model, digits, seed=seed), digits


def generate_digits(model, digits, seed=0):
    """A conditional generator's drawings of ``digits`` (``generate``, or a DDIM's 20-step ``sample``)."""
    if hasattr(model, "generate"):
        return np.asarray(model.generate(digits, seed=seed))
    return np.asarray(model.sample(digits, steps=20, seed=seed))


def count_parameters(model):
    """Parameters of the network that draws: the generator of a GAN, the U-Net of a DDIM (EMA copy not counted)."""
    network = getattr(model, "generator", None) or getattr(model, "network", None) or model
    return int(network.count_params())


def balanced_subset(images, labels, n, seed=0):
    """``n`` images, ``n // 10`` of each digit (the rest at random), picked with a numpy Generator.

    The conditional generators draw every digit equally often; real subsets with the
    same balance keep the class mix out of the comparison.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(labels == d), size=n // 10, replace=False) for d in range(10)]
    rest = np.setdiff1d(np.arange(len(labels)), np.concatenate(picked))
    picked.append(rng.choice(rest, size=n % 10, replace=False))
    return np.asarray(images)[np.sort(np.concatenate(picked))]


def judge_floor(n, seed=0, judge=None):
    """The judge's floor at ``n``: the Fréchet distance between ``n`` real training and ``n`` real test digits.

    Both sets are `balanced_subset`s. Like every Fréchet distance it grows as ``n`` shrinks.
    """
    from digitkit.data import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist()
    train, test = balanced_subset(x_train, y_train, n, seed), balanced_subset(x_test, y_test, n, seed)
    return metrics.frechet_distance(train, test, judge)


def timed_draw(name, model, n, seed=0):
    """`draw` and its samples per second, timed after a 10-sample warm-up (which traces the graph)."""
    draw(name, model, 10, seed=seed)
    start = time.perf_counter()
    images, digits = draw(name, model, n, seed=seed)
    return images, digits, n / (time.perf_counter() - start)


def measure_generators(models, n, seed=0, judge=None):
    """Each of ``models`` (``{"gan": gan, ...}``) measured live on ``n`` samples: the `MEASURES` but training time.

    Every generator is compared with the same ``n`` test digits, and the floor is that of
    `judge_floor` at ``n``. All images go through the judge in one call (one traced function).

    Returns:
        ``{name: {measure: value}}``, with ``None`` where a measure does not apply.
    """
    from digitkit.data import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist()
    drawn = {name: timed_draw(name, model, n, seed=seed) for name, model in models.items()}
    real = [balanced_subset(x, y, n, seed).astype("float32") / 255 for x, y in ((x_test, y_test), (x_train, y_train))]
    features = metrics.judge_features(np.concatenate(real + [images for images, _, _ in drawn.values()]), judge)
    test_features, train_features, *generated = np.split(features, 2 + len(drawn))
    floor = metrics.frechet_from_features(train_features, test_features)
    conditional = [name for name, (_, digits, _) in drawn.items() if digits is not None]
    read = (
        dict(
            zip(
                conditional,
                np.split(
                    metrics.judge_labels(np.concatenate([drawn[c][0] for c in conditional]), judge), len(conditional)
                ),
            )
        )
        if conditional
        else {}
    )
    rows = {}
    for (name, (_, digits, per_second)), name_features in zip(drawn.items(), generated):
        frechet = metrics.frechet_from_features(name_features, test_features)
        rows[name] = {
            "class accuracy": None,
            "worst digit": None,
            "FD": frechet,
            "FD floor": floor,
            "FD / floor": frechet / floor,
            "samples / s": per_second,
            "parameters": count_parameters(models[name]),
            "train minutes": None,
            "n": n,
        }
        if digits is not None:
            hits = read[name] == digits
            per_class = metrics.per_digit_accuracy(read[name], digits)
            rows[name].update({"class accuracy": float(hits.mean()), "worst digit": int(np.argmin(per_class))})
    return rows


def side_by_side(manifest, live):
    """One table: a row per measure, and for each generator its manifest value next to the live one.

    Args:
        manifest, live: ``{name: row}`` from `manifest_rows` and `measure_generators`.
    """
    names = [name for name in GENERATORS if name in manifest or name in live]
    columns = pd.MultiIndex.from_tuples([(name, source) for name in names for source in ("manifest", "live")])
    table = pd.DataFrame(index=[*MEASURES, "n"], columns=columns, dtype=object)
    for name in names:
        for source, rows in (("manifest", manifest), ("live", live)):
            for measure, value in rows.get(name, {}).items():
                table.loc[measure, (name, source)] = value
    return table


def format_table(table):
    """`side_by_side`'s table as readable text cells: percentages, rounded distances, '–' for none."""
    formats = {
        "class accuracy": "{:.1%}",
        "worst digit": "{:.0f}",
        "FD": "{:.1f}",
        "FD floor": "{:.1f}",
        "FD / floor": "{:.1f}",
        "samples / s": "{:,.0f}",
        "parameters": "{:,.0f}",
        "train minutes": "{:.0f}",
        "n": "{:,.0f}",
    }

    def cell(measure, value):
        if value is None or value != value:
            return "–"
        return ("{:.2g}" if measure == "samples / s" and value < 10 else formats[measure]).format(value)

    return table.apply(lambda row: row.map(lambda value: cell(row.name, value)), axis=1)


# ----- the generators, as pictures -------------------------------------------------------------


def same_digits_figure(models, digits="0123456789", seed=0):
    """The same requested digits from each conditional generator, one row each (``{"cgan": ..., "ddim": ...}``)."""
    from digitkit.data import parse_digits

    wanted = parse_digits(digits)
    rows, titles = [], []
    for name, model in models.items():
        rows.append(generate_digits(model, wanted, seed=seed))
        titles += [f"{name} {d}" for d in wanted]
    return viz.image_grid(np.concatenate(rows), titles=titles, ncols=len(wanted), size=1.0)


def judge_picked(model, digit, seed, judge=None, pool=64):
    """The first of ``pool`` basic-GAN samples (drawn with ``seed``) the judge reads as ``digit``.

    Returns:
        ``(image, found)``: found is False (and the image the first sample) when none is read as ``digit``.
    """
    images = np.asarray(model.generate(pool, seed=seed))
    hits = np.flatnonzero(metrics.judge_labels(images, judge) == digit)
    return (images[hits[0]], True) if len(hits) else (images[0], False)


def seed_sweep_figure(models, digit=7, seeds=range(8), judge=None):
    """The same digit under each generator's seeds, one row per generator.

    The basic GAN cannot be asked for a digit: its row shows, for each seed, the first
    of 64 samples that the judge reads as ``digit`` ("?" above it when there is none).
    """
    images, titles = [], []
    for name, model in models.items():
        for seed in seeds:
            if name == "gan":
                image, found = judge_picked(model, digit, seed, judge)
                titles.append(f"gan s{seed}" + ("" if found else " ?"))
            else:
                image = generate_digits(model, [digit], seed=seed)[0]
                titles.append(f"{name} s{seed}")
            images.append(image)
    return viz.image_grid(np.stack(images), titles=titles, ncols=len(list(seeds)), size=1.0)

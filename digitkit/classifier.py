"""The dense classifier, the CNN "judge", and the training recipe that makes them robust.

Taught in notebooks/01_dense_classifier.ipynb. The judge grades generated
digits in the later notebooks (see `digitkit.metrics`).
"""

import math

import keras
import numpy as np
from keras import layers, ops

from digitkit.data import IMAGE_SHAPE
from digitkit.seeding import initializer, layer_seed

INPUT_SHAPE = IMAGE_SHAPE  # what the classifiers take (the shape every model of the course takes)
NUM_CLASSES = 10


@keras.saving.register_keras_serializable(package="digitkit")
class RandomStrokeWidth(layers.Layer):
    """Makes strokes thicker or thinner at random, in training only.

    A 2x2 max filter thickens a stroke by a pixel; a 2x2 min filter thins it.
    People draw with brushes of every width, MNIST's pens were all alike.

    Args:
        probability: share of images that get a new stroke width (half
            thicker, half thinner).
        seed: seed of the layer's random draws.
    """

    def __init__(self, probability=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must lie in [0, 1]. Received: probability={probability}")
        self.probability = probability
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=False):
        if not training:
            return images
        thick = ops.max_pool(images, 2, strides=1, padding="same")
        thin = -ops.max_pool(-images, 2, strides=1, padding="same")
        u = keras.random.uniform((ops.shape(images)[0], 1, 1, 1), seed=self.seed_generator)
        half = self.probability / 2
        return ops.where(u < half, thick, ops.where(u < self.probability, thin, images))

    def get_config(self):
        return {**super().get_config(), "probability": self.probability, "seed": self.seed}


def build_augmenter(rotation=0.04, shift=0.1, zoom=0.1, stroke=0.5, seed=0):
    """Random rotations, shifts, zooms and stroke widths, active in training only.

    Args:
        rotation: largest rotation as a fraction of a full turn (0.04 is 14 degrees).
        shift: largest shift as a fraction of the image side.
        zoom: largest zoom in or out, as a fraction.
        stroke: share of images whose stroke width changes.
        seed: seed of every random layer.
    """
    return keras.Sequential(
        [
            layers.RandomRotation(rotation, fill_mode="constant", seed=seed),
            layers.RandomTranslation(shift, shift, fill_mode="constant", seed=seed + 1),
            layers.RandomZoom(zoom, fill_mode="constant", seed=seed + 2),
            RandomStrokeWidth(stroke, seed=seed + 3),
        ],
        name="augment",
    )


def build_dense_classifier(dropout=0.1, name="dense", seed=0):
    """The earlier project's dense classifier: Flatten → 128 → 64 → 10.

    Args:
        dropout: dropout rate after each hidden layer (training only; 0 gives
            the original model exactly).
        name: the model's name.
        seed: seed of the initial weights and of the dropout masks.

    Returns:
        A `keras.Model` from (N, 28, 28, 1) images in [0, 1] to 10 probabilities.
    """
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1). Received: dropout={dropout}")
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Flatten(),
            layers.Dense(128, activation="relu", kernel_initializer=initializer(seed, 0)),
            layers.Dropout(dropout, seed=layer_seed(seed, 1)),
            layers.Dense(64, activation="relu", kernel_initializer=initializer(seed, 2)),
            layers.Dropout(dropout, seed=layer_seed(seed, 3)),
            layers.Dense(10, activation="softmax", kernel_initializer=initializer(seed, 4)),
        ],
        name=name,
    )


def build_judge(name="judge", seed=0):
    """A small CNN that grades generated digits (>= 99.4% on MNIST's test set).

    Its 128-wide layer named ``features`` feeds `digitkit.metrics.frechet_distance`;
    ``seed`` seeds the initial weights and the dropout masks.
    """

    def block(filters, index):
        return [
            layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=initializer(seed, index)),
            layers.BatchNormalization(),
            layers.ReLU(),
        ]

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            *block(32, 0),
            *block(32, 1),
            layers.MaxPooling2D(),
            *block(64, 2),
            *block(64, 3),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.3, seed=layer_seed(seed, 4)),
            layers.Dense(128, activation="relu", name="features", kernel_initializer=initializer(seed, 5)),
            layers.Dropout(0.3, seed=layer_seed(seed, 6)),
            layers.Dense(10, activation="softmax", kernel_initializer=initializer(seed, 7)),
        ],
        name=name,
    )


def build_plain_dense_classifier(seed=0):
    """The same dense model without dropout: the earlier project's plain baseline."""
    return build_dense_classifier(dropout=0.0, name="dense_plain", seed=seed)


# The recipes that trained the shipped weights (`digitkit train classifier`).
RECIPES = {
    "dense": dict(epochs=40, learning_rate=2e-3, augment=dict(rotation=0.04, shift=0.08, zoom=0.1)),
    "dense_plain": dict(epochs=10, learning_rate=1e-3, augment=None, schedule="constant"),
    "judge": dict(epochs=10, learning_rate=2e-3, augment=dict(rotation=0.03, shift=0.08, zoom=0.08)),
}


def train_classifier(
    model,
    x_train,
    y_train,
    validation_data=None,
    epochs=10,
    batch_size=128,
    learning_rate=1e-3,
    augment=None,
    schedule="cosine",
    seed=0,
    verbose="auto",
    callbacks=None,
):
    """Train a classifier with Adam, optionally with cosine decay and augmentation.

    Args:
        model: a model from `build_dense_classifier` or `build_judge`.
        x_train, y_train: float images (N, 28, 28, 1) in [0, 1] and int labels.
        validation_data: optional ``(x, y)`` evaluated after every epoch.
        epochs, batch_size, learning_rate: the usual.
        augment: keyword arguments of `build_augmenter`, or None for no augmentation.
        schedule: ``"cosine"`` (decay to 0 over the run) or ``"constant"``.
        seed: seeds the augmentation (the weights are seeded by their builder;
            the shuffling by Keras' global seed, which the ``digitkit`` command sets).
        callbacks: extra Keras callbacks.

    Returns:
        The `keras.callbacks.History` of the run; ``model`` itself is trained.
    """
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"schedule must be 'cosine' or 'constant'. Received: schedule={schedule!r}")
    if schedule == "cosine":
        steps = epochs * math.ceil(len(x_train) / batch_size)
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(steps, 1))
    trainer = model
    if augment is not None:
        trainer = keras.Sequential([keras.Input(INPUT_SHAPE), build_augmenter(seed=seed, **augment), model])
    trainer.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = trainer.fit(
        x_train,
        y_train,
        validation_data=validation_data,
        epochs=epochs,
        batch_size=batch_size,
        verbose=verbose,
        callbacks=callbacks,
    )
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return history


def predict_probabilities(model, images, batch_size=512):
    """Class probabilities (N, 10) for uint8 or float images (N, 28, 28[, 1])."""
    from digitkit.data import to_model_input

    return np.asarray(model.predict(to_model_input(images), batch_size=batch_size, verbose=0))


def evaluate_classifier(model, images, labels):
    """Accuracy, per-class accuracy and confusion matrix of a classifier.

    Returns:
        dict with ``accuracy`` (float), ``per_class`` (10 floats), ``confusion``
        (10x10 int array, rows are true labels) and ``predictions``.
    """
    labels = np.asarray(labels).astype(int)
    predictions = predict_probabilities(model, images).argmax(axis=1)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=int)
    np.add.at(confusion, (labels, predictions), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return dict(
        accuracy=float((predictions == labels).mean()),
        per_class=per_class,
        confusion=confusion,
        predictions=predictions,
    )


DISTORTIONS = ("original", "shifted", "rotated", "thick", "thin")


def distort(images, kind, seed=0):
    """A test set distorted the way canvas drawings differ from MNIST's forms.

    Args:
        images: float images (N, 28, 28, 1) in [0, 1].
        kind: one of ``DISTORTIONS``: ``shifted`` (4 px off centre),
            ``rotated`` (15 to 25 degrees either way), ``thick`` or ``thin``
            (stroke one pixel wider or narrower).
        seed: seed of the random directions.
    """
    x = np.asarray(images, dtype="float32")
    rng = np.random.default_rng(seed)
    if kind == "original":
        return x
    if kind == "shifted":
        out = np.zeros_like(x)
        for i, (dy, dx) in enumerate(rng.choice([-4, 4], size=(len(x), 2))):
            out[i] = np.roll(x[i], (dy, dx), axis=(0, 1))
        return out
    if kind == "rotated":
        rotated = [
            ops.convert_to_numpy(layers.RandomRotation(turn, fill_mode="constant", seed=seed)(x, training=True))
            for turn in ((15 / 360, 25 / 360), (-25 / 360, -15 / 360))
        ]
        clockwise = rng.random(len(x)) < 0.5
        return np.where(clockwise[:, None, None, None], *rotated)
    if kind == "thick":
        return ops.convert_to_numpy(ops.max_pool(x, 2, strides=1, padding="same"))
    if kind == "thin":
        return ops.convert_to_numpy(-ops.max_pool(-x, 2, strides=1, padding="same"))
    raise ValueError(f"kind must be one of {DISTORTIONS}. Received: kind={kind!r}")


def robustness_table(models, images, labels, seed=0):
    """Accuracy of each model on each distortion of the test set.

    Args:
        models: dict name -> classifier.

    Returns:
        A pandas DataFrame, one row per distortion, one column per model.
    """
    import pandas as pd

    rows = {}
    for kind in DISTORTIONS:
        x = distort(images, kind, seed=seed)
        rows[kind] = {name: evaluate_classifier(m, x, labels)["accuracy"] for name, m in models.items()}
    return pd.DataFrame(rows).T

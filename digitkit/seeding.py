"""Seeds without global side effects: each layer of a builder gets its own seed from ``(seed, index)``.

The library never calls ``keras.utils.set_random_seed``; a builder's ``seed=``
goes to its layers' initializers and random layers, and a model's noise to a
``keras.random.SeedGenerator``. ``seed=None`` leaves a layer to Keras' global
seed (what ``set_random_seed`` in a notebook controls).
"""

import keras


def layer_seed(seed, index):
    """The seed of layer number ``index`` of a builder called with ``seed`` (None stays None)."""
    return None if seed is None else int(seed) * 1009 + index


def initializer(seed, index):
    """A Glorot-uniform kernel initializer (Keras' default) seeded from ``(seed, index)``."""
    return keras.initializers.GlorotUniform(seed=layer_seed(seed, index))

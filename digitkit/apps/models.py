"""The pretrained models the Studio's apps share: loaded once per process, whoever visits.

A server that runs many visitors in one process (``digitkit app``) calls
`load_models` for every visitor and gets the same objects back: the weights
are read from ``weights/`` once, and each visitor only adds widgets.
Loading trains nothing.
"""

import functools
from typing import Any, NamedTuple

MODEL_NAMES = ("dense", "judge", "gan", "cgan", "ddim")


class Models(NamedTuple):
    """The five pretrained models of the Studio (see ``weights/manifest.json``)."""

    dense: Any
    """The dense classifier of notebook 01."""
    judge: Any
    """The convolutional judge (the classifier that scores the generators)."""
    gan: Any
    """The basic GAN of notebook 02."""
    cgan: Any
    """The conditional GAN of notebook 03."""
    ddim: Any
    """The class-conditional diffusion model of notebook 04."""


@functools.cache
def load_models(warm_up=True):
    """The pretrained dense, judge, gan, cgan and ddim, loaded on the first call and cached.

    Args:
        warm_up: run every model once on a tiny input, so that the first
            visitor does not wait for TensorFlow to trace the graphs.

    Returns:
        A `Models` tuple; every later call returns the same objects.
    """
    import numpy as np

    from digitkit.data import IMAGE_SHAPE
    from digitkit.pretrained import load_pretrained

    models = Models(*(load_pretrained(name) for name in MODEL_NAMES))
    if warm_up:
        blank = np.zeros((1, *IMAGE_SHAPE), dtype="float32")
        models.dense.predict_on_batch(blank)  # traces the compiled predict function Identify calls
        models.judge.predict_on_batch(blank)
        models.gan.generate(1)
        models.cgan.generate("0")
        models.cgan.feature_maps(0)
        models.ddim.sample("0", steps=2)
        models.ddim.sample("0", steps=2, solver="dpm++2m")  # the Advanced tab's second sampler
    return models

"""Data-parallel training with Keras' own distribution API (JAX backend).

``digitkit train NAME --devices all`` and ``training.train(NAME, devices="all")``
call `data_parallel` before the model is built: every device holds a copy of
the weights and each batch is split across the devices (the global batch must
be a multiple of the device count); the gradients are the same as on one
device, so the loss curve is too (tests/test_distribute.py checks it on two
simulated CPU devices).
"""

import keras

DEVICES = ("all",)


def data_parallel(devices="all", batch_size=None, n_examples=None):
    """A ``keras.distribution.DataParallel`` over the accelerators, after checking the batches split evenly.

    Set it with ``keras.distribution.set_distribution(...)`` (or use its
    ``scope()``) before building the model.

    Args:
        devices: ``"all"``: every device ``keras.distribution.list_devices()`` sees.
        batch_size: the global batch; it must be a multiple of the device count.
        n_examples: training examples; the last, shorter batch must split evenly too.

    Returns:
        The ``DataParallel`` distribution.

    Raises:
        ValueError: not the JAX backend, unknown ``devices``, or batches that do not split evenly.
    """
    if devices not in DEVICES:
        raise ValueError(f"devices must be one of {DEVICES}. Received: devices={devices!r}")
    backend = keras.backend.backend()
    if backend != "jax":
        raise ValueError(
            "Training on several devices uses keras.distribution, which needs the JAX backend "
            f"(KERAS_BACKEND=jax). Received: backend={backend!r}"
        )
    found = keras.distribution.list_devices()
    count = len(found)
    if batch_size is not None and batch_size % count:
        raise ValueError(
            f"The global batch must be a multiple of the device count ({count}: {', '.join(found)}). "
            f"Received: batch_size={batch_size}"
        )
    last = n_examples % batch_size if n_examples is not None and batch_size else 0
    if last % count:
        raise ValueError(
            f"The last batch ({last} of {n_examples} examples) does not split across {count} devices; "
            f"use a number of examples whose remainder by {batch_size} is a multiple of {count}. "
            f"Received: n_examples={n_examples}"
        )
    return keras.distribution.DataParallel(devices=found)

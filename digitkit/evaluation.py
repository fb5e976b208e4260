"""The judge's measures of any generator, taken the same way for each, and the manifest's quality record.

`evaluate_generator` is what ``digitkit train gan|cgan|ddim`` writes into
``weights/manifest.json`` (through `quality_record`, the one function that
writes its keys) and what notebooks 02-04 and the README read back through
`digitkit.pretrained.quality`. `generate` is the generator API of the
contract for any generator: ``generate(gan, 16)``, ``generate(cgan, "646775")``.
"""

import numpy as np

from digitkit import metrics, pretrained
from digitkit.checks import check_whole
from digitkit.data import load_mnist, test_reference

# How each generator is measured for the manifest (`evaluate_generator`).
EVALUATION = dict(per_digit=1000, n_frechet=10000, seed=123)


def is_conditional(model):
    """True for a generator whose `generate` takes digits (cGAN, DDIM), False for the basic GAN."""
    return getattr(model, "conditional", True)


def generate(model, what, seed=0):
    """The generator API for any generator: ``what`` is a count (GAN) or digits (cGAN, DDIM)."""
    return model.generate(what, seed=seed)


def sampling_settings(model):
    """The sampling defaults `generate` uses, for the manifest's ``settings`` ({} for the GANs)."""
    if hasattr(model, "d_optimizer"):
        return {}
    from digitkit import diffusion

    return dict(
        steps=diffusion.STEPS, guidance=diffusion.GUIDANCE, guidance_interval=list(diffusion.GUIDANCE_INTERVAL), eta=0.0
    )


def evaluate_generator(model, per_digit=1000, n_frechet=10000, seed=123, judge=None):
    """The judge's measures of any generator, the same way for each.

    A conditional generator draws ``per_digit`` samples of each digit: the
    judge's class accuracy per digit and overall, the worst digit, and the
    judge's label entropy and digit shares of those samples. The basic GAN
    draws ``n_frechet`` samples: their label entropy and digit shares. Every
    generator then has the Fréchet distance of ``n_frechet`` samples to
    ``n_frechet`` test images spread over the test set (`digitkit.data.test_reference`),
    beside the judge's floor at that size (`digitkit.metrics.frechet_floor`).
    A conditional generator's ``n_frechet``
    samples ask for the digits those test images show: drawn uniformly
    instead, real training digits are 1.8x the floor away from MNIST's own
    digit shares (``benchmarks/judge_floor.py``), a distance no generator
    could close.

    Returns:
        dict with ``class_accuracy``, ``per_class``, ``worst_digit`` (None for
        the basic GAN), ``label_entropy``, ``digit_shares``, ``frechet``,
        ``frechet_floor``, ``frechet_over_floor``, ``n_frechet`` and ``settings``.
    """
    check_whole(per_digit=per_digit, n_frechet=n_frechet)
    judge_model = metrics.resolve_judge(judge)
    result = dict(class_accuracy=None, per_class=None, worst_digit=None)
    x_test, y_test = test_reference(n_frechet)
    if is_conditional(model):
        digits = np.repeat(np.arange(10), per_digit)
        images = generate(model, digits, seed=seed)
        labels = metrics.judge_labels(images, judge_model)
        per_class = [float(share) for share in metrics.per_digit_accuracy(labels, digits)]
        result.update(
            class_accuracy=float((labels == digits).mean()), per_class=per_class, worst_digit=int(np.argmin(per_class))
        )
        compared = generate(model, y_test, seed=seed)  # the digits of the test images it is compared with
    else:
        images = compared = generate(model, n_frechet, seed=seed)
        labels = metrics.judge_labels(images, judge_model)
    frechet = metrics.frechet_from_features(
        metrics.judge_features(compared, judge_model), metrics.judge_features(x_test, judge_model)
    )
    floor = metrics.frechet_floor(n_frechet, judge=judge)
    shares = metrics.label_histogram(labels) / len(labels)
    result.update(
        label_entropy=metrics.label_entropy(labels),
        digit_shares=[float(s) for s in shares],
        frechet=frechet,
        frechet_floor=floor,
        frechet_over_floor=frechet / floor,
        n_frechet=int(n_frechet),
        settings=sampling_settings(model),
    )
    return result


def describe_quality(measured):
    """`evaluate_generator`'s measures in a line: ``read as asked 99.43%, worst digit 5 (98.7%), FD 4.71 = ...``."""
    parts = []
    if measured.get("class_accuracy") is not None:
        worst = measured["worst_digit"]
        parts.append(
            f"read as asked {measured['class_accuracy']:.2%}, worst digit {worst} ({measured['per_class'][worst]:.1%})"
        )
    else:
        parts.append(f"label entropy {measured['label_entropy']:.2f} (2.30: all ten digits alike)")
    frechet, floor, ratio = measured["frechet"], measured["frechet_floor"], measured["frechet_over_floor"]
    parts.append(f"FD {frechet:.2f} = {ratio:.2f}x the floor {floor:.3f} ({measured['n_frechet']:,} samples)")
    return ", ".join(parts)


def quality_record(measured, epochs, train_minutes, seconds_per_epoch, trained_on):
    """A generator's manifest ``quality``: exactly `digitkit.pretrained.GENERATOR_QUALITY_KEYS`, rounded.

    Args:
        measured: the dict of `evaluate_generator` (or the same keys from an earlier measurement).
        epochs, train_minutes, seconds_per_epoch, trained_on: how it was trained.
    """

    def rounded(value, digits=4):
        if value is None:
            return None
        if isinstance(value, (list, tuple)):
            return [rounded(v, digits) for v in value]
        return round(float(value), digits) + 0.0  # + 0.0: no -0.0 in the manifest

    record = dict(
        class_accuracy=rounded(measured.get("class_accuracy")),
        per_class=rounded(measured.get("per_class")),
        worst_digit=measured.get("worst_digit"),
        label_entropy=rounded(measured.get("label_entropy")),
        digit_shares=rounded(measured.get("digit_shares")),
        frechet=rounded(measured.get("frechet"), 3),
        frechet_floor=rounded(measured.get("frechet_floor"), 3),
        frechet_over_floor=rounded(measured.get("frechet_over_floor"), 2),
        n_frechet=measured.get("n_frechet"),
        epochs=int(epochs),
        train_minutes=rounded(train_minutes, 1),
        seconds_per_epoch=rounded(seconds_per_epoch, 1),
        trained_on=trained_on,
        settings=dict(measured.get("settings") or {}),
    )
    assert tuple(record) == pretrained.GENERATOR_QUALITY_KEYS
    return record


def evaluate_ddim(
    model,
    steps=(5, 10, 20, 50),
    per_digit=100,
    guidance=None,
    eta=0.0,
    seed=0,
    reference=None,
    judge=None,
    solver="ddim",
    guidance_interval=None,
):
    """Judge accuracy, Fréchet distance and sampling time for several step counts.

    Args:
        model: a trained `DiffusionModel`.
        steps: the step counts to compare.
        per_digit: samples of each digit (10 x per_digit in all).
        guidance, eta, seed, solver, guidance_interval: passed to `DiffusionModel.sample` (defaults:
            `digitkit.diffusion.GUIDANCE` and ``GUIDANCE_INTERVAL``).
        reference: real images for the Fréchet distance (default: MNIST's test set).
        judge: the grading classifier (default: the shipped judge).

    The Fréchet distance is that of the ``per_digit`` samples of each digit, drawn evenly, so it
    sits above `evaluate_generator`'s (whose samples ask for the reference's own digits): compare
    its rows with each other.

    Returns:
        A list of dicts, one per step count: ``steps``, ``accuracy``, ``worst_digit`` and its
        ``worst_accuracy``, ``frechet``, ``seconds_per_100``
        (sampling time per 100 digits on this machine, XLA's compilation excluded).
    """
    import time

    from digitkit import diffusion, sampler

    guidance = diffusion.GUIDANCE if guidance is None else guidance
    interval = diffusion.GUIDANCE_INTERVAL if guidance_interval is None else guidance_interval
    if reference is None:
        reference = load_mnist(normalize=True)[1][0]
    labels = np.repeat(np.arange(10, dtype="int32"), per_digit)
    reference_features = metrics.judge_features(reference, judge)  # once, not once per step count
    # XLA compiles each kind of step (guided, plain) once per batch shape: compile outside the timings,
    # on sample's default batch (`digitkit.sampler.BATCH_SIZE`), the shape the timed calls use.
    warm = labels[: sampler.BATCH_SIZE]
    for scale in [guidance, 0.0] if guidance else [0.0]:
        model.sample(warm, steps=2, guidance=scale, eta=eta, seed=seed, solver=solver, guidance_interval=(0.0, 1.0))
    rows = []
    for n in steps:
        start = time.perf_counter()
        images = model.sample(
            labels, steps=n, guidance=guidance, eta=eta, seed=seed, solver=solver, guidance_interval=interval
        )
        seconds = time.perf_counter() - start
        read = metrics.judge_labels(images, judge)
        per_class = metrics.per_digit_accuracy(read, labels)
        rows.append(
            dict(
                steps=int(n),
                accuracy=float((read == labels).mean()),
                worst_digit=int(per_class.argmin()),
                worst_accuracy=float(per_class.min()),
                frechet=metrics.frechet_from_features(metrics.judge_features(images, judge), reference_features),
                seconds_per_100=seconds * 100 / len(labels),
            )
        )
    return rows

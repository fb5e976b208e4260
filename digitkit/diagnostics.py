"""What a GAN's samples say about its training: the judge's diagnostics, per epoch and as figures.

Taught in notebooks/02_gan.ipynb (and used for the conditional GAN of notebook 03).
Recorded per epoch in the ``History`` (by `GANMonitor`, with the losses of
`digitkit.gan.GAN.train_step`):

- ``d_acc_real`` / ``d_acc_fake``: how often the discriminator is right on real
  and on generated images (averaged over the epoch);
- ``g_grad_norm``: the norm of the generator's gradient (it vanishes when the
  discriminator wins with the saturating loss);
- ``label_entropy`` and ``digits_covered``: the judge reads the samples;
  ln(10) = 2.30 nats and 10 digits when every digit is equally common;
- ``frechet``: Fréchet distance to the MNIST test set on the judge's features.
"""

import math

import keras
import numpy as np
from keras import ops
from matplotlib.figure import Figure

from digitkit import metrics, viz
from digitkit.callbacks import epoch_line
from digitkit.data import evenly_spaced


def coverage(labels, min_share=0.01):
    """Mode coverage of the judge's labels for generated samples.

    Args:
        labels: the digit the judge reads in each sample.
        min_share: a digit counts as covered when at least this share of the
            samples are read as it.

    Returns:
        dict with ``histogram`` (10 counts), ``label_entropy`` (nats) and
        ``digits_covered`` (0-10).
    """
    histogram = metrics.label_histogram(labels)
    total = max(int(histogram.sum()), 1)
    return dict(
        histogram=histogram,
        label_entropy=metrics.label_entropy(labels),
        digits_covered=int((histogram >= min_share * total).sum()),
    )


def diagnose(model, reference_features, judge=None, n=1000, seed=0, min_share=0.01):
    """Judge-based quality of a GAN's samples right now.

    Args:
        model: a `GAN` (or anything with ``sample_images(n, seed)``).
        reference_features: judge features of real test images (same count as
            ``n`` for comparable Fréchet distances).
        judge: the classifier; the shipped judge by default.
        n: how many samples to draw.

    Returns:
        dict: ``label_entropy``, ``digits_covered``, ``histogram``, ``frechet``
        and, for a conditional model, ``class_accuracy``.
    """
    images, requested = model.sample_images(n, seed)
    judge = metrics.resolve_judge(judge)
    labels = metrics.judge_labels(images, judge)
    result = coverage(labels, min_share)
    result["frechet"] = metrics.frechet_from_features(metrics.judge_features(images, judge), reference_features)
    if requested is not None:
        result["class_accuracy"] = float((labels == np.asarray(requested)).mean())
    return result


class GANMonitor(keras.callbacks.Callback):
    """Records the judge's diagnostics of a GAN in the History after every epoch.

    Shared by every GAN of the course. After each epoch it adds
    ``label_entropy``, ``digits_covered``, ``frechet`` (and ``class_accuracy``
    for a conditional GAN) to the epoch's logs, so ``history.history`` has them.
    The training GIF is another callback's job (`digitkit.training.SampleGrid`).

    Args:
        reference_images: real images for the Fréchet distance (the test set:
            ``n_samples`` of them, spread over it as `digitkit.data.test_reference` takes them).
        judge: the classifier; the shipped judge by default.
        n_samples: samples drawn for the coverage and Fréchet distance.
        seed: seed of the samples.
        every: compute the diagnostics every this many epochs.
        verbose: print one line per epoch.
        defer: keep a copy of the generator's weights each epoch and compute
            the diagnostics only in `replay`, after training (the run is the
            same: the diagnostics draw no random numbers from Keras).
    """

    def __init__(self, reference_images, judge=None, n_samples=1000, seed=0, every=1, verbose=False, defer=False):
        super().__init__()
        self.reference_images = reference_images[evenly_spaced(n_samples, len(reference_images))]
        self.judge, self.n_samples = judge, n_samples
        self.seed, self.every, self.verbose, self.defer = seed, every, verbose, defer
        self.snapshots = []
        self.reference_features = None
        if not defer:
            self.reference_features = metrics.judge_features(self.reference_images, judge)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        if (epoch + 1) % self.every:
            return
        if self.defer:
            self.snapshots.append((epoch, [ops.convert_to_numpy(w) for w in self.model.generator.weights]))
            return
        result = diagnose(self.model, self.reference_features, self.judge, self.n_samples, self.seed)
        result.pop("histogram")
        logs.update(result)
        if self.verbose:
            print(epoch_line(epoch + 1, logs), flush=True)

    def replay(self, history):
        """Compute the deferred diagnostics from the kept weights and add them to ``history``.

        Args:
            history: the run's history dict (lists per key).

        Returns:
            ``history`` with ``label_entropy``, ``digits_covered``, ``frechet``
            (and ``class_accuracy``) per recorded epoch.
        """
        judge = metrics.resolve_judge(self.judge)
        reference = metrics.judge_features(self.reference_images, judge)
        generator = self.model.generator
        final = [ops.convert_to_numpy(w) for w in generator.weights]
        for epoch, weights in self.snapshots:
            generator.set_weights(weights)
            result = diagnose(self.model, reference, judge, self.n_samples, self.seed)
            result.pop("histogram")
            for key, value in result.items():
                history.setdefault(key, []).append(float(value))
            if self.verbose:
                print(epoch_line(epoch + 1, result), flush=True)
        generator.set_weights(final)
        self.snapshots = []
        return history


DIAGNOSTIC_PANELS = (
    ("discriminator accuracy", ("d_acc_real", "d_acc_fake")),
    ("generator gradient norm", ("g_grad_norm",)),
    ("label entropy (nats)", ("label_entropy",)),
    ("digits covered", ("digits_covered",)),
    ("Fréchet distance", ("frechet",)),
)


def plot_diagnostics(runs, samples=None, title=None):
    """The diagnostics of one or several runs side by side, with an optional sample grid.

    Args:
        runs: a history dict, or ``{name: history dict}`` for several runs
            (drawn in the same panels, so a learner's run sits beside the
            healthy one).
        samples: optional images (N, 28, 28) shown in a last panel.
        title: a title over the figure.

    Returns:
        A `matplotlib.figure.Figure`.
    """
    if runs and all(isinstance(v, list) for v in runs.values()):
        runs = {"run": runs}
    panels = [p for p in DIAGNOSTIC_PANELS if any(k in h for h in runs.values() for k in p[1])]
    ncols = len(panels) + (samples is not None)
    fig = Figure(figsize=(3.2 * ncols, 3.0))
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    colors = {name: f"C{i}" for i, name in enumerate(runs)}
    for ax, (panel, keys) in zip(axes, panels):
        for name, h in runs.items():
            for key, style in zip(keys, ("-", "--")):
                if key in h:
                    label = name if len(keys) == 1 else f"{name}: {key[-4:]}"
                    ax.plot(np.arange(1, len(h[key]) + 1), h[key], style, color=colors[name], label=label)
        if panel == "label entropy (nats)":
            ax.axhline(math.log(10), color="gray", lw=0.8, ls=":")
        if panel == "discriminator accuracy":
            ax.set_ylim(-0.02, 1.02)
        ax.set_title(panel, fontsize=10)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    if samples is not None:
        axes[-1].imshow(viz.tile(samples, ncols=int(math.ceil(math.sqrt(len(samples))))), cmap="gray")
        axes[-1].axis("off")
        axes[-1].set_title("samples", fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_label_histogram(labels_or_histogram, title="What the judge reads in the samples"):
    """A bar chart of how often each digit appears among generated samples."""
    h = np.asarray(labels_or_histogram)
    if h.shape != (10,):
        h = metrics.label_histogram(h)
    fig = Figure(figsize=(4.5, 2.6))
    ax = fig.subplots()
    ax.bar(range(10), h)
    ax.set_xticks(range(10))
    ax.set_xlabel("digit read by the judge")
    ax.set_ylabel("samples")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig

"""Figures and GIFs: every image grid and every training GIF of the course comes from here.

Every plotting function returns a `matplotlib.figure.Figure`, which a notebook
displays and a test inspects.
"""

import pathlib

import numpy as np
from matplotlib.figure import Figure


def _as_images(images):
    x = np.asarray(images, dtype="float32")
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"Expected images of shape (N, H, W) or (N, H, W, 1). Received: shape={np.shape(images)}")
    if x.size and x.max() > 1.0:
        x = x / 255.0
    return x


def tile(images, ncols=10, pad=1):
    """Tile images (N, H, W[, 1]) into one 2-D array, ``ncols`` per row, white-on-black."""
    x = _as_images(images)
    n, h, w = x.shape
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    out = np.zeros((nrows * (h + pad) + pad, ncols * (w + pad) + pad), dtype="float32")
    for i, image in enumerate(x):
        r, c = divmod(i, ncols)
        out[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = image
    return out


def image_grid(images, titles=None, ncols=10, size=1.0, suptitle=None):
    """A grid of digits, with an optional title above each.

    Args:
        images: (N, 28, 28) or (N, 28, 28, 1), uint8 or float in [0, 1];
            or a list of 2-D images of different sizes.
        titles: optional N strings.
        ncols: images per row.
        size: inches per image.
        suptitle: a title over the whole grid.
    """
    if isinstance(images, (list, tuple)) and len({np.shape(i) for i in images}) > 1:
        x = [_as_images(image)[0] for image in images]
    else:
        x = _as_images(images)
    ncols = max(1, min(ncols, len(x)))
    nrows = max(1, -(-len(x) // ncols))
    fig = Figure(figsize=(ncols * size, nrows * size * (1.25 if titles is not None else 1.0)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(x):
            ax.imshow(x[i], cmap="gray", vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def save_gif(frames, path, fps=4, hold_last=3, scale=3):
    """Write a looping GIF.

    Args:
        frames: a sequence of 2-D images in [0, 1] (e.g. from `tile`) or of
            uint8 RGB arrays.
        path: where to write it; parent folders are created.
        fps: frames per second.
        hold_last: the final frame stays this many frame-times longer, so the
            result can be seen before the loop restarts.
        scale: nearest-neighbour upscaling of float frames (28 px digits are tiny).

    Returns:
        The path written.
    """
    import imageio.v2 as imageio

    frames = list(frames)
    if not frames:
        raise ValueError("save_gif needs at least one frame. Received: frames=[]")
    images = []
    for frame in frames:
        frame = np.asarray(frame)
        if frame.dtype != np.uint8:
            frame = (np.clip(frame, 0, 1) * 255).astype(np.uint8)
            frame = frame.repeat(scale, axis=0).repeat(scale, axis=1)
        images.append(frame)
    durations = [1000 / fps] * len(images)
    durations[-1] *= 1 + hold_last
    if len(images) == 1:  # Pillow takes a list of durations only for several frames
        durations = durations[0]
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    imageio.mimsave(path, images, duration=durations, loop=0)
    return path


def read_gif(path):
    """The frames of a GIF as grayscale uint8 arrays, e.g. to continue one with `save_gif`."""
    from PIL import Image, ImageSequence

    with Image.open(path) as gif:
        return [np.asarray(frame.convert("L")) for frame in ImageSequence.Iterator(gif)]


def show_gif(path):
    """Display a GIF inline in a notebook."""
    from IPython.display import Image

    return Image(filename=str(path))


def plot_history(history, keys=None, title=None):
    """Learning curves: one panel per metric, training and validation together.

    Args:
        history: a `keras.callbacks.History` or its ``.history`` dict.
        keys: the metrics to show (default: every key without ``val_``).
    """
    h = getattr(history, "history", history)
    keys = keys or [k for k in h if not k.startswith("val_") and k != "learning_rate"]
    fig = Figure(figsize=(4 * len(keys), 3))
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys):
        epochs = np.arange(1, len(h[key]) + 1)
        ax.plot(epochs, h[key], label="train")
        if f"val_{key}" in h:
            ax.plot(epochs, h[f"val_{key}"], label="test")
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_probabilities(probabilities, ax=None):
    """A bar chart of the 10 class probabilities, the winner highlighted."""
    p = np.asarray(probabilities).reshape(-1)
    if p.shape != (10,):
        raise ValueError(f"Expected 10 probabilities. Received: shape={np.shape(probabilities)}")
    fig = None
    if ax is None:
        fig = Figure(figsize=(4, 2.5))
        ax = fig.subplots()
    colors = ["tab:blue"] * 10
    colors[int(p.argmax())] = "tab:orange"
    ax.bar(range(10), p, color=colors)
    ax.set_xticks(range(10))
    ax.set_ylim(0, 1)
    ax.set_xlabel("digit")
    ax.set_ylabel("probability")
    if fig is not None:
        fig.tight_layout()
    return fig or ax.figure


def plot_confusion(confusion, title="Confusion matrix"):
    """A 10x10 confusion matrix (rows: true digit, columns: predicted), counts written in."""
    cm = np.asarray(confusion)
    fig = Figure(figsize=(5.5, 5))
    ax = fig.subplots()
    shown = cm.astype(float).copy()
    np.fill_diagonal(shown, 0)  # colour the mistakes; the diagonal would swamp them
    ax.imshow(shown, cmap="Reds")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7, color="black" if i != j else "tab:green")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_first_layer(kernel, n=32, ncols=8):
    """The first Dense layer's weights into each unit, as 28x28 pictures.

    Args:
        kernel: array (784, units): the weights of ``Dense(128)``.
        n: how many units to show.
    """
    w = np.asarray(kernel)[:, :n].T.reshape(-1, 28, 28)
    limit = np.abs(w).max()
    nrows = -(-len(w) // ncols)
    fig = Figure(figsize=(ncols * 0.9, nrows * 0.9))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, image in zip(axes.flat, w):
        ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
    for ax in axes.flat:
        ax.axis("off")
    fig.suptitle("What each first-layer unit looks for (red: ink helps, blue: ink hurts)", fontsize=9)
    fig.tight_layout()
    return fig


def progress_bar(epochs, description="training"):
    """A Keras callback that shows an ipywidgets progress bar, one tick per epoch.

    The label under the bar shows the latest epoch's metrics. Pass it to
    ``fit(..., callbacks=[progress_bar(epochs)], verbose=0)``.
    """
    import ipywidgets
    import keras
    from IPython.display import display

    class ProgressBar(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.bar = ipywidgets.IntProgress(value=0, min=0, max=epochs, description=description)
            self.label = ipywidgets.Label()
            self.widget = ipywidgets.VBox([self.bar, self.label])

        def on_train_begin(self, logs=None):
            display(self.widget)

        def on_epoch_end(self, epoch, logs=None):
            self.bar.value = epoch + 1
            shown = ", ".join(f"{k} {v:.4f}" for k, v in (logs or {}).items() if k != "learning_rate")
            self.label.value = f"epoch {epoch + 1}/{epochs}: {shown}"

    return ProgressBar()


def output_area():
    """An `ipywidgets.Output` and ``show(make)``, which displays what ``make()`` returns there.

    Every widget app of the course shows its figures this way. A ValueError
    from ``make`` (bad input, such as digits "12a") is printed as a message
    in place of the figure, never a traceback.

    Returns:
        ``(output, show)``.
    """
    import ipywidgets
    from IPython.display import display

    output = ipywidgets.Output()

    def show(make):
        output.clear_output(wait=True)
        with output:
            try:
                display(make())
            except ValueError as error:
                print(error)

    return output, show


# ---------- diffusion (taught in notebooks/04_diffusion.ipynb) ----------


def plot_schedule(alpha_bar):
    """The cosine schedule: signal and noise shares of x_t against the step t."""
    ab = np.asarray(alpha_bar)
    fig = Figure(figsize=(5, 3))
    ax = fig.subplots()
    ax.plot(np.sqrt(ab), label="sqrt(alpha_bar): digit's weight")
    ax.plot(np.sqrt(1 - ab), label="sqrt(1 - alpha_bar): noise's weight")
    ax.set_xlabel("step t")
    ax.legend(fontsize=8)
    ax.set_title(f"Cosine schedule, T = {len(ab)}")
    fig.tight_layout()
    return fig


def _one_image(image):
    """One digit (28, 28), (28, 28, 1) or (1, 28, 28[, 1]) as (1, 28, 28, 1) floats in [0, 1]."""
    from digitkit.data import IMAGE_SHAPE, to_model_input

    x = np.asarray(image)
    if x.shape == IMAGE_SHAPE:
        x = x[..., 0]
    return to_model_input(x)[:1]


def forward_images(model, image, steps, seed=0):
    """One clean image noised by a `DiffusionModel` to each of ``steps`` (same noise), as (len(steps), 28, 28)."""
    x = _one_image(image)
    steps = np.asarray(steps, dtype="int64").reshape(-1)
    if steps.min() < 0 or steps.max() >= model.timesteps:
        raise ValueError(f"steps must lie in [0, {model.timesteps - 1}]. Received: steps={steps.tolist()}")
    noise = np.random.default_rng(seed).standard_normal(x.shape).astype("float32")
    x_t = np.asarray(model.noise_images(np.repeat(x, len(steps), 0), steps, np.repeat(noise, len(steps), 0)))
    return np.clip((x_t[..., 0] + 1) / 2, 0, 1)


def plot_forward(model, image, steps=(0, 50, 100, 150, 200, 250, 300, 350, 400, 499), seed=0):
    """The forward process: one digit at several steps, with alpha_bar in each title."""
    titles = [f"t={t}\nᾱ={model.alpha_bar[t]:.2f}" for t in steps]
    return image_grid(forward_images(model, image, steps, seed), titles=titles, ncols=len(steps), size=1.1)


def plot_denoise(model, image, digit, t, seed=0, guidance=0.0):
    """What a `DiffusionModel` predicts from one noisy digit: the noise and the clean digit.

    Shows the clean digit, x_t, the true noise, the predicted noise and the
    predicted clean digit.
    """
    x = _one_image(image)
    noise = np.random.default_rng(seed).standard_normal(x.shape).astype("float32")
    x_t = np.asarray(model.noise_images(x, np.array([t]), noise))
    predicted_noise, x0 = model.denoise(x_t, t, digit, guidance=guidance)
    show_noise = lambda a: np.clip((a.reshape(x.shape[1:3]) + 2.5) / 5, 0, 1)  # noqa: E731
    images = [
        x[0, ..., 0],
        np.clip((x_t[0, ..., 0] + 1) / 2, 0, 1),
        show_noise(noise),
        show_noise(predicted_noise),
        x0[0],
    ]
    error = float(np.sqrt(np.mean((predicted_noise - noise[..., 0]) ** 2)))
    return image_grid(
        np.stack(images),
        ncols=5,
        size=1.5,
        titles=["clean x_0", f"x_t (t={t})", "true noise", f"predicted noise\nRMS error {error:.2f}", "predicted x_0"],
    )


def plot_trajectory(trajectory, index=0, max_columns=11):
    """One digit's denoising as a strip: x_t on top, the predicted x_0 below, at every step.

    Args:
        trajectory: the dict from ``DiffusionModel.sample(..., return_trajectory=True)``.
        index: which digit of the batch.
        max_columns: with many steps, this many evenly spaced steps are shown (first and last included).
    """
    n = len(trajectory["t"])
    keep = np.unique(np.round(np.linspace(0, n - 1, min(n, max_columns))).astype(int))
    x_t, x0 = trajectory["x_t"][keep, index], trajectory["x0"][keep, index]
    titles = [f"t={t}" if t >= 0 else "result" for t in trajectory["t"][keep]]
    titles = titles + ["predicted x_0"] + [""] * (len(keep) - 1)
    return image_grid(np.concatenate([x_t, x0]), titles=titles, ncols=len(keep), size=1.0)


def plot_quality(rows, reference=None, reference_name="conditional GAN"):
    """Judge accuracy, Fréchet distance and sampling time against the number of DDIM steps.

    Args:
        rows: the list from `digitkit.evaluation.evaluate_ddim`.
        reference: optional dict with ``class_accuracy`` and ``frechet`` (e.g. the
            cGAN's manifest quality), drawn as dashed lines.
        reference_name: the legend of those lines.
    """
    steps = [r["steps"] for r in rows]
    fig = Figure(figsize=(11, 3))
    axes = fig.subplots(1, 3)
    panels = [
        ("accuracy", "judge accuracy", "class_accuracy"),
        ("frechet", "Fréchet distance (lower is better)", "frechet"),
        ("seconds_per_100", "seconds per 100 digits", None),
    ]
    for ax, (key, title, ref_key) in zip(axes, panels):
        ax.plot(steps, [r[key] for r in rows], "o-", label="DDIM")
        if reference and ref_key and reference.get(ref_key) is not None:
            ax.axhline(reference[ref_key], ls="--", color="tab:red", label=reference_name)
            ax.legend(fontsize=8)
        ax.set_xscale("log")
        ax.set_xticks(steps, [str(s) for s in steps])
        ax.set_xticks([], minor=True)  # no log-scale minor labels ("3x10^1") over the step counts
        ax.set_xlabel("sampling steps")
        ax.set_title(title)
    fig.tight_layout()
    return fig

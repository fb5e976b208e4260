"""The Visualize app: how the cGAN builds a digit layer by layer, and how the DDIM denoises it.

Taught in notebooks/03_conditional_gan.ipynb (the layers) and 04_diffusion.ipynb
(the trajectory); the Studio's Visualize tab.
"""

from typing import NamedTuple

import numpy as np

from digitkit.data import parse_digits
from digitkit.viz import tile

TRAJECTORY_COLUMNS = 9
"""How many of the denoising steps the trajectory shows (first and last included)."""


class Panel(NamedTuple):
    """One picture of a visualization and its caption."""

    caption: str
    image: np.ndarray
    """2-D, float32 in [0, 1]."""


def feature_map_panel(name, maps, max_channels=16):
    """One generator stage's feature maps (H, W, C) as a tiled picture, each map scaled to [0, 1]."""
    maps = np.moveaxis(np.asarray(maps, dtype="float32")[..., :max_channels], -1, 0)
    channels = len(maps)
    if channels > 1:
        low = maps.min(axis=(1, 2), keepdims=True)
        maps = (maps - low) / np.maximum(maps.max(axis=(1, 2), keepdims=True) - low, 1e-8)
    side = f"{maps.shape[1]}x{maps.shape[2]}"
    caption = f"the image, {side}" if channels == 1 else f"{name.removeprefix('stage_')}: {channels} maps"
    return Panel(caption, tile(np.clip(maps, 0, 1), ncols=int(np.ceil(np.sqrt(channels)))))


class VisualizeApp:
    """Two ways of watching a generator draw one digit.

    Args:
        cgan: the conditional GAN (`build_up` reads its ``stage_*`` layers).
        ddim: the diffusion model (`trajectory`), or None.
    """

    def __init__(self, cgan, ddim=None):
        self.cgan = cgan
        self.ddim = ddim

    def build_up(self, digit=7, seed=0, max_channels=16):
        """The cGAN's stages for ``digit``, 7x7 feature maps up to the 28x28 image.

        Returns:
            A list of `Panel`, one per ``stage_*`` layer, the last one the image itself.
        """
        return [
            feature_map_panel(name, maps, max_channels)
            for name, maps in self.cgan.feature_maps(digit, seed=seed).items()
        ]

    def trajectory(self, digit=7, seed=0, steps=None, guidance=None, columns=TRAJECTORY_COLUMNS):
        """The DDIM's denoising of ``digit``: the noisy x_t and its predicted clean x_0, step by step.

        Returns:
            ``(noisy, predicted)``: two lists of `columns` `Panel` (captions "t=499" ...
            "result"), from pure noise to the finished digit.

        Raises:
            ValueError: no DDIM, or bad digit, steps or guidance.
        """
        from digitkit import diffusion
        from digitkit.apps.advanced import ddim_steps

        if self.ddim is None:
            raise ValueError("This app has no DDIM to show a trajectory. Received: ddim=None")
        (digit,) = parse_digits([digit])
        steps = ddim_steps() if steps is None else steps
        guidance = diffusion.GUIDANCE if guidance is None else guidance
        _, path = self.ddim.sample([int(digit)], steps=steps, guidance=guidance, seed=seed, return_trajectory=True)
        n = len(path["t"])
        keep = np.unique(np.round(np.linspace(0, n - 1, min(n, columns))).astype(int))
        captions = [f"t={t}" if t >= 0 else "result" for t in path["t"][keep]]
        noisy = [Panel(c, path["x_t"][i, 0]) for c, i in zip(captions, keep)]
        predicted = [Panel(c, path["x0"][i, 0]) for c, i in zip(captions, keep)]
        return noisy, predicted

    def widget(self, fill=True):
        """The Visualize view (``fill``: draw digit 7 now; see `digitkit.apps.views.fill_view`).

        CSS classes: ``dk-visualize-digit``, ``dk-visualize-seed``,
        ``dk-visualize-button``, ``dk-visualize-layers``, ``dk-visualize-trajectory`` (x_t),
        ``dk-visualize-x0`` (predicted x_0), ``dk-message``.
        """
        import ipywidgets as w

        from digitkit.apps.views import ImageRow, Message, fill_view

        digit = w.Dropdown(options=list(range(10)), value=7, description="digit")
        seed = w.IntText(value=0, description="seed")
        button = w.Button(description="Visualize", button_style="primary")
        layers = ImageRow("dk-visualize-layers", size=120)
        noisy = ImageRow("dk-visualize-trajectory")
        predicted = ImageRow("dk-visualize-x0")
        message = Message()
        for widget, name in [(digit, "digit"), (seed, "seed"), (button, "button")]:
            widget.add_class(f"dk-visualize-{name}")

        def show(_=None):
            panels = message.run(lambda: self.build_up(digit.value, seed.value))
            if panels is not None:
                layers.show([p.image for p in panels], [p.caption for p in panels])
            if self.ddim is None:
                return
            found = message.run(lambda: self.trajectory(digit.value, seed.value))
            if found is not None:
                for row, row_panels in zip((noisy, predicted), found):
                    row.show([p.image for p in row_panels], [p.caption for p in row_panels])

        button.on_click(show)
        digit.observe(show, names="value")
        parts = [
            w.HBox([digit, seed, button]),
            message.widget,
            w.HTML("<b>The cGAN, layer by layer</b>: from 7x7 feature maps to the 28x28 digit"),
            layers.widget,
        ]
        if self.ddim is not None:
            parts += [
                w.HTML("<b>The DDIM, step by step</b>: the noisy image x_t ..."),
                noisy.widget,
                w.HTML("... and the clean digit it predicts from it"),
                predicted.widget,
            ]
        return fill_view(w.VBox(parts), show, fill)

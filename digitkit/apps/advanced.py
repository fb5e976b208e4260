"""The Advanced app: type digits and the conditional GAN (or the DDIM) draws them; Generate Mixed.

Taught in notebooks/03_conditional_gan.ipynb; also the Studio's Advanced tab.
"""

import numpy as np

from digitkit import viz
from digitkit.data import parse_digits

MODELS = ("cGAN", "DDIM")
"""The generators the Advanced page offers."""
SOLVERS = (("DDIM", "ddim"), ("DPM-Solver++(2M)", "dpm++2m"))
"""The DDIM's samplers the page offers, as (label, `DiffusionModel.sample`'s ``solver``)."""
DEFAULT_DIGITS = "646775"


def ddim_steps():
    """The DDIM's default number of sampling steps, `digitkit.diffusion.STEPS`."""
    from digitkit import diffusion

    return diffusion.STEPS


class AdvancedApp:
    """The earlier app's "Advanced" page: type digits, Generate, Generate Mixed, Visualize.

    Every button is a method (`images`, `mixed_images`, and the figures
    `generate`, `mix`, `visualize`) the notebook can call without a browser;
    `widget()` wires them to ipywidgets.

    Args:
        model: the conditional GAN (``load_pretrained("cgan")``).
        ddim: the diffusion model (``load_pretrained("ddim")``), or None to offer the cGAN only.
            Mixing always uses the cGAN: its condition is a label vector that can be
            blended; the DDIM's is a class index.
    """

    def __init__(self, model, ddim=None):
        self.model = model
        self.ddim = ddim

    def images(self, digits=DEFAULT_DIGITS, seed=0, model="cGAN", steps=None, guidance=None, solver="ddim"):
        """The typed digits, drawn: float32 (len(digits), 28, 28) in [0, 1].

        Args:
            digits: e.g. "646775" (anything `digitkit.data.parse_digits` takes).
            seed: same seed, same pixels.
            model: "cGAN" or "DDIM".
            steps, guidance: the DDIM's sampling steps (default `ddim_steps`) and guidance
                (default `digitkit.diffusion.GUIDANCE`); the cGAN ignores them.
            solver: the DDIM's sampler, ``"ddim"`` or ``"dpm++2m"`` (second order: as legible in
                about half the steps; see `digitkit.sampler.SOLVERS`); the cGAN ignores it.

        Raises:
            ValueError: bad digits ("12a"), an unknown model, or bad DDIM settings.
        """
        parse_digits(digits)
        if model == "cGAN":
            return self.model.generate(digits, seed=seed)
        if model == "DDIM" and self.ddim is not None:
            from digitkit import diffusion

            guidance = diffusion.GUIDANCE if guidance is None else guidance
            steps = ddim_steps() if steps is None else steps
            return self.ddim.sample(digits, steps=steps, guidance=guidance, seed=seed, solver=solver)
        offered = MODELS if self.ddim is not None else MODELS[:1]
        raise ValueError(f"model must be one of {', '.join(offered)}. Received: model={model!r}")

    def mixed_images(self, a=3, b=8, weight=0.5, seed=0):
        """What Generate Mixed shows: pure ``a``, the blend ``(1 - weight)·a + weight·b``, pure ``b`` (3, 28, 28)."""
        return np.concatenate([self.model.generate_mixed(a, b, w, seed=seed) for w in (0.0, weight, 1.0)])

    def generate(self, digits=DEFAULT_DIGITS, seed=0):
        """What Generate shows, as a figure: each requested digit with its drawing below."""
        digits = parse_digits(digits)
        return viz.image_grid(
            self.images(digits, seed=seed), titles=[str(d) for d in digits], ncols=min(len(digits), 10), size=1.0
        )

    def mix(self, a=3, b=8, weight=0.5, seed=0):
        """What Generate Mixed shows, as a figure: pure ``a``, the blend, pure ``b``."""
        return viz.image_grid(
            self.mixed_images(a, b, weight, seed), titles=mix_captions(a, b, weight), ncols=3, size=1.4
        )

    def visualize(self, digit=7, seed=0):
        """The generator's feature maps for one digit (a figure)."""
        return self.model.visualize(digit, seed=seed)

    def widget(self, fill=True):
        """The Advanced view (``fill``: draw the default digits now; see `digitkit.apps.views.fill_view`).

        CSS classes (for tests and style):

        ``dk-advanced-digits`` (the Text box), ``dk-advanced-model`` (cGAN / DDIM),
        ``dk-advanced-steps``, ``dk-advanced-guidance``, ``dk-advanced-solver`` (DDIM only), ``dk-advanced-seed``,
        ``dk-advanced-generate``, ``dk-advanced-images`` (one ``dk-image`` per digit),
        ``dk-advanced-a``, ``dk-advanced-b``, ``dk-advanced-blend``, ``dk-advanced-mixed`` (the
        Generate Mixed button), ``dk-advanced-mixed-images``, ``dk-message``.
        """
        import ipywidgets as w

        from digitkit import diffusion
        from digitkit.apps.views import ImageRow, Message, fill_view

        text = w.Text(value=DEFAULT_DIGITS, description="digits", continuous_update=False)
        model = w.ToggleButtons(
            options=list(MODELS if self.ddim is not None else MODELS[:1]), value="cGAN", description="model"
        )
        steps = w.IntSlider(value=ddim_steps(), min=1, max=100, description="steps", continuous_update=False)
        guidance = w.FloatSlider(
            value=diffusion.GUIDANCE, min=0.0, max=4.0, step=0.05, description="guidance", continuous_update=False
        )
        solver = w.ToggleButtons(options=list(SOLVERS), value="ddim", description="sampler")
        seed = w.IntText(value=0, description="seed")
        generate = w.Button(description="Generate", button_style="primary")
        images = ImageRow("dk-advanced-images")
        a = w.Dropdown(options=list(range(10)), value=3, description="mix")
        b = w.Dropdown(options=list(range(10)), value=8, description="with")
        weight = w.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="blend", continuous_update=False)
        mixed = w.Button(description="Generate Mixed")
        mixed_images = ImageRow("dk-advanced-mixed-images")
        message = Message()
        ddim_box = w.VBox([w.HBox([steps, guidance]), solver])
        for widget, name in [
            (text, "digits"),
            (model, "model"),
            (steps, "steps"),
            (guidance, "guidance"),
            (solver, "solver"),
            (seed, "seed"),
            (generate, "generate"),
            (a, "a"),
            (b, "b"),
            (weight, "blend"),
            (mixed, "mixed"),
        ]:
            widget.add_class(f"dk-advanced-{name}")

        def show(_=None):
            found = message.run(
                lambda: self.images(text.value, seed.value, model.value, steps.value, guidance.value, solver.value)
            )
            if found is None:
                images.clear()
            else:
                images.show(found, list(text.value.strip()))
            ddim_box.layout.display = "flex" if model.value == "DDIM" else "none"

        def show_mixed(_=None):
            found = message.run(lambda: self.mixed_images(a.value, b.value, weight.value, seed.value))
            if found is not None:
                mixed_images.show(found, mix_captions(a.value, b.value, weight.value))

        generate.on_click(show)
        text.observe(show, names="value")  # Enter in the box
        model.observe(show, names="value")
        mixed.on_click(show_mixed)
        weight.observe(show_mixed, names="value")
        note = w.HTML(
            "<small>Generate Mixed blends the cGAN's labels (the DDIM's condition is a class, "
            "it cannot be blended), with the seed above.</small>"
        )
        view = w.VBox(
            [
                w.HBox([text, generate]),
                model,
                ddim_box,
                seed,
                message.widget,
                images.widget,
                w.HTML("<b>Generate Mixed</b>: one noise, the labels of two digits blended"),
                w.HBox([a, b]),
                w.HBox([weight, mixed]),
                note,
                mixed_images.widget,
            ]
        )
        return fill_view(view, lambda: (show(), show_mixed()), fill)


def mix_captions(a, b, weight):
    """The captions under Generate Mixed's three images."""
    return [str(a), f"{1 - weight:.2f}·{a} + {weight:.2f}·{b}", str(b)]

"""The diffusion notebook's apps: the forward-process slider, the sampler's sliders, the Advanced box.

Taught in notebooks/04_diffusion.ipynb.
"""

from digitkit import diffusion
from digitkit.data import parse_digits


class DiffusionApp:
    """The notebook's sliders and the "Advanced" text box, backed by a `DiffusionModel`.

    Every widget action is a method (`forward`, `draw`, `generate`) that the
    notebook, and a test, can call without a browser; the ``*_widget`` methods
    wire them to ipywidgets.

    Args:
        model: a trained `DiffusionModel` (e.g. ``load_pretrained("ddim")``).
        image: the clean digit the forward-process slider noises.
    """

    def __init__(self, model, image):
        self.model, self.image = model, image

    def forward(self, t, seed=0):
        """What the forward slider shows: the digit at step ``t``."""
        from digitkit.viz import forward_images, image_grid

        x_t = forward_images(self.model, self.image, [0, t], seed)
        return image_grid(x_t, titles=["x_0", f"x_{t} (ᾱ={self.model.alpha_bar[t]:.3f})"], ncols=2, size=1.6)

    def draw(
        self,
        digits="0123456789",
        steps=20,
        guidance=diffusion.GUIDANCE,
        eta=0.0,
        seed=0,
        guidance_interval=diffusion.GUIDANCE_INTERVAL,
    ):
        """What the sampler's sliders show: the digits drawn with those settings."""
        from digitkit.viz import image_grid

        images = self.model.sample(
            digits, steps=steps, guidance=guidance, eta=eta, seed=seed, guidance_interval=guidance_interval
        )
        low, high = guidance_interval
        return image_grid(
            images,
            titles=list(str(d) for d in parse_digits(digits)),
            ncols=10,
            suptitle=f"{steps} steps, guidance {guidance:g} at noise levels {low:g}-{high:g}, eta {eta:g}",
        )

    def generate(self, digits="646775", seed=0, steps=20, guidance=diffusion.GUIDANCE):
        """What the "Advanced" text box's Generate shows: each typed digit, drawn."""
        from digitkit.viz import image_grid

        images = self.model.sample(digits, steps=steps, guidance=guidance, seed=seed)
        return image_grid(images, titles=list(str(d) for d in parse_digits(digits)), ncols=len(images), size=1.2)

    @staticmethod
    def _output(make):
        from digitkit.viz import output_area

        out, show = output_area()
        return out, lambda *_: show(make)

    def forward_widget(self):
        """A slider over t showing the noised digit."""
        import ipywidgets as w

        t = w.IntSlider(
            value=100, min=0, max=self.model.timesteps - 1, step=10, description="t", continuous_update=False
        )
        out, show = self._output(lambda: self.forward(t.value))
        t.observe(show, names="value")
        show()
        return w.VBox([t, out])

    def sampler_widget(self):
        """Sliders for steps, guidance, the noise levels guidance acts at, eta and the seed."""
        import ipywidgets as w

        steps = w.IntSlider(value=20, min=1, max=100, description="steps", continuous_update=False)
        guidance = w.FloatSlider(
            value=diffusion.GUIDANCE, min=0.0, max=4.0, step=0.05, description="guidance", continuous_update=False
        )
        interval = w.FloatRangeSlider(
            value=diffusion.GUIDANCE_INTERVAL,
            min=0.0,
            max=1.0,
            step=0.05,
            description="guided noise",
            continuous_update=False,
        )
        eta = w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1, description="eta", continuous_update=False)
        seed = w.IntText(value=0, description="seed")
        out, show = self._output(
            lambda: self.draw(
                steps=steps.value,
                guidance=guidance.value,
                eta=eta.value,
                seed=seed.value,
                guidance_interval=interval.value,
            )
        )
        for control in (steps, guidance, interval, eta, seed):
            control.observe(show, names="value")
        show()
        return w.VBox([w.HBox([steps, guidance]), w.HBox([interval, eta]), seed, out])

    def advanced_widget(self):
        """The earlier app's "Advanced" page: type digits, press Generate."""
        import ipywidgets as w

        text = w.Text(value="646775", description="digits")
        seed = w.IntText(value=0, description="seed")
        button = w.Button(description="Generate", button_style="primary")
        out, show = self._output(lambda: self.generate(text.value, seed.value))
        button.on_click(show)
        show()
        return w.VBox([w.HBox([text, seed, button]), out])

"""The Advanced app: type digits and the conditional GAN draws them; Generate Mixed; Visualize.

Taught in notebooks/03_conditional_gan.ipynb.
"""

import numpy as np

from digitkit import viz
from digitkit.data import parse_digits


class AdvancedApp:
    """The earlier app's "Advanced" page: type digits, Generate, Generate Mixed, Visualize.

    Every button is a method (`generate`, `mix`, `visualize`) the notebook can
    call without a browser; `widget()` wires them to ipywidgets.
    """

    def __init__(self, model):
        self.model = model

    def generate(self, digits="646775", seed=0):
        """What Generate shows: each requested digit with its drawing below."""
        digits = parse_digits(digits)
        return viz.image_grid(self.model.generate(digits, seed=seed), titles=[str(d) for d in digits],
                              ncols=min(len(digits), 10), size=1.0)

    def mix(self, a=3, b=8, weight=0.5, seed=0):
        """What Generate Mixed shows: pure ``a``, the blend, pure ``b``."""
        images = np.concatenate([self.model.generate_mixed(a, b, w, seed=seed) for w in (0.0, weight, 1.0)])
        return viz.image_grid(images, titles=[str(a), f"{1 - weight:.2f}·{a} + {weight:.2f}·{b}", str(b)],
                              ncols=3, size=1.4)

    def visualize(self, digit=7, seed=0):
        """What Visualize shows: the generator's feature maps for one digit."""
        return self.model.visualize(digit, seed=seed)

    def widget(self):
        """The ipywidgets app (display it in a notebook)."""
        import ipywidgets as w

        text = w.Text(value="646775", description="digits")
        seed = w.IntText(value=0, description="seed")
        generate = w.Button(description="Generate", button_style="primary")
        a = w.Dropdown(options=list(range(10)), value=3, description="mix")
        b = w.Dropdown(options=list(range(10)), value=8, description="with")
        weight = w.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="blend")
        mixed = w.Button(description="Generate Mixed")
        digit = w.Dropdown(options=list(range(10)), value=7, description="digit")
        visualize = w.Button(description="Visualize")
        out, show = viz.output_area()

        generate.on_click(lambda _: show(lambda: self.generate(text.value, seed.value)))
        mixed.on_click(lambda _: show(lambda: self.mix(a.value, b.value, weight.value, seed.value)))
        weight.observe(lambda _: show(lambda: self.mix(a.value, b.value, weight.value, seed.value)), names="value")
        visualize.on_click(lambda _: show(lambda: self.visualize(digit.value, seed.value)))
        return w.VBox([w.HBox([text, seed, generate]), w.HBox([a, b, weight, mixed]),
                       w.HBox([digit, visualize]), out])

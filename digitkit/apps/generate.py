"""The Generate app (random digits from the basic GAN) and the GAN failure-mode lab's panel.

Taught in notebooks/02_gan.ipynb.
"""

import numpy as np

from digitkit import diagnostics, gan, lab, viz


class GenerateApp:
    """The earlier app's Generate page: how many digits, a seed, Generate; and a latent walk.

    Every action is a method (`images`, `generate`, `walk_images`, `walk`) that
    the notebook can call without a browser; `widget()` wires them to ipywidgets
    (PNG images, no matplotlib, so a server with many visitors stays light).

    Args:
        gan: a trained `GAN` (e.g. ``digitkit.load_pretrained("gan")``).
        n: digits per press of Generate (the count box's start value).
    """

    MAX_DIGITS = 100

    def __init__(self, gan, n=20):
        self.gan = gan
        self.n = n

    def images(self, n=None, seed=0):
        """``n`` digits (default ``self.n``) from ``seed``: float32 (n, 28, 28) in [0, 1]; same seed, same pixels."""
        n = self.n if n is None else n
        if isinstance(n, bool) or int(n) != n or not 1 <= n <= self.MAX_DIGITS:
            raise ValueError(f"How many digits: a whole number from 1 to {self.MAX_DIGITS}. Received: n={n!r}")
        return self.gan.generate(int(n), seed=seed)

    def generate(self, seed=0, n=None):
        """The figure Generate shows: ``n`` digits from ``seed``."""
        return viz.image_grid(self.images(n, seed), ncols=10, size=0.8, suptitle=f"seed {seed}")

    def walk_images(self, seed_a=0, seed_b=1, t=0.5, steps=9):
        """The latent walk from seed_a to seed_b (steps images), then the digit at position ``t``."""
        strip = self.gan.latent_walk(seed_a, seed_b, steps)
        a, b = self.gan.noise(1, seed_a), self.gan.noise(1, seed_b)
        return np.concatenate([strip, self.gan.generate_from_noise((1 - t) * a + t * b)])

    def walk(self, seed_a=0, seed_b=1, t=0.5, steps=9):
        """The latent walk as a figure: the strip from seed_a to seed_b, and the digit at ``t``."""
        titles = [f"{s:.2f}" for s in np.linspace(0, 1, steps)] + [f"t={t:.2f}"]
        return viz.image_grid(self.walk_images(seed_a, seed_b, t, steps), titles=titles, ncols=steps + 1, size=0.9)

    def widget(self, fill=True):
        """The Generate view: count, seed, Generate, the digits; seed to walk to and the walk slider.

        ``fill``: draw the first digits now (see `digitkit.apps.views.fill_view`).

        CSS classes: ``dk-generate-count``, ``dk-generate-seed``, ``dk-generate-button``,
        ``dk-generate-images`` (one PNG of all digits), ``dk-generate-walk``, ``dk-message``.
        """
        import ipywidgets as w

        from digitkit.apps.views import Message, fill_view, tile_png

        count = w.BoundedIntText(value=self.n, min=1, max=self.MAX_DIGITS, description="how many")
        seed = w.IntText(value=0, description="seed")
        button = w.Button(description="Generate", button_style="primary")
        picture = w.Image(format="png")
        seed_b = w.IntText(value=1, description="walk to seed")
        t = w.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="walk")
        walk = w.Image(format="png")
        message = Message()
        for widget, name in [
            (count, "count"),
            (seed, "seed"),
            (button, "button"),
            (picture, "images"),
            (t, "walk-slider"),
            (walk, "walk"),
        ]:
            widget.add_class(f"dk-generate-{name}")

        def generate(_=None):
            images = message.run(lambda: self.images(count.value, seed.value))
            if images is not None:
                picture.value = tile_png(images, ncols=10)

        def move(_=None):
            images = message.run(lambda: self.walk_images(seed.value, seed_b.value, t.value))
            if images is not None:
                walk.value = tile_png(images, ncols=len(images))

        button.on_click(generate)
        t.observe(move, names="value")
        view = w.VBox(
            [
                w.HBox([count, seed, button]),
                message.widget,
                picture,
                w.HTML("<b>Latent walk</b>: the digits between two seeds' noise"),
                w.HBox([seed_b, t]),
                walk,
            ]
        )
        return fill_view(view, lambda: (generate(), move()), fill)


class TrainLab:
    """Knob sliders and a Train button: a short run compared with the recorded healthy one.

    `train(**knobs)` is what the button does; the notebook calls it once.

    Args:
        reference: ``{name: history}`` drawn beside the learner's run (e.g.
            the recorded healthy run from `digitkit.runs.load_runs`).
        n_images, epochs: size of the learner's run.
    """

    def __init__(self, reference=None, n_images=10000, epochs=5, n_samples=500):
        self.reference = reference or {}
        self.n_images = n_images
        self.epochs = epochs
        self.n_samples = n_samples
        self.last = None

    def train(self, **knobs):
        """Run a short GAN with these knobs; returns the diagnostics beside the reference."""
        model, history = lab.lab_run(knobs, n_images=self.n_images, epochs=self.epochs, n_samples=self.n_samples)
        self.last = (model, history)
        return diagnostics.plot_diagnostics({**self.reference, "yours": history}, samples=model.generate(25, seed=0))

    def widget(self):
        """The ipywidgets panel (display it in a notebook)."""
        import ipywidgets as w
        from IPython.display import display

        log = dict(continuous_update=False, readout_format=".0e")
        d_lr = w.FloatLogSlider(value=2e-4, base=10, min=-5, max=-2, description="D lr", **log)
        g_lr = w.FloatLogSlider(value=2e-4, base=10, min=-5, max=-2, description="G lr", **log)
        d_steps = w.IntSlider(value=1, min=1, max=5, description="D steps")
        smooth = w.FloatSlider(value=0.0, min=0.0, max=0.3, step=0.05, description="smoothing")
        loss = w.Dropdown(options=gan.GENERATOR_LOSSES, description="G loss")
        latent = w.IntSlider(value=64, min=2, max=128, description="latent")
        button = w.Button(description="Train", button_style="primary")
        out = w.Output()

        def run(_):
            out.clear_output()
            with out:
                print("training...")
                figure = self.train(
                    d_learning_rate=d_lr.value,
                    g_learning_rate=g_lr.value,
                    d_steps=d_steps.value,
                    label_smoothing=smooth.value,
                    generator_loss=loss.value,
                    latent_dim=latent.value,
                )
                out.clear_output(wait=True)
                display(figure)

        button.on_click(run)
        return w.VBox([w.HBox([d_lr, g_lr, d_steps]), w.HBox([smooth, loss, latent]), button, out])

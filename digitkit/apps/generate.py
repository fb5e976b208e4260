"""The Generate app (random digits from the basic GAN) and the GAN failure-mode lab's panel.

Taught in notebooks/02_gan.ipynb.
"""

import numpy as np

from digitkit import gan, viz


class GenerateApp:
    """The earlier app's Generate button, a seed box and a latent-walk slider.

    Every action is a method (`generate`, `walk`) that the notebook can call
    without a browser; `widget()` wires them to ipywidgets.

    Args:
        gan: a trained `GAN` (e.g. ``digitkit.load_pretrained("gan")``).
        n: digits per press of Generate.
    """

    def __init__(self, gan, n=20):
        self.gan = gan
        self.n = n

    def generate(self, seed=0):
        """The figure Generate shows: ``n`` digits from ``seed``."""
        return viz.image_grid(self.gan.generate(self.n, seed=seed), ncols=10, size=0.8,
                              suptitle=f"seed {seed}")

    def walk(self, seed_a=0, seed_b=1, t=0.5, steps=9):
        """The latent walk: the strip from seed_a to seed_b, and the digit at position ``t``."""
        strip = self.gan.latent_walk(seed_a, seed_b, steps)
        a, b = self.gan.noise(1, seed_a), self.gan.noise(1, seed_b)
        here = self.gan.generate_from_noise((1 - t) * a + t * b)
        titles = [f"{s:.2f}" for s in np.linspace(0, 1, steps)] + [f"t={t:.2f}"]
        return viz.image_grid(np.concatenate([strip, here]), titles=titles, ncols=steps + 1, size=0.9)

    def widget(self):
        """The ipywidgets app (display it in a notebook)."""
        import ipywidgets as w

        seed = w.IntText(value=0, description="seed")
        button = w.Button(description="Generate", button_style="primary")
        seed_b = w.IntText(value=1, description="to seed")
        t = w.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="walk")
        out, show = viz.output_area()

        button.on_click(lambda _: show(lambda: self.generate(seed.value)))
        t.observe(lambda _: show(lambda: self.walk(seed.value, seed_b.value, t.value)), names="value")
        return w.VBox([w.HBox([seed, button]), w.HBox([seed_b, t]), out])


class TrainLab:
    """Knob sliders and a Train button: a short run compared with the recorded healthy one.

    `train(**knobs)` is what the button does; the notebook calls it once.

    Args:
        reference: ``{name: history}`` drawn beside the learner's run (e.g.
            the recorded healthy run from `load_runs`).
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
        model, history, _ = gan.lab_run(knobs, n_images=self.n_images, epochs=self.epochs, n_samples=self.n_samples)
        self.last = (model, history)
        return gan.plot_diagnostics({**self.reference, "yours": history}, samples=model.generate(25, seed=0))

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
                figure = self.train(d_learning_rate=d_lr.value, g_learning_rate=g_lr.value,
                                    d_steps=d_steps.value, label_smoothing=smooth.value,
                                    generator_loss=loss.value, latent_dim=latent.value)
                out.clear_output(wait=True)
                display(figure)

        button.on_click(run)
        return w.VBox([w.HBox([d_lr, g_lr, d_steps]), w.HBox([smooth, loss, latent]), button, out])

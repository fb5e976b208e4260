"""Digit Studio: the four apps of the course in one page of tabs, for a notebook or a whole room.

    from digitkit.apps import Studio
    Studio().widget()            # in a notebook (JupyterLab, Colab)
    digitkit app                 # served: http://127.0.0.1:8866, one process for every visitor

The tabs:

- **Identify**: draw a digit; the 28x28 image the models see, the dense
  classifier's and the judge's probabilities side by side, the answer as a
  sentence ("I think it is an 8").
- **Generate**: the basic GAN draws how many digits you ask for, from a seed.
- **Advanced**: type digits ("646775"); the cGAN or the DDIM (steps, guidance)
  draws them; Generate Mixed blends two digits' labels in the cGAN.
- **Visualize**: the cGAN building a digit layer by layer, and the DDIM
  denoising the same digit step by step.

The models are loaded once per process (`digitkit.apps.models.load_models`);
each `widget()` call builds a fresh page of widgets, which is all a visitor
adds. A tab is built, and draws its first pictures, when it is first opened.

DOM hooks (CSS classes, for browser tests and styling)
-------------------------------------------------------
Tab titles: "Identify", "Generate", "Advanced", "Visualize"; the Tab has ``dk-studio``.

- Identify: ``dk-canvas`` (the drawing canvas; its <canvas> element inside),
  ``dk-identify-answer`` (the sentence: "I think it is a 1 (98% sure)", or
  "Draw a digit"), ``dk-identify-image`` (the 28x28 view), ``dk-identify-chart``
  and ``dk-identify-judge-chart`` (HTML bars; each bar ``dk-bar`` with
  ``data-digit`` and ``data-p``).
- Generate: ``dk-generate-count``, ``dk-generate-seed``, ``dk-generate-button``,
  ``dk-generate-images`` (one PNG of all digits), ``dk-generate-walk-slider``,
  ``dk-generate-walk``.
- Advanced: ``dk-advanced-digits`` (Text input), ``dk-advanced-model``
  (cGAN / DDIM toggle), ``dk-advanced-steps``, ``dk-advanced-guidance``,
  ``dk-advanced-seed``, ``dk-advanced-generate``, ``dk-advanced-images`` (one
  ``dk-image`` per digit, a ``dk-caption`` under each), ``dk-advanced-a``,
  ``dk-advanced-b``, ``dk-advanced-blend``, ``dk-advanced-mixed`` (the Generate
  Mixed button), ``dk-advanced-mixed-images`` (three ``dk-image``).
- Visualize: ``dk-visualize-digit``, ``dk-visualize-seed``,
  ``dk-visualize-button``, ``dk-visualize-layers`` (one ``dk-image`` per cGAN
  stage), ``dk-visualize-trajectory`` (the DDIM's x_t) and ``dk-visualize-x0``
  (its predicted x_0).
- Every tab: ``dk-message`` (bad input, e.g. "digits must be ... Received:
  digits='12a'"; empty when all is well).
"""

from digitkit.apps.advanced import AdvancedApp
from digitkit.apps.generate import GenerateApp
from digitkit.apps.identify import IdentifyApp
from digitkit.apps.visualize import VisualizeApp

TABS = ("Identify", "Generate", "Advanced", "Visualize")


class Studio:
    """The four apps side by side in tabs.

    Args:
        models: a `digitkit.apps.models.Models` (default: `load_models()`,
            the pretrained ones, loaded once per process).

    Attributes:
        identify, generate, advanced, visualize: the apps (logic only, shared
            by every page `widget` builds).
    """

    def __init__(self, models=None):
        if models is None:
            from digitkit.apps.models import load_models

            models = load_models()
        self.models = models
        self.identify = IdentifyApp(models.dense, models.judge)
        self.generate = GenerateApp(models.gan, n=20)
        self.advanced = AdvancedApp(models.cgan, models.ddim)
        self.visualize = VisualizeApp(models.cgan, models.ddim)

    def widget(self):
        """A new page: an `ipywidgets.Tab` with one view per app (CSS class ``dk-studio``).

        Only Identify is built at once; each other tab builds its view (and
        draws its first pictures) when first opened, so a page load costs the
        server few widgets and no generator call.
        """
        import ipywidgets

        builders = [None, self.generate.widget, self.advanced.widget, self.visualize.widget]
        slots = [self.identify.widget()] + [ipywidgets.VBox() for _ in builders[1:]]
        tab = ipywidgets.Tab(children=slots, titles=TABS)
        tab.add_class("dk-studio")

        def on_select(change):
            index = change["new"]
            if index is not None and builders[index] is not None:
                build, builders[index] = builders[index], None
                slots[index].children = [build()]

        tab.observe(on_select, names="selected_index")
        return tab

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget())

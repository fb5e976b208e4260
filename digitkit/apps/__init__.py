"""Every interactive app of the course, one shape for all, and the Studio that puts them in tabs.

An app's logic is plain methods that take values and return arrays, results or
matplotlib Figures (testable without a browser); its ``widget()`` builds the
ipywidgets view. The notebooks show the same apps; ``digitkit app`` serves
the `Studio` (see `digitkit.apps.serve`).

    from digitkit.apps import IdentifyApp, GenerateApp, AdvancedApp, VisualizeApp, DiffusionApp, Studio
"""

from digitkit.apps.advanced import AdvancedApp
from digitkit.apps.diffusion import DiffusionApp
from digitkit.apps.generate import GenerateApp, TrainLab
from digitkit.apps.identify import Identification, IdentifyApp, IdentifyView, make_identify_app
from digitkit.apps.studio import Studio
from digitkit.apps.visualize import VisualizeApp

__all__ = [
    "AdvancedApp",
    "DiffusionApp",
    "GenerateApp",
    "Identification",
    "IdentifyApp",
    "IdentifyView",
    "Studio",
    "TrainLab",
    "VisualizeApp",
    "make_identify_app",
]

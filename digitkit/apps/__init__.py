"""Every interactive app of the course, one shape for all.

An app's logic is plain methods that take values and return arrays, results or
matplotlib Figures (testable without a browser); its ``widget()`` builds the
ipywidgets view. The notebooks show the same apps.

    from digitkit.apps import IdentifyApp, GenerateApp, AdvancedApp, DiffusionApp
"""

from digitkit.apps.advanced import AdvancedApp
from digitkit.apps.diffusion import DiffusionApp
from digitkit.apps.generate import GenerateApp, TrainLab
from digitkit.apps.identify import Identification, IdentifyApp, make_identify_app

__all__ = ["AdvancedApp", "DiffusionApp", "GenerateApp", "Identification", "IdentifyApp", "TrainLab",
           "make_identify_app"]

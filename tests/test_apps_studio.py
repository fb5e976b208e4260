"""The Studio (four tabs), the shared models, and the server module (no browser; see serve_checks.py)."""

import pathlib
import subprocess
import sys

import ipywidgets
import pytest

from digitkit.apps import Studio
from digitkit.apps.models import MODEL_NAMES, load_models
from digitkit.apps.studio import TABS


@pytest.fixture(scope="module")
def models():
    return load_models()


def _find_all(widget, css):
    found, stack = [], [widget]
    while stack:
        w = stack.pop()
        if css in getattr(w, "_dom_classes", ()):
            found.append(w)
        stack.extend(getattr(w, "children", ()))
    return found


def test_models_load_once_per_process(models):
    assert load_models() is models and Studio().models is models
    assert models._fields == MODEL_NAMES
    assert Studio().identify.model is models.dense and Studio().advanced.ddim is models.ddim


def test_studio_has_four_tabs_built_when_first_opened(models):
    studio = Studio(models)
    tab = studio.widget()
    assert isinstance(tab, ipywidgets.Tab) and tab.titles == TABS == ("Identify", "Generate", "Advanced", "Visualize")
    assert "dk-studio" in tab._dom_classes
    assert _find_all(tab, "dk-canvas") and not _find_all(tab, "dk-advanced-digits")  # only Identify so far
    tab.selected_index = 2
    assert len(_find_all(tab, "dk-advanced-images")[0].children) == 6  # "646775", drawn on opening
    tab.selected_index = 1
    assert _find_all(tab, "dk-generate-images")[0].value
    tab.selected_index = 3
    assert len(_find_all(tab, "dk-visualize-layers")[0].children) == 3
    tab.selected_index = 2
    assert len(_find_all(tab, "dk-advanced-digits")) == 1  # not built twice
    other = studio.widget()  # every visitor gets their own widgets, the same apps
    assert other is not tab and other.children[0] is not tab.children[0]
    assert other.children[0].app is tab.children[0].app


def test_studio_shows_its_errors_in_the_page(models):
    tab = Studio(models).widget()
    tab.selected_index = 2
    _find_all(tab, "dk-advanced-digits")[0].value = "12a"
    assert any("12a" in m.value for m in _find_all(tab, "dk-message"))
    assert "Draw a digit" in _find_all(tab, "dk-identify-answer")[0].value


def test_the_server_module_in_a_fresh_interpreter():
    # Solara's server patches IPython's display machinery for the whole process (as a server
    # of many visitors must), which would break every later ipywidgets Output in this test
    # run: its checks (tests/serve_checks.py) run in a Python of their own.
    checks = pathlib.Path(__file__).with_name("serve_checks.py")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", str(checks)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=checks.parent.parent,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout and "failed" not in done.stdout

"""The Studio (four tabs), the shared models, and the server module (no browser: its ASGI app in-process)."""

import asyncio
import gzip

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


def _get(app, path, headers=()):
    """One GET through an ASGI app; returns (status, headers dict, body)."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 8866),
        "client": ("127.0.0.1", 5000),
        "root_path": "",
    }
    start, parts = {}, []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            start.update(message)
        else:
            parts.append(message.get("body", b""))

    asyncio.run(app(scope, receive, send))
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, b"".join(parts)


def test_static_files_are_compressed_once_and_cached():
    from digitkit.apps.serve import PrecompressedStatic

    calls = []
    body = b"console.log('digit');\n" * 400

    async def files(scope, receive, send):
        calls.append(scope["path"])
        await send(
            {
                "type": "http.response.start",
                "status": 200 if "main" in scope["path"] else 404,
                "headers": [(b"content-type", b"text/javascript"), (b"etag", b"x")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    app = PrecompressedStatic(files)
    for _ in range(3):
        status, headers, data = _get(app, "/static/main.js", [("accept-encoding", "gzip, br")])
        assert status == 200 and headers["content-encoding"] == "gzip" and gzip.decompress(data) == body
        assert headers["cache-control"].startswith("public, max-age=") and int(headers["content-length"]) == len(data)
    status, headers, data = _get(app, "/static/main.js")  # a client without gzip gets the plain bytes
    assert data == body and "content-encoding" not in headers
    assert calls == ["/static/main.js"]  # the file was read and compressed once
    assert _get(app, "/static/missing.js")[0] == 404 and _get(app, "/static/missing.js")[0] == 404
    assert calls.count("/static/missing.js") == 2  # errors are not cached
    _get(app, "/")  # the page itself is not cached
    _get(app, "/")
    assert calls.count("/") == 2


def test_served_app_answers_with_the_page_and_no_telemetry(models):
    from solara.server import settings

    from digitkit.apps import serve

    app = serve.asgi_app()
    assert settings.telemetry.mixpanel_enable is False and settings.kernel.cull_timeout == serve.CULL_TIMEOUT
    status, headers, page = _get(app, "/", [("accept-encoding", "gzip")])
    html = gzip.decompress(page) if headers.get("content-encoding") == "gzip" else page
    assert status == 200 and b"Digit Studio" in html

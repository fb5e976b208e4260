"""Serve the Studio to a room: many visitors, one process, the models loaded once.

``digitkit app`` calls `run`; ``solara run digitkit.apps.serve`` works too
(importing this module puts `SOLARA_ENVIRONMENT` into ``os.environ``, without
overriding what is set there, before it imports Solara; `PrecompressedStatic`
is only in `asgi_app`).

Why Solara's server: it runs every visitor as a light "virtual kernel" in one
Python process, rendering plain ipywidgets and anywidget views (the canvas), so
the models are loaded once and a visitor costs a few MB of widgets. Voilà
starts a Jupyter kernel per visitor: about 1.4 GB and 23 s per page load here.

Settings (see `SOLARA_ENVIRONMENT`): no usage telemetry; a disconnected
visitor's page is dropped after `CULL_TIMEOUT` (Solara's default keeps it
24 h); the front-end files come from the ``solara-assets`` package (so the
page works with no network; its version must match Solara's, hence the pins in
pyproject.toml), and static files are gzipped once per process and then served
from memory with a long cache lifetime (`PrecompressedStatic`), instead of
gzipping ~6 MB again for every page load.
"""

import asyncio
import gzip
import os

CULL_TIMEOUT = "2m"
"""How long the server keeps the page of a visitor whose connection dropped (a reload makes a new one)."""

SOLARA_ENVIRONMENT = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_KERNEL_CULL_TIMEOUT": CULL_TIMEOUT,
    "SOLARA_THEME_TITLE": "Digit Studio",
    "SOLARA_THEME_SHOW_BANNER": "False",
    "SOLARA_THEME_LOADER": "plain",
    "SOLARA_CHECK_HOOKS": "off",
    "SOLARA_APP": "digitkit.apps.serve:Page",
}
"""Environment for Solara, set before it is imported (its settings read the environment at import)."""

STATIC_PREFIXES = ("/static/", "/_solara/cdn/", "/jupyter/nbextensions/", "/_solara/static/")
"""URL paths whose responses never change while the server runs: compressed once, cached by browsers."""


def configure():
    """Put `SOLARA_ENVIRONMENT` into ``os.environ`` (values already set there win)."""
    for key, value in SOLARA_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


class PrecompressedStatic:
    """ASGI middleware: gzip each static file once, then answer from memory.

    Starlette's GZipMiddleware, which Solara installs, compresses every
    response again on every request: ~6 MB of JavaScript, about 0.5 s of server
    CPU per visitor. This middleware keeps the compressed bytes of every GET
    under `STATIC_PREFIXES` (keyed by path and query) and adds
    ``Cache-Control: max-age`` so a reload does not even ask. Everything else
    goes to ``app`` unchanged (the page itself and the websocket are small).

    Args:
        app: the ASGI app (Solara's Starlette app, its own gzip removed).
        fallback: the ASGI app for everything that is not a cached static GET.
        max_age: the browsers' cache lifetime in seconds.
    """

    def __init__(self, app, fallback=None, max_age=3600):
        self.app = app
        self.fallback = fallback or app
        self.max_age = max_age
        self.cache = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "GET" or not scope["path"].startswith(STATIC_PREFIXES):
            await self.fallback(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        wants_gzip = "gzip" in headers.get("accept-encoding", "")
        key = (scope["path"], scope.get("query_string", b""))
        entry = self.cache.get(key)
        if entry is None:
            entry = await self._fetch(scope)
            if entry["status"] == 200:
                self.cache[key] = entry
        body, response_headers = entry["body"], dict(entry["headers"])
        if entry["status"] == 200 and wants_gzip and entry["gzip"] is not None:
            body = entry["gzip"]
            response_headers["content-encoding"] = "gzip"
            response_headers["vary"] = "Accept-Encoding"
        response_headers["content-length"] = str(len(body))
        await send(
            {
                "type": "http.response.start",
                "status": entry["status"],
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response_headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _fetch(self, scope):
        """Run the request through ``app`` once (without conditional headers) and keep the whole answer."""
        plain = [
            (k, v)
            for k, v in scope.get("headers", [])
            if k.lower() not in (b"accept-encoding", b"if-none-match", b"if-modified-since", b"range")
        ]
        inner = dict(scope, headers=plain)
        parts, start = [], {}

        requested = []

        async def receive():
            if not requested:
                requested.append(True)
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # no disconnect: the response task ends, and cancels this wait

        async def send(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(inner, receive, send)
        body = b"".join(parts)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])}
        headers.pop("content-length", None)
        headers.pop("etag", None)
        headers.pop("last-modified", None)
        headers["cache-control"] = f"public, max-age={self.max_age}"
        compressible = len(body) > 1000 and not headers.get("content-type", "").startswith(
            ("image/png", "image/jpeg", "font/woff")
        )
        return {
            "status": start.get("status", 500),
            "headers": headers,
            "body": body,
            "gzip": gzip.compress(body, compresslevel=6, mtime=0) if compressible else None,
        }


def asgi_app():
    """Solara's Starlette app serving the Studio, with `PrecompressedStatic` in place of its per-request gzip."""
    configure()
    from solara.server import settings
    from solara.server.starlette import app
    from starlette.middleware.gzip import GZipMiddleware

    # the same settings again, in case Solara was imported before this module set the environment
    settings.telemetry.mixpanel_enable = os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"].lower() == "true"
    settings.kernel.cull_timeout = os.environ["SOLARA_KERNEL_CULL_TIMEOUT"]
    settings.theme.title = os.environ["SOLARA_THEME_TITLE"]
    settings.theme.show_banner = os.environ["SOLARA_THEME_SHOW_BANNER"].lower() == "true"
    app.user_middleware = [m for m in app.user_middleware if m.cls is not GZipMiddleware]
    return PrecompressedStatic(app, fallback=GZipMiddleware(app, minimum_size=1000))


def run(host="127.0.0.1", port=8866, open_browser=False, log_level="warning"):
    """Load the models, then serve the Studio at http://host:port until Ctrl-C.

    Args:
        host: the address to listen on ("0.0.0.0" for every network interface: a room).
        port: the TCP port.
        open_browser: open the page in the default web browser once the server is up.
        log_level: uvicorn's log level.
    """
    import warnings

    import uvicorn

    from digitkit.apps.models import load_models

    # plain http on a room's network: Solara falls back to samesite=lax cookies, which is what we want
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    print("Loading the models...", flush=True)
    load_models()
    app = asgi_app()
    # no per-message deflate on the websocket: on a room's network the widget messages (a stroke's PNG,
    # a tab's images, ~30 KB of widget state per page) are small, and compressing each one costs server CPU
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, ws_max_size=64 * 1024 * 1024, ws_per_message_deflate=False
    )
    server = uvicorn.Server(config)
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    url = f"http://{shown}:{port}"
    print(
        f"Digit Studio: {url}" + (" (and this machine's address on the network)" if shown != host else ""), flush=True
    )
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    server.run()


configure()  # before Solara is imported: its settings read the environment once

import solara  # noqa: E402


@solara.component
def Page():
    """The Solara page: a new Studio widget for each visitor (the models are shared)."""
    from digitkit.apps.studio import Studio

    view = solara.use_memo(lambda: Studio().widget(), dependencies=[])
    solara.display(view)


@solara.component
def Layout(children=()):
    """A bare page around the Studio: Solara's default AppLayout (title bar, sidebar) costs server CPU per visitor."""
    return solara.Column(children=list(children), style={"padding": "8px"})

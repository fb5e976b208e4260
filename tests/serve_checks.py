"""Checks of the Studio's server module, run by tests/test_apps_studio.py in a fresh interpreter.

Importing Solara's server patches IPython's display machinery for the whole process,
so these checks do not share a process with the other tests (the file name keeps
pytest from collecting it in the main run). Its ASGI app is driven in-process, no browser.
"""

import asyncio
import gzip


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


def test_served_app_answers_with_the_page_and_no_telemetry():
    from solara.server import settings

    from digitkit.apps import serve

    app = serve.asgi_app()
    assert settings.telemetry.mixpanel_enable is False and settings.kernel.cull_timeout == serve.CULL_TIMEOUT
    status, headers, page = _get(app, "/", [("accept-encoding", "gzip")])
    html = gzip.decompress(page) if headers.get("content-encoding") == "gzip" else page
    assert status == 200 and b"Digit Studio" in html

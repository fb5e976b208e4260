"""Helpers for the browser tests (and benchmarks/bench_app.py): a server on a free port, Chromium, strokes.

The browser is Debian's Chromium package (``/usr/bin/chromium``, or ``$DIGITKIT_CHROMIUM``)
driven by Playwright's Python API; Playwright's own browser download is never used.
Everything runs on 127.0.0.1: nothing here touches the network.
"""

import contextlib
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]


def chromium_path():
    """The Chromium binary Playwright drives: ``$DIGITKIT_CHROMIUM``, else ``chromium`` on PATH."""
    path = os.environ.get("DIGITKIT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError(
            "Chromium not found: install Debian's package (apt-get install chromium) "
            "or set DIGITKIT_CHROMIUM to its path."
        )
    return path


def launch_chromium(playwright, **kwargs):
    """A headless Chromium browser (Debian's package, run as root without the sandbox)."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, **kwargs)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def repo_env(**extra):
    """The environment for a server subprocess: this checkout's digitkit first on PYTHONPATH, offline."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.update(extra)
    return env


def wait_until_up(url, process, timeout=180.0):
    """Poll ``url`` until it answers HTTP (any status below 500); fail early if ``process`` dies."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The server exited with code {process.returncode} before answering {url}.")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return
            last = e
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
            last = e
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s (last error: {last}).")


@contextlib.contextmanager
def serve(command, url_path="/", timeout=180.0, log=None, env=None, cpus=None):
    """Run a server subprocess on a free port; yield ``(url, process)``; stop it at the end.

    Args:
        command: a function ``port -> argv list``.
        url_path: the path polled until the server answers.
        timeout: seconds allowed for the server to come up.
        log: a path for the server's stdout/stderr (default: discarded).
        env: environment (default `repo_env`).
        cpus: CPU numbers to pin the server to (``taskset``), or None.
    """
    port = free_port()
    argv = list(command(port))
    if cpus is not None and shutil.which("taskset"):
        argv = ["taskset", "-c", ",".join(map(str, cpus)), *argv]
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        argv, cwd=REPO, env=env or repo_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + url_path, process, timeout=timeout)
        yield url, process
    finally:
        stop(process)
        if log:
            out.close()


def stop(process, grace=10.0):
    """End a server started by `serve` and everything it started (its own process group)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(grace)


def digitkit_app_command(port):
    """``digitkit app`` from this checkout, on 127.0.0.1:``port``."""
    return [sys.executable, "-m", "digitkit.cli", "app", "--host", "127.0.0.1", "--port", str(port)]


def jupyter_lab_command(port):
    """JupyterLab on 127.0.0.1:``port`` without token, password or browser, rooted at the checkout."""
    return [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        "--ip=127.0.0.1",
        "--ServerApp.token=",
        "--ServerApp.password=",
        f"--ServerApp.root_dir={REPO}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]


# --- strokes ------------------------------------------------------------------

ONE = [(0.5, 0.15), (0.5, 0.85)]
"""A "1": one vertical line, in fractions of the canvas's width and height."""
SEVEN = [(0.22, 0.18), (0.78, 0.18), (0.42, 0.88)]
"""A "7": a bar along the top, then the long diagonal down to the left."""


def stroke_points(box, path, steps=12):
    """Screen points along ``path`` (fractions of ``box``), ``steps`` per segment."""
    points = []
    for (x0, y0), (x1, y1) in zip(path[:-1], path[1:]):
        for i in range(steps + (1 if (x1, y1) == path[-1] else 0)):
            t = i / steps
            points.append(
                (box["x"] + box["width"] * (x0 + t * (x1 - x0)), box["y"] + box["height"] * (y0 + t * (y1 - y0)))
            )
    return points


def mouse_stroke(page, element, path):
    """Draw ``path`` on ``element`` with the mouse: press, move, release (one stroke)."""
    points = stroke_points(element.bounding_box(), path)
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point)
    page.mouse.up()


def touch_stroke(page, element, path):
    """Draw ``path`` on ``element`` with one finger: a real touch gesture through CDP.

    Chromium turns these touch events into pointer events with ``pointerType == "touch"``,
    which is what the canvas listens to. The page needs a context with ``has_touch=True``.
    """
    points = stroke_points(element.bounding_box(), path)
    cdp = page.context.new_cdp_session(page)
    try:

        def touch(kind, point):
            touch_points = [] if point is None else [{"x": point[0], "y": point[1], "id": 1}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

        touch("touchStart", points[0])
        for point in points[1:]:
            touch("touchMove", point)
        touch("touchEnd", None)
    finally:
        cdp.detach()


def ink_fraction(page, canvas):
    """The share of the canvas's pixels that carry ink (anything not black)."""
    return canvas.evaluate("""c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] > 40) n++;
        return n / (c.width * c.height);
    }""")


def screenshot_dir(tmp_path):
    """Where tests save screenshots: ``$DIGITKIT_SCREENSHOTS`` (e.g. ``assets/demos``), else ``tmp_path``."""
    path = pathlib.Path(os.environ.get("DIGITKIT_SCREENSHOTS") or tmp_path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def outside_requests(urls):
    """The requested URLs that leave 127.0.0.1 (data:, blob: and about: URLs stay in the page)."""
    local = ("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:", "about:")
    return [url for url in urls if not url.startswith(local)]

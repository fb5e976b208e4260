"""Digit Studio under a room's load: 1, 5, 10 and 20 browser sessions at once against one `digitkit app`.

    python benchmarks/bench_app.py                     # counts 1, 5, 10, 20
    python benchmarks/bench_app.py --counts 1,5

Every session, all at once: load the page (until the Identify canvas is there), draw a
"1" as a mouse stroke and wait for the answer, then open Advanced, type six digits,
press Enter and wait for the six images. Printed for each count:

- server RSS after the round and the server's peak RSS so far (VmRSS, VmHWM);
- server CPU time (user + system, /proc/<pid>/stat) per page load and per stroke:
  the CPU the server spent during that phase, divided by the number of sessions;
- server-side stroke-to-answer time, p50/p95: from the canvas's new picture reaching
  the Identify view (the trait change on the server) to its answer being set, i.e.
  decoding the PNG, `prepare_drawing`, both classifiers and the charts. The server is
  `digitkit app` run through this script (``--serve``), which wraps
  `digitkit.apps.identify.IdentifyView._on_image` with a timer; nothing else changes;
- browser-side page-ready time (navigation start to the canvas and "Draw a digit"
  shown) and pen-up-to-answer time (the canvas's pointerup to the answer's text
  changing, timed inside the page), p50/p95; and the Advanced round trip (Enter to
  six images).

On a 2-core machine the browsers would otherwise take the server's CPU: the server is
pinned to CPU 0 and this script with Chromium (Debian's package, via Playwright) to the
other CPUs (``taskset``/``sched_setaffinity``), which the output says. One row comes
first, "1 alone": a single session whose browser may use every CPU (the server, idle but
for that one visitor, stays on CPU 0), which is what one learner's page load and stroke
cost with nothing else running; the pinned rows then show a room. Loopback only; every
loop is bounded by the session count, and every wait by `TIMEOUT_MS`.
"""

import argparse
import asyncio
import os
import pathlib
import re
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import browser  # noqa: E402  (tests/browser.py: server subprocess, Chromium, strokes)

SIX_DIGITS = "314159"
TIMEOUT_MS = 600_000  # per wait: 20 browsers sharing one core take minutes to load their pages
ANSWER = re.compile(r"it is an? (\d)")

WATCH_STROKE = """() => {
    const canvas = document.querySelector('.dk-canvas canvas');
    const answer = document.querySelector('.dk-identify-answer');
    window.__dk = {};
    canvas.addEventListener('pointerup', () => { window.__dk.up = performance.now(); }, true);
    new MutationObserver(() => {
        if (window.__dk.up && !window.__dk.answer && /it is an? \\d/.test(answer.innerText))
            window.__dk.answer = performance.now();
    }).observe(answer, {subtree: true, childList: true, characterData: true});
}"""
PAGE_READY = """(() => {
    // an init script: runs in every page before Solara's, and notes when the Identify tab is first usable
    const ready = () => {
        const canvas = document.querySelector('.dk-canvas canvas');
        const answer = document.querySelector('.dk-identify-answer');
        return canvas && answer && answer.innerText.includes('Draw a digit');
    };
    const observer = new MutationObserver(() => {
        if (!window.__dk_ready && ready()) { window.__dk_ready = performance.now(); observer.disconnect(); }
    });
    observer.observe(document, {subtree: true, childList: true, characterData: true});
})()"""
SIX_IMAGES = """digits => Array.from(document.querySelectorAll('.dk-advanced-images .dk-caption'),
                               c => c.innerText.trim()).join('') === digits"""


async def until(page, expression, arg=None):
    """Poll ``expression`` in the page from Python every 50 ms until it is truthy; return its value.

    Playwright's own ``wait_for_function`` polls inside the page, and with 20 pages starved on
    one core some of those polls never came back (the pages were ready, the waits hung).
    Times that matter are taken inside the page, so the polling step does not enter them.
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        value = await page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise PlaywrightTimeout(f"{expression[:60]!r} still false after {TIMEOUT_MS / 1000:.0f} s")
        await asyncio.sleep(0.05)


# --- the server: `digitkit app` with a timer around the Identify view's stroke handler ---------


def serve(port, timings):
    """Run `digitkit app` on ``port``, appending each stroke's server-side milliseconds to ``timings``."""
    from digitkit import cli
    from digitkit.apps import identify

    handler = identify.IdentifyView._on_image

    def timed(self, change):
        start = time.perf_counter()
        try:
            return handler(self, change)
        finally:
            with open(timings, "a") as f:
                f.write(f"{(time.perf_counter() - start) * 1000:.3f}\n")

    identify.IdentifyView._on_image = timed
    cli.main(["app", "--host", "127.0.0.1", "--port", str(port)])


# --- measuring the server process ------------------------------------------------------------


def cpu_seconds(pid):
    """User + system CPU time of a process, in seconds (from /proc/<pid>/stat)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid):
    """``(rss, peak_rss)`` of a process in MB (VmRSS and VmHWM of /proc/<pid>/status)."""
    status = dict(
        line.split(":", 1) for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return tuple(int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM"))


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))]


# --- the sessions ----------------------------------------------------------------------------


async def load(chromium, url, folder):
    """Open the Studio in a fresh context; ``ready`` is None (and a screenshot is saved) if it never got ready."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    context = await chromium.new_context(viewport={"width": 1280, "height": 1000})
    await context.add_init_script(PAGE_READY)
    page = await context.new_page()
    try:
        await page.goto(url, timeout=TIMEOUT_MS, wait_until="commit")
        ready = await until(page, "() => window.__dk_ready")
    except PlaywrightTimeout:
        path = folder / f"not_ready_{id(page)}.png"
        try:
            await page.screenshot(path=path, timeout=30_000)
        except PlaywrightTimeout:  # a starved browser may not even paint
            path = "no screenshot"
        print(f"a page was not ready after {TIMEOUT_MS / 1000:.0f} s: {path}", flush=True)
        return context, page, None
    return context, page, ready / 1000


async def stroke(page):
    await page.evaluate(WATCH_STROKE)
    canvas = page.locator(".dk-canvas canvas").first
    points = browser.stroke_points(await canvas.bounding_box(), browser.ONE)
    await page.mouse.move(*points[0])
    await page.mouse.down()
    for point in points[1:]:
        await page.mouse.move(*point)
    await page.mouse.up()
    await until(page, "() => window.__dk.answer")
    times = await page.evaluate("() => window.__dk")
    text = await page.locator(".dk-identify-answer").inner_text()
    match = ANSWER.search(text)
    return (times["answer"] - times["up"]) / 1000, match and int(match.group(1))


async def advanced(page):
    await page.get_by_role("tab", name="Advanced").click()
    await until(page, "() => document.querySelector('.dk-advanced-images .dk-image') !== null")
    box = page.locator(".dk-advanced-digits input")
    await box.fill(SIX_DIGITS)
    start = time.perf_counter()
    await box.press("Enter")
    await until(page, SIX_IMAGES, SIX_DIGITS)
    return time.perf_counter() - start


async def round_of(chromium, url, n, server, timings, label=None):
    """``n`` sessions at once: load, stroke, Advanced. Returns the row of measurements (``label``: its first cell)."""
    done = len(timings.read_text().split()) if timings.exists() else 0
    cpu0 = cpu_seconds(server.pid)
    opened = await asyncio.gather(*(load(chromium, url, timings.parent) for _ in range(n)))
    loaded = [item for item in opened if item[2] is not None]
    cpu1 = cpu_seconds(server.pid)
    strokes = await asyncio.gather(*(stroke(page) for _, page, _ in loaded))
    cpu2 = cpu_seconds(server.pid)
    typed = await asyncio.gather(*(advanced(page) for _, page, _ in loaded))
    rss, peak = memory_mb(server.pid)
    for context, _, _ in opened:
        await context.close()
    server_ms = [float(x) for x in timings.read_text().split()[done:]]  # one line per stroke
    ready = [r for _, _, r in loaded]
    answers = [s for s, _ in strokes]
    return dict(
        n=label or str(n),
        rss=rss,
        peak=peak,
        cpu_load=(cpu1 - cpu0) / n,
        cpu_stroke=(cpu2 - cpu1) / max(1, len(loaded)),
        server_p50=percentile(server_ms, 50) / 1000,
        server_p95=percentile(server_ms, 95) / 1000,
        ready_p50=percentile(ready, 50),
        ready_p95=percentile(ready, 95),
        answer_p50=percentile(answers, 50),
        answer_p95=percentile(answers, 95),
        typed_p50=percentile(typed, 50),
        read_ones=sum(d == 1 for _, d in strokes),
        handled=len(server_ms),
        ready=len(loaded),
    )


COLUMNS = [
    ("sessions", "n", "{}"),
    ("ready", "ready", "{:d}"),
    ("RSS MB", "rss", "{:.0f}"),
    ("peak MB", "peak", "{:.0f}"),
    ("CPU/load s", "cpu_load", "{:.3f}"),
    ("CPU/stroke s", "cpu_stroke", "{:.3f}"),
    ("srv p50 s", "server_p50", "{:.3f}"),
    ("srv p95 s", "server_p95", "{:.3f}"),
    ("ready p50 s", "ready_p50", "{:.2f}"),
    ("ready p95 s", "ready_p95", "{:.2f}"),
    ("answer p50 s", "answer_p50", "{:.3f}"),
    ("answer p95 s", "answer_p95", "{:.3f}"),
    ("Advanced p50 s", "typed_p50", "{:.2f}"),
    ("read '1'", "read_ones", "{:d}"),
    ("strokes timed", "handled", "{:d}"),
]


def print_row(row=None):
    cells = [title if row is None else fmt.format(row[key]) for title, key, fmt in COLUMNS]
    print("| " + " | ".join(cells) + " |", flush=True)
    if row is None:
        print("|" + "|".join("---:" for _ in COLUMNS) + "|", flush=True)


async def bench(counts, server_cpus, browser_cpus):

    folder = pathlib.Path(tempfile.mkdtemp(prefix="bench_app_"))
    timings = folder / "strokes_ms.txt"

    def command(port):
        return [sys.executable, str(pathlib.Path(__file__).resolve()), "--serve", str(port), "--timings", str(timings)]

    start = time.perf_counter()
    with browser.serve(command, log=folder / "server.log", cpus=server_cpus) as (url, server):
        print(
            f"server up (models loaded) in {time.perf_counter() - start:.1f} s; "
            f"RSS {memory_mb(server.pid)[0]:.0f} MB before any visitor",
            flush=True,
        )
        print_row()

        async def alone(chromium):
            await round_of(chromium, url, 1, server, timings)  # warm-up: first gzip of the assets, caches
            print_row(await round_of(chromium, url, 1, server, timings, label="1 alone"))

        async def room(chromium):
            for n in counts:
                print_row(await round_of(chromium, url, n, server, timings))

        await with_chromium(server_cpus + browser_cpus, alone)  # one learner: the browser on every CPU
        await with_chromium(browser_cpus or server_cpus, room)  # a room: the browsers kept off the server's CPU


async def with_chromium(cpus, work):
    """``await work(chromium)`` with a Chromium on ``cpus`` (it inherits this process's CPUs when it starts)."""
    from playwright.async_api import async_playwright

    os.sched_setaffinity(0, cpus)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=browser.chromium_path(), args=browser.CHROMIUM_ARGS)
        try:
            await work(chromium)
        finally:
            await chromium.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="1,5,10,20", help="sessions at once, comma-separated")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--timings", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.timings)
        return
    cpus = sorted(os.sched_getaffinity(0))
    server_cpus, browser_cpus = ([cpus[0]], cpus[1:]) if len(cpus) > 1 else (cpus, [])
    print(
        f"server pinned to CPU {server_cpus}, browsers to CPU {browser_cpus or server_cpus} "
        f"('1 alone': to CPU {cpus}); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    asyncio.run(bench([int(n) for n in args.counts.split(",")], server_cpus, browser_cpus))


if __name__ == "__main__":
    main()

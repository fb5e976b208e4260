"""Digit Studio (``digitkit app``) in a real browser: every tab, driven the way a learner drives it.

One ``digitkit app`` server (this checkout, on a free port of 127.0.0.1) serves the whole
module; each test opens its own page. The DOM hooks (CSS classes such as
``dk-identify-answer``) are listed in the docstring of `digitkit.apps.studio`.

Set ``DIGITKIT_SCREENSHOTS=assets/demos`` to refresh README's screenshots of the tabs.
"""

import re

import browser
import pytest

LOAD_TIMEOUT_MS = 120_000  # first page load: the server's models are loaded already, the browser is cold
ANSWER_TIMEOUT_MS = 30_000
ANSWER = re.compile(r"it is an? (\d)")


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """A `digitkit app` server; yields its URL."""
    log = tmp_path_factory.mktemp("studio") / "server.log"
    with browser.serve(browser.digitkit_app_command, log=log) as (url, _):
        yield url


@pytest.fixture
def page(studio, chromium):
    """A fresh visitor (a touch-capable context) with the Studio loaded; ``page.requests`` lists every URL."""
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, has_touch=True)
    page = context.new_page()
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(studio, timeout=LOAD_TIMEOUT_MS)
    page.locator(".dk-studio").wait_for(timeout=LOAD_TIMEOUT_MS)
    page.requests, page.errors = requests, errors
    yield page
    context.close()


def open_tab(page, title):
    page.get_by_role("tab", name=title).click()
    return page.locator(
        ".dk-studio .lm-TabPanel-stackedPanel:not(.lm-mod-hidden), "
        ".dk-studio .widget-tab-contents > :not(.lm-mod-hidden)"
    ).first


def answer(page):
    match = ANSWER.search(page.locator(".dk-identify-answer").inner_text())
    return match and int(match.group(1))


def canvas_of(page):
    canvas = page.locator(".dk-canvas canvas").first
    canvas.scroll_into_view_if_needed()
    return canvas


def draw_and_read(page, stroke, path):
    """Clear the canvas, draw ``path`` with ``stroke`` (mouse or touch), return the digit the page reads."""
    canvas = canvas_of(page)
    page.locator(".dk-canvas").get_by_role("button", name="Clear").click()
    page.locator(".dk-identify-answer").get_by_text("Draw a digit").wait_for(timeout=ANSWER_TIMEOUT_MS)
    stroke(page, canvas, path)
    assert browser.ink_fraction(page, canvas) > 0.02
    page.locator(".dk-identify-answer").get_by_text(ANSWER).wait_for(timeout=ANSWER_TIMEOUT_MS)
    return answer(page)


def shoot(page, tmp_path, name):
    """A screenshot of the Studio (its tabs and the open one) as ``<name>.png``."""
    page.locator(".dk-studio").screenshot(path=browser.screenshot_dir(tmp_path) / f"{name}.png")


def test_identify_reads_a_mouse_one_and_a_touch_seven(page, tmp_path):
    assert page.get_by_role("tab", name="Identify").get_attribute("aria-selected") == "true"
    chart = page.locator(".dk-identify-chart")
    box = chart.bounding_box()
    assert box["width"] > 100 and box["height"] > 50  # laid out before the first stroke
    assert draw_and_read(page, browser.mouse_stroke, browser.ONE) == 1
    bars = page.locator(".dk-identify-chart .dk-bar")
    assert bars.count() == 10
    page.wait_for_function(  # the answer and the chart are two widget updates: wait for the chart too
        """() => Array.from(document.querySelectorAll('.dk-identify-chart .dk-bar'))
            .reduce((total, bar) => total + parseFloat(bar.dataset.p), 0) > 0.99""",
        timeout=ANSWER_TIMEOUT_MS,
    )
    p = [float(bars.nth(i).get_attribute("data-p")) for i in range(10)]
    assert max(p) == p[1] and abs(sum(p) - 1) < 0.01
    assert page.locator(".dk-identify-judge-chart .dk-bar").count() == 10
    assert draw_and_read(page, browser.touch_stroke, browser.SEVEN) == 7
    shoot(page, tmp_path, "identify")
    assert browser.outside_requests(page.requests) == []
    assert page.errors == []


def wait_for_redraw(page, old_src):
    """Until the Advanced tab's first image is a new picture (its ``src`` is no longer ``old_src``)."""
    page.wait_for_function(
        "src => [document.querySelector('.dk-advanced-images .dk-image')?.src].every(s => s && s !== src)",
        arg=old_src,
        timeout=ANSWER_TIMEOUT_MS,
    )


def captions_when_shown(page, row, least):
    """The captions of ``row`` once it shows at least ``least`` images, each with its caption rendered.

    An image and its caption are two widgets, rendered one after the other: on a loaded machine the
    images can be on the page before their captions are.
    """
    page.wait_for_function(
        """([row, least]) => {
        const images = document.querySelectorAll(`.${row} .dk-image`).length;
        const captions = Array.from(document.querySelectorAll(`.${row} .dk-caption`), c => c.innerText.trim());
        return images >= least && captions.length === images && captions.every(c => c.length > 0);
    }""",
        arg=[row, least],
        timeout=ANSWER_TIMEOUT_MS * 2,
    )
    return [c.strip() for c in page.locator(f".{row} .dk-caption").all_inner_texts()]


def test_advanced_draws_typed_digits_mixes_and_explains_bad_input(page, tmp_path):
    tab = open_tab(page, "Advanced")
    images = page.locator(".dk-advanced-images .dk-image")
    images.first.wait_for(timeout=ANSWER_TIMEOUT_MS)  # the tab draws its defaults when first opened
    box = page.locator(".dk-advanced-digits input")
    box.fill("0123")
    box.press("Enter")
    page.wait_for_function(
        "() => document.querySelectorAll('.dk-advanced-images .dk-image').length === 4", timeout=ANSWER_TIMEOUT_MS
    )
    box.fill("646775")
    page.locator(".dk-advanced-generate").click()
    page.wait_for_function(
        "() => document.querySelectorAll('.dk-advanced-images .dk-image').length === 6", timeout=ANSWER_TIMEOUT_MS
    )
    assert captions_when_shown(page, "dk-advanced-images", 6) == list("646775")
    for i in range(6):
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth >= 28")

    page.locator(".dk-advanced-mixed-images .dk-image").first.wait_for(timeout=ANSWER_TIMEOUT_MS)  # 3 and 8
    page.locator(".dk-advanced-a select").select_option(label="1")
    page.locator(".dk-advanced-b select").select_option(label="7")
    page.locator(".dk-advanced-mixed").click()
    page.wait_for_function(
        """() => {
        const c = Array.from(document.querySelectorAll('.dk-advanced-mixed-images .dk-caption'),
                             c => c.innerText.trim());
        return c.length === 3 && c[0] === '1' && c[2] === '7';
    }""",
        timeout=ANSWER_TIMEOUT_MS,
    )
    blend = page.locator(".dk-advanced-mixed-images .dk-caption").nth(1).inner_text()
    assert "1" in blend and "7" in blend  # "0.50·1 + 0.50·7"
    assert page.locator(".dk-advanced-mixed-images .dk-image").count() == 3
    shoot(page, tmp_path, "advanced")

    first = images.first.get_attribute("src")
    page.locator(".dk-advanced-model button", has_text="DDIM").click()  # redraws with the DDIM
    wait_for_redraw(page, first)
    page.locator(".dk-advanced-solver").wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    ddim = images.first.get_attribute("src")
    page.locator(".dk-advanced-solver button", has_text="DPM-Solver++(2M)").click()
    page.locator(".dk-advanced-generate").click()
    wait_for_redraw(page, ddim)
    assert images.count() == 6

    box.fill("12a")
    box.press("Enter")
    message = tab.locator(".dk-message")
    message.get_by_text("12a").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert "Received" in message.inner_text()
    assert "Traceback" not in page.locator("body").inner_text()
    page.wait_for_function(
        "() => !document.querySelector('.dk-advanced-images .dk-image')", timeout=ANSWER_TIMEOUT_MS
    )  # a bad entry clears the old drawings
    assert browser.outside_requests(page.requests) == []
    assert page.errors == []


def test_generate_and_visualize_show_their_pictures(page, tmp_path):
    open_tab(page, "Generate")
    generated = page.locator(".dk-generate-images")
    page.wait_for_function(
        "() => { const img = document.querySelector('img.dk-generate-images') || "
        "document.querySelector('.dk-generate-images img'); "
        "return img && img.complete && img.naturalWidth > 100; }",
        timeout=ANSWER_TIMEOUT_MS,
    )
    assert generated.first.bounding_box()["width"] > 100
    shoot(page, tmp_path, "generate")

    open_tab(page, "Visualize")
    for row, least in (("dk-visualize-layers", 3), ("dk-visualize-trajectory", 3), ("dk-visualize-x0", 3)):
        page.wait_for_function(
            f"() => document.querySelectorAll('.{row} .dk-image').length >= {least}", timeout=ANSWER_TIMEOUT_MS * 2
        )
    captions = captions_when_shown(page, "dk-visualize-trajectory", 3)
    assert captions[-1] == "result" and captions[0].startswith("t=")
    shoot(page, tmp_path, "visualize")
    assert "Traceback" not in page.locator("body").inner_text()
    assert browser.outside_requests(page.requests) == []
    assert page.errors == []

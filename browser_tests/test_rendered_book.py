"""Open every page of the built book in headless Chromium, as a reader would.

Run after building the book:  pytest browser_tests
(needs Debian's chromium and chromium-driver, and selenium from PyPI).

For every HTML page of ``_build/html`` served on 127.0.0.1 it checks that MathJax
rendered every math node without a TeX error, every image loaded and has alt text, no raw ``$$`` or
``\\(`` is left in the text, the console has no error, and nothing was requested from
any host but 127.0.0.1 (other hosts are unresolvable for the browser, so a CDN
dependency fails here too).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

selenium = pytest.importorskip("selenium")
from chromium import headless_chromium, requested_hosts  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

HTML = Path(os.environ.get("BOOK_HTML", Path(__file__).resolve().parents[1] / "_build" / "html"))
PAGES = sorted(p.relative_to(HTML).as_posix() for p in (HTML / "book").glob("*.html"))


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail(f"build the book first: {HTML / 'index.html'} is missing (jupyter-book build .)")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def browser():
    driver = headless_chromium("1280,1024", page_load_timeout=60)
    yield driver
    driver.quit()


def _wait_for_mathjax(driver) -> None:
    """Wait until MathJax (if the page loads it) has typeset the page."""
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script(
            # no MathJax yet (or only its configuration object): done only if there is no math
            "if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise)"
            "  return !document.querySelector('span.math, div.math');"
            "if (window.__typeset === undefined) {"
            "  window.__typeset = false; MathJax.startup.promise.then(() => { window.__typeset = true; }); }"
            "return window.__typeset;"
        )
    )


@pytest.mark.parametrize("page", PAGES)
def test_page_renders(server, browser, page):
    browser.get_log("performance")  # drop what earlier pages left
    browser.get_log("browser")
    browser.get(f"{server}/{page}")
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    _wait_for_mathjax(browser)

    math = browser.execute_script(
        "const nodes = [...document.querySelectorAll('span.math, div.math')];"
        "return {total: nodes.length,"
        "        unrendered: nodes.filter(n => !n.querySelector('mjx-container')).map(n => n.textContent.slice(0, 80)),"
        "        errors: [...document.querySelectorAll('mjx-merror')].map(n => n.getAttribute('data-mjx-error') ||"
        "                n.textContent.slice(0, 80))};"
    )
    assert not math["unrendered"], f"math not rendered by MathJax on {page}: {math['unrendered'][:5]}"
    assert not math["errors"], f"TeX errors on {page}: {math['errors'][:5]}"

    broken = browser.execute_script(
        "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src);"
    )
    assert not broken, f"images that did not load on {page}: {broken}"
    no_alt = browser.execute_script(
        "return [...document.images].filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.src);"
    )
    assert not no_alt, f"images without alt text on {page}: {no_alt}"

    text = browser.execute_script(
        "const main = document.querySelector('main') || document.body;"
        "const clone = main.cloneNode(true);"
        "clone.querySelectorAll('pre, code, mjx-container, script, style, .highlight').forEach(n => n.remove());"
        "return clone.innerText;"
    )
    for raw in ("$$", "\\(", "\\["):
        assert raw not in text, f"raw {raw!r} left in the text of {page}"

    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"console errors on {page}: {errors}"

    hosts = requested_hosts(browser)
    assert hosts <= {"127.0.0.1"}, f"{page} requested other hosts: {sorted(hosts - {'127.0.0.1'})}"


def test_every_page_found():
    """The book has pages to check (an empty glob would make the test above vacuous)."""
    assert len(PAGES) >= 5, f"expected the book's pages under {HTML / 'book'}, found {PAGES}"

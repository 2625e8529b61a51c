"""Open every chapter in JupyterLab with jupyterlab-myst, in headless Chromium, as a student would.

Run:  IHT_STUDENT_JUPYTER=.venv-student/bin/jupyter \\
          pytest browser_tests/test_jupyterlab.py -p no:cacheprovider -o addopts=""
(or ``bash .ci/jupyterlab``, which makes the student environment and runs this test).

The JupyterLab under test is the ``jupyter`` command named by ``IHT_STUDENT_JUPYTER`` (the student
install of ``requirements-student.txt``); without that variable, the ``jupyter`` next to the running
Python or on PATH, and the test is *skipped* if that one has no jupyterlab-myst (the authors'
environment of ``requirements.txt`` has none).  With the variable set, a missing JupyterLab fails.
It needs selenium and Debian's chromium and chromium-driver (``CHROMIUM``, ``CHROMEDRIVER``).

The test copies ``book/`` to a temporary folder and starts JupyterLab there on 127.0.0.1, a free
port and a random token, with its own settings, workspaces and runtime folders, the news feed, the
update check and the PyPI extension manager off.  It opens every chapter (opening starts the
chapter's kernel, but no cell is run), waits until jupyterlab-myst has rendered every markdown
cell, and fails on

* a math error (KaTeX error, or jupyterlab-myst's warning for bad TeX) or an unknown directive;
* raw MyST in the rendered text: ``{prf:``, ``{exercise}``, ``{solution}``, ``{doc}`` or any other
  ``{role}``, and references jupyterlab-myst cannot resolve (shown as bare labels);
* a solution that is not folded: every ``{solution}`` of the source must be a closed dropdown
  whose body is not displayed;
* a citation key that no *References* cell of the notebook explains, and a figure caption
  (cell metadata, invisible in JupyterLab) without its caption cell: both are added by
  ``python tools/jupyterlab_notes.py book/<chapter>.ipynb``;
* a request to any host but 127.0.0.1 (other hosts are unresolvable for the browser).

It also checks that ``jupyter labextension list`` calls jupyterlab-myst compatible, that a link to
another chapter opens that chapter in JupyterLab, and that the chapters in ``book/`` were not
touched.  JupyterLab is stopped at the end.  ``IHT_JUPYTERLAB_SHOTS=DIR`` saves PNGs of every
chapter in DIR: its first screen, its first proof box and its first (folded) solution.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

selenium = pytest.importorskip("selenium")
from chromium import headless_chromium, requested_hosts  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BOOK = Path(os.environ.get("IHT_BOOK_DIR", ROOT / "book"))  # another copy of book/ to test, if set
CHAPTERS = sorted(p.name for p in BOOK.glob("*.ipynb"))
SHOTS = os.environ.get("IHT_JUPYTERLAB_SHOTS")
RAW_MYST = re.compile(r"\{(?:prf:[a-z]+|[a-z]+(?:-[a-z]+)*)\}")
SOLUTION = re.compile(r"^\s*(?:`{3,}|:{3,})\{solution(?:-start)?\}", re.M)
FIX = "run: python tools/jupyterlab_notes.py book/{}"


def _jupyter() -> str:
    explicit = os.environ.get("IHT_STUDENT_JUPYTER")
    if explicit:
        return explicit
    beside = Path(sys.executable).with_name("jupyter")
    return str(beside) if beside.exists() else (shutil.which("jupyter") or "jupyter")


def _digest() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(BOOK.glob("*.ipynb"))}


@pytest.fixture(scope="module")
def jupyter() -> str:
    command = _jupyter()
    try:
        listing = subprocess.run(
            [command, "labextension", "list"], capture_output=True, text=True, timeout=120, check=False
        )
    except FileNotFoundError:
        listing = None
    found = listing is not None and "jupyterlab-myst" in listing.stdout + listing.stderr
    if not found:
        message = f"no JupyterLab with jupyterlab-myst at {command!r} (pip install -r requirements-student.txt)"
        if os.environ.get("IHT_STUDENT_JUPYTER"):
            pytest.fail(message)
        pytest.skip(message + "; set IHT_STUDENT_JUPYTER to the student environment's jupyter")
    return command


@pytest.fixture(scope="module")
def digest_before() -> dict[str, str]:
    return _digest()


@pytest.fixture(scope="module")
def lab(jupyter, digest_before, tmp_path_factory):
    """JupyterLab serving a copy of book/ on 127.0.0.1; yields its base URL and token."""
    tmp = tmp_path_factory.mktemp("jupyterlab")
    shutil.copytree(BOOK, tmp / "root" / "book", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_ext"))
    settings = tmp / "settings"
    # Render every cell, not only those scrolled into view (the default windowing), and no news prompt.
    for plugin, values in {
        "notebook-extension/tracker": {"windowingMode": "none"},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        IPYTHONDIR=str(tmp / "ipython"),
        MPLBACKEND="agg",
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    args = [
        jupyter, "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp / 'root'}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    log = open(tmp / "jupyterlab.log", "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{(tmp / 'jupyterlab.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start in 120 s:\n{(tmp / 'jupyterlab.log').read_text()}")
            time.sleep(0.5)
        yield {"base": base, "token": token, "log": tmp / "jupyterlab.log"}
    finally:
        # SIGTERM: the server shuts its kernels down and exits; kill the group if it does not.
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser(lab):
    driver = headless_chromium("1400,1000", page_load_timeout=120)
    yield driver
    driver.quit()


def _api(lab, path: str, method: str = "GET") -> object:
    request = urllib.request.Request(
        f"{lab['base']}/api/{path}", method=method, headers={"Authorization": f"token {lab['token']}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


def _open(browser, lab, chapter: str) -> None:
    """Open one chapter in a fresh workspace and wait until every markdown cell is rendered."""
    # Leave the previous chapter and shut its kernel down: one idle kernel at a time.
    browser.get("about:blank")
    for session in _api(lab, "sessions"):
        _api(lab, f"sessions/{session['id']}", "DELETE")
    browser.get_log("performance")  # drop what earlier chapters left
    stem = Path(chapter).stem
    browser.get(f"{lab['base']}/lab/workspaces/{stem}/tree/book/{chapter}?reset&token={lab['token']}")
    n_markdown = sum(c["cell_type"] == "markdown" for c in _cells(chapter))
    WebDriverWait(browser, 120, poll_frequency=0.5).until(
        lambda d: d.execute_script(
            "const p = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');"
            "if (!p) return false;"
            "const cells = [...p.querySelectorAll('.jp-MarkdownCell')];"
            "return cells.length === arguments[0] &&"
            "       cells.every(c => { const m = c.querySelector('.myst'); return m && m.children.length > 0; });",
            n_markdown,
        ),
        message=f"{chapter}: jupyterlab-myst did not render its {n_markdown} markdown cells",
    )
    time.sleep(1)  # let the last renders settle


def _cells(chapter: str) -> list[dict]:
    return json.loads((BOOK / chapter).read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_renders_in_jupyterlab(lab, browser, chapter):
    _open(browser, lab, chapter)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(SHOTS) / f"{Path(chapter).stem}.png"))
        # and the first proof box, and the first (folded) solution, if the chapter has them
        for what, selector in (("box", ".myst-proof"), ("solution", "details")):
            found = browser.execute_script(
                "const n = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell '"
                "  + arguments[0]); if (n) n.scrollIntoView({block: 'center'}); return !!n;",
                selector,
            )
            if found:
                time.sleep(0.5)
                browser.save_screenshot(str(Path(SHOTS) / f"{Path(chapter).stem}-{what}.png"))
    page = browser.execute_script(
        "const p = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');"
        "const md = [...p.querySelectorAll('.jp-MarkdownCell .myst')];"
        "const flagged = md.flatMap(m => [...m.querySelectorAll('.text-yellow-600, .text-red-500')]);"
        "const text = md.map(m => { const c = m.cloneNode(true);"
        "  c.querySelectorAll('.katex, pre, code, script, style').forEach(n => n.remove()); return c.innerText; });"
        "const solutions = [...p.querySelectorAll('.jp-MarkdownCell details')].filter(d =>"
        "  /^\\s*Solution/.test((d.querySelector('summary') || {}).textContent || ''));"
        "return {"
        "  mathErrors: [...p.querySelectorAll('.katex-error, mjx-merror')].map(n => n.getAttribute('title') ||"
        "     n.getAttribute('data-mjx-error') || n.textContent.slice(0, 80))"
        "   .concat(flagged.filter(n => !/^(Citation|Cross Reference) Not Found$/.test(n.title))"
        "     .map(n => (n.title || n.textContent).slice(0, 120))),"
        "  unresolvedRefs: flagged.filter(n => n.title === 'Cross Reference Not Found').map(n => n.textContent),"
        "  citations: flagged.filter(n => n.title === 'Citation Not Found').map(n => n.textContent.trim()),"
        "  text: text.join('\\n'),"
        "  solutions: solutions.map(d => { const summary = d.querySelector('summary').innerText;"
        "     return {open: d.open, shown: d.innerText.replace(summary, '').trim().slice(0, 80)}; }),"
        "  shown: [...p.querySelectorAll('.jp-MarkdownCell .myst')].map(m => m.innerText).join('\\n'),"
        "};"
    )
    assert not page["mathErrors"], f"{chapter}: math errors in JupyterLab: {page['mathErrors'][:5]}"
    assert "Unknown Directive" not in page["shown"], f"{chapter}: a directive jupyterlab-myst does not know"
    raw = sorted(set(RAW_MYST.findall(page["text"])))
    assert not raw, f"{chapter}: raw MyST in the rendered text: {raw}"
    assert not page["unresolvedRefs"], f"{chapter}: references JupyterLab cannot resolve: {page['unresolvedRefs']}"

    cells = _cells(chapter)
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    # jupyterlab-myst shows {doc}`target` as plain, dead text: look for it in the source
    assert "{doc}" not in markdown, f"{chapter}: {{doc}} does not work in JupyterLab; write [title](file.ipynb)"
    n_solutions = len(SOLUTION.findall(markdown))
    assert len(page["solutions"]) == n_solutions, (
        f"{chapter}: {n_solutions} solutions in the source but {len(page['solutions'])} folded ones in JupyterLab"
        " (give every solution `:class: dropdown`)"
    )
    unfolded = [s for s in page["solutions"] if s["open"] or s["shown"]]
    assert not unfolded, f"{chapter}: solutions shown unfolded: {unfolded}"

    listed = "".join(
        "".join(c["source"]) for c in cells if c["metadata"].get("ihtbook", {}).get("jupyterlab") == "references"
    )
    unexplained = sorted({k for k in page["citations"] if f"`{k}`" not in listed})
    assert not unexplained, f"{chapter}: citation keys without a References cell: {unexplained}; {FIX.format(chapter)}"
    captions = [c["metadata"].get("mystnb", {}).get("figure", {}).get("caption") for c in cells]
    missing = [cap[:60] for cap in captions if cap and f"**Figure.** {cap}" not in markdown]
    assert not missing, f"{chapter}: figure captions invisible in JupyterLab: {missing}; {FIX.format(chapter)}"

    hosts = requested_hosts(browser)
    assert hosts <= {"127.0.0.1"}, f"{chapter} requested other hosts: {sorted(hosts - {'127.0.0.1'})}"


def test_link_to_another_chapter_opens_it(lab, browser):
    """A Markdown link [title](02-hard-thresholding.ipynb) opens that chapter in a JupyterLab tab."""
    chapter, target = "01-sparse-problem.ipynb", "02-hard-thresholding.ipynb"
    _open(browser, lab, chapter)
    link = browser.execute_script(
        "return [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell .myst a')]"
        "  .find(a => (a.getAttribute('href') || '').includes(arguments[0]));",
        target,
    )
    assert link is not None, f"{chapter} has no link to {target}"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script(
            "const p = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');"
            "return p && p.querySelector('.jp-MarkdownCell .myst') &&"
            "  [...document.querySelectorAll('.lm-TabBar-tab.lm-mod-current')]"
            "    .some(t => t.textContent.includes(arguments[0]));",
            target,
        ),
        message=f"clicking the link in {chapter} did not open {target} in JupyterLab",
    )


def test_myst_extension_is_compatible(jupyter):
    """jupyterlab-myst is enabled and built for this JupyterLab (requirements-student.txt's bounds)."""
    listing = subprocess.run([jupyter, "labextension", "list"], capture_output=True, text=True, timeout=120)
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)
    line = next(ln for ln in text.splitlines() if "jupyterlab-myst" in ln and "enabled" in ln)
    assert " OK" in line and "not compatible" not in text, f"jupyterlab-myst not compatible:\n{text}"


def test_chapters_not_modified(lab, browser, digest_before):
    """The test opened copies: the chapters in book/ are byte for byte what they were."""
    assert _digest() == digest_before, "the chapters in book/ changed while JupyterLab had them open"


def test_every_chapter_found():
    assert len(CHAPTERS) >= 5, f"expected the chapters in {BOOK}, found {CHAPTERS}"

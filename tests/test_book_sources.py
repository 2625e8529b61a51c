"""The chapters' sources read the same in the HTML book and in JupyterLab.

JupyterLab (with or without jupyterlab-myst) knows neither the book's former MathJax macros nor
Sphinx's ``{doc}`` role, so chapter sources use plain LaTeX and Markdown links to other pages.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "book").glob("*.ipynb")) + sorted((ROOT / "book").glob("*.md"))
OLD_MACROS = re.compile(r"\\(norm|zeronorm|inner|R|Hs|Cs|Ltwos|Lhat|supp|argmin|grad)(?![A-Za-z])")


def markdown_of(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_custom_math_macros(path):
    found = sorted({m.group(0) for m in OLD_MACROS.finditer(markdown_of(path))})
    assert not found, f"{path.name} uses macros JupyterLab cannot render: {found}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_links_between_pages_are_markdown_links(path):
    text = markdown_of(path)
    assert "{doc}" not in text, f"{path.name}: write [title](file.ipynb) instead of {{doc}}"
    for target in re.findall(r"\]\(([\w.-]+\.(?:ipynb|md))(?:#[\w-]*)?\)", text):
        assert (path.parent / target).exists(), f"{path.name} links to missing {target}"


def test_config_defines_no_math_macros():
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert "macros" not in config, "math macros in _config.yml would not render in JupyterLab"


# A printed value at rounding level (say 5.3e-15) differs between machines and BLAS thread
# counts, so nbval would fail on a reader's laptop for nothing.  Print "< 1e-12", a rounded
# value or a boolean instead.
ROUNDING_LEVEL = re.compile(r"\b\d\.\d+e-(?:1[3-9]|[2-9]\d|\d{3})\b")


@pytest.mark.parametrize("path", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_no_stored_output_at_rounding_level(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = []
    for i, cell in enumerate(cells):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            text = "".join(out.get("text", "")) + "".join(data.get("text/plain", ""))
            text += "".join(data.get("text/html", "")) + "".join(data.get("text/markdown", ""))
            found += [f"cell {i}: {m}" for m in ROUNDING_LEVEL.findall(text)]
    assert not found, f"{path.name} prints values at rounding level: {found}"


def test_jupyterlab_cells_up_to_date():
    """Every chapter carries its JupyterLab note, caption and reference cells, and cross-chapter
    references carry the number the other chapter gives them (tools/jupyterlab_notes.py)."""
    import subprocess
    import sys

    chapters = [str(p) for p in sorted((ROOT / "book").glob("*.ipynb"))]
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "jupyterlab_notes.py"), "--check", *chapters],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, f"run `python tools/jupyterlab_notes.py book/*.ipynb`:\n{run.stdout}{run.stderr}"


# Glued values are compared by nbval like any output, so their text must not depend on the NumPy
# version: np.float64(0.5) prints "np.float64(0.5)" with NumPy 2 and "0.5" with NumPy 1.
NUMPY_REPR = re.compile(r"\b(?:np\.\w+\(|array\()")
GLUE_ROLE = re.compile(r"\{glue(?::[a-z]+)?\}`(?:([^`:]+)::)?([^`:]+)(?::[^`]*)?`")


def _glued(path: Path) -> dict[str, str]:
    values = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                values[name] = "".join(out.get("data", {}).get("application/papermill.record/text/plain", ""))
    return values


@pytest.mark.parametrize("path", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_glued_values_are_plain_python_and_exist(path):
    values = _glued(path)
    numpy_typed = {k: v for k, v in values.items() if NUMPY_REPR.search(v)}
    assert not numpy_typed, f"{path.name}: glue float(x) / int(x), not NumPy scalars: {numpy_typed}"
    for where, key in GLUE_ROLE.findall(markdown_of(path)):
        source = _glued(path.parent / where) if where else values
        assert key in source, f"{path.name} quotes {{glue}}`{key}` but {where or path.name} glues no such key"


def test_glue_keys_are_unique_across_the_book():
    seen: dict[str, str] = {}
    clashes = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        for key in _glued(path):
            if key in seen and seen[key] != path.name:
                clashes.append(f"{key}: {seen[key]} and {path.name}")
            seen.setdefault(key, path.name)
    assert not clashes, f"the same glue key in two chapters: {clashes}"


def test_jupyterlab_glue_note_formats_like_myst_nb():
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from jupyterlab_notes import GLUE, glue_text
    finally:
        sys.path.pop(0)
    assert GLUE.findall("a {glue:text}`ch5_l:.3f` b {glue}`n` c {glue:text}`06-x.ipynb::k`") == [
        ("", "ch5_l", ".3f"),
        ("", "n", ""),
        ("06-x.ipynb", "k", ""),
    ]
    assert glue_text("0.66666", ".3f") == "0.667"
    assert glue_text("12", None) == "12"
    assert glue_text("'IHT'", None) == "IHT"


@pytest.mark.parametrize("path", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_figures_are_not_referenced_by_label(path):
    """A figure's label lives in cell metadata (``mystnb.figure.name``): the HTML book resolves
    ``{numref}`` to it, JupyterLab shows the bare label.  Name figures in words instead."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    names = {c.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name") for c in cells} - {None}
    used = set(re.findall(r"\{(?:numref|ref)\}`(?:[^`<]*<)?([^`<>]+)>?`", markdown_of(path)))
    assert not names & used, f"{path.name} refers to figures by label: {sorted(names & used)}"


@pytest.mark.parametrize("path", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_long_figure_only_cells_hide_their_input(path):
    """A cell that only draws (it opens with ``fig, ax = plt.subplots(...)``, prints no text) and
    is longer than 15 lines folds its code in the HTML book (tag ``hide-input``): the reader sees
    the picture, one click shows how.  Cells that compute and then draw stay open."""
    long_drawing = []
    for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        outputs = cell.get("outputs", [])
        draws = any("image/png" in o.get("data", {}) for o in outputs)
        prints = any(o.get("output_type") == "stream" or "text/html" in o.get("data", {}) for o in outputs)
        lines = [line for line in "".join(cell["source"]).splitlines() if line.strip()]
        tags = cell.get("metadata", {}).get("tags", [])
        only_draws = draws and not prints and bool(lines) and lines[0].startswith("fig")
        if only_draws and len(lines) > 15 and not {"hide-input", "remove-input"} & set(tags):
            long_drawing.append(f"cell {i} ({len(lines)} lines)")
    assert not long_drawing, f"{path.name}: tag these figure-only cells hide-input: {long_drawing}"

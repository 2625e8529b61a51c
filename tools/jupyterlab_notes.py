"""Add the JupyterLab-only cells to chapter notebooks (idempotent; the HTML book does not change).

Run:  python tools/jupyterlab_notes.py book/02-hard-thresholding.ipynb ...   rewrite these chapters
      python tools/jupyterlab_notes.py --check book/*.ipynb                  exit 1 if any would change

In JupyterLab with jupyterlab-myst the chapters render well (math, proof boxes, exercises, folded
solutions, links between chapters), but three things of the HTML book have no counterpart there:
figure captions live in cell metadata (``mystnb.figure.caption``) and are invisible; ``{cite}``
shows the bare key (jupyterlab-myst reads no ``.bib`` file); ``{term}`` is not linked to the
glossary.  This script adds, to each chapter, markdown cells that only JupyterLab shows:

* a note at the very top (above the title): how to read the chapter in JupyterLab, what differs from the
  HTML book (numbering within the notebook, folded solutions, citation keys, captions in cells);
* after every figure cell, its caption (``**Figure.** ...``) taken from the cell's metadata;
* at the end, if the chapter cites anything, a *References* cell resolving each cited key from
  ``references.bib`` in the order of first citation;
* after every markdown cell that quotes computed values with ``{glue:text}``, ``{glue:md}`` or ``{glue}``
  (MyST-NB's glue, which the HTML book fills in and jupyterlab-myst does not know), the values
  themselves (``**Numbers in the text above**: ch5_lhat = 0.667``), read from the stored outputs of
  the cells that glued them.

It also sets the kernel's display name to ipykernel's own, "Python 3 (ipykernel)", so that opening
a chapter does not mark it modified, and it rewrites every ``{prf:ref}`label``` whose label is in
*another* chapter (jupyterlab-myst sees one notebook and would show the bare label) as
``{prf:ref}`Definition 3.3 <label>```: the text Sphinx renders for it, so the HTML book reads the
same.  The number is recomputed from the other chapter's sources on every run (sphinx-proof numbers
each kind of box per chapter: the n-th ``{prf:definition}`` of chapter 3 is Definition 3.n), so
``--check`` catches a number gone stale after that chapter changed.

Every added cell carries the tag ``remove-cell`` (so myst-nb leaves it out of the HTML book, and
Jupyter Book's output stays identical and warning-free; nbval checks code cells only) and the
metadata ``"ihtbook": {"jupyterlab": KIND}``.  A run first removes every cell so marked and then
adds them afresh, so running it twice changes nothing and a changed caption or citation is picked
up on the next run.  Notebooks are written as nbformat writes them (JSON, indent 1, UTF-8).
Plain Markdown only: the cells read the same with or without jupyterlab-myst.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "references.bib"
MARK = "ihtbook"
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
# {glue:text}`key`, {glue:text}`key:.3f`, {glue}`key`, and from another chapter {glue:text}`file.ipynb::key`
GLUE = re.compile(r"\{glue(?::text|:md)?\}`(?:([^`:]+)::)?([^`:]+)(?::([^`]*))?`")
RECORD = "application/papermill.record/text/plain"


def glued_values(cells: list[dict]) -> dict[str, str]:
    """{key: text} of every value glued by a code cell (MyST-NB's ``glue``), from its stored outputs."""
    values = {}
    for cell in cells:
        for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            data = output.get("data", {})
            for mime in (RECORD.replace("plain", "markdown"), RECORD):  # glue(k, Markdown(...)) first
                if name and mime in data:
                    values[name] = "".join(data[mime])
                    break
    return values


def glue_text(value: str, fmt: str | None) -> str:
    """The text MyST-NB's ``{glue:text}`key:fmt``` shows: ``format(float(value), fmt)`` or the value."""
    if fmt:
        try:
            return format(float(value), fmt)
        except ValueError:
            pass
    return value.strip("'\"")


def parse_bib(text: str) -> dict[str, dict[str, str]]:
    """The entries of a simple BibTeX file: {key: {field: value}} (one level of braces inside values)."""
    entries = {}
    for match in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", text, re.S):
        fields = {}
        for name, value in re.findall(r"(\w+)\s*=\s*\{((?:[^{}]|\{[^{}]*\})*)\}", match.group(2)):
            fields[name.lower()] = re.sub(r"\s+", " ", value.replace("{", "").replace("}", "")).strip()
        entries[match.group(1)] = fields
    return entries


def format_reference(key: str, entry: dict[str, str]) -> str:
    surnames = [a.split(",")[0].strip() for a in entry.get("author", "").split(" and ")]
    etal = surnames and surnames[-1] == "others"
    surnames = [s for s in surnames if s and s != "others"]
    if etal:
        authors = ", ".join(surnames) + " et al."
    elif len(surnames) > 1:
        authors = ", ".join(surnames[:-1]) + " and " + surnames[-1]
    else:
        authors = "".join(surnames)
    ref = f"`{key}`: {authors} ({entry.get('year', 'n.d.')}). {entry.get('title', '')}."
    if "journal" in entry:
        venue = f"*{entry['journal']}*"
        if "volume" in entry:
            venue += f" {entry['volume']}" + (f"({entry['number']})" if "number" in entry else "")
        if "pages" in entry:
            venue += f", {entry['pages'].replace('--', '–')}"
        ref += f" {venue}."
    elif "eprint" in entry:
        ref += f" {entry.get('archiveprefix', 'arXiv')}:{entry['eprint']}."
    if "doi" in entry:
        ref += f" doi:{entry['doi']}"
    return ref


def _cell(kind: str, cell_id: str, source: str) -> dict:
    lines = source.splitlines(keepends=True)
    return {
        "cell_type": "markdown",
        "id": cell_id,
        "metadata": {MARK: {"jupyterlab": kind}, "tags": ["remove-cell"]},
        "source": lines,
    }


def note_text(has_figures: bool, has_citations: bool, chapter: int = 0) -> str:
    lines = [
        "**Reading this notebook in JupyterLab** (cells like this one are for JupyterLab only: the HTML book"
        " leaves them out)",
        "",
        "- Use the reader's environment of `requirements-student.txt` (see the README): its JupyterLab has"
        " the `jupyterlab-myst` extension, which renders the boxes, exercises and math (without it you see"
        " raw `{prf:...}` blocks). Run the cells from top to bottom with the kernel *Python 3 (ipykernel)*.",
    ]
    if chapter > 0:
        lines.append(
            "- Definitions, theorems, exercises and equations are numbered within this notebook (Definition 1"
            f" here is Definition {chapter}.1 in the HTML book). Solutions are folded: click *Solution* to open"
            " one. Glossary terms are not linked."
        )
    if has_citations:
        lines.append(
            "- Citations show their key, for example `damadi2024iht`; the *References* cell at the end lists them."
        )
    if has_figures:
        lines.append("- Each figure's caption is in the cell below the figure.")
    return "\n".join(lines) + "\n"


def _short_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)[:40]


PRF_BOX = re.compile(r"^(?:`{3,}|:{3,})\{prf:([a-z]+)\}")
PRF_REF = re.compile(r"\{prf:ref\}`(?:([A-Z][a-z]+ \d+\.\d+) <([^`<>]+)>|([^`<>]+))`")


def prf_numbers(book: Path) -> dict[str, tuple[str, str]]:
    """{label: (chapter file, "Definition 3.3")} for the numbered boxes of every chapter in ``book``."""
    numbers = {}
    for path in sorted(book.glob("[0-9][0-9]-*.ipynb")):
        chapter = int(path.name[:2])
        counts: dict[str, int] = {}
        kind = None
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "markdown" or MARK in cell.get("metadata", {}):
                continue
            for line in "".join(cell["source"]).splitlines():
                box = PRF_BOX.match(line)
                if box:
                    kind = box.group(1)
                    if kind != "proof":  # proofs are not numbered
                        counts[kind] = counts.get(kind, 0) + 1
                elif kind and line.startswith(":label:"):
                    if kind != "proof" and chapter > 0:
                        numbers[line.split()[1]] = (path.name, f"{kind.capitalize()} {chapter}.{counts[kind]}")
                    kind = None
                elif not line.startswith(":"):
                    kind = None
    return numbers


def explicit_cross_refs(source: str, here: str, numbers: dict[str, tuple[str, str]]) -> str:
    def fix(match: re.Match) -> str:
        label = (match.group(2) or match.group(3)).strip()
        where, text = numbers.get(label, (here, ""))
        if where == here:
            return match.group(0)  # a box of this notebook: jupyterlab-myst resolves it
        return f"{{prf:ref}}`{text} <{label}>`"

    return PRF_REF.sub(fix, source)


def _glue_cell(quoted: list[tuple[str, str, str]], values: dict[str, dict[str, str]], name: str, cell_id: str) -> dict:
    """The JupyterLab-only cell listing the glued numbers that a markdown cell quotes."""
    items = []
    for where, key, fmt in quoted:
        if where not in values:  # glued in another chapter (MyST-NB's "file.ipynb::key")
            other = ROOT / "book" / where
            cells = json.loads(other.read_text(encoding="utf-8"))["cells"] if other.exists() else []
            values[where] = glued_values(cells)
        if key not in values[where]:
            raise KeyError(f"{name}: {{glue}} quotes {key!r}, which no stored output of {where or name} glues")
        items.append(f"`{key}` = {glue_text(values[where][key], fmt or None)}")
    text = "**Numbers in the text above**, computed by the code cells (the HTML book shows them in place): "
    return _cell("glue", "jl-glue-" + _short_id(cell_id), text + "; ".join(dict.fromkeys(items)) + "\n")


def jupyterlab_cells(nb: dict, bib: dict[str, dict[str, str]], name: str = "", numbers: dict | None = None) -> dict:
    """Return ``nb`` with its JupyterLab-only cells removed and added afresh."""
    cells = [c for c in nb["cells"] if MARK not in c.get("metadata", {})]
    if numbers:
        for cell in cells:
            if cell["cell_type"] == "markdown":
                old = "".join(cell["source"])
                new = explicit_cross_refs(old, name, numbers)
                if new != old:
                    cell["source"] = new.splitlines(keepends=True)
    out = []
    keys: list[str] = []
    has_figures = False
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for group in CITE.findall("".join(cell["source"])):
                keys += [k.strip() for k in group.split(",") if k.strip() and k.strip() not in keys]
    values = {"": glued_values(cells)}
    for cell in cells:
        out.append(cell)
        quoted = GLUE.findall("".join(cell["source"])) if cell["cell_type"] == "markdown" else []
        if quoted:
            out.append(_glue_cell(quoted, values, name, cell.get("id", str(len(out)))))
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
        if cell["cell_type"] == "code" and figure.get("caption"):
            has_figures = True
            label = figure.get("name") or cell.get("id", str(len(out)))
            out.append(_cell("caption", "jl-caption-" + _short_id(label), f"**Figure.** {figure['caption']}\n"))
    missing = [k for k in keys if k not in bib]
    if missing:
        raise KeyError(f"cited but not in {BIB.name}: {missing}")
    # the note goes first, above the chapter's title
    chapter = int(name[:2]) if name[:2].isdigit() else 0
    out.insert(0, _cell("note", "jl-note", note_text(has_figures, bool(keys), chapter)))
    if keys:
        refs = "\n".join(f"- {format_reference(k, bib[k])}" for k in keys)
        out.append(_cell("references", "jl-references", f"**References** cited in this chapter\n\n{refs}\n"))
    metadata = dict(nb.get("metadata", {}))
    if metadata.get("kernelspec", {}).get("name") == "python3":
        # the name ipykernel gives its kernel: with "Python 3", JupyterLab marks the notebook
        # modified as soon as it is opened (it rewrites the display name), before anything is run
        metadata["kernelspec"] = dict(metadata["kernelspec"], display_name="Python 3 (ipykernel)")
    return dict(nb, cells=out, metadata=metadata)


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook would change")
    args = parser.parse_args(argv)
    bib = parse_bib(BIB.read_text(encoding="utf-8"))
    stale = []
    for path in args.notebooks:
        old = path.read_text(encoding="utf-8")
        numbers = prf_numbers(path.resolve().parent)
        new = dumps(jupyterlab_cells(json.loads(old), bib, path.name, numbers))
        if new == old:
            print(f"{path}: up to date")
            continue
        stale.append(path)
        if args.check:
            print(f"{path}: JupyterLab cells missing or out of date (run python tools/jupyterlab_notes.py {path})")
        else:
            path.write_text(new, encoding="utf-8")
            print(f"{path}: JupyterLab cells written")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())

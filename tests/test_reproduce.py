"""The command line `python -m ihtlib reproduce` on a tiny book made in a temporary folder."""

import base64
import subprocess
import sys

import nbformat
import pytest

from ihtlib.__main__ import main
from ihtlib.reproduce import chapter_notebooks, find_book, reproduce

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


def make_tiny_book(root):
    """A repository with _toc.yml listing book/ch1 (a notebook with a figure, a table, a computing
    cell) and book/notes (Markdown); returns ``root``."""
    tmp_path = root
    (tmp_path / "book").mkdir(parents=True)
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nchapters:\n  - file: book/ch1\n  - file: book/notes\n"
    )
    (tmp_path / "book" / "notes.md").write_text("# Notes\n")
    nb = nbformat.v4.new_notebook()
    fig_cell = nbformat.v4.new_code_cell("fig = plot()")
    fig_cell.metadata["mystnb"] = {"figure": {"name": "ch1-fig-loss", "caption": "A loss."}}
    fig_cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]
    table_cell = nbformat.v4.new_code_cell("df")
    table_cell.outputs = [
        nbformat.v4.new_output(
            "execute_result", data={"text/html": "<table><tr><td>1</td></tr></table>"}, execution_count=1
        )
    ]
    run_cell = nbformat.v4.new_code_cell("x = 6 * 7\nprint(x)")
    nb.cells = [nbformat.v4.new_markdown_cell("# Chapter 1"), fig_cell, table_cell, run_cell]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "book" / "ch1.ipynb")
    return tmp_path


@pytest.fixture
def tiny_book(tmp_path):
    return make_tiny_book(tmp_path)


def test_finds_chapters_in_toc_order(tiny_book):
    assert find_book(tiny_book / "book") == tiny_book
    assert [p.name for p in chapter_notebooks(tiny_book)] == ["ch1.ipynb"]


def test_quick_exports_stored_figures_and_tables(tiny_book, tmp_path):
    out = tmp_path / "out"
    summary = reproduce(out, quick=True, root=tiny_book, progress=False)
    assert sorted(p.name for p in summary.files["ch1"]) == ["ch1-fig-loss.png", "table-01.html"]
    assert (out / "ch1" / "ch1-fig-loss.png").read_bytes() == base64.b64decode(PNG)
    assert "wrote 1 figures and 1 tables" in str(summary)
    assert not summary.executed


def test_full_run_executes_the_chapter(tiny_book, tmp_path):
    nb = nbformat.read(tiny_book / "book" / "ch1.ipynb", as_version=4)
    nb.cells = [nb.cells[0], nb.cells[3]]  # only the cell that computes
    nb.cells[1].source = "import matplotlib.pyplot as plt\nplt.plot([1, 2]);"
    nbformat.write(nb, tiny_book / "book" / "ch1.ipynb")
    summary = reproduce(tmp_path / "out", root=tiny_book, progress=False)
    assert summary.executed
    assert [p.name for p in summary.files["ch1"]] == ["figure-01.png"]  # produced by execution, not stored


def test_cli_usage_errors(tmp_path, capsys):
    # main returns the exit status (2: usage) and prints one line; tests/test_cli_errors.py has the full table
    assert main([]) == 2
    assert main(["reproduce"]) == 2  # --out missing
    (tmp_path / "file").write_text("x")
    assert main(["reproduce", "--out", str(tmp_path / "file")]) == 2
    assert main(["reproduce", "--out", str(tmp_path / "o"), "--book", str(tmp_path / "nowhere")]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 4


def test_cli_runs_as_module(tiny_book, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ihtlib",
            "reproduce",
            "--quick",
            "--out",
            str(tmp_path / "o"),
            "--book",
            str(tiny_book),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wrote 1 figures and 1 tables" in done.stdout

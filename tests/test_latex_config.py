"""The PDF's LaTeX, without TeX: book/_ext/book_latex.py on a two-page Sphinx project.

Runs Sphinx's LaTeX builder (which writes .tex and needs no TeX installation) on a small book
shaped like ours: an unnumbered front page, a numbered chapter with a theorem, an exercise,
references to both and math in a heading.  .ci/pdf builds and checks the real PDF.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXT = ROOT / "book" / "_ext"
sys.path.insert(0, str(EXT))

import book_latex  # noqa: E402

pytest.importorskip("sphinx_jupyterbook_latex")
pytest.importorskip("sphinx_exercise")
pytest.importorskip("sphinx_proof")

CONF = f"""
import sys
sys.path.insert(0, {str(EXT)!r})
extensions = ["sphinx_jupyterbook_latex", "sphinx_exercise", "sphinx_proof", "book_latex"]
project = "Mini"
root_doc = "index"
numfig = True
jblatex_captions_to_parts = True
latex_documents = [("index", "book.tex", "Mini", "Us", "manual")]
"""

INDEX = """\
Mini book
=========

.. toctree::
   :caption: Getting started

   preface

.. toctree::
   :caption: Theory
   :numbered:

   ch1
"""

PREFACE = """\
Preface
=======

Read :ref:`ex-a` first.
"""

CH1 = """\
Chapter one
===========

Where :math:`\\varepsilon` enters
---------------------------------

.. prf:theorem:: Descent
   :label: thm-a

   Something holds.

.. prf:proof::

   Obvious.

.. exercise::
   :label: ex-a

   Check :prf:ref:`thm-a`.

.. solution:: ex-a

   It holds.
"""


@pytest.fixture(scope="module")
def tex(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    from sphinx.application import Sphinx

    src = tmp_path_factory.mktemp("mini")
    for name, text in {"conf.py": CONF, "index.rst": INDEX, "preface.rst": PREFACE, "ch1.rst": CH1}.items():
        (src / name).write_text(text, encoding="utf-8")
    out = src / "_build" / "latex"
    app = Sphinx(str(src), str(src), str(out), str(src / "_build" / "doctrees"), "latex",
                 status=None, warning=None, freshenv=True)
    app.build()
    return (out / "book.tex").read_text(encoding="utf-8"), out


def _before(tex: str, heading: str) -> str:
    """The secnumdepth switch written right before a chapter heading."""
    at = tex.index(heading)
    switches = re.findall(r"\\setcounter\{secnumdepth\}\{(-?\d+)\}", tex[:at])
    assert switches, f"no secnumdepth switch before {heading}"
    return switches[-1]


def test_front_pages_are_not_numbered_chapters(tex: tuple[str, Path]) -> None:
    text, _ = tex
    assert _before(text, r"\chapter{Preface}") == "-1"
    assert int(_before(text, r"\chapter{Chapter one}")) >= 0
    assert _before(text, r"\part{Theory}") == "-2"   # parts unnumbered, like the HTML's captions


def test_references_carry_the_html_numbers(tex: tuple[str, Path]) -> None:
    text, _ = tex
    # sphinx-exercise labels exercises "exercise:<label>"; Sphinx's "Exercise \ref{...}" printed "??"
    assert r"Exercise \ref" not in text and r"Theorem \ref" not in text
    assert r"\hyperref[\detokenize{ch1:ex-a}]{\sphinxcrossref{Exercise 1.1}}" in text
    assert r"{\hyperref[\detokenize{ch1:thm-a}]{\sphinxcrossref{Theorem 1.1}}}" in text
    # ... and the targets exist
    assert r"\label{\detokenize{ch1:ex-a}}" in text
    assert r"\label{ch1:thm-a}" in text
    assert "Exercise 1.1" in text and "Theorem 1.1" in text   # the boxes' own titles


def test_proofs_are_not_boxes_with_an_empty_title(tex: tuple[str, Path]) -> None:
    text, _ = tex
    assert "Proof. Obvious." in text
    assert not re.search(r"\\begin\{sphinxadmonition\}\{note\}\s*\\sphinxAtStartPar", text)


def test_figure_numbers_reset_per_chapter(tex: tuple[str, Path]) -> None:
    text, _ = tex
    assert re.search(r"\\usepackage\[[^]]*numfigreset=1[^]]*\]\{sphinx\}", text)


def test_math_in_headings_has_a_bookmark_text(tex: tuple[str, Path]) -> None:
    text, _ = tex
    assert r"\texorpdfstring{\protect\(\varepsilon\protect\)}{ε}" in text


def test_shims_are_copied_and_loaded(tex: tuple[str, Path]) -> None:
    text, out = tex
    assert (out / "bbm.sty").is_file() and (out / "booklatex.sty").is_file()
    assert text.index(r"\usepackage{booklatex}") > text.index(r"\usepackage{unicode-math}")
    assert "Proof Index" not in text   # sphinx-proof's index of labels is left out


def test_the_book_uses_the_extension() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["local_extensions"]["book_latex"] == "book/_ext"
    assert config["latex"]["latex_documents"]["targetname"] == "book.tex"


@pytest.mark.parametrize(("tex", "text"), [
    (r"\varepsilon", "ε"),
    (r"\gamma = 1/\hat{L}_{2s}", "γ = 1/L̂₂ₛ"),
    (r"H_s", "Hₛ"),
    (r"\operatorname{supp}(\theta)", "supp(θ)"),
    (r"\lVert x \rVert_0 \le s", "‖ x ‖₀ ≤ s"),
])
def test_math_to_unicode(tex: str, text: str) -> None:
    assert book_latex.math_to_unicode(tex) == text


def test_column_widths_keep_words_whole() -> None:
    def cell(text: str) -> tuple[float, list[float]]:
        return len(text), [len(word) for word in text.split()]

    words = "the descent inequality, fixed points, HT-stability, support recovery"
    columns = [[cell(words)], [cell("Exercise 10.1")], [cell("60 min")]]
    widths = book_latex.column_widths(columns, line=30)
    assert widths[1] >= len("Exercise") + 1 and widths[0] >= len("HT-stability,") + 1
    assert widths[0] > widths[1] > widths[2]


def test_every_unicode_subscript_has_a_fallback() -> None:
    sty = (ROOT / "book" / "_latex" / "booklatex.sty").read_text(encoding="utf-8")
    for char in "₀₁₂₃₄₅₆₇₈₉ₐₑₒₓₕₖₗₘₙₚₛₜᵀᵏ":
        assert "\\newunicodechar{" + char + "}" in sty, char

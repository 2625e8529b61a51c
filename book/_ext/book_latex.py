"""Sphinx extension: the PDF of the book (``jupyter-book build . --builder pdflatex``).

Jupyter Book's LaTeX output (sphinx-jupyterbook-latex, xelatex) needs a few fixes so that the
PDF reads like the HTML.  Everything here acts on the LaTeX builder only; the HTML is untouched.

* **Chapter numbers as in the HTML.**  Only the parts marked ``numbered: true`` in ``_toc.yml``
  are numbered in the HTML (Theory 1-5, Experiments 6-7, Beyond the paper 8-10).  LaTeX numbers
  every chapter, so the preface, notation and instructors pages became chapters 1-3.  Before
  every page this extension sets LaTeX's ``secnumdepth``: -1 (no numbers, no counter step) for
  pages the HTML does not number, the HTML's depth otherwise; parts (the toc captions) are not
  numbered either, like the captions of the HTML sidebar.
* **Figure, exercise and theorem numbers as in the HTML.**  sphinx-jupyterbook-latex sets
  ``numfig_secnum_depth = 2`` for books with parts, so exercises and theorems would read
  "Exercise 5.5.1" where the HTML says "Exercise 5.5".  The HTML's value is restored and the
  LaTeX figure counters are reset per chapter (``numfigreset``) to match.
* **References to exercises and theorems.**  Sphinx writes a numbered reference as
  ``Exercise \\ref{label}``, but sphinx-exercise and sphinx-proof do not define that label for
  LaTeX's counters ("Exercise ??").  Such references are written with the number Sphinx computed
  (the HTML's number) and link to a label placed on the exercise or theorem box.
* **Math in headings.**  ``$\\varepsilon$`` in a heading broke hyperref's PDF bookmarks; math in
  a heading is written as ``\\texorpdfstring{<math>}{<Unicode text>}``.
* The shims in ``book/_latex`` (``bbm.sty``: Debian's TeX Live has no bbm package, which
  jupyterBook.cls loads; ``booklatex.sty``: glyphs the fonts lack, \\setminus, small tables) are
  copied next to the .tex file and loaded.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.fileutil import copy_asset_file
from sphinx.writers.latex import LaTeXTranslator

LATEX_DIR = Path(__file__).resolve().parent.parent / "_latex"
SHIMS = ("bbm.sty", "booklatex.sty")
# Numbered things LaTeX numbers itself (\caption, equation); everything else (exercises,
# theorems, definitions, ...) is numbered by Sphinx only.
LATEX_NUMBERED = {"figure", "table", "code-block", "section"}

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
_SYMBOLS = {
    "ell": "ℓ", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠",
    "infty": "∞", "nabla": "∇", "partial": "∂", "in": "∈", "notin": "∉", "times": "×",
    "cdot": "·", "to": "→", "rightarrow": "→", "mapsto": "↦", "approx": "≈", "sim": "∼",
    "lVert": "‖", "rVert": "‖", "Vert": "‖", "lvert": "|", "rvert": "|", "star": "⋆",
    "ast": "∗", "dots": "…", "ldots": "…", "cdots": "⋯", "setminus": "∖", "cup": "∪",
    "cap": "∩", "subseteq": "⊆", "top": "⊤", "pm": "±", "min": "min", "max": "max",
    "log": "log", "exp": "exp",
}
_SUB = dict(zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True))
_SUP = dict(zip("0123456789+-=()inT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿᵀ", strict=True))


def _script(text: str, table: dict[str, str], mark: str) -> str:
    if text and all(ch in table for ch in text):
        return "".join(table[ch] for ch in text)
    return mark + (text if len(text) == 1 else "(" + text + ")")


def math_to_unicode(tex: str) -> str:
    """Plain Unicode text for inline LaTeX math, for PDF bookmarks (a best effort)."""
    out = tex
    # \hat{L} -> L̂ ; font and text commands keep their argument.
    out = re.sub(r"\\(?:hat|widehat)\s*\{\s*([^{}]*)\}", lambda m: m.group(1) + "\u0302", out)
    out = re.sub(r"\\(?:hat|widehat)\s+(\w)", lambda m: m.group(1) + "\u0302", out)
    out = re.sub(r"\\mathbb\s*\{\s*R\s*\}", "ℝ", out)
    out = re.sub(r"\\(?:operatorname\*?|mathrm|mathbf|mathit|mathcal|text|textrm|boldsymbol)\s*\{([^{}]*)\}",
                 r"\1", out)
    out = re.sub(r"\\([A-Za-z]+)",
                 lambda m: _GREEK.get(m.group(1), _SYMBOLS.get(m.group(1), "")), out)
    out = re.sub(r"\\[,;:! ]", " ", out)
    out = re.sub(r"_\s*\{([^{}]*)\}|_\s*(\S)", lambda m: _script(m.group(1) or m.group(2), _SUB, "_"), out)
    out = re.sub(r"\^\s*\{([^{}]*)\}|\^\s*(\S)", lambda m: _script(m.group(1) or m.group(2), _SUP, "^"), out)
    out = out.replace("{", "").replace("}", "").replace("\\", "")
    return re.sub(r"\s+", " ", out).strip()


def _pdf_escape(text: str) -> str:
    """Escape text for the second (PDF string) argument of \\texorpdfstring."""
    special = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "#": r"\#", "%": r"\%",
               "&": r"\&", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
               "$": r"\$"}
    return "".join(special.get(ch, ch) for ch in text)


def _latex_escape(text: str) -> str:
    return _pdf_escape(text)


class BookLaTeXTranslator(LaTeXTranslator):
    """Figure/table/equation counters reset per chapter, as the HTML numbers them.

    The stock writer derives ``numfigreset`` from ``numfig_secnum_depth`` relative to the top
    sectioning level; with parts as the top level it would not reset per chapter unless the
    depth were 2, which would give the HTML "Exercise 5.5.1".  Chapters are the numbered units
    here, so the reset level is the HTML's depth itself.
    """

    def __init__(self, document: nodes.document, builder: object, theme: object) -> None:
        super().__init__(document, builder, theme)
        if self.config.numfig and self.config.numfig_secnum_depth > 0:
            depth = min(self.config.numfig_secnum_depth, 5)
            self.elements["sphinxpkgoptions"] = re.sub(
                r"numfigreset=\d+", f"numfigreset={depth}", self.elements["sphinxpkgoptions"])


def _docname_of(node: nodes.Node) -> str | None:
    while node is not None:
        if isinstance(node, (addnodes.start_of_file, nodes.section)) and node.get("docname"):
            return node["docname"]
        node = node.parent
    return None


MONO = 1.3  # a monospace character is about this much wider than an average proportional one


def _runs(node: nodes.Node, scale: float = 1.0) -> list[tuple[str, float]]:
    """The text a reader sees, as (text, width per character): math as its Unicode approximation."""
    if isinstance(node, nodes.math):
        return [(math_to_unicode(node.astext()), 1.0)]
    if isinstance(node, nodes.Text):
        return [(str(node), scale)]
    if isinstance(node, nodes.literal):
        scale = MONO
    return [run for child in node.children for run in _runs(child, scale)]


def _cell_tokens(entry: nodes.Element) -> tuple[float, list[float]]:
    """A cell's width and the widths of its unbreakable pieces (its words), in characters."""
    words, width, total = [], 0.0, 0.0
    for text, scale in _runs(entry):
        for ch in text:
            if ch.isspace():
                if width:
                    words.append(width)
                width = 0.0
            else:
                width += scale
            total += scale
    if width:
        words.append(width)
    return total, words


def column_widths(columns: list[list[tuple[float, list[float]]]], line: int = 90) -> list[int]:
    """Relative column widths (in characters) for a table that spans ``line`` characters.

    ``columns`` holds, per column, each cell's ``(width, widths of its words)``.  A column gets
    at least its longest word; the rest of the line is shared in proportion to how much longer
    the column's longest cell is than that minimum.
    """
    minimum = [max((w for _, words in col for w in words), default=1) + 2 for col in columns]
    longest = [max((width for width, _ in col), default=1) + 2 for col in columns]
    natural = [max(n, m) for n, m in zip(longest, minimum, strict=True)]
    if sum(natural) <= line:
        widths = natural
    elif sum(minimum) >= line:
        widths = minimum
    else:
        slack = [n - m for n, m in zip(natural, minimum, strict=True)]
        extra = line - sum(minimum)
        widths = [m + extra * s / sum(slack) for m, s in zip(minimum, slack, strict=True)]
    return [max(1, round(w)) for w in widths]


def _fix_parents(root: nodes.Node) -> None:
    """Make every node's ``parent`` its parent in the tree.

    sphinx-jupyterbook-latex moves subtrees by assigning ``children`` lists, which leaves
    ``parent`` pointing into detached copies; walking up from a node (sphinx-proof's numbering,
    our inserts) then fails.
    """
    stack = [root]
    while stack:
        node = stack.pop()
        for child in getattr(node, "children", ()):
            child.parent = node
            stack.append(child)


class BookLaTeXPostTransform(SphinxPostTransform):
    """Numbering switches, references with the HTML's numbers, math in headings (LaTeX only)."""

    builders = ("latex",)
    # After sphinx-jupyterbook-latex has arranged parts and chapters (700).
    default_priority = 900

    def run(self, **kwargs) -> None:
        if self.app.config.master_doc != self.app.project.path2doc(self.document.get("source", "")):
            return
        _fix_parents(self.document)
        self._front_page()
        self._numbering()
        self._tables()
        self._proofs()
        self._labels()
        self._references()
        self._math_in_titles()

    # --- the landing page -------------------------------------------------------------------
    def _front_page(self) -> None:
        """Give the landing page's text its heading (an unnumbered chapter, as in the HTML).

        Sphinx uses the root page's title for the title page only, so the landing page's text
        followed the table of contents without a heading (and under the running head "Contents").
        """
        root = self.app.config.master_doc
        for section in self.document.findall(nodes.section):
            if section.get("docname") == root:
                title = self.env.titles[root].astext()
                heading = r"\setcounter{secnumdepth}{-1}\chapter{" + _latex_escape(title) + "}"
                at = 1 if section.children and isinstance(section[0], nodes.title) else 0
                section.insert(at, nodes.raw("", heading + "\n", format="latex"))
                return

    # --- chapter numbers -------------------------------------------------------------------
    def _numbering(self) -> None:
        env = self.env
        numbered = {doc for doc, numbers in env.toc_secnumbers.items() if numbers}
        depth = max((len(n) for nums in env.toc_secnumbers.values() for n in nums.values()), default=1)
        on = r"\setcounter{secnumdepth}{" + str(max(depth - 1, 0)) + "}"   # chapter is level 0
        for sof in list(self.document.findall(addnodes.start_of_file)):
            docname = sof["docname"]
            if docname not in env.all_docs:        # a part made from a toc caption
                switch = r"\setcounter{secnumdepth}{-2}"
            elif docname in numbered:
                switch = on
            else:
                switch = r"\setcounter{secnumdepth}{-1}"
            sof.insert(0, nodes.raw("", switch + "\n", format="latex"))
            if docname in env.titles:
                # sphinx-proof finds a box's page by walking up to a node whose names hold the
                # page title; a title with a curly quote ("the paper's results") never matched,
                # so chapter 6's boxes had no number and a label "None:...".
                title = env.titles[docname].astext().lower()
                for node in [sof, *(c for c in sof.children if isinstance(c, nodes.section))]:
                    if title not in node["names"]:
                        node["names"].append(title)

    # --- tables ------------------------------------------------------------------------------
    def _tables(self) -> None:
        """Column widths from the content; tables in the running text may break across pages.

        tabulary squeezed the 7-column table of the instructors page ("Exer-cise 1.1") and,
        unbreakable, pushed it to the next page.  Each column now gets at least its longest word
        (no "Exer-cise") and shares the rest of the line in proportion to its longest cell.
        """
        for table in list(self.document.findall(nodes.table)):
            tgroup = next(iter(table.findall(nodes.tgroup)), None)
            if tgroup is None:
                continue
            colspecs = [c for c in tgroup.children if isinstance(c, nodes.colspec)]
            columns: list[list[nodes.entry]] = [[] for _ in colspecs]
            for row in tgroup.findall(nodes.row):
                entries = [e for e in row.children if isinstance(e, nodes.entry)]
                if len(entries) != len(colspecs):      # spanning cells: leave the table alone
                    break
                for i, entry in enumerate(entries):
                    columns[i].append(entry)
            else:
                widths = column_widths([[_cell_tokens(e) for e in col] for col in columns])
                for colspec, width in zip(colspecs, widths, strict=True):
                    colspec["colwidth"] = width
                table["classes"] = [c for c in table["classes"] if c != "colwidths-auto"]
                table["classes"].append("colwidths-given")
                if isinstance(table.parent, nodes.section):
                    table["classes"].append("longtable")

    # --- proofs ------------------------------------------------------------------------------
    def _proofs(self) -> None:
        """A proof as plain paragraphs ("Proof. ... ∎"), not a box with an empty title bar.

        sphinx-proof wraps a proof in an admonition without a title; LaTeX's admonition box then
        took the first paragraph's \\sphinxAtStartPar as its title and drew an empty header.
        """
        for node in list(self.document.findall(nodes.admonition)):
            if "proof" in node["classes"] and type(node.parent).__name__ == "proof_node" \
                    and not any(isinstance(child, nodes.title) for child in node.children):
                block = nodes.container(classes=["proof"])
                block.extend(node.children)
                block.append(nodes.raw("", "\\par", format="latex"))   # a proof ending in display math
                node.replace_self(block)

    # --- labels for exercises and theorem-like boxes ----------------------------------------
    def _labels(self) -> None:
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        try:
            from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node
            exercise_types: tuple = (exercise_node, exercise_enumerable_node)
        except ImportError:  # pragma: no cover
            exercise_types = ()
        for node in list(self.document.findall(nodes.Element)):
            if exercise_types and isinstance(node, exercise_types):
                label = node.get("label", "")
                docname = registry.get(label, {}).get("docname") or _docname_of(node)
                if label and docname:
                    # sphinx-exercise only writes \label{exercise:<label>}; references and the
                    # solutions' links use <docname>:<label>.
                    anchor = r"\phantomsection\label{\detokenize{" + f"{docname}:{label}" + "}}"
                    node.parent.insert(node.parent.index(node), nodes.raw("", anchor, format="latex"))
            elif type(node).__module__.startswith("sphinx_proof") and node.get("label") \
                    and type(node).__name__.endswith("_node") and "enumerable" in type(node).__name__:
                # sphinx-proof writes \label{<docname>:<label>} without an anchor of its own.
                node.parent.insert(node.parent.index(node), nodes.raw("", r"\phantomsection", format="latex"))

    # --- numbered references ------------------------------------------------------------------
    def _references(self) -> None:
        for ref in list(self.document.findall(addnodes.number_reference)):
            refuri = ref.get("refuri", "")
            target = ref.get("refid") and (_docname_of(ref) or "") + ":" + ref["refid"] or \
                refuri[1:].replace("#", ":", 1)
            docname, _, labelid = target.partition(":")
            figtype = self._figtype(docname, labelid)
            if figtype in LATEX_NUMBERED or figtype is None:
                continue
            text = ref.astext()
            raw = r"\hyperref[\detokenize{" + target + r"}]{\sphinxcrossref{" + _latex_escape(text) + "}}"
            ref.replace_self(nodes.raw(text, raw, format="latex"))

    def _figtype(self, docname: str, labelid: str) -> str | None:
        for figtype, ids in self.env.toc_fignumbers.get(docname, {}).items():
            if labelid in ids:
                return figtype
        return None

    # --- math in headings ------------------------------------------------------------------------
    def _math_in_titles(self) -> None:
        for title in list(self.document.findall(nodes.title)):
            if not isinstance(title.parent, nodes.section):
                continue
            for math in list(title.findall(nodes.math)):
                tex = math.astext()
                raw = r"\texorpdfstring{\protect\(" + tex + r"\protect\)}{" + _pdf_escape(math_to_unicode(tex)) + "}"
                math.replace_self(nodes.raw(tex, raw, format="latex"))


def _config_inited(app: Sphinx, config: Config) -> None:
    # sphinx-jupyterbook-latex changes numfig_secnum_depth when the builder starts; keep ours.
    app.book_numfig_secnum_depth = config.numfig_secnum_depth
    config.latex_domain_indices = False          # sphinx-proof's "Proof Index" of labels
    config.jblatex_show_tocs = False              # the PDF has its own table of contents
    elements = dict(config.latex_elements or {})
    elements.setdefault("tocdepth", r"\setcounter{tocdepth}{1}")   # chapters and sections
    elements.setdefault("extraclassoptions", "openany")             # no blank pages before chapters
    preamble = elements.get("preamble", "")
    if r"\usepackage{booklatex}" not in preamble:
        # after sphinx-jupyterbook-latex's part of the preamble (unicode-math, ucharclasses)
        elements["preamble"] = preamble + "\n" + r"\usepackage{booklatex}" + "\n"
    config.latex_elements = elements


def _builder_inited(app: Sphinx) -> None:
    if app.builder.format != "latex":
        return
    app.config.numfig_secnum_depth = app.book_numfig_secnum_depth
    for name in SHIMS:
        copy_asset_file(str(LATEX_DIR / name), app.outdir)


def setup(app: Sphinx) -> dict:
    app.set_translator("latex", BookLaTeXTranslator, override=True)
    app.add_post_transform(BookLaTeXPostTransform)
    # after sphinx-jupyterbook-latex (priority 500) in both events
    app.connect("config-inited", _config_inited, priority=800)
    app.connect("builder-inited", _builder_inited, priority=800)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

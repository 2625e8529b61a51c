"""Sphinx extension: small fixes to the HTML every page ships, and the course switch.

* sphinx-thebe registers its inline configuration script once per reading pass, and
  jupyter-book reads twice, so every page declared ``const THEBE_JS_URL`` twice and the
  browser logged a SyntaxError.  This drops repeated script entries from each page.
* Code cells fit the text column: ``static/book.css`` sets them at 12px on windows too narrow
  for 88 characters at the theme's 14px (ruff keeps the cells within 88 characters).
* Course build: with the environment variable ``IHT_HIDE_SOLUTIONS=1`` the build leaves
  every exercise solution out (sphinx-exercise's ``hide_solutions``), for a copy of the
  book handed to students before the answers are due::

      IHT_HIDE_SOLUTIONS=1 jupyter-book build . --path-output _build/course
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config


def _script_key(script: object) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    return (getattr(script, "filename", str(script)) or "", tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _dedupe_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object) -> None:
    # Inline scripts come with filename None or "" depending on who added them: same script.
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _course_switch(app: Sphinx, config: Config) -> None:
    if os.environ.get("IHT_HIDE_SOLUTIONS", "").strip() not in ("", "0"):
        config.hide_solutions = True


def _add_static(app: Sphinx, config: Config) -> None:
    config.html_static_path.append(str(Path(__file__).parent / "static"))


def setup(app: Sphinx) -> dict:
    # Load MathJax on every page, not only on pages with math in their body: the
    # navigation sidebar of every page can hold math too (a chapter title).
    app.set_html_assets_policy("always")
    app.connect("config-inited", _course_switch)
    app.connect("config-inited", _add_static)
    app.add_css_file("book.css")
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

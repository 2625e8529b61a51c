"""Sphinx extension: small fixes to the HTML every page ships.

sphinx-thebe registers its inline configuration script once per reading pass, and
jupyter-book reads twice, so every page declared ``const THEBE_JS_URL`` twice and the
browser logged a SyntaxError.  This drops repeated script entries from each page.
"""

from __future__ import annotations

from sphinx.application import Sphinx


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


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

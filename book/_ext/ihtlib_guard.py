"""Sphinx extension: never serve a chapter's outputs computed with an older ihtlib.

jupyter-cache keys a notebook on its code cells only, so an edit to ``ihtlib`` would
leave stale outputs in the book.  At the start of every build this extension hashes
the sources of the *installed* ``ihtlib``; when the hash differs from the one stored
by the last successful build, it empties the execution cache and marks every
notebook out of date, so each chapter is executed again.  A rebuild with nothing
changed keeps using the cache.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

STAMP = ".ihtlib-fingerprint"


def fingerprint() -> str:
    """SHA-256 of every ``.py`` file of the installed ihtlib package."""
    import ihtlib

    digest = hashlib.sha256()
    for path in sorted(Path(ihtlib.__file__).parent.rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _cache_path(app: Sphinx) -> Path:
    configured = getattr(app.config, "nb_execution_cache_path", "") or ""
    return Path(configured) if configured else Path(app.outdir).parent / ".jupyter_cache"


def _builder_inited(app: Sphinx) -> None:
    app.env.ihtlib_fingerprint = fingerprint()
    stamp = Path(app.outdir).parent / STAMP
    app.env.ihtlib_changed = not stamp.exists() or stamp.read_text().strip() != app.env.ihtlib_fingerprint
    if app.env.ihtlib_changed and _cache_path(app).exists():
        from jupyter_cache import get_cache

        get_cache(str(_cache_path(app))).clear_cache()


def _env_get_outdated(app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]):
    if not getattr(env, "ihtlib_changed", False):
        return []
    return [doc for doc in env.found_docs if str(env.doc2path(doc)).endswith(".ipynb")]


def _build_finished(app: Sphinx, exception: BaseException | None) -> None:
    if exception is None:
        (Path(app.outdir).parent / STAMP).write_text(app.env.ihtlib_fingerprint + "\n")


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", _builder_inited)
    app.connect("env-get-outdated", _env_get_outdated)
    app.connect("build-finished", _build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

"""Sphinx extension: the execution cache of the chapters, kept honest and filled in parallel.

1. Never serve a chapter's outputs computed with an older ihtlib.  jupyter-cache keys a
   notebook on its code cells only, so an edit to ``ihtlib`` would leave stale outputs in the
   book.  At the start of every build this extension hashes the sources of the *installed*
   ``ihtlib`` (found without importing it: importing it costs seconds, and a rebuild with
   nothing changed should not); when the hash differs from the one stored by the last
   successful build, it empties the execution cache and marks every notebook out of date, so
   each chapter is executed again.  A rebuild with nothing changed keeps using the cache.

2. Execute the chapters that need it in parallel.  MyST-NB executes a notebook when Sphinx
   reads it, one after the other (Jupyter Book 1.x has no option for parallel reading).  Just
   before Sphinx reads, this extension executes every notebook that is about to be read and has
   no match in the cache, in a pool of processes (one per CPU by default), exactly as MyST-NB's
   ``cache`` mode would (the same jupyter-cache calls, working directory, timeout and
   ``allow_errors``), and stores the results in the cache; MyST-NB then finds them there.  A
   chapter that fails here is simply left out of the cache: MyST-NB executes it again when it
   reads it and reports the error as usual.  The longest chapters start first (the times of the
   previous execution, when the cache had them; otherwise the chapters in reverse order, as the
   later ones run the heavier experiments).  Set ``IHT_BUILD_JOBS=1`` to leave all execution to
   MyST-NB, or another number for that many processes.  Only in ``cache`` mode, on Linux (the
   pool forks the build process).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path, PurePosixPath

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

STAMP = ".ihtlib-fingerprint"
JOBS_VARIABLE = "IHT_BUILD_JOBS"

logger = logging.getLogger(__name__)


def package_dir() -> Path:
    """The folder of the ``ihtlib`` package that ``import ihtlib`` would load (without importing it)."""
    spec = importlib.util.find_spec("ihtlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("ihtlib is not installed: `pip install -e .` from the repository root")
    return Path(next(iter(spec.submodule_search_locations)))


def fingerprint() -> str:
    """SHA-256 of every ``.py`` file of the installed ihtlib package."""
    digest = hashlib.sha256()
    for path in sorted(package_dir().rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _cache_path(app: Sphinx) -> Path:
    configured = getattr(app.config, "nb_execution_cache_path", "") or ""
    return Path(configured) if configured else Path(app.outdir).parent / ".jupyter_cache"


def _recorded_times(cache_path: Path) -> dict[str, float]:
    """Seconds of the latest cached execution of each notebook (by path), from the cache's records."""
    from jupyter_cache import get_cache

    records = sorted(get_cache(str(cache_path)).list_cache_records(), key=lambda r: r.created)
    return {r.uri: r.data["execution_seconds"] for r in records if (r.data or {}).get("execution_seconds")}


def _builder_inited(app: Sphinx) -> None:
    app.env.ihtlib_fingerprint = fingerprint()
    stamp = Path(app.outdir).parent / STAMP
    app.env.ihtlib_changed = not stamp.exists() or stamp.read_text().strip() != app.env.ihtlib_fingerprint
    app.ihtlib_previous_times = {}
    if _cache_path(app).exists():
        try:
            app.ihtlib_previous_times = _recorded_times(_cache_path(app))
        except Exception:  # an unreadable cache only loses the ordering hint
            pass
        if app.env.ihtlib_changed:
            from jupyter_cache import get_cache

            get_cache(str(_cache_path(app))).clear_cache()


def _env_get_outdated(app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]):
    if not getattr(env, "ihtlib_changed", False):
        return []
    return [doc for doc in env.found_docs if str(env.doc2path(doc)).endswith(".ipynb")]


def _jobs() -> int:
    value = os.environ.get(JOBS_VARIABLE, "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(f"{JOBS_VARIABLE} must be a whole number of processes, got {value!r}") from None
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def execute_into_cache(uri: str, cache_path: str, timeout: int | None, allow_errors: bool) -> tuple[str, float, str]:
    """Execute one notebook as MyST-NB's ``cache`` mode does and store it in the cache.

    Returns ``(uri, seconds, error)``; ``error`` is "" on success, else the exception's name (the
    notebook is then not cached).  Runs in a worker process.
    """
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution

    start = time.perf_counter()
    notebook = nbformat.read(uri, as_version=4)
    try:
        result = single_nb_execution(
            notebook, cwd=str(Path(uri).parent), allow_errors=allow_errors, timeout=timeout, meta_override=True
        )
    except Exception as error:  # e.g. a kernel that dies or does not start: MyST-NB will say what happened
        return uri, time.perf_counter() - start, type(error).__name__
    if result.err is not None:
        return uri, result.time, type(result.err).__name__
    bundle = CacheBundleIn(notebook, uri, data={"execution_seconds": result.time})
    get_cache(cache_path).cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
    return uri, result.time, ""


def _to_execute(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> list[str]:
    """The notebooks among ``docnames`` that MyST-NB would execute: not excluded, no match in the cache."""
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(str(_cache_path(app)))
    patterns = list(getattr(app.config, "nb_execution_excludepatterns", []) or [])
    todo = []
    for docname in docnames:
        path = Path(env.doc2path(docname))
        if path.suffix != ".ipynb" or any(PurePosixPath(path.as_posix()).match(p) for p in patterns):
            continue
        notebook = nbformat.read(path, as_version=4)
        mode = notebook.metadata.get("mystnb", {}).get("execution_mode", "cache")
        if mode != "cache":
            continue
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            todo.append(str(path))
    return todo


def _execute_in_parallel(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    if getattr(app.config, "nb_execution_mode", None) != "cache" or getattr(app.config, "nb_execution_in_temp", False):
        return
    jobs = _jobs()
    if jobs < 2 or not sys.platform.startswith("linux"):
        return
    todo = _to_execute(app, env, docnames)
    if len(todo) < 2:
        return  # nothing to gain: MyST-NB executes it while reading
    previous = getattr(app, "ihtlib_previous_times", {})
    todo.sort(key=lambda uri: (previous.get(uri, float("inf")), uri), reverse=True)
    jobs = min(jobs, len(todo))
    root = Path(app.srcdir)
    logger.info(f"executing {len(todo)} notebooks in {jobs} processes ({JOBS_VARIABLE}=1: one at a time)")
    import multiprocessing

    start = time.perf_counter()
    args = (str(_cache_path(app)), app.config.nb_execution_timeout, app.config.nb_execution_allow_errors)
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        pending = {pool.submit(execute_into_cache, uri, *args) for uri in todo}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    uri, seconds, error = future.result()
                except Exception as failure:  # a worker process died: what it ran is read (and run) as usual
                    logger.info(f"a worker process failed ({type(failure).__name__}); MyST-NB executes what is left")
                    continue
                name = Path(uri).relative_to(root).as_posix() if Path(uri).is_relative_to(root) else uri
                if error:
                    logger.info(f"{name}: {error} after {seconds:.1f} s; executed again while reading, to report it")
                else:
                    logger.info(f"{name}: executed in {seconds:.2f} seconds (in parallel)")
    logger.info(f"executed {len(todo)} notebooks in {jobs} processes in {time.perf_counter() - start:.1f} s")


def _build_finished(app: Sphinx, exception: BaseException | None) -> None:
    if exception is None:
        (Path(app.outdir).parent / STAMP).write_text(app.env.ihtlib_fingerprint + "\n")


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", _builder_inited)
    app.connect("env-get-outdated", _env_get_outdated)
    # after the other handlers of the event (MyST-NB's among them), just before Sphinx reads
    app.connect("env-before-read-docs", _execute_in_parallel, priority=900)
    app.connect("build-finished", _build_finished)
    return {"version": "1.1", "parallel_read_safe": True, "parallel_write_safe": True}

"""Regenerate every figure and table of the book as files, from the command line.

``python -m ihtlib reproduce --out DIR`` executes each chapter of the book (the notebooks
in ``book/`` of this repository, in the order of ``_toc.yml``) in a fresh kernel, without
Jupyter, and writes what the chapter shows:

* every figure as ``DIR/<chapter>/<figure-name>.png`` (the name from the cell's
  ``mystnb.figure.name`` metadata, else ``figure-NN``);
* every table (a pandas DataFrame rendered by the chapter) as ``DIR/<chapter>/table-NN.html``.

Executing the chapters themselves, instead of a second copy of their code, guarantees the
files are exactly the book's.  ``--quick`` skips execution and exports the outputs stored
in the notebooks (a smoke run of a few seconds).

Everything that can be checked before the first chapter runs is checked first: the book
folder, its ``_toc.yml``, every chapter it lists (a missing one is an error, not a silent
skip), every notebook's format, and that the output folder can be created and written.
Each file is written under a temporary name and renamed once all files of its chapter are
complete, so an interrupted or failed run never leaves a partial file under a final name.
Files of an earlier run that this run did not rewrite are reported
(:attr:`ReproduceSummary.stale`); ``clean=True`` removes them before the run.

This module runs the chapters (:func:`reproduce`); finding the book and its chapters, reading
the figures and tables out of a notebook and writing them as files live in
:mod:`ihtlib.book_files` (their names are importable from here too).  The command line
itself is :mod:`ihtlib.__main__`.
"""

from __future__ import annotations

import os  # noqa: F401 - tests patch ``ihtlib.reproduce.os.replace`` (book_files writes with it)
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .book_files import (  # noqa: F401 - public before the split
    OUTPUT_SUFFIXES,
    PAGE_SUFFIXES,
    PART_SUFFIX,
    BookError,
    ChapterError,
    OutputError,
    ReproduceError,
    _clean,
    _ours,
    _outputs,
    _prepare_out,
    _shorten,
    _write_all,
    chapter_notebooks,
    check_book,
    find_book,
    strip_ansi,
)

__all__ = [
    "find_book",
    "chapter_notebooks",
    "reproduce",
    "ReproduceSummary",
    "ReproduceError",
    "BookError",
    "OutputError",
    "ChapterError",
    "Interrupted",
    "strip_ansi",
]


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`reproduce`; temporaries removed, completed chapters kept.

    Attributes
    ----------
    chapter : str or None
        The chapter being run when the interrupt came.
    summary : ReproduceSummary
        The chapters written completely before it.
    """

    def __init__(self, chapter: str | None, summary: ReproduceSummary) -> None:
        self.chapter, self.summary = chapter, summary
        done = len(summary.files)
        where = f" during chapter {chapter}" if chapter else ""
        super().__init__(
            f"interrupted{where}: {done} chapter{'s' * (done != 1)} written completely to {summary.out}, "
            "no partial file left"
        )


@dataclass
class ReproduceSummary:
    """What :func:`reproduce` wrote.

    Attributes
    ----------
    out : Path
    files : dict of str to list of Path
        Per chapter, the files written.
    executed : bool
        False for ``quick`` (stored outputs exported).
    seconds : float
    stale : dict of str to list of Path
        Per chapter folder, files of an earlier run that this run did not rewrite (figures and
        tables under old names, or temporaries of a killed run); empty after ``clean=True``.
    removed : int
        Files removed by ``clean=True`` before the run.
    """

    out: Path
    files: dict[str, list[Path]] = field(default_factory=dict)
    executed: bool = True
    seconds: float = 0.0
    stale: dict[str, list[Path]] = field(default_factory=dict)
    removed: int = 0

    @property
    def n_stale(self) -> int:
        return sum(len(ps) for ps in self.stale.values())

    def stale_warning(self) -> str:
        """One line naming how many stale files there are and where, or '' when there are none."""
        if not self.n_stale:
            return ""
        where = ", ".join(f"{self.out / ch} ({len(ps)})" for ch, ps in self.stale.items())
        n = self.n_stale
        return (
            f"{n} file{'s' * (n != 1)} from an earlier run {'were' if n != 1 else 'was'} not rewritten "
            f"and may be out of date: {where}; rerun with --clean to remove them"
        )

    def __str__(self) -> str:
        n_fig = sum(p.suffix == ".png" for ps in self.files.values() for p in ps)
        n_tab = sum(p.suffix == ".html" for ps in self.files.values() for p in ps)
        how = "executed" if self.executed else "stored outputs of"
        lines = [f"wrote {n_fig} figures and {n_tab} tables from {how} {len(self.files)} chapters to {self.out}"]
        if self.removed:
            lines.append(f"  (removed {self.removed} files of an earlier run first: --clean)")
        lines += [f"  {ch}: {len(ps)} files" for ch, ps in self.files.items()]
        lines.append(f"in {self.seconds:.1f} s")
        return "\n".join(lines)


def _execute(nb: object, path: Path, timeout: int, on_cell_execute: Callable[..., None]) -> None:
    """Run every code cell of ``nb`` in a fresh kernel (nbclient); ``on_cell_execute(cell, cell_index)``
    is called before each code cell.  Tests replace this function.

    The cells run one by one inside nbclient's synchronous ``setup_kernel`` rather than through
    ``NotebookClient.execute``, whose own SIGINT handler turns Ctrl-C into an obscure
    ``AssertionError``: here Ctrl-C raises ``KeyboardInterrupt`` and the kernel is shut down on
    the way out.
    """
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_execute=on_cell_execute,
    )
    client.reset_execution_trackers()
    # The kernel's own log (a TCP warning at start, tracebacks of its message loop when it is
    # stopped by Ctrl-C) would go to our stderr; keep it aside and quote it only if the kernel fails.
    with tempfile.TemporaryFile() as log:
        try:
            with client.setup_kernel(stderr=log):
                for index, cell in enumerate(nb.cells):
                    client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
        except Exception as err:
            log.seek(0)
            lines = [line for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
            err.kernel_log = lines[-1] if lines else ""
            raise


def _run_chapter(nb: object, path: Path, timeout: int) -> None:
    """Execute one chapter; failures become a one-line :class:`ChapterError`, Ctrl-C a KeyboardInterrupt."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    current: dict[str, int] = {}

    def on_cell_execute(cell: object = None, cell_index: int = 0, **_: object) -> None:
        current["index"] = cell_index

    def failed(reason: str) -> ChapterError:
        index = current.get("index")
        source = nb.cells[index].source if index is not None and index < len(nb.cells) else ""
        return ChapterError(path.stem, reason, None if index is None else index + 1, source)

    try:
        _execute(nb, path, timeout, on_cell_execute)
    except CellExecutionError as err:
        if err.ename == "KeyboardInterrupt":  # Ctrl-C reaches the kernel too: its cell stops with this
            raise KeyboardInterrupt from None
        evalue = strip_ansi(err.evalue or "").strip()
        raise failed(_shorten(f"{strip_ansi(err.ename)}: {evalue}" if evalue else strip_ansi(err.ename), 200)) from None
    except CellTimeoutError:
        raise failed(f"the cell ran longer than the time limit of {timeout} s") from None
    except DeadKernelError as err:
        log = getattr(err, "kernel_log", "")
        raise failed("the kernel died (out of memory, or killed)" + (f"; kernel log: {log}" if log else "")) from None
    except KeyboardInterrupt:
        raise
    except Exception as err:  # kernel missing, zmq failure: not the reader's code, but this chapter did not run
        log = getattr(err, "kernel_log", "")
        raise failed(_shorten(f"{type(err).__name__}: {err}" + (f" (kernel: {log})" if log else ""), 250)) from None


def reproduce(
    out: Path | str,
    quick: bool = False,
    root: Path | str | None = None,
    progress: bool = True,
    timeout: int = 600,
    clean: bool = False,
) -> ReproduceSummary:
    """Execute every chapter and write its figures and tables to ``out``.

    Parameters
    ----------
    out : path
        Output folder (created if needed).
    quick : bool
        Export the outputs stored in the notebooks instead of executing them.
    root : path, optional
        The repository root; found with :func:`find_book` by default.
    progress : bool
        Show a progress bar over the chapters.
    timeout : int
        Seconds a single cell may run.
    clean : bool
        First remove the figures and tables (``*.png``, ``*.html``) in the folders
        ``out/<chapter>`` of this book's chapters, so that no file of an earlier run stays.

    Returns
    -------
    ReproduceSummary
        With :attr:`~ReproduceSummary.stale` listing files of an earlier run not rewritten.

    Raises
    ------
    BookError
        The book, its ``_toc.yml`` or a listed chapter is missing (checked before any work).
    OutputError
        ``out`` cannot be created or written (checked before any work).
    ChapterError
        A chapter could not be read, failed in a cell, or its files could not be written;
        the chapters before it are complete in ``out``.
    Interrupted
        Ctrl-C (a ``KeyboardInterrupt``): the chapters before it are complete, no temporary is left.
    """
    import nbformat

    start = time.perf_counter()
    root = check_book(root) if root is not None else find_book()
    notebooks = chapter_notebooks(root)
    if not notebooks:
        raise BookError(f"{root / '_toc.yml'} lists no notebook chapter (only pages without outputs)")
    if str(out).strip() == "":
        raise OutputError("the output folder is an empty path; pass --out DIR")
    out = Path(out)
    _prepare_out(out)
    books = []
    for path in notebooks:
        try:
            books.append(nbformat.read(path, as_version=4))
        except Exception as err:  # not JSON, not a notebook, unreadable
            raise ChapterError(path.stem, f"cannot read {path}: {_shorten(err, 150)}") from None
    summary = ReproduceSummary(out=out, executed=not quick)
    chapter = None
    bar = tqdm(list(zip(notebooks, books, strict=True)), disable=not progress, desc="chapters", unit="chapter")
    try:
        if clean:
            summary.removed = _clean(out, [p.stem for p in notebooks])
        for path, nb in bar:
            chapter = path.stem
            bar.set_postfix_str(chapter)
            if not quick:
                _run_chapter(nb, path, timeout)
            try:
                files = _outputs(nb)
            except Exception as err:  # an output that is not valid base64
                raise ChapterError(chapter, f"cannot export its outputs: {_shorten(err, 150)}") from None
            try:
                written = _write_all(out / chapter, files)
            except OSError as err:
                raise ChapterError(chapter, f"cannot write into {out / chapter}: {err.strerror or err}") from None
            summary.files[chapter] = written
            names = {p.name for p in written}
            stale = sorted(p for p in (out / chapter).iterdir() if _ours(p) and p.name not in names)
            if stale:
                summary.stale[chapter] = stale
            chapter = None
    except KeyboardInterrupt:
        raise Interrupted(chapter, summary) from None
    finally:
        bar.close()
    summary.seconds = time.perf_counter() - start
    return summary

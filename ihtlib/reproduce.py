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
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

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

#: Suffixes of the files this command writes; only these are reported as stale or cleaned.
OUTPUT_SUFFIXES = (".png", ".html")
#: Temporary files are named ``.<final name>.<pid>.part`` next to the final file.
PART_SUFFIX = ".part"
#: Page formats a ``_toc.yml`` entry may point to (only notebooks have outputs to export).
PAGE_SUFFIXES = (".ipynb", ".md", ".rst")

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def strip_ansi(text: str) -> str:
    """``text`` without ANSI escape sequences (colours of IPython tracebacks)."""
    return _ANSI.sub("", text)


class ReproduceError(Exception):
    """A reproduce run could not start or did not finish; the message says why."""

    #: The command line's exit status for this error.
    exit_status = 1


class BookError(ReproduceError, FileNotFoundError):
    """The book folder, its ``_toc.yml`` or a chapter it lists is missing or unusable (a usage error)."""

    exit_status = 2


class OutputError(ReproduceError, OSError):
    """The output folder cannot be created or written (a usage error)."""

    exit_status = 2


class ChapterError(ReproduceError):
    """A chapter could not be read, executed or written.

    Attributes
    ----------
    chapter : str
        The chapter's name (``05-iht-convergence``).
    cell : int or None
        The failing cell, counting every cell of the notebook from 1; None when no cell is to blame.
    reason : str
        One line: the exception type and message of the cell, ANSI codes removed.
    """

    exit_status = 1

    def __init__(self, chapter: str, reason: str, cell: int | None = None, source: str = "") -> None:
        self.chapter, self.reason, self.cell = chapter, reason, cell
        where = f"chapter {chapter}"
        if cell is not None:
            first = next((line.strip() for line in source.splitlines() if line.strip()), "")
            where += f", cell {cell}" + (f" ({_shorten(first, 50)})" if first else "")
        super().__init__(f"{where}: {reason}")


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


def _shorten(text: str, width: int) -> str:
    text = " ".join(strip_ansi(str(text)).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def find_book(start: Path | None = None) -> Path:
    """The repository root holding ``_toc.yml`` and ``book/``.

    Looks upward from ``start`` (default: the working directory), then next to the
    installed ``ihtlib`` package (an editable install from a clone).

    Raises
    ------
    BookError
        When no such folder is found (a ``FileNotFoundError``).
    """
    candidates = []
    here = Path(start or Path.cwd()).resolve()
    candidates += [here, *here.parents]
    candidates.append(Path(__file__).resolve().parents[1])
    for folder in candidates:
        if (folder / "_toc.yml").is_file() and (folder / "book").is_dir():
            return folder
    raise BookError(
        "could not find the book (a folder with _toc.yml and book/); run from the repository or pass --book"
    )


def check_book(root: Path | str) -> Path:
    """``root`` as a Path if it is a folder holding a readable ``_toc.yml``; else :class:`BookError`."""
    if str(root).strip() == "":
        raise BookError("the book folder is an empty path; pass the repository folder that holds _toc.yml")
    root = Path(root)
    if not root.exists():
        raise BookError(f"book folder {root} does not exist")
    if not root.is_dir():
        hint = f"; pass its folder {root.parent}" if root.name == "_toc.yml" else ""
        raise BookError(f"book folder {root} is a file, not the repository folder that holds _toc.yml{hint}")
    if not (root / "_toc.yml").is_file():
        hint = f"; did you mean {root.parent}?" if (root.parent / "_toc.yml").is_file() else ""
        raise BookError(f"book folder {root} has no _toc.yml{hint}")
    return root


def _listed_pages(root: Path) -> list[str]:
    """The ``file:`` entries of ``root/_toc.yml``, in order."""
    toc = root / "_toc.yml"
    try:
        text = toc.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BookError(f"cannot read {toc}: {getattr(err, 'strerror', None) or err}") from None
    names = re.findall(r"^\s*-?\s*file:\s*(\S+)", text, flags=re.MULTILINE)
    return [name.strip("'\"") for name in names]


def _page_path(root: Path, name: str) -> Path | None:
    """The file on disk for ``_toc.yml`` entry ``name``, or None when there is none."""
    candidates = [root / name] if Path(name).suffix in PAGE_SUFFIXES else []
    candidates += [root / f"{name}{suffix}" for suffix in PAGE_SUFFIXES]
    return next((p for p in candidates if p.is_file()), None)


def chapter_notebooks(root: Path) -> list[Path]:
    """The chapter notebooks listed in ``root/_toc.yml``, in reading order.

    Pages in other formats (Markdown) are skipped: they have no outputs to export.

    Raises
    ------
    BookError
        When ``root`` has no readable ``_toc.yml``, the table lists no page, or a page it
        lists does not exist (all missing ones are named).
    """
    root = check_book(root)
    names = _listed_pages(root)
    if not names:
        raise BookError(f"{root / '_toc.yml'} lists no chapter (no 'file:' entry)")
    pages = {name: _page_path(root, name) for name in names}
    missing = [name for name, path in pages.items() if path is None]
    if missing:
        listed = ", ".join(missing)
        raise BookError(
            f"{root / '_toc.yml'} lists {len(missing)} chapter{'s' * (len(missing) != 1)} missing on disk: "
            f"{listed} (no {' / '.join(PAGE_SUFFIXES)} file)"
        )
    return [path for path in pages.values() if path.suffix == ".ipynb"]


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


def _outputs(nb: object) -> list[tuple[str, bytes]]:
    """The figures and tables of an executed notebook as (file name, content) pairs."""
    files, n_fig, n_tab = [], 0, 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        fig_name = cell.metadata.get("mystnb", {}).get("figure", {}).get("name")
        pngs = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        for j, output in enumerate(pngs):
            n_fig += 1
            stem = fig_name if fig_name and len(pngs) == 1 else (f"{fig_name}-{j + 1}" if fig_name else None)
            files.append((f"{stem or f'figure-{n_fig:02d}'}.png", base64.b64decode(output["data"]["image/png"])))
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if html and "<table" in "".join(html):
                n_tab += 1
                files.append((f"table-{n_tab:02d}.html", "".join(html).encode("utf-8")))
    return files


def _part_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}{PART_SUFFIX}")


def _write_all(folder: Path, files: list[tuple[str, bytes]]) -> list[Path]:
    """Write ``files`` into ``folder``: every file under a temporary name first, then all renamed.

    On any failure or interrupt the temporaries are removed and no final name is touched
    by an incomplete file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    parts: list[tuple[Path, Path]] = []
    try:
        for name, data in files:
            final = folder / name
            part = _part_name(final)
            parts.append((part, final))
            part.write_bytes(data)
        for part, final in parts:
            os.replace(part, final)
    finally:
        for part, _ in parts:
            part.unlink(missing_ok=True)
    return [final for _, final in parts]


def _ours(path: Path) -> bool:
    """A file this command writes (a figure, a table or a temporary of one)."""
    return path.is_file() and (
        path.suffix in OUTPUT_SUFFIXES or path.name.startswith(".") and path.suffix == PART_SUFFIX
    )


def _clean(out: Path, chapters: list[str]) -> int:
    """Remove figures, tables and temporaries from the chapter folders ``out/<chapter>``; returns how many.

    Only files directly in the folders of the chapters of this book, with the suffixes this
    command writes, are removed: other files and folders are left alone.
    """
    removed = 0
    for chapter in chapters:
        folder = out / chapter
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if _ours(path):
                path.unlink()
                removed += 1
    return removed


def _prepare_out(out: Path) -> None:
    """Create ``out`` and check a file can be written in it, else :class:`OutputError`."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"output folder {out} exists and is not a folder")
    blocking = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise OutputError(f"cannot create output folder {out}: {blocking} is a file, not a folder")
    probe = out / f".ihtlib-write-test.{os.getpid()}{PART_SUFFIX}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe.touch(exist_ok=False)
        probe.unlink()
    except PermissionError:
        raise OutputError(f"cannot write to output folder {out}: permission denied") from None
    except OSError as err:
        raise OutputError(f"cannot write to output folder {out}: {err.strerror or err}") from None


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

"""The book's chapters on disk, and their figures and tables as files (for ``python -m ihtlib reproduce``).

Finding the book (:func:`find_book`, :func:`check_book`) and the chapter notebooks its
``_toc.yml`` lists (:func:`chapter_notebooks`), reading the figures and tables out of a
notebook's outputs, and writing them safely: every file under a temporary name first, all
renamed once complete, so that no partial file is ever left under a final name.  The errors
of a reproduce run are defined here too; :mod:`ihtlib.reproduce` runs the chapters and
puts these pieces together.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

__all__ = [
    "find_book",
    "check_book",
    "chapter_notebooks",
    "ReproduceError",
    "BookError",
    "OutputError",
    "ChapterError",
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

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
"""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

__all__ = ["find_book", "chapter_notebooks", "reproduce", "ReproduceSummary"]


def find_book(start: Path | None = None) -> Path:
    """The repository root holding ``_toc.yml`` and ``book/``.

    Looks upward from ``start`` (default: the working directory), then next to the
    installed ``ihtlib`` package (an editable install from a clone).

    Raises
    ------
    FileNotFoundError
        When no such folder is found.
    """
    candidates = []
    here = Path(start or Path.cwd()).resolve()
    candidates += [here, *here.parents]
    candidates.append(Path(__file__).resolve().parents[1])
    for folder in candidates:
        if (folder / "_toc.yml").is_file() and (folder / "book").is_dir():
            return folder
    raise FileNotFoundError(
        "could not find the book (a folder with _toc.yml and book/); run from the repository or pass --book"
    )


def chapter_notebooks(root: Path) -> list[Path]:
    """The chapter notebooks listed in ``root/_toc.yml``, in reading order."""
    toc = (Path(root) / "_toc.yml").read_text()
    names = re.findall(r"^\s*-?\s*file:\s*(\S+)", toc, flags=re.MULTILINE)
    paths = [Path(root) / f"{name}.ipynb" for name in names]
    return [p for p in paths if p.is_file()]


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
    """

    out: Path
    files: dict[str, list[Path]] = field(default_factory=dict)
    executed: bool = True
    seconds: float = 0.0

    def __str__(self) -> str:
        n_fig = sum(p.suffix == ".png" for ps in self.files.values() for p in ps)
        n_tab = sum(p.suffix == ".html" for ps in self.files.values() for p in ps)
        how = "executed" if self.executed else "stored outputs of"
        lines = [f"wrote {n_fig} figures and {n_tab} tables from {how} {len(self.files)} chapters to {self.out}"]
        lines += [f"  {ch}: {len(ps)} files" for ch, ps in self.files.items()]
        lines.append(f"in {self.seconds:.1f} s")
        return "\n".join(lines)


def _export(nb: object, folder: Path) -> list[Path]:
    """Write the figures and tables of an executed notebook to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written, n_fig, n_tab = [], 0, 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        fig_name = cell.metadata.get("mystnb", {}).get("figure", {}).get("name")
        pngs = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        for j, output in enumerate(pngs):
            n_fig += 1
            stem = fig_name if fig_name and len(pngs) == 1 else (f"{fig_name}-{j + 1}" if fig_name else None)
            path = folder / f"{stem or f'figure-{n_fig:02d}'}.png"
            path.write_bytes(base64.b64decode(output["data"]["image/png"]))
            written.append(path)
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if html and "<table" in "".join(html):
                n_tab += 1
                path = folder / f"table-{n_tab:02d}.html"
                path.write_text("".join(html))
                written.append(path)
    return written


def reproduce(
    out: Path | str, quick: bool = False, root: Path | str | None = None, progress: bool = True, timeout: int = 600
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

    Returns
    -------
    ReproduceSummary
    """
    import nbformat
    from nbclient import NotebookClient

    start = time.perf_counter()
    root = Path(root) if root is not None else find_book()
    notebooks = chapter_notebooks(root)
    if not notebooks:
        raise FileNotFoundError(f"no chapter notebooks listed in {root / '_toc.yml'}")
    out = Path(out)
    summary = ReproduceSummary(out=out, executed=not quick)
    bar = tqdm(notebooks, disable=not progress, desc="chapters", unit="chapter")
    for path in bar:
        bar.set_postfix_str(path.stem)
        nb = nbformat.read(path, as_version=4)
        if not quick:
            client = NotebookClient(
                nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
            )
            client.execute()
        summary.files[path.stem] = _export(nb, out / path.stem)
    summary.seconds = time.perf_counter() - start
    return summary

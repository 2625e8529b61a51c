"""How long each chapter takes to run top to bottom in a fresh kernel, as a student runs it.

Run:  python benchmarks/chapters.py                       every book/*.ipynb, one after the other
      python benchmarks/chapters.py book/06-iris-experiments.ipynb   only the chapters named

Each chapter is executed on its own, in a fresh ``python3`` kernel started from the environment
that runs this script (so run it with the student environment's python to time what a student
sees), with ``book/`` as the working directory.  Nothing is written: the executed notebook is
discarded.  The time is wall time from starting the kernel to the end of the last cell; kernel
start-up (about a second) is included, the notebook front end is not.

It prints one line per chapter (seconds, one decimal; chapters over the issue-17 target of
TARGET_CHAPTER seconds are marked), the total against the target of TARGET_TOTAL seconds for the
whole book, then the machine (cores, load average before and after).  The targets are reported,
never asserted: the exit status does not depend on them, and no test times anything.
On a shared machine other people's jobs slow chapters down:
compare the load average with the number of cores before trusting a figure.  It needs nbclient
(installed with JupyterLab or nbconvert) and ihtlib.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

BOOK = Path(__file__).resolve().parents[1] / "book"

#: Issue 17: the whole book's chapters execute in at most 120 s, no chapter takes more than 20 s
#: (on the slowest 2-core machine measured; a timed run on a shared machine is only indicative).
TARGET_TOTAL = 120.0
TARGET_CHAPTER = 20.0


def run_chapter(path: Path, timeout: int) -> float:
    """Execute one notebook in a fresh kernel and return the wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no start-up warnings between the lines
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", type=Path, help="notebooks to time (default: every book/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    args = parser.parse_args()
    chapters = [p.resolve() for p in args.chapters] or sorted(BOOK.glob("*.ipynb"))
    load_before = os.getloadavg()
    total, over = 0.0, []
    print(f"{'chapter':<32} {'seconds':>8}", flush=True)
    for path in chapters:
        seconds = run_chapter(path, args.timeout)
        total += seconds
        if seconds > TARGET_CHAPTER:
            over.append(path.name)
        flag = f"  over the {TARGET_CHAPTER:g} s target" if seconds > TARGET_CHAPTER else ""
        print(f"{path.name:<32} {seconds:8.1f}{flag}", flush=True)
    print(f"{'total':<32} {total:8.1f}")
    every = len(chapters) == len(list(BOOK.glob("*.ipynb")))
    verdict = "met" if total <= TARGET_TOTAL else f"not met ({total - TARGET_TOTAL:.1f} s over)"
    scope = "" if every else " (not every chapter was run: the total covers only these)"
    print(f"target total <= {TARGET_TOTAL:g} s: {verdict}{scope}")
    print(
        f"target each chapter <= {TARGET_CHAPTER:g} s: "
        + ("met" if not over else f"not met by {len(over)} of {len(chapters)}: {', '.join(over)}")
    )
    load_after = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, "
        f"load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )


if __name__ == "__main__":
    main()

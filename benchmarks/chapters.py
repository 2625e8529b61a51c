"""Issue 17's speed figures: every chapter's time, the totals and the targets (reported, never asserted).

Run from the repository root (see benchmarks/README.md):

  python benchmarks/chapters.py                   every chapter alone, in a fresh kernel, one after the other
  python benchmarks/chapters.py book/06-iris-experiments.ipynb   only the chapters named
  python benchmarks/chapters.py --all             the same, then a clean build, a rebuild and `pytest`
  python benchmarks/chapters.py --build           only the clean `jupyter-book build .` and the rebuild
  python benchmarks/chapters.py --pytest          only `pytest` (unit tests and nbval of every chapter)
  python benchmarks/chapters.py --pytest --workers 0 2    `pytest -n 0`, then `pytest -n 2`, to compare
  python benchmarks/chapters.py --build --build-jobs 1 2  the clean build with IHT_BUILD_JOBS=1, then 2

Chapters alone: each chapter is executed in a fresh ``python3`` kernel started from the
environment that runs this script (run it with the student environment's python to time what a
student sees), with ``book/`` as the working directory; the executed notebook is discarded.  The
time is wall time from starting the kernel to the end of the last cell (kernel start-up, about a
second, is included); "cpu" is the kernel's processor time (all its threads), which other
people's jobs on a shared machine inflate much less than the wall time.

Build and pytest run in a temporary copy of the working tree (tracked and untracked files, not
``_build`` or virtual environments), with ``PYTHONPATH`` pointing at the copy's ``ihtlib``, so the
repository's own ``_build`` and its execution cache are left alone.  The clean build is
``jupyter-book build .`` from nothing; its chapter times are read from the execution cache (each
chapter's execution time as recorded by jupyter-cache, executed in parallel by
``book/_ext/ihtlib_guard.py``); "executing the chapters" is the wall time of that phase.  The
rebuild is the same command again with nothing changed (it must execute nothing).  ``pytest`` is
run as ``pytest`` (pyproject's options: ``-n auto --dist loadfile``) or with each ``--workers``
value; a chapter's nbval time is the sum of its cells' times.

It ends with one table (a column per measurement), the totals against issue 17's targets, and the
machine (cores, load average at the start and end of every part).  The exit status does not depend
on the targets, and no test times anything.  On a shared machine other people's jobs slow
everything down: compare the load average with the number of cores before trusting a figure.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

#: Issue 17, on the slowest 2-core machine measured (a timed run on a shared machine is only indicative):
TARGET_TOTAL = 120.0  # s: every chapter, one after the other; also the clean build's chapter execution
TARGET_CHAPTER = 20.0  # s: any one chapter
TARGET_PYTEST = 120.0  # s: `pytest` (unit tests and nbval of every chapter)
TARGET_REBUILD = 10.0  # s: `jupyter-book build .` again with nothing changed


def load() -> float:
    return os.getloadavg()[0]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_chapter(path: Path, timeout: int) -> tuple[float, float | None]:
    """Execute one notebook in a fresh kernel; return (wall seconds, kernel cpu seconds or None)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no start-up warnings between the lines
    )
    cpu = children_cpu()
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    cpu = children_cpu() - cpu  # the kernel, reaped at shutdown (0 where the platform does not report it)
    return wall, (cpu if cpu > 0 else None)


def copy_work_tree(dest: Path) -> None:
    """Copy the repository's tracked and untracked (not ignored) files to ``dest``."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        files = [f for f in listed.split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", "_build", ".venv", ".venv-student", ".venv-oldest", ".hypothesis", ".pytest_cache"}
        files = [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.is_file() and not skip.intersection(p.relative_to(ROOT).parts)
        ]
    for name in files:
        source = ROOT / name
        if source.is_file():  # deleted but still tracked: skip
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def environment(copy: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(copy), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def jupyter_book() -> str:
    found = Path(sys.executable).with_name("jupyter-book")
    return str(found) if found.exists() else (shutil.which("jupyter-book") or "jupyter-book")


def timed(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[float, int]:
    start = time.perf_counter()
    with open(log, "w") as out:
        status = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    return time.perf_counter() - start, status


def measure_build(copy: Path, jobs: str | None, logs: Path) -> dict:
    """Clean build then a no-change rebuild in ``copy``; chapter times from the execution cache."""
    from jupyter_cache import get_cache

    shutil.rmtree(copy / "_build", ignore_errors=True)
    extra = {} if jobs is None else {"IHT_BUILD_JOBS": jobs}
    env = environment(copy, **extra)
    tag = f"jobs{jobs}" if jobs else "default"
    loads = [load()]
    wall, status = timed([jupyter_book(), "build", "."], copy, env, logs / f"build-{tag}.log")
    loads.append(load())
    text = (logs / f"build-{tag}.log").read_text(errors="replace")
    chapters = {}
    cache = copy / "_build" / ".jupyter_cache"
    if cache.exists():
        for record in get_cache(str(cache)).list_cache_records():
            seconds = (record.data or {}).get("execution_seconds")
            if seconds is not None:
                chapters[Path(record.uri).name] = seconds
    parallel = re.search(r"executed (\d+) notebooks in (\d+) processes in ([\d.]+) s", text)
    execution = float(parallel.group(3)) if parallel else sum(chapters.values())
    processes = int(parallel.group(2)) if parallel else 1
    rebuild, rebuild_status = timed([jupyter_book(), "build", "."], copy, env, logs / f"rebuild-{tag}.log")
    loads.append(load())
    rebuilt = (logs / f"rebuild-{tag}.log").read_text(errors="replace")
    executed_again = len(re.findall(r"Executing notebook|executing \d+ notebooks", rebuilt))
    return dict(
        label=f"build (IHT_BUILD_JOBS={jobs})" if jobs else "build",
        wall=wall,
        status=status,
        chapters=chapters,
        execution=execution,
        processes=processes,
        rebuild=rebuild,
        rebuild_status=rebuild_status,
        executed_again=executed_again,
        loads=loads,
        log=logs / f"build-{tag}.log",
    )


def measure_pytest(copy: Path, workers: str | None, logs: Path) -> dict:
    """``pytest`` in ``copy`` (with ``-n workers`` if given); per-file seconds from a JUnit report."""
    tag = f"n{workers}" if workers is not None else "default"
    report = logs / f"pytest-{tag}.xml"
    command = [sys.executable, "-m", "pytest", "-q", f"--junitxml={report}", "-o", "junit_family=xunit1"]
    if workers is not None:
        command += ["-n", workers]
    loads = [load()]
    wall, status = timed(command, copy, environment(copy), logs / f"pytest-{tag}.log")
    loads.append(load())
    files: dict[str, float] = {}
    tests: list[tuple[float, str]] = []
    if report.exists():
        for case in ET.parse(report).getroot().iter("testcase"):
            seconds = float(case.get("time") or 0.0)
            name = case.get("file") or case.get("classname", "?")
            files[name] = files.get(name, 0.0) + seconds
            if not name.endswith(".ipynb"):
                tests.append((seconds, f"{name}::{case.get('name')}"))
    lines = (logs / f"pytest-{tag}.log").read_text(errors="replace").strip().splitlines()
    return dict(
        label=f"pytest -n {workers}" if workers is not None else "pytest",
        wall=wall,
        status=status,
        files=files,
        slowest=sorted(tests, reverse=True)[:10],
        summary=lines[-1] if lines else "",
        loads=loads,
        log=logs / f"pytest-{tag}.log",
    )


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else f"not met ({value - target:.1f} s over)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", type=Path, help="notebooks to time alone (default: every book/*.ipynb)")
    parser.add_argument("--all", action="store_true", help="chapters alone, then --build and --pytest")
    parser.add_argument("--build", action="store_true", help="a clean `jupyter-book build .` and a no-change rebuild")
    parser.add_argument("--pytest", action="store_true", help="`pytest`: unit tests and nbval of every chapter")
    parser.add_argument(
        "--workers", nargs="+", metavar="N", help="with --pytest: run `pytest -n N` for each N (default: as configured)"
    )
    parser.add_argument(
        "--build-jobs", nargs="+", metavar="J", help="with --build: a clean build with IHT_BUILD_JOBS=J for each J"
    )
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and its logs (path printed)")
    args = parser.parse_args()
    do_build = args.build or args.all
    do_pytest = args.pytest or args.all
    do_chapters = args.all or bool(args.chapters) or not (do_build or do_pytest)

    every = sorted(BOOK.glob("*.ipynb"))
    chapters = [p.resolve() for p in args.chapters] or every
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, load average (1 min) {load():.2f}")
    alone: dict[str, tuple[float, float | None]] = {}
    alone_loads = []
    if do_chapters:
        alone_loads.append(load())
        print(f"\nchapters alone, fresh kernel each   {'wall s':>8} {'cpu s':>7}", flush=True)
        for path in chapters:
            wall, cpu = run_chapter(path, args.timeout)
            alone[path.name] = (wall, cpu)
            flag = f"  over the {TARGET_CHAPTER:g} s target" if wall > TARGET_CHAPTER else ""
            cpu_text = f"{cpu:7.1f}" if cpu is not None else f"{'-':>7}"
            print(f"  {path.name:<34} {wall:8.1f} {cpu_text}{flag}", flush=True)
        alone_loads.append(load())

    builds, pytests = [], []
    workdir = None
    if do_build or do_pytest:
        workdir = Path(tempfile.mkdtemp(prefix="iht-bench-"))
        copy, logs = workdir / "repo", workdir / "logs"
        copy.mkdir()
        logs.mkdir()
        copy_work_tree(copy)
        print(f"\ntemporary copy of the working tree: {copy}", flush=True)
        if do_build:
            for jobs in args.build_jobs or [None]:
                print(f"clean build{f' with IHT_BUILD_JOBS={jobs}' if jobs else ''} and rebuild ...", flush=True)
                result = measure_build(copy, jobs, logs)
                builds.append(result)
                print(
                    f"  clean build {result['wall']:.1f} s (exit {result['status']}), executing the chapters "
                    f"{result['execution']:.1f} s in {result['processes']} processes; rebuild {result['rebuild']:.1f} s"
                    f" (exit {result['rebuild_status']}); load {' → '.join(f'{x:.2f}' for x in result['loads'])}",
                    flush=True,
                )
        if do_pytest:
            for workers in args.workers or [None]:
                print(f"pytest{f' -n {workers}' if workers is not None else ''} ...", flush=True)
                result = measure_pytest(copy, workers, logs)
                pytests.append(result)
                print(
                    f"  {result['wall']:.1f} s (exit {result['status']}): {result['summary']}; "
                    f"load {' → '.join(f'{x:.2f}' for x in result['loads'])}",
                    flush=True,
                )

    # ---- one table: a row per chapter, a column per measurement
    columns: list[tuple[str, dict[str, float]]] = []
    if alone:
        columns.append(("alone", {n: w for n, (w, _) in alone.items()}))
        if any(c is not None for _, c in alone.values()):
            columns.append(("alone cpu", {n: c for n, (_, c) in alone.items() if c is not None}))
    for b in builds:
        columns.append((b["label"].replace("build", "in build"), b["chapters"]))
    for p in pytests:
        columns.append(
            (
                p["label"].replace("pytest", "nbval"),
                {Path(f).name: s for f, s in p["files"].items() if f.endswith(".ipynb")},
            )
        )
    names = sorted({name for _, col in columns for name in col if name.endswith(".ipynb")})
    if columns:
        width = max(len(c) for c, _ in columns) + 2
        print(f"\n{'chapter (seconds)':<34}" + "".join(f"{c:>{width}}" for c, _ in columns))
        for name in names:
            cells = "".join(f"{col[name]:>{width}.1f}" if name in col else f"{'-':>{width}}" for _, col in columns)
            print(f"{name:<34}{cells}")
        print(f"{'total':<34}" + "".join(f"{sum(col.values()):>{width}.1f}" for _, col in columns))

    for p in pytests:
        units = {f: s for f, s in p["files"].items() if not f.endswith(".ipynb")}
        by_file = sorted(units.items(), key=lambda item: -item[1])[:8]
        print(f"\n{p['label']}: unit tests {sum(units.values()):.1f} s in all (sum over tests); slowest files:")
        print("  " + ", ".join(f"{Path(f).name} {s:.1f}" for f, s in by_file))
        print("slowest tests:")
        for seconds, name in p["slowest"]:
            print(f"  {seconds:6.2f}  {name}")

    print("\ntargets of issue 17 (reported, never asserted; figures from this machine at this load)")
    if alone:
        total = sum(w for w, _ in alone.values())
        over = [n for n, (w, _) in alone.items() if w > TARGET_CHAPTER]
        scope = "" if len(alone) == len(every) else f" (only {len(alone)} of {len(every)} chapters were run)"
        print(
            f"  chapters one after another: {total:.1f} s, target <= {TARGET_TOTAL:g} s: "
            f"{verdict(total, TARGET_TOTAL)}{scope}"
        )
        print(
            f"  each chapter <= {TARGET_CHAPTER:g} s: "
            + ("met" if not over else f"not met by {len(over)} of {len(alone)}: {', '.join(over)}")
        )
    for b in builds:
        print(
            f"  {b['label']}: {b['wall']:.1f} s from nothing, of which executing the chapters "
            f"{b['execution']:.1f} s ({b['processes']} processes), target <= {TARGET_TOTAL:g} s: "
            f"{verdict(b['execution'], TARGET_TOTAL)}"
        )
        again = "" if b["executed_again"] == 0 else f"; it executed chapters again ({b['executed_again']})!"
        print(
            f"  rebuild with nothing changed: {b['rebuild']:.1f} s, target <= {TARGET_REBUILD:g} s: "
            f"{verdict(b['rebuild'], TARGET_REBUILD)}{again}"
        )
        if b["status"] or b["rebuild_status"]:
            print(f"  the build FAILED (exit {b['status']}, rebuild {b['rebuild_status']}): see {b['log']}")
    for p in pytests:
        print(
            f"  {p['label']}: {p['wall']:.1f} s, target <= {TARGET_PYTEST:g} s: {verdict(p['wall'], TARGET_PYTEST)}"
            + (f"; it FAILED: {p['summary']} (see {p['log']})" if p["status"] else "")
        )
    parts = [("chapters alone", alone_loads)] + [(b["label"], b["loads"]) for b in builds]
    parts += [(p["label"], p["loads"]) for p in pytests]
    text = "; ".join(f"{name} {' → '.join(f'{x:.2f}' for x in loads)}" for name, loads in parts if loads)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; load average (1 min): {text}")
    if workdir is not None:
        if args.keep or any(b["status"] for b in builds) or any(p["status"] for p in pytests):
            print(f"kept: {workdir} (logs in {workdir / 'logs'})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

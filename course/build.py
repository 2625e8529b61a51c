"""Build the course pack: student notebooks with self-checks, autograders, solution-free HTML, PDF.

Usage (from the repository root, with ``pip install -r requirements-instructor.txt`` done)::

    python course/build.py --out _build/course-pack                 # reuse the HTML and PDF if built
    python course/build.py --out _build/course-pack --build-html    # build the solution-free HTML first
    python course/build.py --chapters 2 5 --jobs 2                  # some chapters, two at a time

For every master notebook ``course/chNN-*.ipynb`` (otter-grader's assign format: exercise statement,
solution, public and hidden tests) this runs ``otter assign``, which also executes the master and
fails if its solutions do not pass all of its own tests.  The pack it writes::

    <out>/README.md                      what is in the pack, how to use and grade it
    <out>/for-students/notebooks/        one notebook per chapter: no solutions, grader.check cells
    <out>/for-students/html/             the book without solutions (IHT_HIDE_SOLUTIONS=1 build)
    <out>/for-students/book.pdf          the PDF without solutions (with --build-pdf)
    <out>/for-instructors/book.pdf       the PDF with solutions, if _build/book.pdf exists
    <out>/for-instructors/autograder/    chNN-*-autograder.zip: hidden tests, for `otter run`
    <out>/for-instructors/solutions/     the notebooks with solutions and all tests

The solution-free HTML is copied from ``_build/course/_build/html`` (``--html-dir``); with
``--build-html`` it is built first with ``IHT_HIDE_SOLUTIONS=1 jupyter-book build . --path-output
_build/course`` (executes every chapter: minutes; a first course build starts from the main build's
execution cache ``_build/.jupyter_cache`` if there is one, so after ``jupyter-book build .`` it runs
only what changed).  Missing HTML or PDF is reported, in the output and
in the pack's README, and does not stop the build.

When an exercise changes in a chapter, ``tests/test_course.py`` fails until the master is brought in
line and ``python course/build.py --update-exercise-hashes --chapters N`` records the new text.

Grade one submission without Docker::

    otter run -a <out>/for-instructors/autograder/ch02-hard-thresholding-autograder.zip submission.ipynb
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
BOOK = ROOT / "book"


def masters(chapters: list[int] | None = None) -> list[Path]:
    """The master notebooks ``course/chNN-*.ipynb``, optionally only the given chapter numbers."""
    found = sorted(COURSE.glob("ch[0-9][0-9]-*.ipynb"))
    if chapters:
        found = [p for p in found if int(p.name[2:4]) in chapters]
    return found


def questions(master: Path) -> list[dict]:
    """The questions of a master notebook: name, points, exercise label, number of public/hidden tests."""
    cells = json.loads(master.read_text(encoding="utf-8"))["cells"]
    out, current, in_tests = [], None, False
    for cell in cells:
        src = "".join(cell["source"])
        first = src.strip().splitlines()[0] if src.strip() else ""
        if cell["cell_type"] == "raw" and first.startswith("# BEGIN QUESTION"):
            name = re.search(r"^name:\s*(\S+)", src, re.M).group(1)
            points = re.search(r"^points:\s*(\S+)", src, re.M)
            label = re.sub(r"^ch(\d+)_ex(\d+)$", r"ch\1-ex-\2", name)
            current = {"name": name, "label": label, "points": float(points.group(1)) if points else None,
                       "public": 0, "hidden": 0}
            out.append(current)
        elif cell["cell_type"] == "raw" and first.startswith("# BEGIN TESTS"):
            in_tests = True
        elif cell["cell_type"] == "raw" and first.startswith("# END TESTS"):
            in_tests = False
        elif in_tests and cell["cell_type"] == "code" and current is not None:
            current["hidden" if re.match(r"#\s*hidden\b", first, re.I) else "public"] += 1
    return out


def chapter_of(master: Path) -> Path:
    """The chapter notebook ``book/NN-*.ipynb`` a master ``course/chNN-*.ipynb`` belongs to."""
    (chapter,) = BOOK.glob(f"{master.name[2:4]}-*.ipynb")
    return chapter


def exercise_texts(chapter: Path) -> dict[str, str]:
    """label -> text (whitespace collapsed, options dropped) of every ```{exercise} block of a chapter."""
    cells = json.loads(chapter.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    found = {}
    for block in re.findall(r"```\{exercise\}\n(.*?)\n```", text, re.S):
        label = re.search(r"^:label:\s*(\S+)", block, re.M)
        if label:
            body = "\n".join(line for line in block.splitlines() if not line.startswith(":"))
            found[label.group(1)] = " ".join(body.split())
    return found


def exercise_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def update_exercise_hashes(master: Path) -> dict[str, str]:
    """Record in the master's metadata the hash of each exercise it copies, as the chapter has it now.

    ``tests/test_course.py`` compares these with the chapter, so an exercise edited in the chapter
    fails a test until someone has re-read it, brought the master in line and run this again.
    """
    nb = json.loads(master.read_text(encoding="utf-8"))
    texts = exercise_texts(chapter_of(master))
    hashes = {q["label"]: exercise_hash(texts[q["label"]]) for q in questions(master)}
    nb["metadata"].setdefault("course", {})["exercise_sha256"] = hashes
    master.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return hashes


def _rewrite_links(notebook: Path) -> None:
    """Point the exercise links of a student notebook at the pack's HTML instead of the repository."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            src = "".join(cell["source"])
            src = re.sub(r"\]\(\.\./book/([\w.-]+?)\.ipynb", r"](../html/book/\1.html", src)
            cell["source"] = src.splitlines(keepends=True)
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def assign(master: Path, out: Path, run_tests: bool = True) -> dict:
    """Run ``otter assign`` on one master; copy its student notebook, autograder zip and solutions."""
    stem = master.stem
    start = time.time()
    with tempfile.TemporaryDirectory(prefix=f"assign-{stem}-") as tmp:
        cmd = [sys.executable, "-m", "otter", "assign", str(master), tmp]
        if not run_tests:
            cmd.append("--no-run-tests")
        proc = subprocess.run(cmd, cwd=COURSE, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"otter assign failed on {master.name}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        tmp = Path(tmp)
        student = out / "for-students" / "notebooks" / f"{stem}.ipynb"
        shutil.copy(tmp / "student" / f"{stem}.ipynb", student)
        _rewrite_links(student)
        shutil.copy(tmp / "autograder" / f"{stem}.ipynb", out / "for-instructors" / "solutions" / f"{stem}.ipynb")
        (zipfile,) = (tmp / "autograder").glob("*.zip")
        shutil.copy(zipfile, out / "for-instructors" / "autograder" / f"{stem}-autograder.zip")
    return {"master": master.name, "seconds": time.time() - start, "questions": questions(master)}


def seed_execution_cache(main: Path, course: Path) -> bool:
    """Start the course build from the main build's execution cache, if it has one and the course has none.

    The cache is keyed on the chapters' code cells, which the course build shares with the main
    build, so the chapters need not run twice.  ``book/_ext/ihtlib_guard.py`` still empties the
    copied cache if the main build ran against another ``ihtlib`` (its fingerprint file comes along).
    """
    src_cache, src_stamp = main / ".jupyter_cache", main / ".ihtlib-fingerprint"
    dst_cache = course / ".jupyter_cache"
    if not (src_cache.is_dir() and src_stamp.exists()) or dst_cache.exists():
        return False
    course.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src_cache, dst_cache)
    shutil.copy(src_stamp, course / ".ihtlib-fingerprint")
    return True


def build_html() -> None:
    env = dict(os.environ, IHT_HIDE_SOLUTIONS="1")
    if seed_execution_cache(ROOT / "_build", ROOT / "_build" / "course" / "_build"):
        print("execution cache: starting from the main build's (_build/.jupyter_cache)")
    print("building the solution-free HTML (executes the chapters not in the cache) ...", flush=True)
    subprocess.run(["jupyter-book", "build", ".", "--path-output", "_build/course"], cwd=ROOT, env=env, check=True)


def build_pdf() -> Path:
    """The solution-free PDF (IHT_HIDE_SOLUTIONS=1, LaTeX builder), from the course build's cache."""
    env = dict(os.environ, IHT_HIDE_SOLUTIONS="1")
    print("building the solution-free PDF (jupyter-book build . --builder pdflatex) ...", flush=True)
    subprocess.run(
        ["jupyter-book", "build", ".", "--builder", "pdflatex", "--path-output", "_build/course"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )
    return ROOT / "_build" / "course" / "_build" / "latex" / "book.pdf"


def _copy_tree(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)


PACK_README = """\
# Course pack: *Learning Sparse Neural Networks with IHT*

Built by `python course/build.py` on {date} from commit `{commit}`.

## For students (hand this folder out)

- `for-students/notebooks/`: one notebook per chapter with the chapter's warm-up and core exercises
  that have a checkable answer.  Replace every `...`, run the cell, then the `grader.check("...")`
  cell below it: it runs the public tests and prints which passed.  Solutions are not included.
  The exercise links in the notebooks point to `../html/`, so keep the two folders side by side.
- `for-students/html/`: the book without the exercise solutions (open `index.html`). {html_note}
- `for-students/book.pdf`: the book as a PDF, without the solutions. {pdf_note}

Students need the book's Python environment (the repository's `requirements-student.txt` or
`requirements.txt`, which install `ihtlib`) plus `otter-grader` (`pip install "otter-grader>=7.0,<8"`).

## For instructors (keep this folder)

- `for-instructors/autograder/chNN-*-autograder.zip`: public **and hidden** tests of each chapter.
- `for-instructors/solutions/chNN-*.ipynb`: the notebooks with solutions and all tests.
- `for-instructors/book.pdf`: the book as a PDF with the solutions. {pdf_full_note}

Grade one submission, without Docker, in an environment with `ihtlib` and `otter-grader`:

    otter run -a for-instructors/autograder/ch05-iht-convergence-autograder.zip submission.ipynb

It executes the notebook, prints the score per exercise and writes `results.json`.  For many
submissions, loop over the files (see the book's page *For instructors*); otter's own `otter grade`
does the same in Docker containers.  `otter run` executes the submitted code with your rights: run
it in a throwaway account, virtual machine or container.

## Auto-checked exercises

| chapter | exercises | tests (public + hidden) | points |
| --- | --- | --- | --- |
{table}

The checks test results (numbers, supports, vectors, functions), with tolerances; they do not test
proofs or explanations, which the exercises also ask for.
"""


def write_readme(out: Path, results: list[dict], html_ok: bool, pdf_ok: bool, pdf_full_ok: bool) -> None:
    rows = []
    for r in results:
        qs = r["questions"]
        rows.append(
            f"| {r['master'].removesuffix('.ipynb')} | {', '.join(q['label'] for q in qs)} | "
            f"{sum(q['public'] for q in qs)} + {sum(q['hidden'] for q in qs)} | "
            f"{sum(q['points'] or 0 for q in qs):g} |"
        )
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip() or "unknown"
    except OSError:
        commit = "unknown"
    text = PACK_README.format(
        date=time.strftime("%Y-%m-%d %H:%M"),
        commit=commit,
        html_note="" if html_ok else "**Missing in this build**: run `python course/build.py --build-html`.",
        pdf_note="" if pdf_ok else "**Missing in this build**: run `python course/build.py --build-html "
        "--build-pdf` (needs TeX, see the README).",
        pdf_full_note="" if pdf_full_ok else "**Missing in this build**: build `_build/book.pdf` (see the README), "
        "then rebuild the pack.",
        table="\n".join(rows),
    )
    (out / "README.md").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the course pack: student notebooks with self-checks (otter assign), autograder "
        "zips, the solution-free HTML and the PDF, in one folder.",
        epilog="Grade one submission: otter run -a OUT/for-instructors/autograder/<chapter>-autograder.zip "
        "submission.ipynb",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "course-pack", help="output folder "
                        "(default: _build/course-pack); emptied first")
    parser.add_argument("--chapters", type=int, nargs="+", help="only these chapter numbers (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="masters assigned in parallel (default: 1)")
    parser.add_argument("--no-run-tests", action="store_true", help="do not execute the masters to check "
                        "that their solutions pass their tests (faster)")
    parser.add_argument("--build-html", action="store_true", help="first build the solution-free HTML "
                        "(IHT_HIDE_SOLUTIONS=1 jupyter-book build . --path-output _build/course; minutes)")
    parser.add_argument("--html-dir", type=Path, default=ROOT / "_build" / "course" / "_build" / "html",
                        help="the solution-free HTML to copy (default: _build/course/_build/html)")
    parser.add_argument("--pdf", type=Path, default=ROOT / "_build" / "book.pdf",
                        help="the PDF with solutions, for instructors (default: _build/book.pdf)")
    parser.add_argument("--build-pdf", action="store_true",
                        help="also build the solution-free PDF for students (after the solution-free HTML; "
                        "needs TeX; about a minute with the HTML's execution cache)")
    parser.add_argument("--update-exercise-hashes", action="store_true", help="after re-reading exercises "
                        "that changed in the chapters and updating the masters: record the chapters' current "
                        "exercise texts in the masters (checked by tests/test_course.py), then stop")
    args = parser.parse_args(argv)

    if args.update_exercise_hashes:
        for master in masters(args.chapters):
            print(master.name, update_exercise_hashes(master))
        return 0

    start = time.time()
    out = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    for sub in ("for-students/notebooks", "for-instructors/autograder", "for-instructors/solutions"):
        (out / sub).mkdir(parents=True)

    todo = masters(args.chapters)
    if not todo:
        parser.error("no master notebooks found")
    print(f"otter assign on {len(todo)} master notebook(s), {args.jobs} at a time ...", flush=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda m: assign(m, out, run_tests=not args.no_run_tests), todo))
    for r in results:
        qs = r["questions"]
        print(f"  {r['master']:<32} {len(qs)} exercise(s): {', '.join(q['label'] for q in qs):<30} "
              f"tests {sum(q['public'] for q in qs)} public + {sum(q['hidden'] for q in qs)} hidden  "
              f"({r['seconds']:.0f} s)")

    if args.build_html:
        build_html()
    html_ok = (args.html_dir / "index.html").exists()
    if html_ok:
        _copy_tree(args.html_dir, out / "for-students" / "html")
        print(f"HTML without solutions: copied from {args.html_dir}")
    else:
        print(f"HTML without solutions: MISSING ({args.html_dir} not built; use --build-html)")
    student_pdf = build_pdf() if args.build_pdf else ROOT / "_build" / "course" / "_build" / "latex" / "book.pdf"
    pdf_ok = student_pdf.exists()
    if pdf_ok:
        shutil.copy(student_pdf, out / "for-students" / "book.pdf")
        print(f"PDF without solutions: copied from {student_pdf}")
    else:
        print(f"PDF without solutions: MISSING ({student_pdf} not built; use --build-pdf)")
    pdf_full_ok = args.pdf.exists()
    if pdf_full_ok:
        shutil.copy(args.pdf, out / "for-instructors" / "book.pdf")
        print(f"PDF with solutions: copied from {args.pdf}")
    else:
        print(f"PDF with solutions: MISSING ({args.pdf} not built)")
    write_readme(out, results, html_ok, pdf_ok, pdf_full_ok)
    n_ex = sum(len(r["questions"]) for r in results)
    print(f"course pack: {out}  ({n_ex} auto-checked exercises, {time.time() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

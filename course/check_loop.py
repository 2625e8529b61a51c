"""Prove the grading loop end to end on a built course pack, with ``otter run`` (no Docker).

Usage (after ``python course/build.py --out _build/course-pack``)::

    python course/check_loop.py --pack _build/course-pack --chapters 2 5

For each chapter it grades three submissions with the chapter's autograder zip:

* **right**: the notebook with the master's solutions filled in: must score full marks;
* **wrong**: the same notebook with a plausible mistake (below): must score less than full marks;
* **blank**: the student notebook as handed out (every answer still ``...``): must score 0.

It prints the scores and exits with status 1 if any is not as expected.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Plausible mistakes, as (solution line, wrong line) replacements in the solutions notebook.
WRONG = {
    1: [("k_diff = 10", "k_diff = 5"),                       # a - b "stays in C_s"
        ("n_supports_163 = math.comb(163, 20)", "n_supports_163 = 163 ** 20")],
    2: [("dist_s2 = np.sqrt(5.0)", "dist_s2 = 5.0"),          # squared distance instead of distance
        ("single_valued = {1: True, 2: False, 3: True}", "single_valued = {1: True, 2: True, 3: True}")],
    3: [("L_grad = np.sqrt((11 + np.sqrt(65)) / 2)", "L_grad = 2 + np.sqrt(2)")],   # the global constant
    # the book's old reading of HT-stability: a tie counted as HT-unstable
    5: [("return abs(b1) <= 2  # SOLUTION\n\n\ndef support_locked",
         "return abs(b1) < 2  # SOLUTION\n\n\ndef support_locked"),
        ("return abs(b1) > 2  # SOLUTION", "return abs(b1) >= 2  # SOLUTION")],
    8: [("ref = model.pack(W - W[2], b - b[2])", "ref = model.pack(W - W[2], b)")],  # forgot the biases
    12: [("m_more = next(m for m in range(comb(n, 7)) if 1 + (m + 1) * 7 * (n - 7) > comb(n, 7))",
          "m_more = next(m for m in range(comb(n, 7)) if m * 7 * (n - 7) > comb(n, 7))")],  # wrong cost
    13: [("b_half = int(np.ceil(2 * 256 * N / (N + 256)))", "b_half = 512")],  # the 1/b rule, not the exact one
}


def _pack_files(pack: Path, chapter: int) -> tuple[Path, Path, Path]:
    (solution,) = (pack / "for-instructors" / "solutions").glob(f"ch{chapter:02d}-*.ipynb")
    (zipfile,) = (pack / "for-instructors" / "autograder").glob(f"ch{chapter:02d}-*-autograder.zip")
    (student,) = (pack / "for-students" / "notebooks").glob(f"ch{chapter:02d}-*.ipynb")
    return solution, zipfile, student


def make_wrong(solution: Path, target: Path, chapter: int) -> None:
    """Write the solutions notebook with this chapter's mistakes to ``target``."""
    nb = json.loads(solution.read_text(encoding="utf-8"))
    for old, new in WRONG[chapter]:
        hits = 0
        for cell in nb["cells"]:
            src = "".join(cell["source"])
            if cell["cell_type"] == "code" and old in src:
                cell["source"] = src.replace(old, new).splitlines(keepends=True)
                hits += 1
        if hits == 0:
            raise SystemExit(f"chapter {chapter}: the solution line {old!r} is no longer in the master; update WRONG")
    target.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def grade(zipfile: Path, submission: Path, workdir: Path) -> tuple[float, float, dict]:
    """``otter run`` one submission; return (score, max score, per-question scores)."""
    out = workdir / f"results-{submission.stem}"
    out.mkdir()
    proc = subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(zipfile), "-o", str(out), str(submission)],
                          capture_output=True, text=True)
    results = out / "results.json"
    if not results.exists():
        raise SystemExit(f"otter run wrote no results for {submission.name}:\n{proc.stdout[-3000:]}\n"
                         f"{proc.stderr[-3000:]}")
    tests = [t for t in json.loads(results.read_text())["tests"] if t.get("max_score") is not None]
    per = {t["name"]: (t["score"], t["max_score"]) for t in tests}
    return sum(s for s, _ in per.values()), sum(m for _, m in per.values()), per


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade a right, a wrong and a blank submission per chapter "
                                     "with otter run and check the scores.")
    parser.add_argument("--pack", type=Path, default=ROOT / "_build" / "course-pack")
    parser.add_argument("--chapters", type=int, nargs="+", default=[2, 5],
                        help=f"chapters to check (default: 2 5; with a wrong answer: {sorted(WRONG)})")
    args = parser.parse_args(argv)
    failures = []
    with tempfile.TemporaryDirectory(prefix="course-loop-") as tmp:
        tmp = Path(tmp)
        for chapter in args.chapters:
            if chapter not in WRONG:
                parser.error(f"no wrong submission defined for chapter {chapter}")
            solution, zipfile, student = _pack_files(args.pack, chapter)
            right = tmp / f"ch{chapter:02d}-right.ipynb"
            right.write_text(solution.read_text(encoding="utf-8"), encoding="utf-8")
            wrong = tmp / f"ch{chapter:02d}-wrong.ipynb"
            make_wrong(solution, wrong, chapter)
            blank = tmp / f"ch{chapter:02d}-blank.ipynb"
            blank.write_text(student.read_text(encoding="utf-8"), encoding="utf-8")
            for kind, sub in (("right", right), ("wrong", wrong), ("blank", blank)):
                start = time.time()
                score, total, per = grade(zipfile, sub, tmp)
                detail = ", ".join(f"{q} {s:g}/{m:g}" for q, (s, m) in per.items())
                ok = {"right": score == total, "wrong": score < total, "blank": score == 0}[kind]
                print(f"chapter {chapter:2d}  {kind:<5}  {score:g} / {total:g}   ({detail})   "
                      f"{'as expected' if ok else 'NOT AS EXPECTED'}  [{time.time() - start:.0f} s]", flush=True)
                if not ok:
                    failures.append(f"chapter {chapter} {kind}")
    if failures:
        print("FAILED:", "; ".join(failures))
        return 1
    print("grading loop: every right submission scored full marks, every wrong or blank one did not")
    return 0


if __name__ == "__main__":
    sys.exit(main())

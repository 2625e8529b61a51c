"""The course's master notebooks (course/chNN-*.ipynb) match the book, without needing otter-grader.

Each master holds exercises of its chapter in otter-grader's assign format.  These tests check the
parts that can drift when the chapters change: every question names an existing warm-up or core
exercise of the same chapter and links to it, has public and hidden tests and a marked solution,
and the count table of the instructors page agrees with the masters.  Running the masters (otter
assign, otter run) is the job of `.ci/course`.
"""

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MASTERS = sorted((ROOT / "course").glob("ch[0-9][0-9]-*.ipynb"))


def _load_build():
    spec = importlib.util.spec_from_file_location("course_build", ROOT / "course" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()


def _chapter_file(master: Path) -> Path:
    (chapter,) = (ROOT / "book").glob(f"{master.name[2:4]}-*.ipynb")
    return chapter


def _exercises(chapter: Path) -> dict[str, str]:
    """label -> the first line of text of each ```{exercise} block in a chapter."""
    cells = json.loads(chapter.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    found = {}
    for block in re.findall(r"```\{exercise\}\n(.*?)\n```", text, re.S):
        label = re.search(r":label:\s*(\S+)", block)
        if label:
            body = "\n".join(line for line in block.splitlines() if not line.startswith(":")).strip()
            found[label.group(1)] = body.splitlines()[0] if body else ""
    return found


def test_there_is_a_master_per_chapter():
    assert [m.name[:4] for m in MASTERS] == [f"ch{i:02d}" for i in range(1, 11)]


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_master_matches_its_chapter(master):
    cells = json.loads(master.read_text())["cells"]
    config = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "raw" and config.startswith("# ASSIGNMENT CONFIG")
    assert re.search(rf"^name:\s*{re.escape(master.stem)}\s*$", config, re.M), "assignment name = file name"
    chapter = _chapter_file(master)
    exercises = _exercises(chapter)
    qs = build.questions(master)
    assert qs, "a master without questions"
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for q in qs:
        assert q["label"] in exercises, f"{q['name']}: no exercise {q['label']} in {chapter.name}"
        assert re.search(r"\((warm-up|core)", exercises[q["label"]]), f"{q['label']} is not a warm-up or core exercise"
        assert f"](../book/{chapter.name}#{q['label']})" in markdown, f"no link to {q['label']} in {chapter.name}"
        assert q["public"] >= 1 and q["hidden"] >= 1, f"{q['name']}: needs public and hidden tests"
        assert q["points"] == q["public"] + q["hidden"], f"{q['name']}: one point per test"
    solutions = [c for c in cells if c["cell_type"] == "code" and "SOLUTION" in "".join(c["source"])]
    assert len(solutions) == len(qs), "one solution cell (with # SOLUTION markers) per question"


def test_masters_use_the_current_stability_api():
    for master in MASTERS:
        text = master.read_text()
        assert ".is_stable" not in text, f"{master.name} uses the removed field is_stable"


def test_instructors_page_counts_agree_with_the_masters():
    page = (ROOT / "book" / "instructors.md").read_text()
    if "## Teaching with the course pack" not in page:
        pytest.skip("the instructors page has no course-pack section yet")
    section = page.split("## Teaching with the course pack", 1)[1]
    for master in MASTERS:
        chapter = int(master.name[2:4])
        qs = build.questions(master)
        row = re.search(rf"^\| {chapter} \|[^\n]*$", section, re.M)
        assert row, f"no row for chapter {chapter} in the count table"
        assert f"| {len(qs)} |" in row.group(0), row.group(0)
        assert re.findall(r"\{ref\}`(ch\d+-ex-\d+)`", row.group(0)) == [q["label"] for q in qs], row.group(0)

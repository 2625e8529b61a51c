"""The course's master notebooks (course/chNN-*.ipynb) match the book, without needing otter-grader.

Each master holds exercises of its chapter in otter-grader's assign format.  These tests check the
parts that can drift when the chapters change: every question names an existing warm-up or core
exercise of the same chapter and links to it, the chapter's text of that exercise is the one the
master copied (a stored hash), every question has public and hidden tests and a marked solution,
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


# The chapters with a master: those whose warm-up or core exercises have an answer the grader checks.
# Chapter 11 has no master: its exercises work on a fitted scikit-learn pipeline and reruns of its grid
# search, and none of them is checked automatically (book/instructors.md says so).
CHAPTERS_WITH_MASTERS = [*range(1, 11), 12, 13]
NO_MASTER = {11}


def test_there_is_a_master_per_chapter():
    assert [m.name[:4] for m in MASTERS] == [f"ch{i:02d}" for i in CHAPTERS_WITH_MASTERS]


def test_every_chapter_with_graded_exercises_is_accounted_for():
    """A new chapter with warm-up or core exercises needs a master, or a place in NO_MASTER."""
    graded = [
        int(chapter.name[:2])
        for chapter in sorted((ROOT / "book").glob("[0-9][0-9]-*.ipynb"))
        if any(re.match(r"\**\((warm-up|core)", text) for text in build.exercise_texts(chapter).values())
    ]
    assert sorted([*CHAPTERS_WITH_MASTERS, *NO_MASTER]) == graded


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_master_matches_its_chapter(master):
    cells = json.loads(master.read_text())["cells"]
    config = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "raw" and config.startswith("# ASSIGNMENT CONFIG")
    assert re.search(rf"^name:\s*{re.escape(master.stem)}\s*$", config, re.M), "assignment name = file name"
    chapter = build.chapter_of(master)
    exercises = {label: text.split(") ")[0] for label, text in build.exercise_texts(chapter).items()}
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


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_master_copies_the_current_exercise_text(master):
    """Each master records a hash of the exercises it copies; an edit in the chapter shows up here."""
    stored = json.loads(master.read_text())["metadata"]["course"]["exercise_sha256"]
    texts = build.exercise_texts(build.chapter_of(master))
    changed = [label for label, digest in stored.items() if build.exercise_hash(texts[label]) != digest]
    assert not changed, (
        f"exercise(s) {changed} changed in {build.chapter_of(master).name} since course/{master.name} copied "
        f"them: bring the master's statement, solution and tests in line, then run "
        f"`python course/build.py --update-exercise-hashes --chapters {int(master.name[2:4])}`"
    )
    assert set(stored) == {q["label"] for q in build.questions(master)}


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

"""Bad invocations of `python -m ihtlib reproduce`: each gives one clear line and the right exit status.

Exit status 2 for usage errors (arguments, output folder, book folder, _toc.yml), 1 for a failed
chapter (named with its cell), 130 for Ctrl-C, 0 with a warning for stale files.  No chapter is
really executed: ``ihtlib.reproduce._execute`` (the nbclient call) is replaced by fakes that raise
what nbclient raises.  Permission errors are simulated by monkeypatching, since the tests may run
as root (for whom chmod does not make a folder read-only).
"""

import errno
import os
import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from test_reproduce import make_tiny_book

import ihtlib.reproduce as rp
from ihtlib.__main__ import main

ANSI_RED, ANSI_RESET = "\x1b[0;31m", "\x1b[0m"


@pytest.fixture
def repo(tmp_path):
    """The tiny book in ``tmp_path/repo`` (chapter ch1 with 4 cells, Markdown page notes)."""
    return make_tiny_book(tmp_path / "repo")


def add_chapter(repo, name="ch2"):
    """Copy ch1 as another chapter listed after it."""
    shutil.copy(repo / "book" / "ch1.ipynb", repo / "book" / f"{name}.ipynb")
    toc = repo / "_toc.yml"
    toc.write_text(toc.read_text() + f"  - file: book/{name}\n")


def run(argv, capsys):
    """Exit status of ``main(argv)`` and its one message line on stderr (progress bar lines aside)."""
    status = main(argv)
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.startswith("python -m ihtlib")]
    assert "Traceback" not in captured.err and "\x1b" not in captured.err + captured.out
    assert len(lines) <= 1, captured.err
    return status, (lines[0] if lines else ""), captured.out


def files_in(folder):
    return sorted(str(p.relative_to(folder)) for p in pathlib.Path(folder).rglob("*") if p.is_file())


# ------------------------------------------------------------------------------------------------
# Usage errors: exit status 2, checked before any chapter runs.


def _toc(repo, text):
    (repo / "_toc.yml").write_text(text)


USAGE = [
    # (id, preparation of the repo, argv with {repo}/{tmp} placeholders, message part)
    ("no command", None, [], "a command is required: reproduce"),
    ("unknown command", None, ["frobnicate"], "invalid choice: 'frobnicate'"),
    ("--out missing", None, ["reproduce"], "the following arguments are required: --out"),
    ("--out without value", None, ["reproduce", "--out"], "argument --out: expected one argument"),
    ("unknown option", None, ["reproduce", "--out", "{tmp}/o", "--fast"], "unrecognized arguments: --fast"),
    ("--out empty", None, ["reproduce", "--out", ""], "--out is empty"),
    ("--book empty", None, ["reproduce", "--out", "{tmp}/o", "--book", " "], "--book is empty"),
    ("--out is a file", None, ["reproduce", "--out", "{tmp}/afile", "--book", "{repo}"], "exists and is not a folder"),
    (
        "--out under a file",
        None,
        ["reproduce", "--out", "{tmp}/afile/sub/o", "--book", "{repo}"],
        "cannot create output folder {tmp}/afile/sub/o: {tmp}/afile is a file, not a folder",
    ),
    ("--book missing", None, ["reproduce", "--out", "{tmp}/o", "--book", "{tmp}/nowhere"], "does not exist"),
    (
        "--book is a file",
        None,
        ["reproduce", "--out", "{tmp}/o", "--book", "{tmp}/afile"],
        "{tmp}/afile is a file, not the repository folder that holds _toc.yml",
    ),
    (
        "--book is _toc.yml",
        None,
        ["reproduce", "--out", "{tmp}/o", "--book", "{repo}/_toc.yml"],
        "pass its folder {repo}",
    ),
    ("--book without _toc.yml", None, ["reproduce", "--out", "{tmp}/o", "--book", "{tmp}"], "has no _toc.yml"),
    (
        "--book is book/",
        None,
        ["reproduce", "--out", "{tmp}/o", "--book", "{repo}/book"],
        "has no _toc.yml; did you mean {repo}?",
    ),
    (
        "listed chapter missing",
        lambda repo: _toc(repo, "root: book/index\nchapters:\n  - file: book/ch1\n  - file: book/ch9\n"),
        ["reproduce", "--out", "{tmp}/o", "--book", "{repo}"],
        "lists 1 chapter missing on disk: book/ch9 (no .ipynb / .md / .rst file)",
    ),
    (
        "two listed chapters missing",
        lambda repo: _toc(repo, "root: book/index\nchapters:\n  - file: book/a\n  - file: book/ch1\n  - file: b\n"),
        ["reproduce", "--out", "{tmp}/o", "--book", "{repo}"],
        "lists 2 chapters missing on disk: book/a, b",
    ),
    (
        "toc lists nothing",
        lambda repo: _toc(repo, "format: jb-book\nroot: book/index\n"),
        ["reproduce", "--out", "{tmp}/o", "--book", "{repo}"],
        "lists no chapter (no 'file:' entry)",
    ),
    (
        "toc lists only Markdown",
        lambda repo: _toc(repo, "root: book/index\nchapters:\n  - file: book/notes.md\n"),
        ["reproduce", "--out", "{tmp}/o", "--book", "{repo}"],
        "lists no notebook chapter",
    ),
    (
        "toc not UTF-8",
        lambda repo: (repo / "_toc.yml").write_bytes(b"\xff\xfe- file: \x80\n"),
        ["reproduce", "--out", "{tmp}/o", "--book", "{repo}"],
        "cannot read {repo}/_toc.yml",
    ),
]


@pytest.mark.parametrize("prepare, argv, message", [case[1:] for case in USAGE], ids=[case[0] for case in USAGE])
def test_usage_errors_exit_2_with_one_line(prepare, argv, message, repo, tmp_path, capsys):
    (tmp_path / "afile").write_text("not a folder")
    if prepare:
        prepare(repo)
    fill = {"{repo}": str(repo), "{tmp}": str(tmp_path)}
    for key, value in fill.items():
        argv = [a.replace(key, value) for a in argv]
        message = message.replace(key, value)
    status, line, out = run(argv, capsys)
    assert status == 2
    assert line.startswith("python -m ihtlib") and ": error: " in line
    assert message in line
    assert out == ""
    assert not (tmp_path / "o").exists()  # nothing written before the checks passed


PERMISSION = [
    # (id, method of Path to break, the error, message part)
    ("cannot create --out", "mkdir", PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
    ("--out read-only", "touch", PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
    ("--out on a read-only disk", "touch", OSError(errno.EROFS, "Read-only file system"), "Read-only file system"),
    ("--out on a full disk", "touch", OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
]


@pytest.mark.parametrize("method, error, message", [c[1:] for c in PERMISSION], ids=[c[0] for c in PERMISSION])
def test_unwritable_out_exit_2(method, error, message, repo, tmp_path, capsys, monkeypatch):
    out = tmp_path / "o"
    original = getattr(pathlib.Path, method)

    def broken(self, *args, **kwargs):
        if self == out or self.parent == out:
            raise error
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, method, broken)
    status, line, _ = run(["reproduce", "--out", str(out), "--book", str(repo)], capsys)
    assert status == 2
    assert f"cannot write to output folder {out}: {message}" in line


def test_help_documents_clean_and_exit_statuses(capsys):
    assert main(["reproduce", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--clean" in text and "130 interrupted" in text and "2 usage error" in text


def test_usage_error_as_a_process_one_line_exit_2(tmp_path):
    (tmp_path / "afile").write_text("x")
    done = subprocess.run(
        [sys.executable, "-m", "ihtlib", "reproduce", "--out", str(tmp_path / "o"), "--book", str(tmp_path / "afile")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(pathlib.Path(rp.__file__).parents[1])},
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"python -m ihtlib reproduce: error: book folder {tmp_path / 'afile'} is a file, "
        "not the repository folder that holds _toc.yml"
    ]


# ------------------------------------------------------------------------------------------------
# A failed chapter: exit status 1, naming the chapter and the cell, no ANSI codes.


def fake_execute(fail_in="ch1", cell_index=3, error=None):
    """An ``_execute`` that runs nothing and raises ``error`` at cell ``cell_index`` of chapter ``fail_in``."""

    def _execute(nb, path, timeout, on_cell_execute):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            on_cell_execute(cell=cell, cell_index=index)
            if path.stem == fail_in and index == cell_index and error is not None:
                if isinstance(error, CellExecutionError):  # nbclient records the error output first
                    cell.outputs.append(
                        nbformat.v4.new_output("error", ename=error.ename, evalue=error.evalue, traceback=[])
                    )
                raise error

    return _execute


def dead_kernel():
    err = DeadKernelError("Kernel died")
    err.kernel_log = "Killed"
    return err


CHAPTER_FAILURES = [
    # (id, error raised at cell index 3 of ch1, message part)
    (
        "cell raises, ANSI-coloured",
        CellExecutionError(
            f"{ANSI_RED}ZeroDivisionError{ANSI_RESET} Traceback ...",
            f"{ANSI_RED}ZeroDivisionError{ANSI_RESET}",
            f"{ANSI_RED}division by zero{ANSI_RESET}",
        ),
        "chapter ch1, cell 4 (x = 6 * 7): ZeroDivisionError: division by zero",
    ),
    (
        "multi-line error message",
        CellExecutionError("tb", "ValueError", "step must be positive,\n  got -1"),
        "chapter ch1, cell 4 (x = 6 * 7): ValueError: step must be positive, got -1",
    ),
    ("cell timeout", CellTimeoutError("timed out"), "chapter ch1, cell 4 (x = 6 * 7): the cell ran longer than"),
    ("kernel died", dead_kernel(), "chapter ch1, cell 4 (x = 6 * 7): the kernel died (out of memory, or killed)"),
    ("kernel failure", RuntimeError("Kernel didn't respond in 60 seconds"), "RuntimeError: Kernel didn't respond"),
]


@pytest.mark.parametrize("error, message", [c[1:] for c in CHAPTER_FAILURES], ids=[c[0] for c in CHAPTER_FAILURES])
def test_failed_chapter_exit_1_names_chapter_and_cell(error, message, repo, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(rp, "_execute", fake_execute(error=error))
    status, line, _ = run(["reproduce", "--out", str(tmp_path / "o"), "--book", str(repo)], capsys)
    assert status == 1
    assert line.startswith("python -m ihtlib reproduce: error: ")
    assert message in line
    assert files_in(tmp_path / "o") == []


def test_kernel_that_never_starts_names_the_chapter_only(repo, tmp_path, capsys, monkeypatch):
    def no_kernel(nb, path, timeout, on_cell_execute):
        raise RuntimeError("No such kernel named python3")

    monkeypatch.setattr(rp, "_execute", no_kernel)
    status, line, _ = run(["reproduce", "--out", str(tmp_path / "o"), "--book", str(repo)], capsys)
    assert status == 1
    assert line.endswith("error: chapter ch1: RuntimeError: No such kernel named python3")


def test_failure_in_second_chapter_keeps_the_first(repo, tmp_path, capsys, monkeypatch):
    add_chapter(repo)
    monkeypatch.setattr(rp, "_execute", fake_execute("ch2", 1, CellExecutionError("tb", "NameError", "name 'plot'")))
    status, line, _ = run(["reproduce", "--out", str(tmp_path / "o"), "--book", str(repo)], capsys)
    assert (status, line.split("error: ")[1]) == (1, "chapter ch2, cell 2 (fig = plot()): NameError: name 'plot'")
    assert files_in(tmp_path / "o") == ["ch1/ch1-fig-loss.png", "ch1/table-01.html"]


def test_unreadable_notebook_exit_1_before_any_run(repo, tmp_path, capsys, monkeypatch):
    add_chapter(repo)
    (repo / "book" / "ch2.ipynb").write_text("{ not json")
    monkeypatch.setattr(rp, "_execute", fake_execute(error=AssertionError("must not run")))
    status, line, _ = run(["reproduce", "--out", str(tmp_path / "o"), "--book", str(repo)], capsys)
    assert status == 1
    assert f"chapter ch2: cannot read {repo / 'book' / 'ch2.ipynb'}" in line
    assert files_in(tmp_path / "o") == []


def test_write_failure_exit_1_and_no_partial_file(repo, tmp_path, capsys, monkeypatch):
    original = pathlib.Path.write_bytes

    def full_disk(self, data):
        if self.name.startswith(".table-01.html"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", full_disk)
    status, line, _ = run(["reproduce", "--quick", "--out", str(tmp_path / "o"), "--book", str(repo)], capsys)
    assert status == 1
    assert line.endswith(f"chapter ch1: cannot write into {tmp_path / 'o' / 'ch1'}: No space left on device")
    assert files_in(tmp_path / "o") == []  # the figure written before is not renamed, its temporary removed


# ------------------------------------------------------------------------------------------------
# Ctrl-C: exit status 130, one line, completed chapters kept, no partial or temporary file.


def interrupt_in(chapter):
    def _execute(nb, path, timeout, on_cell_execute):
        if path.stem == chapter:
            on_cell_execute(cell=nb.cells[1], cell_index=1)
            raise KeyboardInterrupt

    return _execute


INTERRUPTS = [
    # (id, _execute, chapters, files left, message part)
    ("in the first chapter", interrupt_in("ch1"), 1, [], "interrupted during chapter ch1: 0 chapters written"),
    (
        "in the second chapter",
        interrupt_in("ch2"),
        2,
        ["ch1/ch1-fig-loss.png", "ch1/table-01.html"],
        "interrupted during chapter ch2: 1 chapter written completely to",
    ),
    (
        "seen by the kernel first",
        fake_execute("ch1", 1, CellExecutionError("tb", "KeyboardInterrupt", "")),
        1,
        [],
        "interrupted during chapter ch1",
    ),
]


@pytest.mark.parametrize(
    "execute, chapters, left, message", [c[1:] for c in INTERRUPTS], ids=[c[0] for c in INTERRUPTS]
)
def test_ctrl_c_exit_130(execute, chapters, left, message, repo, tmp_path, capsys, monkeypatch):
    if chapters == 2:
        add_chapter(repo)
    monkeypatch.setattr(rp, "_execute", execute)
    status, line, _ = run(["reproduce", "--out", str(tmp_path / "o"), "--book", str(repo)], capsys)
    assert status == 130
    assert line.startswith("python -m ihtlib reproduce: stopped: ")
    assert message in line and line.endswith("no partial file left")
    assert files_in(tmp_path / "o") == left


@pytest.mark.parametrize("phase", ["write_bytes", "replace"])
def test_ctrl_c_while_writing_leaves_no_temporary(phase, repo, tmp_path, capsys, monkeypatch):
    calls = []
    target = (pathlib.Path, "write_bytes") if phase == "write_bytes" else (rp.os, "replace")
    original = getattr(*target)

    def interrupted_second_time(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(*target, interrupted_second_time)
    status, line, _ = run(["reproduce", "--quick", "--out", str(tmp_path / "o"), "--book", str(repo)], capsys)
    assert status == 130 and "interrupted during chapter ch1" in line
    left = files_in(tmp_path / "o")
    assert not [name for name in left if name.endswith(rp.PART_SUFFIX)]
    # interrupted while writing: nothing renamed; while renaming: only the complete first file
    assert left == ([] if phase == "write_bytes" else ["ch1/ch1-fig-loss.png"])


def test_api_raises_interrupted_a_keyboardinterrupt(repo, tmp_path, monkeypatch):
    monkeypatch.setattr(rp, "_execute", interrupt_in("ch1"))
    with pytest.raises(KeyboardInterrupt, match="interrupted during chapter ch1") as caught:
        rp.reproduce(tmp_path / "o", root=repo, progress=False)
    assert isinstance(caught.value, rp.Interrupted) and caught.value.chapter == "ch1"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


# ------------------------------------------------------------------------------------------------
# Stale files from an earlier run: a warning (count and folders), or --clean.


def plant_stale(out):
    (out / "ch1" / "old-name.png").write_bytes(b"old")
    (out / "ch1" / ".table-01.html.999.part").write_text("half")
    (out / "ch1" / "notes.txt").write_text("mine")  # not ours: neither reported nor removed
    (out / "elsewhere").mkdir()
    (out / "elsewhere" / "keep.png").write_bytes(b"keep")  # not a chapter folder of this book


def test_stale_files_give_a_warning_with_count_and_folder(repo, tmp_path, capsys):
    out = tmp_path / "o"
    argv = ["reproduce", "--quick", "--out", str(out), "--book", str(repo)]
    assert run(argv, capsys)[:2] == (0, "")
    plant_stale(out)
    status, line, stdout = run(argv, capsys)
    assert status == 0 and "wrote 1 figures and 1 tables" in stdout
    assert line == (
        "python -m ihtlib reproduce: warning: 2 files from an earlier run were not rewritten and may be out "
        f"of date: {out / 'ch1'} (2); rerun with --clean to remove them"
    )
    assert "old-name.png" in files_in(out / "ch1")  # only warned about


def test_clean_removes_only_old_figures_and_tables_of_chapter_folders(repo, tmp_path, capsys):
    out = tmp_path / "o"
    argv = ["reproduce", "--quick", "--out", str(out), "--book", str(repo)]
    run(argv, capsys)
    plant_stale(out)
    status, line, stdout = run([*argv, "--clean"], capsys)
    assert (status, line) == (0, "")
    assert "removed 4 files of an earlier run first" in stdout  # 2 stale + 2 then rewritten
    assert files_in(out) == ["ch1/ch1-fig-loss.png", "ch1/notes.txt", "ch1/table-01.html", "elsewhere/keep.png"]


# ------------------------------------------------------------------------------------------------
# The same checks through the API: documented exceptions with the same messages.


def test_api_errors(repo, tmp_path, monkeypatch):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(rp.BookError, match="has no _toc.yml"):
        rp.reproduce(tmp_path / "o", root=tmp_path, progress=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):  # BookError is a FileNotFoundError
        rp.chapter_notebooks(tmp_path / "nowhere")
    with pytest.raises(rp.OutputError, match="afile is a file, not a folder"):
        rp.reproduce(tmp_path / "afile" / "o", root=repo, progress=False)
    with pytest.raises(rp.OutputError, match="empty path"):
        rp.reproduce("", root=repo, progress=False)
    monkeypatch.setattr(rp, "_execute", fake_execute(error=CellExecutionError("tb", "KeyError", "'x'")))
    with pytest.raises(rp.ChapterError, match=r"^chapter ch1, cell 4 \(x = 6 \* 7\): KeyError: 'x'$") as caught:
        rp.reproduce(tmp_path / "o", root=repo, progress=False)
    assert (caught.value.chapter, caught.value.cell, caught.value.exit_status) == ("ch1", 4, 1)


@pytest.mark.parametrize(
    "text, plain",
    [
        (f"{ANSI_RED}ValueError{ANSI_RESET}", "ValueError"),
        ("\x1b[1;32mok\x1b[39;49m done", "ok done"),
        ("\x1b]8;;http://x\x07link\x1b]8;;\x07", "link"),
        ("no codes", "no codes"),
    ],
)
def test_strip_ansi(text, plain):
    assert rp.strip_ansi(text) == plain

"""book/_ext/ihtlib_guard.py: the fingerprint of ihtlib and the parallel execution into the cache."""

import hashlib
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import ihtlib_guard  # noqa: E402


def test_fingerprint_hashes_the_installed_sources_without_importing_ihtlib():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import ihtlib_guard; "
        "print(ihtlib_guard.fingerprint()); print('ihtlib' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "book" / "_ext")], capture_output=True, text=True, check=True
    )
    digest, imported = done.stdout.split()
    assert imported == "False"  # a rebuild with nothing changed does not pay for `import ihtlib`
    import ihtlib

    expected = hashlib.sha256()
    for path in sorted(Path(ihtlib.__file__).parent.rglob("*.py")):
        expected.update(path.name.encode())
        expected.update(path.read_bytes())
    assert digest == expected.hexdigest()
    assert ihtlib_guard.package_dir() == Path(ihtlib.__file__).parent


def _notebook(path, code):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return nb


def test_execute_into_cache_is_what_myst_nb_finds(tmp_path):
    from jupyter_cache import get_cache

    cache = tmp_path / "cache"
    good = _notebook(tmp_path / "good.ipynb", "import os\nprint(os.path.basename(os.getcwd()))")
    _notebook(tmp_path / "bad.ipynb", "1 / 0")
    uri, seconds, error = ihtlib_guard.execute_into_cache(str(tmp_path / "good.ipynb"), str(cache), 60, False)
    assert (uri, error) == (str(tmp_path / "good.ipynb"), "") and seconds > 0
    # MyST-NB's cache mode matches the notebook as read from disk and merges the stored outputs
    record = get_cache(str(cache)).match_cache_notebook(good)
    assert record.data["execution_seconds"] == pytest.approx(seconds)
    _, merged = get_cache(str(cache)).merge_match_into_notebook(good)
    assert merged.cells[0].outputs[0]["text"] == tmp_path.name + "\n"  # run in the notebook's folder
    # a failing notebook is reported by name and left out of the cache (MyST-NB runs it again and reports it)
    _, _, error = ihtlib_guard.execute_into_cache(str(tmp_path / "bad.ipynb"), str(cache), 60, False)
    assert error == "CellExecutionError"
    # so is one whose kernel cannot start (any exception: the build must not stop in the pool)
    nb = _notebook(tmp_path / "nokernel.ipynb", "1")
    nb.metadata["kernelspec"]["name"] = "no-such-kernel"
    nbformat.write(nb, tmp_path / "nokernel.ipynb")
    _, _, error = ihtlib_guard.execute_into_cache(str(tmp_path / "nokernel.ipynb"), str(cache), 60, False)
    assert error == "NoSuchKernel"
    assert len(get_cache(str(cache)).list_cache_records()) == 1


def test_jobs_from_the_environment(monkeypatch):
    monkeypatch.setenv(ihtlib_guard.JOBS_VARIABLE, "3")
    assert ihtlib_guard._jobs() == 3
    monkeypatch.setenv(ihtlib_guard.JOBS_VARIABLE, "0")
    assert ihtlib_guard._jobs() == 1
    monkeypatch.setenv(ihtlib_guard.JOBS_VARIABLE, "two")
    with pytest.raises(ValueError, match="IHT_BUILD_JOBS"):
        ihtlib_guard._jobs()
    monkeypatch.delenv(ihtlib_guard.JOBS_VARIABLE)
    assert ihtlib_guard._jobs() >= 1

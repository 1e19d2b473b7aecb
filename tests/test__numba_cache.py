"""Numba's cache folder follows the whole package's source (``readiness._numba_cache``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from readiness import _numba_cache
from readiness._numba_cache import OWN, source_digest, use_source_keyed_cache


def _package(tmp_path: Path) -> Path:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("X = 1\n")
    (package / "sub" / "b.py").write_text("Y = 2\n")
    return package


def test_a_change_in_any_source_file_changes_the_digest(tmp_path: Path) -> None:
    package = _package(tmp_path)
    before = source_digest(package)
    (package / "sub" / "b.py").write_text("Y = 3\n")  # a file the cached function does not live in
    assert source_digest(package) != before
    (package / "sub" / "b.py").write_text("Y = 2\n")
    assert source_digest(package) == before


def test_the_cache_goes_to_a_folder_per_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv(OWN, raising=False)  # both restored after the test
    stale = tmp_path / "cache" / "readiness" / "numba" / "old"
    stale.mkdir(parents=True)
    week_ago = time.time() - (_numba_cache.UNUSED_DAYS + 1) * 86_400
    os.utime(stale, (week_ago, week_ago))
    use_source_keyed_cache(package)
    folder = Path(os.environ["NUMBA_CACHE_DIR"])
    assert folder.name == source_digest(package) and folder.is_dir() and os.environ[OWN] == str(folder)
    assert not stale.exists()  # unused for over a week
    (package / "a.py").write_text("X = 5\n")
    use_source_keyed_cache(package)  # as a subprocess inheriting the variable would: another digest
    assert Path(os.environ["NUMBA_CACHE_DIR"]) != folder and folder.is_dir()


def test_a_users_cache_folder_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.delenv(OWN, raising=False)
    use_source_keyed_cache(_package(tmp_path))
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "mine")


def test_nowhere_to_write_leaves_numba_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv(OWN, raising=False)
    use_source_keyed_cache(_package(tmp_path))
    assert "NUMBA_CACHE_DIR" not in os.environ

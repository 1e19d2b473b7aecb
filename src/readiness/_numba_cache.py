"""Numba's on-disk cache of compiled functions, in a folder named by a digest of the package's source.

Numba keys a cached function by the timestamp of its own file only, not by the files of the functions it
inlines or calls: after an update (a ``git pull``) that changes ``nearest.py`` alone, the warm-up compiled
from ``workload.py`` would be loaded with the old search built in, and give other numbers without a word.
A folder per digest of every source file makes any change compile afresh; a folder unused for a week is
removed. ``NUMBA_CACHE_DIR`` set by the user is left as it is.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from pathlib import Path

#: Set to the folder this module chose, so that a subprocess (which inherits it) can tell it from a user's.
OWN = "READINESS_NUMBA_CACHE_DIR"
UNUSED_DAYS = 7


def source_digest(package: Path) -> str:
    """A digest of every ``.py`` file of the package, names and bytes."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def use_source_keyed_cache(package: Path) -> None:
    """Point Numba's cache at ``<cache>/readiness/numba/<digest>`` unless the user chose a folder."""
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if chosen and chosen != os.environ.get(OWN):
        return
    try:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "readiness" / "numba"
        folder = root / source_digest(package)
        folder.mkdir(parents=True, exist_ok=True)
        os.utime(folder)
    except (OSError, RuntimeError):  # no home folder, or nowhere to write: Numba keeps its own locations
        return
    for other in root.iterdir():
        if other != folder and other.is_dir() and time.time() - other.stat().st_mtime > UNUSED_DAYS * 86_400:
            shutil.rmtree(other, ignore_errors=True)
    os.environ["NUMBA_CACHE_DIR"] = os.environ[OWN] = str(folder)
    if "numba" in sys.modules:  # imported before readiness: its configuration was read already
        sys.modules["numba"].config.CACHE_DIR = str(folder)

"""A small on-disk cache of NumPy arrays keyed by content hashes (road graphs, travel matrices)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

#: Bump when what is cached changes meaning, so that old entries are never read as new ones.
CACHE_VERSION = 1


def default_cache_dir() -> Path:
    """Return ``$XDG_CACHE_HOME/readiness``, which is ``~/.cache/readiness`` on most systems."""
    return Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "readiness"


def file_sha256(path: Path) -> str:
    """Hash a file's bytes, so that an edited extract never reuses an old graph or matrix."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def array_sha256(*arrays: np.ndarray) -> str:
    """Hash arrays by dtype, shape and bytes (for points and graphs that did not come from a file)."""
    digest = hashlib.sha256()
    for array in arrays:
        contiguous = np.ascontiguousarray(array)
        digest.update(f"{contiguous.dtype.str}{contiguous.shape}".encode())
        digest.update(contiguous.tobytes())
    return digest.hexdigest()


def cache_key(kind: str, **parts: Any) -> str:
    """Return the file name for an entry: ``kind`` plus a hash of the JSON of its parts."""
    text = json.dumps({"version": CACHE_VERSION, **parts}, sort_keys=True)
    return f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:32]}.npz"


def load(cache_dir: Path, name: str) -> dict[str, np.ndarray] | None:
    """Return the arrays stored under ``name``, or ``None`` if absent or unreadable (then recomputed)."""
    path = cache_dir / name
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: stored[key] for key in stored.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def save(cache_dir: Path, name: str, arrays: dict[str, np.ndarray]) -> None:
    """Store arrays atomically (a temporary file, then a rename): parallel workers never see half a file."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
        os.replace(temporary, cache_dir / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

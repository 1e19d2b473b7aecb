"""What every benchmark records about the machine, so figures are read against the hardware that made them."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata


def machine(packages: tuple[str, ...] = ()) -> dict[str, object]:
    """CPU model (from ``lscpu``), cores, Python and the versions of ``packages``."""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        model = platform.processor() or "unknown"
    versions = {}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(), "versions": versions}

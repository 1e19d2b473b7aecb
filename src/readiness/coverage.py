"""Coverage: everyday armed coverage by hour of the week, as the ``readiness coverage`` results document."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from readiness import __version__
from readiness.config import portable_config
from readiness.forces import force_record
from readiness.model import Model
from readiness.workload import coverage_analysis

RESULTS_FORMAT = "readiness.coverage/1"


@dataclass(frozen=True)
class CoverageResult:
    """The coverage analysis of one model, its per-LSOA reach within 10 minutes, and the results document."""

    model: Model
    coverage: dict[str, object]
    reached_10: np.ndarray  # per LSOA: probability over the week that a free armed unit arrives within 10 min
    results: dict[str, object]


def run_coverage(model: Model, *, seed: int, replications: int) -> CoverageResult:
    """Simulate the week once (``replications`` instants per hour) and build the results document."""
    analysis, reached = coverage_analysis(model, seed=seed, replications=replications)
    results: dict[str, object] = {
        "format": RESULTS_FORMAT, "version": __version__, "seed": seed, "replications": replications,
        "area": {"name": model.area.name, "lsoas": model.area.n},
        **force_record(model),
        "config": portable_config(model.config), "parameters": model.params.as_records(),
        "coverage": analysis,
    }
    return CoverageResult(model=model, coverage=analysis, reached_10=reached, results=results)

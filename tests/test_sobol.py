"""Sobol indices through the project's wrappers: the Ishigami function's known indices, and the compare hook."""

from __future__ import annotations

import math

import numpy as np
import pytest

from readiness.registry import Parameters
from readiness.sensitivity import sobol, sobol_evaluations, sobol_indices

#: Ishigami (a = 7, b = 0.1): closed-form first-order and total indices (Saltelli et al. 2008, section 4.6).
A, B = 7.0, 0.1
_VAR = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
_V1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
_V2 = A**2 / 8
_V13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
S1 = np.array([_V1, _V2, 0.0]) / _VAR
ST = np.array([_V1 + _V13, _V2, _V13]) / _VAR


def ishigami(x: np.ndarray) -> dict[str, float]:
    return {"y": math.sin(x[0]) + A * math.sin(x[1]) ** 2 + B * x[2] ** 4 * math.sin(x[0])}


def test_ishigami_indices_within_their_bootstrap_intervals() -> None:
    rows = sobol_indices(ishigami, ["x1", "x2", "x3"], [(-math.pi, math.pi)] * 3, base_samples=2048, seed=11)
    by_name = {r["parameter"]: r for r in rows}
    for i, name in enumerate(["x1", "x2", "x3"]):
        r = by_name[name]
        assert abs(r["S1"] - S1[i]) < max(r["S1_ci95"], 0.02) + 0.02, name
        assert abs(r["ST"] - ST[i]) < max(r["ST_ci95"], 0.02) + 0.02, name
    assert [r["parameter"] for r in rows] == ["x1", "x2", "x3"]  # sorted by total index


def test_registry_wrapper_sweeps_the_ranges_and_rounds_integers() -> None:
    params = Parameters()
    entries = [e for e in params.entries() if e.name in ("dispatch.officers_per_attacker", "harm.flight_time_min")]
    seen: list[dict[str, float]] = []

    def evaluate(values: Parameters) -> dict[str, float]:
        seen.append({e.name: values[e.name] for e in entries})
        return {"out": values["dispatch.officers_per_attacker"] + 0.0 * values["harm.flight_time_min"]}

    rows = sobol(evaluate, params, entries, base_samples=64, seed=2)
    assert len(seen) == sobol_evaluations(64, 2)
    officers = [s["dispatch.officers_per_attacker"] for s in seen]
    assert all(float(v).is_integer() for v in officers)
    for e in entries:
        values = [s[e.name] for s in seen]
        assert e.low <= min(values) and max(values) <= e.high
    by_name = {r["parameter"]: r for r in rows}
    assert by_name["dispatch.officers_per_attacker"]["ST"] > 0.9
    assert by_name["harm.flight_time_min"]["ST"] == pytest.approx(0.0, abs=0.05)


def test_an_output_nothing_moves_has_zero_indices() -> None:
    rows = sobol_indices(lambda x: {"flat": 1.0}, ["a", "b"], [(0.0, 1.0)] * 2, base_samples=8, seed=0)
    assert all(r["S1"] == 0.0 and r["ST"] == 0.0 for r in rows)


def test_compare_rejects_a_sobol_size_that_is_not_a_power_of_two(tmp_path) -> None:
    from typer.testing import CliRunner

    from readiness.cli import app

    result = CliRunner().invoke(app, ["compare", "--sobol", "12", "--out", str(tmp_path), "--no-store"])
    assert result.exit_code == 2
    assert "--sobol expects 0 or a power of two" in " ".join(result.output.split())


@pytest.mark.slow
def test_compare_reports_sobol_indices_at_one_and_three_sites(default_model) -> None:
    from readiness.compare import run_comparison

    comparison = run_comparison(default_model, [], replications=20, seed=3, sensitivity_replications=20,
                                morris_trajectories=0, sobol_samples=4, sobol_parameters=["harm.flight_time_min"])
    sb = comparison.results["sensitivity"]["sobol"]
    assert sb["sites"] == [1, 3] and sb["evaluations"] == sobol_evaluations(4, 1) == 12
    assert {(r["output"], r["sites"]) for r in sb["rows"]} >= {("deaths_per_attack", 1), ("deaths_per_attack", 3)}
    assert comparison.seconds["sobol"] > 0

"""The location-model table (readiness.locate): one list of names for the CLI, its help and the planner."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys

import numpy as np
import pytest
import typer.main
from locate_helpers import assert_heuristic_honest, calibrated_instance

from readiness.cli import app
from readiness.errors import ConfigError
from readiness.locate import LOCATION_MODELS
from readiness.locate.base import MIP_REL_GAP
from readiness.locate.center import p_center
from readiness.locate.coverage import backup_coverage, lscp, mclp, mexclp
from readiness.locate.median import p_median
from readiness.planning import StandbyProblem, location_model, solve


def test_cli_help_planner_and_table_list_the_same_models() -> None:
    command = typer.main.get_command(app).commands["optimise"]  # type: ignore[attr-defined]
    model_option = next(p for p in command.params if "--model" in p.opts)
    assert re.findall(r"(?:^|; )([\w-]+):", model_option.help) == list(LOCATION_MODELS)
    with pytest.raises(ConfigError, match="--model must be one of") as error:
        location_model("teleport")
    assert re.search(r"one of (.*), got", str(error.value)).group(1).split(", ") == list(LOCATION_MODELS)
    rng = np.random.default_rng(0)
    minutes = rng.uniform(1, 20, (12, 6))
    problem = StandbyProblem(weights=rng.uniform(1, 5, 12), minutes=minutes, names=tuple("abcdef"),
                             xy=rng.uniform(0, 1, (6, 2)), existing=np.array([0, 3]))
    for name, entry in LOCATION_MODELS.items():
        plan = solve(problem, name, units=3, within=30.0, busy_fraction=0.2, fix_existing=True, method="highs")
        assert plan.status == "optimal" and {0, 3} <= set(plan.sites.tolist()), name
        assert plan.n_units == (3 if entry.places_units else 2), name  # every point is within 30 minutes of one


@pytest.mark.parametrize("name", LOCATION_MODELS)
def test_each_entry_passes_the_arguments_its_function_declares(name: str) -> None:
    entry = LOCATION_MODELS[name]
    parameters = inspect.signature(entry.function()).parameters
    positional = [p for p in parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert list(entry.inputs) == [p.name for p in positional[: len(entry.inputs)]]
    assert all(p.default is not p.empty for p in positional[len(entry.inputs):])  # the rest are optional
    assert parameters["method"].kind is inspect.Parameter.KEYWORD_ONLY


def test_reading_the_table_imports_no_solver() -> None:
    # the CLI reads the table for its help text at start-up; the solvers (HiGHS, scipy) load on first use
    code = "import sys, readiness.locate; print(sorted({'numpy', 'highspy', 'scipy'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


@pytest.mark.parametrize("seed", range(2))
def test_heuristics_are_within_their_gap_of_the_optimum(seed: int) -> None:
    w, cost = calibrated_instance(150, seed=10 + seed)
    cover = cost <= 7.0
    for solve_with, maximise in [
        (lambda m: mclp(w, cover, 6, method=m), True),
        (lambda m: backup_coverage(w, cover, 6, primary_weight=0.3, method=m), True),
        (lambda m: mexclp(w, cover, 6, 0.4, method=m), True),
        (lambda m: lscp(cover, method=m), False),
        (lambda m: p_median(w, cost, 6, method=m), False),
        (lambda m: p_center(cost, 6, method=m), False),
    ]:
        exact = solve_with("highs")
        assert exact.status == "optimal" and exact.gap <= MIP_REL_GAP
        assert_heuristic_honest(solve_with("heuristic"), exact.objective, maximise=maximise)

"""Standby planning: the location problem built from a model, plans turned back into fleets, the CLI."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from readiness.cli import app
from readiness.config import config_from_mapping
from readiness.exposure import site_layer, weights_for
from readiness.model import build_model, derive_model
from readiness.planning import LOCATION_MODELS, plan_config, planning_weights, solve, standby_problem
from readiness.resources import ARMED

runner = CliRunner()


def test_problem_uses_the_models_blue_light_minutes(default_model):
    problem = standby_problem(default_model)
    assert problem.minutes.shape == (default_model.area.n, default_model.n_bases + default_model.area.n)
    factor = default_model.params["travel.emergency_factor"]
    np.testing.assert_allclose(problem.minutes[5, 2], factor * default_model.travel_minutes[2, 5], rtol=1e-6)
    assert len(problem.existing) == 8  # one ARV base per hub by default


def test_fixed_existing_bases_stay_open_and_the_plan_becomes_a_fleet(default_model):
    problem = standby_problem(default_model)
    plan = solve(problem, "mclp", units=10, within=10.0, busy_fraction=0.0, fix_existing=True)
    assert set(problem.existing) <= set(plan.sites.tolist()) and plan.n_sites == 10
    planned = build_model(plan_config(default_model, problem, plan), area=default_model.area)
    assert planned.fleet.count(ARMED) == 10
    assert planned.fleet.count(2) == default_model.fleet.count(2)  # unarmed units untouched
    # the re-built model puts its ARVs exactly where the plan says
    arv_xy = planned.fleet.base_xy[planned.fleet.position[planned.fleet.kind == ARMED]]
    chosen = problem.xy[plan.sites]
    assert {tuple(np.round(p, 3)) for p in arv_xy} == {tuple(np.round(p, 3)) for p in chosen}


def test_an_optimised_mclp_plan_covers_at_least_as_much_as_the_existing_bases(default_model):
    problem = standby_problem(default_model)
    plan = solve(problem, "mclp", units=8, within=10.0, busy_fraction=0.0, fix_existing=False)
    covered_now = problem.weights[problem.coverage(10.0)[:, problem.existing].any(axis=1)].sum()
    assert plan.objective >= covered_now - 1e-6


@pytest.mark.parametrize("model_name", LOCATION_MODELS)
def test_every_model_runs_from_the_command_line(tmp_path, model_name):
    out = tmp_path / model_name
    result = runner.invoke(app, ["optimise", "--model", model_name, "--within", "15", "--busy-fraction", "0.3",
                                 "--method", "heuristic" if model_name == "p-center" else "auto",
                                 "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["plan"]["n_sites"] >= 1 and (out / "figures" / "map_plan.png").is_file()
    assert "solve_seconds" not in json.dumps(results)  # timings live in run.json


def test_assess_rechecks_the_plan_by_simulation(tmp_path):
    out = tmp_path / "plan"
    result = runner.invoke(app, ["optimise", "--model", "mclp", "--assess", "--replications", "200",
                                 "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert [r["sites"] for r in results["assessment"]["before"]] == [r["sites"] for r in results["assessment"]["after"]]
    assert (out / "before_after.csv").is_file() and (out / "figures" / "before_after.png").is_file()


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "lscp", "--within", "0.5"], "within the standard of no candidate"),
    (["--model", "mclp", "--units", "5000"], "larger than the number of candidate"),
    (["--model", "teleport"], "--model must be one of"),
    (["--model", "mclp", "--fix-existing", "--units", "3"], "fewer than the 8 existing bases"),
])
def test_infeasible_requests_give_a_clear_message(tmp_path, args, message):
    result = runner.invoke(app, ["optimise", *args, "--out", str(tmp_path / "x"), "--quiet"])
    assert result.exit_code == 2
    assert message in result.output


def test_per_shift_plans_follow_the_shift_pattern(tmp_path, default_model):
    from readiness.planning import armed_on_duty_by_shift

    periods = armed_on_duty_by_shift(default_model)
    assert sum(len(hours) for hours in periods.values()) == 168
    out = tmp_path / "shifts"
    result = runner.invoke(app, ["optimise", "--model", "mclp", "--per-shift", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    plans = json.loads((out / "results.json").read_text())["plans_by_shift"]
    assert [p["armed_on_duty"] for p in plans] == [c for c in periods if c > 0]
    assert all(p["plan"]["n_sites"] == p["armed_on_duty"] for p in plans)


def test_planning_weights_follow_the_choice(default_model):
    model = default_model
    assert np.array_equal(planning_weights(model, "residents"), model.area.residents.astype(float))
    assert np.allclose(planning_weights(model, "week"), np.asarray(model.site_table).mean(axis=0))
    assert np.array_equal(planning_weights(model, "exposure"), model.site_weights)  # exposure at the attack time
    assert np.array_equal(standby_problem(model).weights, model.site_weights)
    by_residents = derive_model(model, config_from_mapping({"scenario": {"site_weights": "residents"}}))
    table, _ = site_layer("exposure", model.area, model.params)
    assert np.allclose(planning_weights(by_residents, "exposure"), weights_for(table, "Fri 21:20"))
    assert not np.allclose(planning_weights(model, "exposure"), planning_weights(model, "residents"))


def test_bad_weights_choice_is_one_line_exit_2(tmp_path):
    result = CliRunner().invoke(app, ["optimise", "--weights", "people", "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 2 and "--weights must be one of exposure, residents, week" in result.output
    assert not (tmp_path / "o").exists()

"""Patrol layers, patrol areas, patrol draws and return to patrol (docs/model.md, patrols)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from readiness.cli import app
from readiness.config import config_from_mapping, default_config
from readiness.errors import ConfigError
from readiness.kinds import ARMED, UNARMED
from readiness.model import Model, build_model, derive_model
from readiness.patrol import demand_table, place_patrols
from readiness.rng import name_index, replication_keys, uniforms
from readiness.scenario import draw_unit_starts
from readiness.workload import WorkloadSampler

REPS = np.arange(400)


def _with_units(model: Model, units: list[dict], **resources: object) -> Model:
    data = model.config.resources.model_dump()
    data.update({"units": units, **resources})
    config = config_from_mapping({**model.config.model_dump(mode="json"), "resources": data})
    return derive_model(model, config)


def test_placing_patrols_is_a_searchsorted_of_each_units_uniform(default_model: Model) -> None:
    """The fused pass (uniform, guided pick, position) against NumPy: ``searchsorted`` (side right) of each
    unit's ``rng.uniforms`` draw times its layer row's total, at hours all over the week; other columns kept."""
    patrols, units = default_model.patrols, np.flatnonzero(default_model.fleet.patrol)
    reps = np.arange(3_000, 4_000)
    hour = np.random.default_rng(4).integers(0, 168, len(reps))
    unit_keys = np.array([name_index(default_model.fleet.names[u]) for u in units], dtype=np.uint64)
    position = np.full((len(reps), default_model.fleet.n + 2), -7, np.int64)
    place_patrols(patrols, units, hour, replication_keys(9, "patrol", reps), unit_keys, 40, position)
    u = uniforms(9, "patrol", reps, unit_keys)
    for j, unit in enumerate(units):
        rows = patrols.cumulative[patrols.unit_layer[unit], hour]
        expected = [min(np.searchsorted(row, x * row[-1], side="right"), len(row) - 1) for row, x in zip(rows, u[:, j])]
        assert np.array_equal(position[:, unit], 40 + np.array(expected))
    untouched = np.setdiff1d(np.arange(position.shape[1]), units)
    assert (position[:, untouched] == -7).all()


def test_arvs_patrol_by_default_within_their_patrol_areas(default_model: Model) -> None:
    fleet, patrols = default_model.fleet, default_model.patrols
    armed = np.flatnonzero(fleet.kind == ARMED)
    assert fleet.patrol[armed].all() and (fleet.patrol_area[armed] >= 0).all()
    lsoa = draw_unit_starts(default_model, 7, REPS).position[:, armed] - default_model.n_bases
    assert (patrols.area_of[lsoa] == fleet.patrol_area[armed][None, :]).all()


def test_patrol_areas_are_the_lsoas_nearest_each_base_on_blue_lights(default_model: Model) -> None:
    minutes = default_model.blue_light_minutes[:default_model.n_bases]
    area_of = default_model.patrols.area_of
    assert np.allclose(minutes[area_of, np.arange(default_model.area.n)], minutes.min(axis=0))


def test_response_cars_follow_demand_not_the_site_weights(default_model: Model) -> None:
    patrols, fleet = default_model.patrols, default_model.fleet
    car = int(np.flatnonzero(fleet.kind == UNARMED)[0])
    weights = patrols.weights(int(patrols.unit_layer[car]))
    assert np.allclose(weights / weights.sum(axis=1, keepdims=True),
                       patrols.demand / patrols.demand.sum(axis=1, keepdims=True))
    assert not np.allclose(weights[0] / weights[0].sum(), default_model.site_table[0] / default_model.site_table[0].sum())


def test_armed_layer_mixes_demand_and_exposure_by_the_registry_share(default_model: Model) -> None:
    patrols = default_model.patrols
    share = default_model.params["patrol.demand_share"]
    assert np.allclose(patrols.armed, share * patrols.demand + (1 - share) * patrols.exposure)
    assert np.isclose(patrols.demand.sum(axis=1).mean(), 1.0) and np.isclose(patrols.exposure.sum(axis=1).mean(), 1.0)
    assert np.allclose(demand_table(np.array([1.0, 3.0]), np.ones(168)), np.tile([0.25, 0.75], (168, 1)))


def test_draws_follow_a_user_layer_and_its_hour(default_model: Model, tmp_path: Path) -> None:
    a, b, c = default_model.area.codes[:3]
    hours = {f"h{h}": [3.0, 1.0, 0.0] if h < 84 else [0.0, 0.0, 1.0] for h in range(168)}
    path = tmp_path / "layer.csv"
    import pandas as pd
    pd.DataFrame({"lsoa11cd": [a, b, c], **hours}).to_csv(path, index=False)
    model = _with_units(default_model, [{"type": "arv", "count": 1}], patrol_layer=str(path))
    reps = np.arange(4000)
    monday = draw_unit_starts(model, 1, reps, np.zeros(len(reps), np.int64)).position[:, 0] - model.n_bases
    assert set(np.unique(monday)) <= {0, 1}
    assert abs(np.mean(monday == 0) - 0.75) < 4 * np.sqrt(0.75 * 0.25 / len(reps))
    sunday = draw_unit_starts(model, 1, reps, np.full(len(reps), 167 * 60)).position[:, 0] - model.n_bases
    assert (sunday == 2).all()


def test_adding_a_unit_never_moves_another(default_model: Model) -> None:
    units = [g.model_dump() for g in default_model.config.resources.units]
    grown = [{**g, "count": g["count"] + (1 if g["type"] == "arv" and i == 0 else 5 if g["type"] == "response" else 0)}
             for i, g in enumerate(units)]
    grown = _with_units(default_model, grown)
    assert grown.fleet.n == default_model.fleet.n + 6
    before = draw_unit_starts(default_model, 3, REPS).position
    after = draw_unit_starts(grown, 3, REPS).position
    index = {name: u for u, name in enumerate(grown.fleet.names)}
    assert np.array_equal(before, after[:, [index[n] for n in default_model.fleet.names]])


def test_a_derived_model_shares_the_patrols_only_while_its_layers_are_the_same(default_model: Model) -> None:
    """Another attack time or doctrine: the same layers, so the same tables (no 250 MB rebuilt on the Met).
    Another armed mix or one more unit: tables of their own, as a model built afresh has them."""
    timed = default_model.at_time("Mon 04:00")
    assert timed.patrols is default_model.patrols
    mixed = derive_model(default_model, config_from_mapping({**default_model.config.model_dump(mode="json"),
                                                             "parameters": {"patrol.demand_share": 0.9}}))
    fresh = build_model(mixed.config)
    assert mixed.patrols is not default_model.patrols
    np.testing.assert_array_equal(mixed.patrols.cumulative, fresh.patrols.cumulative)
    assert not np.array_equal(mixed.patrols.cumulative, default_model.patrols.cumulative)
    units = [g.model_dump() for g in default_model.config.resources.units]
    grown = _with_units(default_model, [{**g, "count": g["count"] + (g["type"] == "response")} for g in units])
    assert grown.patrols is not default_model.patrols
    np.testing.assert_array_equal(grown.patrols.unit_layer, build_model(grown.config).patrols.unit_layer)


def test_a_unit_resumes_patrol_after_a_job_and_a_based_unit_goes_home(default_model: Model) -> None:
    sampler = WorkloadSampler(default_model)
    minute = np.full(len(REPS), 5 * 1440 + 21 * 60, np.int64)
    state = sampler.state(default_model, 5, REPS, minute)
    start = draw_unit_starts(default_model, 5, REPS, minute).position[:, state.units]
    armed = default_model.fleet.kind[state.units] == ARMED
    resumed = ~state.busy & (state.served > 0) & armed[None, :]
    assert resumed.any()
    assert (state.position[resumed] >= default_model.n_bases).all()
    assert np.mean(state.position[resumed] != start[resumed]) > 0.9
    centre = default_model.fleet.patrol_area[state.units][None, :].repeat(len(REPS), 0)
    assert (default_model.patrols.area_of[state.position[resumed] - default_model.n_bases] == centre[resumed]).all()
    based = _with_units(default_model, [g.model_dump() for g in default_model.config.resources.units],
                        unit_types={**{k: v.model_dump() for k, v in default_model.config.resources.unit_types.items()},
                                    "arv": {"kind": "armed", "deployment": "base"}})
    state = WorkloadSampler(based).state(based, 5, REPS, minute)
    free = ~state.busy & (based.fleet.kind[state.units] == ARMED)[None, :]
    assert np.array_equal(state.position[free], np.broadcast_to(based.fleet.position[state.units], free.shape)[free])


def test_a_patrol_area_with_no_weight_is_one_clear_error(default_model: Model, tmp_path: Path) -> None:
    path = tmp_path / "layer.csv"
    path.write_text(f"lsoa11cd,weight\n{default_model.area.codes[0]},1\n")
    with pytest.raises(ConfigError, match="nowhere to patrol"):
        _with_units(default_model, [{"type": "arv", "base": default_model.fleet.base_names[-1], "count": 1},
                                    {"type": "arv", "base": default_model.fleet.base_names[0], "count": 1}],
                    patrol_layer=str(path))


def test_a_specialist_team_on_patrol_needs_a_base() -> None:
    with pytest.raises(ConfigError, match="needs a base") as error:
        build_model(config_from_mapping({"resources": {"unit_types": {
            "arv": {"kind": "armed", "deployment": "patrol"}, "response": {"kind": "unarmed", "deployment": "patrol"},
            "ctsfo": {"kind": "specialist", "deployment": "patrol"}}}}))
    assert error.value.field == "resources.units[9].base"


def test_a_team_on_patrol_patrols_the_exposure_near_its_base_and_moves_no_patrol_area(default_model: Model) -> None:
    units = [*(g.model_dump() for g in default_model.config.resources.units),
             {"type": "ctsfo_patrol", "base": "Park Lane (Aston)", "count": 1}]
    types = {**{n: t.model_dump() for n, t in default_model.config.resources.unit_types.items()},
             "ctsfo_patrol": {"kind": "specialist", "deployment": "patrol"}}
    model = build_model(config_from_mapping({"resources": {"units": units, "unit_types": types}}),
                        area=default_model.area)
    team = model.fleet.names.index("ctsfo_patrol@Park Lane (Aston)#1")
    base = model.fleet.base_names.index("Park Lane (Aston)")
    near = model.blue_light_minutes[base] <= model.params["patrol.team_radius_min"]
    weights = model.patrols.weights(model.patrols.unit_layer[team])
    np.testing.assert_allclose(weights, model.patrols.exposure * near, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(model.patrols.area_of, default_model.patrols.area_of)



@pytest.mark.parametrize("deployment", ["roaming", "outside"])
def test_bad_deployment_on_the_command_line_is_one_line_exit_2(tmp_path: Path, deployment: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"resources:\n  unit_types:\n    arv: {{kind: armed, deployment: {deployment}}}\n"
                      "    response: {kind: unarmed, deployment: patrol}\n    ctsfo: {kind: specialist, deployment: outside}\n")
    result = CliRunner().invoke(app, ["assess", str(config), "--replications", "10", "--out", str(tmp_path / "o"),
                                      "--quiet", "--no-store"])
    assert result.exit_code == 2
    assert "deployment" in result.output and "Traceback" not in result.output


def test_a_team_on_patrol_without_a_base_is_one_line_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("resources:\n  unit_types:\n    arv: {kind: armed, deployment: patrol}\n"
                      "    response: {kind: unarmed, deployment: patrol}\n    ctsfo: {kind: specialist, deployment: patrol}\n")
    result = CliRunner().invoke(app, ["assess", str(config), "--replications", "10", "--out", str(tmp_path / "o"),
                                      "--quiet", "--no-store"])
    assert result.exit_code == 2
    assert "resources.units[9].base" in result.output and "needs a base" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_default_config_names_the_patrol_default() -> None:
    assert default_config().resources.unit_types["arv"].deployment == "patrol"
    assert default_config().resources.unit_types["arv"].patrol_area == "base"


def test_coverage_reports_people_exposed_reached_over_patrol_positions(default_model: Model) -> None:
    from readiness.workload import coverage_results

    coverage = coverage_results(default_model, seed=2, replications=2)
    for block in (coverage, *coverage["by_hour"]):
        shares = [block["exposure_within_min"][t] for t in ("5", "10", "15", "20")]
        assert all(0.0 <= a <= b <= 1.0 + 1e-9 for a, b in itertools.pairwise(shares))
    weekly = np.mean([h["exposure_within_min"]["10"] for h in coverage["by_hour"]])
    assert coverage["exposure_within_min"]["10"] == pytest.approx(weekly)


def test_a_layer_that_leaves_a_unit_nowhere_is_one_line_exit_2_on_the_command_line(default_model: Model,
                                                                                   tmp_path: Path) -> None:
    (tmp_path / "layer.csv").write_text(f"lsoa11cd,weight\n{default_model.area.codes[0]},0\n")
    config = tmp_path / "config.yaml"
    config.write_text("resources:\n  patrol_layer: layer.csv\n")
    result = CliRunner().invoke(app, ["assess", str(config), "--replications", "10", "--out", str(tmp_path / "o"),
                                      "--quiet", "--no-store"])
    assert result.exit_code == 2
    assert "nowhere to patrol" in result.output and "resources.patrol_layer" in result.output
    assert len(result.output.strip().splitlines()) == 1

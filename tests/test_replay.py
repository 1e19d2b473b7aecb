"""Tests for replay.py: a user's minimal table, bad rows, the scoring on known samples, reproducibility and the
independence of predictions from recorded columns. Small: City of London rows (6 LSOAs), few replications."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from conftest import write_csv_rows
from typer.testing import CliRunner

from readiness.attacks import REQUIRED_COLUMNS, UNSCORED_ARMED_ON_SITE, UNSCORED_BOMB, load_attacks
from readiness.cli import app
from readiness.errors import DataError
from readiness.replay import quantiles, run_replay, score, summarise
from readiness.store import long_rows

runner = CliRunner()
REPS = 40
#: Minimum columns only: two rows of one attack in the City of London, one in Thames Valley given by its code.
MINIMAL = [
    {"id": "A-1", "force": "City of London", "lat": "51.509", "lon": "-0.088", "start_local": "2019-11-29T13:57",
     "attackers": "1", "weapon": "knife", "setting": "venue"},
    {"id": "B-1", "force": "London, City of", "lat": "51.5138", "lon": "-0.0984",
     "start_local": "2021-07-03T22:10:30", "attackers": "2", "weapon": "firearm", "setting": "night_time_economy"},
]


def test_a_users_table_with_only_the_minimum_columns_is_replayed(tmp_path: Path) -> None:
    assert set(MINIMAL[0]) == set(REQUIRED_COLUMNS)
    result = run_replay(load_attacks(write_csv_rows(tmp_path / "mine.csv", MINIMAL)), replications=REPS, seed=1)
    first, second = result.incidents
    assert first["scored"] and first["reason"] is None and first["comparison"] == {}
    assert first["recorded"] == {"call_to_first_armed_min": None, "start_to_first_armed_min": None, "deaths": None}
    assert second["simulation"]["attack_time"] == "Sat 22:10"  # 3 July 2021 was a Saturday; minute resolution
    for incident in result.incidents:
        p = incident["predicted"]["start_to_first_armed_min"]
        assert 0 < p["p5"] <= p["p50"] <= p["p95"]
        # minutes from the call are those from the start less a positive shot-to-call part
        assert incident["predicted"]["call_to_first_armed_min"]["mean"] < p["mean"]
    assert result.summary["scored"] == 2 and result.summary["recorded_values"] == 0
    assert result.summary["share_within_p5_p95"] is None
    assert [f["code"] for f in result.forces] == ["E23000034"]  # one model for both spellings of the force


def test_rows_that_cannot_be_scored_are_reported_with_the_reason(tmp_path: Path) -> None:
    rows = [{**MINIMAL[0], "id": "bomb", "weapon": "bomb"},
            {**MINIMAL[0], "id": "abroad", "force": "Polizei Berlin", "lat": "52.505", "lon": "13.337"},
            {**MINIMAL[0], "id": "on-site", "armed_on_site": "yes", "deaths": "1"}]
    result = run_replay(load_attacks(write_csv_rows(tmp_path / "t.csv", rows)), replications=REPS)
    by_id = {i["id"]: i for i in result.incidents}
    assert by_id["bomb"]["reason"] == UNSCORED_BOMB and by_id["bomb"]["predicted"] is None
    assert by_id["abroad"]["reason"].startswith("outside England and Wales") and by_id["abroad"]["predicted"] is None
    on_site = by_id["on-site"]
    assert on_site["reason"] == UNSCORED_ARMED_ON_SITE and on_site["predicted"] is not None  # run, shown, not scored
    assert on_site["comparison"] == {}
    assert result.summary["scored"] == 0 and result.summary["excluded"] == 3 and len(result.summary["not_scored"]) == 3


@pytest.mark.parametrize(("change", "expected"), [
    ({"lat": "north"}, "row 2 (id 'B-1'), column 'lat': expected a number, got 'north'"),
    ({"weapon": "sword"}, "row 2 (id 'B-1'), column 'weapon': expected one of"),
    ({"start_local": "2021-07-03"}, "row 2 (id 'B-1'), column 'start_local': expected an ISO local date and time"),
    ({"lat": "52.4797", "lon": "-1.9026"}, "row 2 (id 'B-1'), column 'lat'/'lon': expected a position in London, City of"),
])
def test_a_bad_row_is_one_line_naming_row_and_column_exit_2(tmp_path: Path, change: dict, expected: str) -> None:
    path = write_csv_rows(tmp_path / "bad.csv", [MINIMAL[0], {**MINIMAL[1], **change}])
    result = runner.invoke(app, ["replay", str(path), "--out", str(tmp_path / "out"), "--replications", "5", "--quiet"])
    assert result.exit_code == 2, result.output
    assert expected in result.output and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_unknown_ids_and_too_few_replications_are_user_errors(tmp_path: Path) -> None:
    table = load_attacks(write_csv_rows(tmp_path / "t.csv", MINIMAL))
    with pytest.raises(DataError, match="unknown id"):
        run_replay(table, ids=["nope"], replications=REPS)
    with pytest.raises(Exception, match="at least 2 replications"):
        run_replay(table, replications=1)


def test_quantiles_and_score_on_samples_with_known_percentiles() -> None:
    samples = np.arange(100.0)  # 0, 1, ..., 99: linear p5 = 4.95, p50 = 49.5, p95 = 94.05
    assert quantiles(samples) == {"mean": 49.5, "p5": 4.95, "p50": 49.5, "p95": 94.05}
    assert score(samples, 50.0, quantiles(samples)) == {"within_p5_p95": True, "percentile": 50.5}  # 50 below, one tie counted half
    assert score(samples, 2.0, quantiles(samples)) == {"within_p5_p95": False, "percentile": 2.5}
    assert score(samples, 120.0, quantiles(samples)) == {"within_p5_p95": False, "percentile": 100.0}
    deaths = np.array([0] * 50 + [1] * 30 + [2] * 15 + [3] * 5)  # P(0) .5, P(1) .3, P(2) .15, P(3) .05
    band = quantiles(deaths, discrete=True)
    assert band == {"mean": 0.75, "p5": 0.0, "p50": 0.0, "p95": 2.0}
    assert score(deaths, 1, band) == {"within_p5_p95": True, "percentile": 65.0}  # mid-p: .5 + .3 / 2
    assert score(deaths, 0, band) == {"within_p5_p95": True, "percentile": 25.0}
    assert score(deaths, 3, band) == {"within_p5_p95": False, "percentile": 97.5}


def test_summary_counts_shares_and_mean_absolute_error_of_the_median() -> None:
    def incident(scored: bool, recorded: dict, medians: dict, inside: dict, reason: str | None = None) -> dict:
        predicted = {m: {"mean": v, "p5": v, "p50": v, "p95": v} for m, v in medians.items()}
        return {"scored": scored, "reason": reason, "recorded": recorded, "predicted": predicted,
                "comparison": {m: {"within_p5_p95": inside[m], "percentile": 50.0} for m in inside}}

    incidents = [
        incident(True, {"start_to_first_armed_min": 9.0, "deaths": 2}, {"start_to_first_armed_min": 7.0, "deaths": 1},
                 {"start_to_first_armed_min": True, "deaths": False}),
        incident(True, {"call_to_first_armed_min": 4.0, "deaths": 0}, {"call_to_first_armed_min": 5.0, "deaths": 0},
                 {"call_to_first_armed_min": True, "deaths": True}),
        incident(False, {"deaths": 5}, {"deaths": 1}, {}, reason="bomb"),
    ]
    s = summarise(incidents)
    assert (s["reported"], s["scored"], s["excluded"], s["not_scored"]) == (3, 2, 1, {"bomb": 1})
    assert s["recorded_values"] == 4 and s["share_within_p5_p95"] == 0.75
    assert s["mean_abs_error_of_median"] == {"minutes": 1.5, "deaths": 0.5}  # |9-7|, |4-5|; |2-1|, |0-0|
    assert s["by_metric"]["deaths"] == {"recorded_values": 2, "within_p5_p95": 1, "share_within_p5_p95": 0.5,
                                        "mean_abs_error_of_median": 0.5}


def test_predictions_never_use_a_recorded_column(tmp_path: Path) -> None:
    recorded = {"first_call_local": "2019-11-29T13:58", "first_armed_local": "2019-11-29T14:02",
                "stop_local": "2019-11-29T14:02", "deaths": "2", "injured": "3", "armed_on_site": "no"}
    other = {"first_call_local": "2019-11-29T14:30", "first_armed_local": "2019-11-29T15:40",
             "stop_local": "2019-11-29T15:41", "deaths": "40", "injured": "0", "armed_on_site": "no"}
    runs = [run_replay(load_attacks(write_csv_rows(tmp_path / f"{n}.csv", [{**MINIMAL[0], **values}, MINIMAL[1]])),
                       replications=REPS, seed=3) for n, values in (("a", recorded), ("b", other))]
    assert [i["predicted"] for i in runs[0].incidents] == [i["predicted"] for i in runs[1].incidents]
    assert runs[0].incidents[0]["recorded"] != runs[1].incidents[0]["recorded"]
    assert runs[0].incidents[0]["recorded"]["call_to_first_armed_min"] == 4.0


def test_a_subset_of_ids_replays_those_rows_as_in_the_whole_table(tmp_path: Path) -> None:
    table = load_attacks(write_csv_rows(tmp_path / "t.csv", MINIMAL))
    whole, part = (run_replay(table, replications=REPS, seed=5, ids=ids) for ids in (None, ["B-1"]))
    assert [i["id"] for i in part.incidents] == ["B-1"]
    assert part.incidents[0] == whole.incidents[1]


def test_same_table_and_seed_give_a_byte_identical_results_file(tmp_path: Path) -> None:
    path = write_csv_rows(tmp_path / "t.csv", [{**MINIMAL[0], "deaths": "1"}, MINIMAL[1]])
    digests = []
    for n, seed in enumerate(("7", "7", "8")):
        out = tmp_path / f"out{n}"
        result = runner.invoke(app, ["replay", str(path), "--out", str(out), "--replications", str(REPS),
                                     "--seed", seed, "--quiet"])
        assert result.exit_code == 0, result.output
        digests.append((out / "results.json").read_bytes())
    assert digests[0] == digests[1] and digests[0] != digests[2]
    results = json.loads(digests[0])
    schema = json.loads((resources.files("readiness") / "schemas" / "replay.schema.json").read_text())
    jsonschema.validate(results, schema)
    assert results["format"] == "readiness.replay/1" and results["source"] == "t.csv"
    assert {p.name for p in (tmp_path / "out0" / "figures").iterdir()} == {
        "replay_percentiles.png", "incident_01.png", "incident_02.png"}
    assert (tmp_path / "out0" / "incidents.csv").read_text().count("\n") == 3
    listed = json.loads(runner.invoke(app, ["runs", "list", "--json", "--command", "replay"]).stdout)
    assert len(listed) == 3 and listed[0]["headline_label"] == "share of recorded values inside predicted p5-p95"
    assert {r["headline"] for r in listed} <= {0.0, 1.0}  # one recorded value: inside its band or not
    long = {(force, option, metric, statistic): value for force, option, _, _, metric, statistic, value
            in long_rows(results)}
    assert long["City of London", "A-1", "recorded_deaths", "value"] == 1.0
    assert long["City of London", "A-1", "percentile_deaths", "value"] == results["incidents"][0]["comparison"][
        "deaths"]["percentile"]
    assert long["London, City of", "B-1", "predicted_deaths", "p95"] == results["incidents"][1]["predicted"][
        "deaths"]["p95"]

"""The attack table: the shipped rows are complete and consistent, and a bad user row gives one clear line."""

from __future__ import annotations

import csv
import math
from datetime import datetime
from pathlib import Path

import pytest
from conftest import write_csv_rows

from readiness.area import data_path
from readiness.attacks import (
    COLUMNS,
    REQUIRED_COLUMNS,
    SETTINGS,
    UNSCORED_ABROAD,
    UNSCORED_ARMED_ON_SITE,
    UNSCORED_BOMB,
    WEAPONS,
    AttackTable,
    england_and_wales_forces,
    load_attacks,
)
from readiness.errors import DataError


@pytest.fixture(scope="module")
def shipped() -> AttackTable:
    return load_attacks()


@pytest.fixture(scope="module")
def raw_rows() -> list[dict[str, str]]:
    """The shipped CSV read with the standard library, independently of the loader."""
    with data_path("attacks.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_shipped_table_has_every_column_and_row(shipped: AttackTable, raw_rows: list[dict[str, str]]) -> None:
    assert list(raw_rows[0]) == list(COLUMNS)
    assert len(shipped.rows) == len(raw_rows) >= 40
    assert len({row.id for row in shipped.rows}) == len(shipped.rows)


def _minutes(begin: str, end: str) -> float | None:
    if not begin or not end:
        return None
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(begin)).total_seconds() / 60.0, 1)


@pytest.mark.parametrize(("column", "begin", "end"), [
    ("minutes_start_to_first_armed", "start_local", "first_armed_local"),
    ("minutes_call_to_first_armed", "first_call_local", "first_armed_local"),
    ("minutes_start_to_stop", "start_local", "stop_local"),
])
def test_shipped_minutes_recompute_from_the_times(raw_rows: list[dict[str, str]], column: str, begin: str,
                                                  end: str) -> None:
    for raw in raw_rows:
        expected = _minutes(raw[begin], raw[end])
        written = float(raw[column]) if raw[column] else None
        assert written == expected, raw["id"]


def test_known_minutes(shipped: AttackTable) -> None:
    """Spot values from the sources: Westminster 82 s, London Bridge 8.5 min from the first call."""
    rows = {row.id: row for row in shipped.rows}
    assert rows["UK-WESTMINSTER-2017"].minutes_start_to_stop == round(82 / 60, 1)
    assert rows["UK-LONDON-BRIDGE-2017"].minutes_call_to_first_armed == 8.5
    assert rows["DE-HANAU-HEUMARKT-2020"].minutes_call_to_first_armed == 3.0


def test_every_row_is_sourced_and_recorded(shipped: AttackTable) -> None:
    for row in shipped.rows:
        assert row.source_1.strip() and row.source_2.strip(), row.id
        assert row.date is not None and row.place and row.country, row.id
        assert row.deaths is not None and row.attackers >= 1, row.id
        assert row.armed_on_site is not None, row.id


def test_classes_are_valid(shipped: AttackTable) -> None:
    assert {row.weapon for row in shipped.rows} <= set(WEAPONS)
    assert {row.setting for row in shipped.rows} <= set(SETTINGS)


def test_uk_rows_name_an_ons_police_force_area(shipped: AttackTable) -> None:
    forces = england_and_wales_forces()
    assert len(forces) == 86  # 43 names and 43 codes
    for row in shipped.rows:
        assert (row.country == "UK") == (row.force in forces), row.id


def test_scored_rows_and_reasons(shipped: AttackTable) -> None:
    for row in shipped.rows:
        reasons = row.scored_reason.split("; ") if row.scored_reason else []
        assert row.scored == (not reasons), row.id
        assert (UNSCORED_BOMB in reasons) == (row.weapon == "bomb"), row.id
        assert (UNSCORED_ABROAD in reasons) == (row.country != "UK"), row.id
        assert (UNSCORED_ARMED_ON_SITE in reasons) == bool(row.armed_on_site), row.id
    assert sum(row.scored for row in shipped.rows) >= 10


def test_grouping_by_attack_id(shipped: AttackTable) -> None:
    attacks = shipped.attacks()
    assert len(attacks) < len(shipped.rows)
    assert sum(len(rows) for rows in attacks.values()) == len(shipped.rows)
    paris = attacks["FR-PARIS-2015"]
    assert {row.id for row in paris} >= {"FR-PARIS-BATACLAN-2015", "FR-PARIS-CARILLON-2015"}
    assert sum(row.deaths for row in paris) == 130  # 90 + 15 + 5 + 19 + 0 + 1 (Stade de France)
    christchurch = attacks["NZ-CHRISTCHURCH-2019"]
    assert sum(row.deaths for row in christchurch) == 51
    for rows in attacks.values():
        assert len({row.date for row in rows} - {None}) <= 2  # an attack spans at most a night


def test_frame_has_the_table_columns(shipped: AttackTable) -> None:
    frame = shipped.frame()
    assert list(frame.columns) == list(COLUMNS) and len(frame) == len(shipped.rows)


# ---------------------------------------------------------------- a user's file

MINIMAL = {"id": "A1", "force": "West Midlands", "lat": "52.48", "lon": "-1.9", "start_local": "2024-05-04T21:30",
           "attackers": "2", "weapon": "firearm", "setting": "night_time_economy"}


def test_minimal_user_file_each_row_one_attack(tmp_path: Path) -> None:
    second = {**MINIMAL, "id": "A2", "force": "E23000014", "weapon": "bomb"}
    table = load_attacks(write_csv_rows(tmp_path / "mine.csv", [MINIMAL, second]))
    assert list(table.attacks()) == ["A1", "A2"]
    first, bomb = table.rows
    assert first.scored and first.deaths is None and first.date == first.start_local.date()
    assert not bomb.scored and bomb.scored_reason == UNSCORED_BOMB
    assert table.source.endswith("mine.csv")


def test_a_force_of_england_and_wales_in_any_spelling_is_scored(tmp_path: Path) -> None:
    rows = [{**MINIMAL, "id": str(n), "force": force}
            for n, force in enumerate(("West Midlands Police", "City of London", "e23000034", "Devon and Cornwall"))]
    assert all(row.scored for row in load_attacks(write_csv_rows(tmp_path / "spellings.csv", rows)).rows)


def test_user_file_groups_sites_and_reads_issue_18_minutes(tmp_path: Path) -> None:
    rows = [{**MINIMAL, "attack_id": "X", "start_to_first_armed_min": "7.5", "call_to_first_armed_min": "6",
             "deaths": "3.0", "armed_on_site": "no"},
            {**MINIMAL, "id": "A2", "attack_id": "X", "force": "Paris", "armed_on_site": "yes"}]
    table = load_attacks(write_csv_rows(tmp_path / "sites.csv", rows))
    assert list(table.attacks()) == ["X"] and len(table.attacks()["X"]) == 2
    first, abroad = table.rows
    assert (first.minutes_start_to_first_armed, first.minutes_call_to_first_armed, first.deaths) == (7.5, 6.0, 3)
    assert not abroad.scored and abroad.scored_reason == f"{UNSCORED_ABROAD}; {UNSCORED_ARMED_ON_SITE}"


@pytest.mark.parametrize(("change", "column", "expected"), [
    ({"weapon": "sword"}, "weapon", "expected one of"),
    ({"setting": "beach"}, "setting", "expected one of"),
    ({"lat": "nan"}, "lat", "finite"),
    ({"lon": "inf"}, "lon", "finite"),
    ({"lat": "-Infinity"}, "lat", "finite"),
    ({"lat": "95"}, "lat", r"in \[-90, 90\]"),
    ({"lon": "181"}, "lon", r"in \[-180, 180\]"),
    ({"lat": "north"}, "lat", "expected a number"),
    ({"deaths": "-1"}, "deaths", ">= 0"),
    ({"deaths": "2.5"}, "deaths", "whole number"),
    ({"injured": "nan"}, "injured", "whole number"),
    ({"attackers": "0"}, "attackers", ">= 1"),
    ({"start_local": "yesterday"}, "start_local", "ISO local date and time"),
    ({"start_local": "2024-05-04"}, "start_local", "ISO local date and time"),
    ({"first_armed_local": "2024-05-04 21:00"}, "first_armed_local", "at or after start_local"),
    ({"start_local": "2024-05-04T21:30+01:00"}, "start_local", "without a UTC offset"),
    ({"date": "2024-05-05"}, "date", "the date of start_local"),
    ({"first_armed_local": "2024-05-04T21:40", "minutes_start_to_first_armed": "12"},
     "minutes_start_to_first_armed", r"expected 10\.0"),
    ({"minutes_call_to_first_armed": "inf"}, "minutes_call_to_first_armed", "finite"),
    ({"armed_on_site": "maybe"}, "armed_on_site", "yes or no"),
    ({"force": ""}, "force", "empty cell"),
    ({"country": "UK", "force": "West Midlnds"}, "force", "for country UK: unknown force 'West Midlnds'; nearest: West Midlands"),
    ({"weapon": "bomb", "scored": "yes"}, "scored", "expected no"),
    ({"scored": "no"}, "scored_reason", "a reason"),
])
def test_bad_row_gives_one_line_naming_file_row_and_column(tmp_path: Path, change: dict[str, str], column: str,
                                                            expected: str) -> None:
    path = write_csv_rows(tmp_path / "bad.csv", [{**MINIMAL, "id": "ok"}, {**MINIMAL, "id": "B7", **change}])
    with pytest.raises(DataError, match=expected) as caught:
        load_attacks(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: row 2 (id 'B7'), column {column!r}: ")


def test_row_without_id_is_named_by_number(tmp_path: Path) -> None:
    path = write_csv_rows(tmp_path / "noid.csv", [MINIMAL, {**MINIMAL, "id": ""}])
    with pytest.raises(DataError, match=r"row 2, column 'id': expected a value"):
        load_attacks(path)


def test_duplicate_id(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"row 2 \(id 'A1'\), column 'id': expected a unique id"):
        load_attacks(write_csv_rows(tmp_path / "dup.csv", [MINIMAL, MINIMAL]))


@pytest.mark.parametrize("missing", REQUIRED_COLUMNS)
def test_missing_required_column(tmp_path: Path, missing: str) -> None:
    row = {key: value for key, value in MINIMAL.items() if key != missing}
    with pytest.raises(DataError, match=rf"missing column\(s\) \['{missing}'\]"):
        load_attacks(write_csv_rows(tmp_path / "cols.csv", [row]))


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        load_attacks(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="cannot read as CSV"):
        load_attacks(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join(REQUIRED_COLUMNS) + "\n")
    with pytest.raises(DataError, match="no rows"):
        load_attacks(header_only)


def test_nan_is_never_a_value(shipped: AttackTable) -> None:
    for row in shipped.rows:
        for value in (row.lat, row.lon, row.minutes_start_to_first_armed, row.minutes_call_to_first_armed,
                      row.minutes_start_to_stop):
            assert value is None or math.isfinite(value), row.id

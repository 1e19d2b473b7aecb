"""Tests for config.py: times of the week, YAML loading, path resolution, portable form, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from readiness.config import (
    MINUTES_PER_WEEK,
    Config,
    config_from_mapping,
    config_to_yaml,
    default_config,
    is_pattern_file,
    load_config,
    parse_clock,
    parse_week_time,
    portable_config,
)
from readiness.errors import ConfigError


@pytest.mark.parametrize(("text", "minutes"), [("00:00", 0), ("9:05", 545), ("21:20", 1280), (" 23:59 ", 1439)])
def test_parse_clock(text: str, minutes: int) -> None:
    assert parse_clock(text) == minutes


@pytest.mark.parametrize("text", ["24:00", "12:60", "1230", "12:5", "noon", ""])
def test_parse_clock_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="time of day"):
        parse_clock(text)


@pytest.mark.parametrize(("text", "minutes"), [
    ("Mon 00:00", 0), ("Fri 21:20", 4 * 1440 + 1280), ("friday 21:20", 4 * 1440 + 1280),
    ("SUN 23:59", MINUTES_PER_WEEK - 1), ("Tuesday   6:30", 1440 + 390)])
def test_parse_week_time(text: str, minutes: int) -> None:
    assert parse_week_time(text) == minutes


@pytest.mark.parametrize("text", ["Fry 21:20", "21:20", "Fri", "Fri 25:00", "Fri21:20"])
def test_parse_week_time_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_week_time(text)


def test_unknown_key_names_file_and_field() -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_mapping({"scenario": {"sitez": [1]}}, source="my.yaml")
    assert str(caught.value) == "my.yaml, field 'scenario.sitez': unknown key"


@pytest.mark.parametrize(("mapping", "field"), [
    ({"parameters": {"notify.median_min": float("nan")}}, "parameters.notify.median_min"),
    ({"resources": {"bases": [{"name": "A", "x": float("inf"), "y": 0.0}]}}, "resources.bases[0].x"),
    ({"scenario": {"sites": [0]}}, "scenario.sites"),
    ({"scenario": {"attack_time": "Fri 25:00"}}, "scenario.attack_time"),
])
def test_bad_values_are_config_errors(mapping: dict, field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_mapping(mapping)
    assert caught.value.field == field


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match="expected a mapping"):
        config_from_mapping([1, 2])  # type: ignore[arg-type]


def test_sites_are_sorted_and_deduplicated() -> None:
    assert config_from_mapping({"scenario": {"sites": [5, 1, 5, 2]}}).scenario.sites == [1, 2, 5]


def test_either_attack_time_sets_both_and_differing_ones_error() -> None:
    config = config_from_mapping({"workload": {"attack_time": "Mon 08:00"}})
    assert config.scenario.attack_time == config.workload.attack_time == "Mon 08:00"
    with pytest.raises(ConfigError, match="differ"):
        config_from_mapping({"scenario": {"attack_time": "Mon 08:00"}, "workload": {"attack_time": "Tue 08:00"}})


def test_unknown_unit_type_errors() -> None:
    with pytest.raises(ConfigError, match="'tank' is not one of"):
        config_from_mapping({"resources": {"units": [{"type": "tank", "count": 1}]}})


def test_none_loads_the_default_and_the_default_round_trips_through_yaml(tmp_path: Path) -> None:
    assert load_config(None) == default_config() == Config()
    path = tmp_path / "config.yaml"
    path.write_text(config_to_yaml(default_config()), encoding="utf-8")
    assert load_config(path) == default_config()


def test_empty_file_is_the_default(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    assert load_config(path) == default_config()


def test_relative_paths_resolve_against_the_config_folder_and_portable_cuts_them(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    folder.mkdir()
    path = folder / "c.yaml"
    path.write_text(yaml.safe_dump({
        "area": {"file": "lsoas.gpkg"},
        "scenario": {"site_weights": "w.csv"},
        "workload": {"incidents": "crimes", "shifts": {"arv": "mine.yaml", "arv@X": "arv_five_relief_10h"}},
        "travel": {"model": "matrix", "file": "m.csv"}}), encoding="utf-8")
    config = load_config(path)
    assert config.area.file == (folder / "lsoas.gpkg").resolve()
    assert config.scenario.site_weights == (folder / "w.csv").resolve()
    assert config.workload.incidents == (folder / "crimes").resolve()
    assert config.workload.shifts == {"arv": str((folder / "mine.yaml").resolve()), "arv@X": "arv_five_relief_10h"}
    assert config.travel.blue_light_spec()["file"] == str((folder / "m.csv").resolve())
    portable = portable_config(config)
    assert portable["area"]["file"] == "lsoas.gpkg"
    assert portable["scenario"]["site_weights"] == "w.csv"
    assert portable["workload"]["shifts"]["arv"] == "mine.yaml"
    assert portable["travel"]["file"] == "m.csv"
    assert str(tmp_path) not in repr(portable)
    assert config_from_mapping(portable) == config_from_mapping(portable_config(config_from_mapping(portable)))


def test_portable_default_validates_back_to_the_default() -> None:
    assert config_from_mapping(portable_config(default_config())) == default_config()


def test_unreadable_and_invalid_yaml_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read") as caught:
        load_config(tmp_path / "missing.yaml")
    assert caught.value.source == str(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_travel_normal_spec_defaults() -> None:
    assert Config().travel.normal_spec() == {"model": "calibrated"}
    matrix = config_from_mapping({"travel": {"model": "matrix", "file": "/m.csv"}}).travel
    assert matrix.normal_spec() == matrix.blue_light_spec() == {"model": "matrix", "file": "/m.csv"}


@pytest.mark.parametrize(("ref", "is_file"), [("a.yaml", True), ("B.YML", True), ("arv_five_relief_10h", False)])
def test_is_pattern_file(ref: str, is_file: bool) -> None:
    assert is_pattern_file(ref) is is_file

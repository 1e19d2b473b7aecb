"""Tests for registry.py: every default has a source or is an assumption with a range; overrides are checked."""

from __future__ import annotations

import math

import pytest

from readiness.compare import disruption_probability
from readiness.errors import ConfigError
from readiness.registry import ASSUMPTION, Parameter, Parameters

DEFAULTS = Parameters()


@pytest.mark.parametrize("entry", DEFAULTS.entries(), ids=lambda p: p.name)
def test_every_entry_is_sourced_and_in_its_range(entry: Parameter) -> None:
    assert entry.source.strip(), "a source, or 'assumption'"
    assert entry.unit.strip()
    assert all(math.isfinite(v) for v in (entry.value, entry.low, entry.high))
    assert entry.low <= entry.value <= entry.high
    if entry.is_assumption:
        assert entry.note.strip(), "an assumption says how it was reasoned"
    if entry.integer:
        assert entry.value == int(entry.value) and entry.low == int(entry.low) and entry.high == int(entry.high)


def test_names_are_unique_and_the_mapping_matches_the_entries() -> None:
    names = [p.name for p in DEFAULTS.entries()]
    assert len(names) == len(set(names)) == len(DEFAULTS)
    assert list(DEFAULTS) == names
    assert all(DEFAULTS[p.name] == p.value for p in DEFAULTS.entries())
    assert DEFAULTS.overrides() == {}


def test_assumption_flag() -> None:
    assert DEFAULTS.entries()[[p.name for p in DEFAULTS.entries()].index("attack.static_share")].is_assumption
    assert not Parameter("x", 1.0, "u", 0.0, 2.0, "a paper").is_assumption
    assert Parameter("x", 1.0, "u", 0.0, 2.0, ASSUMPTION).is_assumption


def test_override_replaces_value_and_names_the_default() -> None:
    params = Parameters({"notify.median_min": 4.5, "arv.on_duty": 10})
    assert params["notify.median_min"] == 4.5 and params["arv.on_duty"] == 10
    entry = {p.name: p for p in params.entries()}["notify.median_min"]
    assert entry.source == "override (default 3.0)"
    assert (entry.low, entry.high, entry.unit) == (1.5, 6.0, "min")  # the record keeps its range
    assert params.overrides() == {"notify.median_min": 4.5, "arv.on_duty": 10.0}
    assert params["notify.sigma"] == DEFAULTS["notify.sigma"]


def test_overridden_adds_to_the_existing_overrides() -> None:
    params = Parameters({"notify.median_min": 4.5}).overridden(**{"arv.crew": 3})
    assert params.overrides() == {"notify.median_min": 4.5, "arv.crew": 3.0}


def test_an_override_equal_to_the_default_still_counts_as_one() -> None:
    assert Parameters({"arv.crew": 2}).overrides() == {"arv.crew": 2.0}


def test_a_removed_duplicate_name_says_which_name_holds_the_number() -> None:
    with pytest.raises(ConfigError, match="prevention.neighbourhood_officers was removed.*neighbourhood.officers"):
        Parameters({"prevention.neighbourhood_officers": 700})
    assert "prevention.neighbourhood_officers" not in Parameters()


def test_prevention_reads_todays_neighbourhood_officers_from_the_responders_number() -> None:
    """One number: raising neighbourhood.officers raises today's staffing, so today's P(disrupted) holds."""
    more = Parameters({"neighbourhood.officers": 1000})
    assert disruption_probability(1000, more) == pytest.approx(more["prevention.disruption_probability"])
    assert disruption_probability(812, more) < disruption_probability(812, Parameters())


def test_unknown_names_error() -> None:
    with pytest.raises(ConfigError) as caught:
        Parameters({"notify.median": 1.0, "zzz": 2.0})
    assert caught.value.field == "parameters"
    assert "['notify.median', 'zzz']" in str(caught.value)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("notify.median_min", math.nan, "finite"),
    ("notify.median_min", math.inf, "finite"),
    ("notify.median_min", "soon", "expected a number"),
    ("notify.median_min", -1.0, "must not be negative"),
    ("arv.on_duty", 7.5, "must be a whole number"),
])
def test_bad_override_values_error_naming_the_parameter(name: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Parameters({name: value})  # type: ignore[dict-item]
    assert caught.value.field == f"parameters.{name}"
    assert message in str(caught.value)


def test_records_are_json_ready_and_complete() -> None:
    records = Parameters({"arv.crew": 3}).as_records()
    assert len(records) == len(DEFAULTS)
    assert set(records[0]) == {"name", "value", "unit", "low", "high", "source", "note", "integer"}
    crew = next(r for r in records if r["name"] == "arv.crew")
    assert crew["value"] == 3.0 and crew["source"].startswith("override")

"""Tests for errors.py: the one-line message format, located(), pydantic errors and check_finite."""

from __future__ import annotations

import math

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from readiness.errors import (
    ConfigError,
    DataError,
    InfeasibleError,
    ReadinessError,
    StoreError,
    check_finite,
    field_path,
    validation_error,
)


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x: float


class _Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bases: list[_Inner]
    count: int = 0


def _pydantic_error(data: dict) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        _Outer.model_validate(data)
    return caught.value


@pytest.mark.parametrize(("source", "field", "expected"), [
    (None, None, "bad value"),
    ("a.yaml", None, "a.yaml: bad value"),
    (None, "scenario.sites", "field 'scenario.sites': bad value"),
    ("a.yaml", "scenario.sites", "a.yaml, field 'scenario.sites': bad value"),
])
def test_message_names_source_and_field(source: str | None, field: str | None, expected: str) -> None:
    error = ReadinessError("bad value", source=source, field=field)
    assert str(error) == expected
    assert (error.source, error.field) == (source, field)


def test_every_user_error_is_a_readiness_error() -> None:
    for kind in (ConfigError, DataError, InfeasibleError, StoreError):
        assert issubclass(kind, ReadinessError)
    assert not issubclass(ReadinessError, (ValueError, TypeError))  # bugs are never caught as user errors


def test_located_adds_the_file_once_and_keeps_the_type() -> None:
    error = DataError("line 3: 'x' is not a number", field="weight")
    located = error.located("weights.csv")
    assert isinstance(located, DataError)
    assert str(located) == "weights.csv: field 'weight': line 3: 'x' is not a number"
    assert located.source == "weights.csv"
    already = ConfigError("oops", source="first.yaml")
    assert already.located("second.yaml") is already


@pytest.mark.parametrize(("loc", "text"), [
    ((), "(top level)"),
    (("scenario",), "scenario"),
    (("resources", "bases", 0, "x"), "resources.bases[0].x"),
    (("units", 2), "units[2]"),
])
def test_field_path_reads_as_the_user_writes_it(loc: tuple, text: str) -> None:
    assert field_path(loc) == text


def test_validation_error_unknown_key() -> None:
    error = validation_error(_pydantic_error({"bases": [], "colour": "red"}), "c.yaml")
    assert isinstance(error, ConfigError)
    assert str(error) == "c.yaml, field 'colour': unknown key"


def test_validation_error_quotes_a_bad_scalar_and_counts_the_rest() -> None:
    error = validation_error(_pydantic_error({"bases": [{"x": "far"}], "count": "many"}), "c.yaml", DataError)
    assert isinstance(error, DataError)
    assert error.field == "bases[0].x"
    assert "got 'far'" in str(error)
    assert str(error).endswith("(and 1 more problem(s))")


def test_validation_error_missing_field_quotes_nothing() -> None:
    error = validation_error(_pydantic_error({}), "c.yaml")
    assert error.field == "bases"
    assert "got" not in str(error)


@pytest.mark.parametrize("value", [3, 2.5, "4.25", -1.0])
def test_check_finite_accepts_numbers(value: object) -> None:
    assert check_finite(value, field="f") == float(value)


@pytest.mark.parametrize(("value", "expected"), [
    (math.nan, "expected a finite number, got nan"),
    (math.inf, "expected a finite number, got inf"),
    ("abc", "expected a number, got 'abc'"),
    (None, "expected a number, got None"),
])
def test_check_finite_rejects(value: object, expected: str) -> None:
    with pytest.raises(DataError) as caught:
        check_finite(value, field="parameters.x", source="p.yaml", kind=DataError)
    assert str(caught.value) == f"p.yaml, field 'parameters.x': {expected}"

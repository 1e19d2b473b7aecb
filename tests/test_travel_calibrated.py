"""Tests for the calibrated distance travel model and its link to the shipped calibration record."""

from __future__ import annotations

import dataclasses
import json
import math
from importlib.resources import files

import numpy as np
import pytest

from readiness.errors import DataError
from readiness.travel import CalibratedModel, TravelModel


def _round_sig(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits}g}")


@pytest.fixture(scope="module")
def calibration() -> dict:
    return json.loads((files("readiness") / "data" / "travel_calibration.json").read_text(encoding="utf-8"))


def test_defaults_match_calibration_record(calibration: dict) -> None:
    defaults = {field.name: field.default for field in dataclasses.fields(CalibratedModel)}
    coefficients = calibration["coefficients"]
    assert defaults == {
        "intercept": _round_sig(coefficients["a"]),
        "sqrt_coef": _round_sig(coefficients["b"]),
        "linear_coef": _round_sig(coefficients["c"]),
    }


def test_calibration_record_is_plausible(calibration: dict) -> None:
    # The brief's independent fit: t ~ 0.71 + 6.0 sqrt(d) + 0.078 d, RMS 2.9 min.
    assert calibration["form"] == "t = a + b*sqrt(d) + c*d"
    assert calibration["coefficients"]["a"] == pytest.approx(0.71, abs=0.05)
    assert calibration["coefficients"]["b"] == pytest.approx(6.0, abs=0.1)
    assert calibration["coefficients"]["c"] == pytest.approx(0.078, abs=0.005)
    assert calibration["rms_error_min"] == pytest.approx(2.9, abs=0.1)
    assert calibration["valid_km"][1] == 40.0
    assert [band["to_km"] for band in calibration["error_by_distance"]] == [2, 5, 10, 20, 40]
    assert sum(band["n"] for band in calibration["error_by_distance"]) == calibration["data"]["pairs_used"]


def test_minutes_hand_computed() -> None:
    model = CalibratedModel(intercept=1.0, sqrt_coef=2.0, linear_coef=0.5)
    origins = np.array([[0.0, 0.0], [3000.0, 4000.0]])
    destinations = np.array([[0.0, 0.0], [0.0, 4000.0], [3000.0, 4000.0]])
    # Distances (km): row 0 -> 0, 4, 5; row 1 -> 5, 3, 0.
    expected = np.array(
        [
            [1.0, 1.0 + 2.0 * 2.0 + 0.5 * 4.0, 1.0 + 2.0 * math.sqrt(5.0) + 0.5 * 5.0],
            [1.0 + 2.0 * math.sqrt(5.0) + 0.5 * 5.0, 1.0 + 2.0 * math.sqrt(3.0) + 0.5 * 3.0, 1.0],
        ]
    )
    result = model.minutes(origins, destinations)
    assert result.shape == (2, 3)
    np.testing.assert_allclose(result, expected, rtol=1e-12)


def test_default_model_at_one_km() -> None:
    result = CalibratedModel().minutes(np.array([[400_000.0, 290_000.0]]), np.array([[401_000.0, 290_000.0]]))
    assert result.shape == (1, 1)
    assert result[0, 0] == pytest.approx(0.707 + 6.00 + 0.0784)


def test_is_a_travel_model() -> None:
    assert isinstance(CalibratedModel(), TravelModel)


@pytest.mark.parametrize(
    ("origins", "destinations", "message"),
    [
        (np.zeros((2, 3)), np.zeros((1, 2)), "origins must be an"),
        (np.zeros(2), np.zeros((1, 2)), "origins must be an"),
        (np.zeros((2, 2)), np.zeros((1, 2, 2)), "destinations must be an"),
        (np.array([[0.0, np.nan]]), np.zeros((1, 2)), "origins contains non-finite"),
        (np.zeros((1, 2)), np.array([[np.inf, 0.0]]), "destinations contains non-finite"),
    ],
)
def test_bad_input_raises_data_error(origins: np.ndarray, destinations: np.ndarray, message: str) -> None:
    with pytest.raises(DataError, match=message):
        CalibratedModel().minutes(origins, destinations)

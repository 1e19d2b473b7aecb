"""Neighbourhood officers and PCSOs as Operation Plato responders: a density per district, not units.

About 1,400 staff are too many to carry as units in the event loop, and none is tasked to a site: the
nearest one on duty hears the broadcast and goes. So each district holds a spatial Poisson field of
on-duty staff (its share of the force's residents, over its area), and the time to the first of them at a
site is drawn from the distance to the nearest point of that field (docs/model.md, section 4.6).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from readiness.errors import DataError
from readiness.kinds import Stream
from readiness.model import Model
from readiness.rng import uniforms

#: Random-stream purpose of the nearest neighbourhood officer's distance (one draw per site).
STREAM = Stream.NEIGHBOURHOOD


def on_duty(params: Mapping[str, float]) -> float:
    """Neighbourhood officers and PCSOs on duty across the force at the attack."""
    return (params["neighbourhood.officers"] + params["neighbourhood.pcsos"]) * params["neighbourhood.on_duty_share"]


def density_per_km2(model: Model) -> np.ndarray:
    """On-duty neighbourhood staff per km² at each LSOA: its district's share of residents over its area."""
    area = model.area
    km2 = area.km2
    if km2 is None:
        raise DataError("neighbourhood responders need the LSOAs' areas (shapes or census hectares); give "
                        "polygons or set resources.neighbourhood: false", source=area.name)
    districts, index = np.unique(area.districts, return_inverse=True)
    district_km2 = np.bincount(index, weights=km2, minlength=len(districts))
    if np.any(district_km2 <= 0):
        empty = [str(d) for d in districts[district_km2 <= 0]]
        raise DataError(f"district(s) {empty[:3]} have no area, so no density of neighbourhood officers; give "
                        "polygons or set resources.neighbourhood: false", source=area.name)
    residents = np.bincount(index, weights=area.residents.astype(float), minlength=len(districts))
    staff = on_duty(model.params) * residents / max(residents.sum(), 1.0)
    return (staff / district_km2)[index]


def nearest_minutes(density: np.ndarray | float, u: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
    """Minutes from a site's report to the nearest of a Poisson field of ``density`` per km², by inversion.

    ``P(no one within r) = exp(-density π r²)``, so ``r = sqrt(-ln u / (density π))`` (mean
    ``1 / (2 sqrt(density))``); route = detour x r at the officers' speed, after the tasking delay.
    """
    density = np.asarray(density, dtype=float)
    with np.errstate(divide="ignore"):
        km = np.sqrt(-np.log(u) / (np.pi * density))
    return params["neighbourhood.tasking_min"] + 60.0 * params["neighbourhood.detour_factor"] * km / params[
        "neighbourhood.speed_kmh"]


def first_arrival(model: Model, seed: int, reps: np.ndarray, site: np.ndarray, report: np.ndarray) -> np.ndarray:
    """Absolute time of the first neighbourhood officer at each site, ``(R, K)``; inf when switched off."""
    if not model.config.resources.neighbourhood:
        return np.full(site.shape, np.inf)
    u = uniforms(seed, STREAM, reps, site.shape[1])
    return report + nearest_minutes(density_per_km2(model)[site], u, model.params)

"""Harm: expected deaths at a site from how long the shooting lasts, and its calibration on Paris 2015."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from scipy import optimize


@numba.njit(cache=True)
def _decayed(a: float, b: float, length: float, flight_min: float) -> float:
    """Integral of ``exp(-s / flight_min)`` over ``[a, b]`` clipped to ``[0, length]`` (0 when empty)."""
    lo = min(max(a, 0.0), length)
    hi = min(max(b, 0.0), length)
    return flight_min * (math.exp(-lo / flight_min) - math.exp(-hi / flight_min)) if hi > lo else 0.0


@numba.njit(cache=True)
def expected_deaths(attackers: float, shooting_min: float, unarmed_min: float, kill_rate: float,
                    flight_min: float, plato_reduction: float, siege_min: float, siege_rate: float,
                    suppressed_min: float = math.inf, suppression: float = 1.0) -> float:
    """Expected deaths at one site (docs/model.md, section 5).

    The kill rate ``attackers * kill_rate * exp(-s / flight_min)`` decays as people flee; it is cut by
    ``plato_reduction`` once unarmed officers arrive (``unarmed_min``, may be inf), multiplied by
    ``suppression`` from the first failed engagement (``suppressed_min``, may be inf) and stops after
    ``shooting_min``; a siege then adds ``siege_rate`` deaths per minute for ``siege_min``. The multiplier
    is piecewise constant between the two breakpoints, so each piece integrates in closed form.
    """
    length = max(shooting_min, 0.0)
    first = min(unarmed_min, suppressed_min)
    second = max(unarmed_min, suppressed_min)
    middle = (1.0 - plato_reduction) if unarmed_min < suppressed_min else suppression
    shooting = attackers * kill_rate * (
        _decayed(0.0, first, length, flight_min) + middle * _decayed(first, second, length, flight_min)
        + (1.0 - plato_reduction) * suppression * _decayed(second, math.inf, length, flight_min))
    return shooting + siege_rate * max(siege_min, 0.0)


@dataclass(frozen=True)
class ParisSite:
    """One Paris 13 Nov 2015 shooting site: attackers, minutes of shooting, deaths."""

    name: str
    attackers: int
    shooting_min: float
    deaths: int


#: The four shooting sites (PRODUCT.md section 5). Café shooting durations are not public to the minute:
#: the 2-3 minute values are assumptions (the attackers drove from one terrace to the next within minutes);
#: the Bataclan's 15.5 min runs from 21:40 to the first armed officers inside (21:54-21:57).
PARIS_SITES: tuple[ParisSite, ...] = (
    ParisSite("Le Carillon / Le Petit Cambodge", 3, 2.5, 15),
    ParisSite("A la Bonne Biere / Casa Nostra", 3, 1.0, 5),
    ParisSite("La Belle Equipe", 3, 2.0, 19),
    ParisSite("Bataclan", 3, 15.5, 90),
)


@dataclass(frozen=True)
class HarmFit:
    """Maximum-likelihood kill rate and flight time, with the fitted means per site."""

    kill_rate_per_attacker_min: float
    flight_time_min: float
    fitted: tuple[float, ...]


def calibrate_paris(sites: tuple[ParisSite, ...] = PARIS_SITES) -> HarmFit:
    """Fit ``λ`` and ``θ`` by Poisson maximum likelihood to the Paris shooting sites (no Plato, no siege)."""
    attackers = np.array([s.attackers for s in sites], float)
    minutes = np.array([s.shooting_min for s in sites], float)
    deaths = np.array([s.deaths for s in sites], float)

    def means(log_params: np.ndarray) -> np.ndarray:
        rate, flight = np.exp(log_params)
        return attackers * rate * flight * (1.0 - np.exp(-minutes / flight))

    def negative_log_likelihood(log_params: np.ndarray) -> float:
        mu = means(log_params)
        return float(np.sum(mu - deaths * np.log(mu)))

    result = optimize.minimize(negative_log_likelihood, x0=np.log([2.0, 30.0]), method="Nelder-Mead",
                               options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 5000})
    rate, flight = np.exp(result.x)
    return HarmFit(float(rate), float(flight), tuple(float(m) for m in means(result.x)))

"""Harm: expected deaths at a site from how long the attack lasts (fitted on real attacks in harm_fit.py)."""

from __future__ import annotations

import math

import numba


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

"""Harm: expected deaths at a site from how long the attack lasts (fitted on real attacks in harm_fit.py)."""

from __future__ import annotations

import math

import numba


@numba.njit(cache=True)
def expected_deaths(attackers: float, shooting_min: float, unarmed_min: float, kill_rate: float,
                    flight_min: float, plato_reduction: float, siege_min: float, siege_rate: float) -> float:
    """Expected deaths at one site (docs/model.md, section 5).

    The kill rate ``attackers * kill_rate * exp(-s / flight_min)`` decays as people flee; it is cut by
    ``plato_reduction`` once unarmed officers arrive (``unarmed_min``, may be inf) and stops after
    ``shooting_min``; a siege then adds ``siege_rate`` deaths per minute for ``siege_min``.
    """
    length = max(shooting_min, 0.0)
    before = min(length, unarmed_min)
    decay_before = math.exp(-before / flight_min)
    decay_end = math.exp(-length / flight_min)
    shooting = attackers * kill_rate * flight_min * (
        (1.0 - decay_before) + (1.0 - plato_reduction) * (decay_before - decay_end))
    return shooting + siege_rate * max(siege_min, 0.0)

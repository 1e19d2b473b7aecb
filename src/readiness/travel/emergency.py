"""The blue-light travel model: square root of route distance while accelerating, then linear at cruise.

Kolesar and Walker's stopwatch study of New York fire companies (RAND R-1449, 1974; Kolesar, Management
Science 1975) fitted ``T = 2*sqrt(D/a)`` below the distance where cruise speed ``v`` is reached and
``T = v/a + D/v`` beyond it, the two branches meeting with the same slope at ``D = v**2/a``. Its linear
branch is the ISO / "RAND" formula ``T = 0.65 + 1.7 D`` (minutes, road miles); ``v = 1/1.7`` mile per minute
and ``a = v / 0.65`` follow from it, so the whole curve is fixed by those two published numbers.
The distance is route distance: straight-line kilometres times a detour factor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from readiness.errors import ConfigError
from readiness.travel.calibrated import straight_line_km

KM_PER_MILE = 1.609344
#: The published linear branch (ISO Fire Suppression Rating Schedule, from RAND R-1449): minutes, road miles.
RAND_INTERCEPT_MIN = 0.65
RAND_MIN_PER_MILE = 1.7

_CRUISE_KM_MIN = KM_PER_MILE / RAND_MIN_PER_MILE


@dataclass(frozen=True)
class EmergencyModel:
    """Blue-light minutes from route distance ``D = detour_factor * d`` (``d`` straight-line km).

    ``t = 2*sqrt(D/a)`` for ``D <= v**2/a`` and ``t = v/a + D/v`` beyond (``v`` in km/min); ``t(0) = 0``:
    no floor and no turnout term, because an ARV is a patrolling vehicle already on the move.
    The defaults are the RAND fit (``docs/travel.md``) and equal the registry's ``travel.blue_light_*``.
    """

    accel_km_min2: float = _CRUISE_KM_MIN / RAND_INTERCEPT_MIN
    cruise_kmh: float = 60.0 * _CRUISE_KM_MIN
    detour_factor: float = 1.3

    def __post_init__(self) -> None:
        for name in ("accel_km_min2", "cruise_kmh", "detour_factor"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ConfigError(f"must be a positive finite number, got {value}", field=f"travel.{name}")

    @property
    def cruise_km_min(self) -> float:
        return self.cruise_kmh / 60.0

    @property
    def cruise_distance_km(self) -> float:
        """Route distance at which cruise speed is reached (accelerating half-way, braking half-way)."""
        return self.cruise_km_min**2 / self.accel_km_min2

    def route_minutes(self, route_km: ArrayLike) -> np.ndarray:
        """Minutes for route distances in km (the published form, before the detour factor)."""
        d = np.asarray(route_km, dtype=float)
        v, a = self.cruise_km_min, self.accel_km_min2
        return np.where(d <= self.cruise_distance_km, 2.0 * np.sqrt(np.maximum(d, 0.0) / a), v / a + d / v)

    def minutes_at(self, km: ArrayLike) -> np.ndarray:
        """Minutes for straight-line distances in km."""
        return self.route_minutes(self.detour_factor * np.asarray(km, dtype=float))

    def minutes(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """Blue-light minutes from every origin to every destination."""
        return self.minutes_at(straight_line_km(origins, destinations))

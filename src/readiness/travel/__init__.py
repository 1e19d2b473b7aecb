"""Travel: minutes on the road from any unit position to any small area.

Every travel model offers one call, ``minutes(origins, destinations)``, where both arguments are
``(n, 2)`` arrays of coordinates in the area's projected CRS (British National Grid metres for England
and Wales) and the result is an ``(n_origins, n_destinations)`` float array of minutes at normal road
speed. The emergency-driving factor is applied by the scenario, not here.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from readiness.travel.calibrated import CalibratedModel


@runtime_checkable
class TravelModel(Protocol):
    """Anything that turns coordinates into minutes at normal road speed."""

    def minutes(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """Return an ``(len(origins), len(destinations))`` array of minutes."""
        ...


from readiness.travel.factory import build_travel_model  # noqa: E402  (needs TravelModel defined)

__all__ = ["CalibratedModel", "TravelModel", "build_travel_model"]

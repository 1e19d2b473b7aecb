"""Travel: minutes on the road from any unit position to any small area.

Every travel model offers one call, ``minutes(origins, destinations)``, where both arguments are
``(n, 2)`` arrays of coordinates in the area's projected CRS (British National Grid metres for England
and Wales) and the result is an ``(n_origins, n_destinations)`` float array of minutes: at normal road speed for
``calibrated``, ``network`` and ``matrix``, on blue lights for ``emergency``. ``congestion`` gives the
hour-of-week multipliers.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from readiness.travel.calibrated import CalibratedModel
from readiness.travel.congestion import congestion_factor, congestion_profile
from readiness.travel.emergency import EmergencyModel


@runtime_checkable
class TravelModel(Protocol):
    """Anything that turns coordinates into minutes (normal road speed, or blue lights for ``emergency``)."""

    def minutes(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """Return an ``(len(origins), len(destinations))`` array of minutes."""
        ...


from readiness.travel.factory import build_travel_model

__all__ = ["CalibratedModel", "EmergencyModel", "TravelModel", "build_travel_model", "congestion_factor",
           "congestion_profile"]

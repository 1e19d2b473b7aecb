"""Congestion by hour of the week: a multiplier on travel minutes whose weekly mean is 1.

The shape (0 = free-flowing night roads, 1 = the weekday peaks) is an assumption: a weekday morning
peak from 07:00 (DfT measures congestion on local 'A' roads over 07:00-10:00), an evening peak around
17:00, quieter weekends. The amplitude ``A`` (registry ``travel.congestion_peak_*``) is the peak's extra
time over the night: ``factor(h) = (1 + A*shape(h)) / mean(1 + A*shape)``. Normalising to a weekly mean of 1
keeps the minutes of a travel model as they are on average over the week.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from readiness.errors import ConfigError

HOURS_PER_WEEK = 168

#: Shape of one weekday and one weekend day, hour 0..23 (assumption).
WEEKDAY_SHAPE = (0.0, 0.0, 0.0, 0.0, 0.0, 0.05, 0.3, 0.8, 1.0, 0.7, 0.4, 0.4,
                 0.45, 0.45, 0.45, 0.6, 0.9, 1.0, 0.7, 0.4, 0.25, 0.15, 0.1, 0.05)
WEEKEND_SHAPE = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05, 0.1, 0.2, 0.3, 0.4,
                 0.4, 0.4, 0.4, 0.4, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.0)

#: ``shape[h]`` for hour of the week ``h`` (0 = Monday 00:00-01:00), Monday to Friday then the weekend.
SHAPE = np.array(WEEKDAY_SHAPE * 5 + WEEKEND_SHAPE * 2)


def congestion_profile(amplitude: float) -> np.ndarray:
    """The 168 factors of a week, hour 0 = Monday 00:00; all 1 when ``amplitude`` is 0."""
    amplitude = float(amplitude)
    if not np.isfinite(amplitude) or amplitude < 0:
        raise ConfigError(f"must be a non-negative finite number, got {amplitude}", field="travel.congestion")
    raw = 1.0 + amplitude * SHAPE
    return raw / raw.mean()


def congestion_factor(hour_of_week: ArrayLike, amplitude: float) -> np.ndarray:
    """Multiplier on travel minutes at an hour of the week (hours after Monday 00:00, wrapped to a week)."""
    hours = np.asarray(hour_of_week, dtype=float)
    if not np.all(np.isfinite(hours)):
        raise ConfigError("hour of the week must be finite", field="travel.congestion")
    index = np.floor(hours).astype(np.int64) % HOURS_PER_WEEK
    return congestion_profile(amplitude)[index]

"""Road speeds: a default table of km/h by OSM ``highway`` class and a parser for ``maxspeed`` tags."""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from readiness.errors import ConfigError

#: Free-flow car speeds (km/h) by ``highway`` class, from the OSRM car profile (``profiles/car.lua``).
#: Only these classes (and any a user adds) are drivable; footways, cycleways, tracks and the like are
#: left out of the graph.
DEFAULT_SPEEDS_KPH: dict[str, float] = {
    "motorway": 90.0,
    "motorway_link": 45.0,
    "trunk": 85.0,
    "trunk_link": 40.0,
    "primary": 65.0,
    "primary_link": 30.0,
    "secondary": 55.0,
    "secondary_link": 25.0,
    "tertiary": 40.0,
    "tertiary_link": 20.0,
    "unclassified": 25.0,
    "residential": 25.0,
    "living_street": 10.0,
    "road": 25.0,
    "service": 15.0,
}

#: Share of a posted ``maxspeed`` that traffic actually averages (OSRM's car profile uses 0.8).
DEFAULT_MAXSPEED_FACTOR = 0.8

_KPH_PER_UNIT = {"": 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "knots": 1.852}
_NUMBER = re.compile(r"^(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?$")
_MPH = _KPH_PER_UNIT["mph"]
#: Implicit British limits (https://wiki.openstreetmap.org/wiki/Speed_limits#United_Kingdom).
_IMPLICIT_KPH = {
    f"{country}:{kind}": mph * _MPH
    for country in ("gb", "uk")
    for kind, mph in (("nsl_single", 60), ("nsl_dual", 70), ("motorway", 70), ("nsl_restricted", 30))
}


def merge_speeds(speeds_kph: Mapping[str, float] | None) -> dict[str, float]:
    """Return the default speed table updated with the user's classes, each checked to be a positive speed.

    Parameters
    ----------
    speeds_kph
        Overrides or additions, km/h by ``highway`` class; ``None`` keeps the defaults.

    Returns
    -------
    dict
        The full table, so that the cache key and the graph are built from the same speeds.
    """
    table = dict(DEFAULT_SPEEDS_KPH)
    for name, value in (speeds_kph or {}).items():
        try:
            kph = float(value)
        except (TypeError, ValueError) as e:
            msg = f"speed for highway class {name!r} must be a number of km/h, got {value!r}"
            raise ConfigError(msg, field="speeds_kph") from e
        if not (math.isfinite(kph) and kph > 0):
            msg = f"speed for highway class {name!r} must be a positive number of km/h, got {value!r}"
            raise ConfigError(msg, field="speeds_kph")
        table[str(name)] = kph
    return table


def _tag_values(value: Any) -> list[str]:
    """Split a tag that may be a list (simplified OSMnx edges, GraphML text of a list) or ``a;b`` text."""
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    text = str(value).strip()
    if text.startswith("["):
        try:
            return _tag_values(list(ast.literal_eval(text)))
        except (ValueError, SyntaxError):
            return [text]
    return [part.strip() for part in re.split(r"[;|]", text) if part.strip()]


def highway_class(value: Any) -> str | None:
    """Return the first ``highway`` class of a tag value, or ``None`` when the edge has none."""
    values = _tag_values(value)
    return values[0] if values else None


def parse_maxspeed(value: Any) -> float | None:
    """Return a ``maxspeed`` tag in km/h, or ``None`` when it is absent or not a usable number.

    Plain numbers are km/h; ``mph`` and ``knots`` are converted; the British implicit limits
    (``GB:nsl_single`` and the like) are known. Several values (``30;40``, a list) give their mean, as
    OSMnx does. ``none``, ``walk``, ``signals`` and unknown codes give ``None``, so the class speed is used.
    """
    speeds = []
    for text in _tag_values(value):
        lowered = text.lower()
        if lowered in _IMPLICIT_KPH:
            speeds.append(_IMPLICIT_KPH[lowered])
            continue
        match = _NUMBER.match(lowered)
        if match is None:
            return None
        kph = float(match.group(1)) * _KPH_PER_UNIT[match.group(2) or ""]
        if not 0 < kph <= 200:
            return None
        speeds.append(kph)
    return float(np.mean(speeds)) if speeds else None


def edge_speeds_kph(
    highways: np.ndarray,
    maxspeeds: np.ndarray,
    speeds_kph: Mapping[str, float],
    *,
    maxspeed_factor: float | None,
) -> np.ndarray:
    """Return each edge's speed in km/h; NaN for edges whose class is not drivable.

    Parameters
    ----------
    highways, maxspeeds
        The edges' ``highway`` and ``maxspeed`` tag values (any object; missing as ``None``/NaN).
    speeds_kph
        Speed by class; a class not in it marks the edge as not drivable.
    maxspeed_factor
        Multiplies a parseable ``maxspeed`` (posted limits are faster than normal traffic);
        ``None`` ignores ``maxspeed`` tags and uses the class table only.

    Returns
    -------
    numpy.ndarray
        Speeds, one per edge. Tags are parsed once per distinct value, so large extracts stay fast.
    """
    classes = _map_distinct(highways, highway_class)
    speed = np.array([speeds_kph.get(c, np.nan) if c else np.nan for c in classes], dtype=float)
    if maxspeed_factor is not None:
        tagged = np.array([np.nan if s is None else s for s in _map_distinct(maxspeeds, parse_maxspeed)])
        use = np.isfinite(speed) & np.isfinite(tagged)
        speed[use] = tagged[use] * maxspeed_factor
    return speed


def _map_distinct(values: np.ndarray, parse: Callable[[Any], Any]) -> list[Any]:
    """Apply ``parse`` once per distinct tag text and spread the results back over the edges."""
    text = np.array([str(v) for v in values], dtype=object)
    distinct, inverse = np.unique(text, return_inverse=True)
    parsed = [parse(v) for v in distinct]
    return [parsed[i] for i in inverse]

"""Build a travel model from its configuration: calibrated distance, road network or supplied matrix."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from readiness.errors import ConfigError
from readiness.travel.calibrated import CalibratedModel
from readiness.travel.matrix import MatrixModel
from readiness.travel.network import NetworkModel

if TYPE_CHECKING:
    from readiness.travel import TravelModel

# Each model's config keys: which are required, and the keyword each maps to in its constructor.
_KEYS: dict[str, tuple[set[str], dict[str, str]]] = {
    "calibrated": (set(), {"intercept": "intercept", "sqrt_coef": "sqrt_coef", "linear_coef": "linear_coef"}),
    "network": (
        {"osm"},
        {
            "osm": "path",
            "speeds_kph": "speeds_kph",
            "maxspeed_factor": "maxspeed_factor",
            "offroad_kph": "offroad_kph",
            "far_m": "far_m",
            "cache_dir": "cache_dir",
        },
    ),
    "matrix": ({"file", "points"}, {"file": "matrix", "points": "points", "tolerance_m": "tolerance_m"}),
}


def _calibrated(options: dict[str, Any], crs: str) -> CalibratedModel:
    """The calibrated model works in any projected CRS, so ``crs`` is not needed."""
    try:
        return CalibratedModel(**{key: float(value) for key, value in options.items()})
    except (TypeError, ValueError) as e:
        raise ConfigError(f"calibrated coefficients must be numbers, got {options}", field="travel") from e


_BUILDERS: dict[str, Callable[[dict[str, Any], str], TravelModel]] = {
    "calibrated": _calibrated,
    "network": lambda options, crs: NetworkModel.from_osm(crs=crs, **options),
    "matrix": lambda options, crs: MatrixModel.from_files(**options),
}


def build_travel_model(spec: Mapping[str, Any], *, crs: str = "EPSG:27700") -> TravelModel:
    """Return the travel model a config section describes.

    Parameters
    ----------
    spec
        ``{"model": "calibrated"}`` (optional ``intercept``, ``sqrt_coef``, ``linear_coef``);
        ``{"model": "network", "osm": path, ...}`` (optional ``speeds_kph``, ``maxspeed_factor``,
        ``offroad_kph``, ``far_m``, ``cache_dir``); or ``{"model": "matrix", "file": path, "points": path}``
        (optional ``tolerance_m``). Without ``model`` the calibrated default is used.
    crs
        The area's projected CRS: the road graph is projected to it.

    Returns
    -------
    TravelModel
        An object with ``minutes(origins, destinations)``.

    Raises
    ------
    ConfigError
        For an unknown model, an unknown or missing key.
    DataError
        For an unreadable or malformed file.
    """
    options = dict(spec)
    kind = options.pop("model", "calibrated")
    if kind not in _KEYS:
        raise ConfigError(
            f"unknown travel model {kind!r}; expected one of {sorted(_KEYS)}", field="travel.model"
        )
    required, names = _KEYS[kind]
    unknown = sorted(set(options) - set(names))
    if unknown:
        raise ConfigError(
            f"unknown key(s) {unknown} for the {kind} model; expected {sorted(names)}",
            field=f"travel.{unknown[0]}",
        )
    missing = sorted(required - set(options))
    if missing:
        raise ConfigError(f"the {kind} model needs {missing}", field=f"travel.{missing[0]}")
    return _BUILDERS[kind]({names[key]: value for key, value in options.items()}, crs)

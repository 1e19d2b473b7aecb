"""Build a travel model from its configuration: blue-light distance, calibrated distance, road network or matrix."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from readiness.errors import ConfigError, check_finite
from readiness.travel.calibrated import CalibratedModel
from readiness.travel.emergency import EmergencyModel
from readiness.travel.matrix import MatrixModel
from readiness.travel.network import NetworkModel

if TYPE_CHECKING:
    from readiness.travel import TravelModel


def _calibrated(options: dict[str, Any], crs: str) -> CalibratedModel:
    """The calibrated model: distance in metres works the same in any projected CRS, so ``crs`` is unused."""
    return CalibratedModel(**{key: check_finite(value, field=f"travel.{key}") for key, value in options.items()})


def _emergency(options: dict[str, Any], crs: str) -> EmergencyModel:
    """The blue-light model: like the calibrated one it needs no CRS beyond metres."""
    try:
        return EmergencyModel(**{key: float(value) for key, value in options.items()})
    except (TypeError, ValueError) as e:
        raise ConfigError(f"emergency model parameters must be numbers, got {options}", field="travel") from e


def _network(options: dict[str, Any], crs: str) -> NetworkModel:
    return NetworkModel.from_osm(options.pop("osm"), crs=crs, **options)


def _matrix(options: dict[str, Any], crs: str) -> MatrixModel:
    return MatrixModel.from_files(options.pop("file"), options.pop("points"), **options)


# Each model: its builder, its required keys and its optional keys (named as in the config).
_MODELS: dict[str, tuple[Callable[[dict[str, Any], str], TravelModel], set[str], set[str]]] = {
    "calibrated": (_calibrated, set(), {"intercept", "sqrt_coef", "linear_coef"}),
    "emergency": (_emergency, set(), {"accel_km_min2", "cruise_kmh", "detour_factor"}),
    "network": (_network, {"osm"}, {"speeds_kph", "maxspeed_factor", "offroad_kph", "far_m", "cache_dir"}),
    "matrix": (_matrix, {"file", "points"}, {"tolerance_m"}),
}


def build_travel_model(spec: Mapping[str, Any], *, crs: str = "EPSG:27700") -> TravelModel:
    """Return the travel model a config section describes.

    Parameters
    ----------
    spec
        ``{"model": "calibrated"}`` (optional ``intercept``, ``sqrt_coef``, ``linear_coef``);
        ``{"model": "emergency"}`` (optional ``accel_km_min2``, ``cruise_kmh``, ``detour_factor``);
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
    if kind not in _MODELS:
        raise ConfigError(
            f"unknown travel model {kind!r}; expected one of {sorted(_MODELS)}", field="travel.model"
        )
    build, required, optional = _MODELS[kind]
    unknown = sorted(set(options) - required - optional)
    if unknown:
        expected = sorted(required | optional)
        msg = f"unknown key(s) {unknown} for the {kind} model; expected {expected}"
        raise ConfigError(msg, field=f"travel.{unknown[0]}")
    missing = sorted(required - set(options))
    if missing:
        raise ConfigError(f"the {kind} model needs {missing}", field=f"travel.{missing[0]}")
    return build(options, crs)

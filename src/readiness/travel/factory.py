"""Build a travel model from the ``travel:`` section of a config."""

from __future__ import annotations

from typing import Any

from readiness.errors import ConfigError
from readiness.travel.calibrated import CalibratedModel


def build_travel_model(spec: dict[str, Any], *, crs: str = "EPSG:27700") -> Any:
    """A travel model from its config mapping (``{"model": "calibrated", ...}``)."""
    options = {k: v for k, v in spec.items() if k != "model"}
    if spec.get("model", "calibrated") == "calibrated":
        return CalibratedModel(**options)
    raise ConfigError(f"travel model {spec.get('model')!r} is not available", field="travel.model")

"""The resolved model: area, fleet, travel minutes and parameters, built once from a config."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from readiness.area import Area, load_area, point_in_area_crs
from readiness.config import Config, Point
from readiness.errors import ConfigError
from readiness.exposure import ExposureLayer, site_layer, weights_for
from readiness.registry import Parameters
from readiness.resources import Fleet, build_fleet, resolve_resources
from readiness.travel import TravelModel, build_travel_model


@dataclass(frozen=True, eq=False)
class Model:
    """Everything the engine needs, as plain arrays; ``config`` is fully resolved.

    Positions are the bases ``0..n_bases-1`` followed by the LSOA centroids (``n_bases + i``), and
    ``travel_minutes[p, i]`` is the normal-speed road time from position ``p`` to LSOA ``i``.
    """

    config: Config
    params: Parameters
    area: Area
    fleet: Fleet
    site_weights: np.ndarray  # weights at the attack time (week mean when drawn): patrols, planning
    named_sites: np.ndarray | None  # LSOA indices when the scenario names its sites
    travel_minutes: np.ndarray = field(repr=False)
    site_table: np.ndarray = field(repr=False)  # (168, n_lsoa) site weights by hour of the week
    exposure: ExposureLayer | None = field(default=None, repr=False)  # the layer behind site_table, if any

    @cached_property
    def site_cumulative(self) -> np.ndarray:
        """``(168, n_lsoa)`` cumulative site weights by hour (what the site draws search)."""
        return np.cumsum(self.site_table, axis=1)

    @property
    def n_bases(self) -> int:
        return self.fleet.n_bases

    @property
    def positions(self) -> np.ndarray:
        """``(n_bases + n_lsoa, 2)`` coordinates of every position, in the order of ``travel_minutes``."""
        return position_xy(self.fleet, self.area)

    def lsoa_position(self, lsoa: np.ndarray | int) -> np.ndarray | int:
        """Position index of an LSOA centroid."""
        return self.n_bases + lsoa

    def with_fleet(self, fleet: Fleet, config: Config) -> Model:
        """The same area and travel with another fleet on the same bases (options reuse travel)."""
        return Model(config=config, params=self.params, area=self.area, fleet=fleet,
                     site_weights=self.site_weights, named_sites=self.named_sites,
                     travel_minutes=self.travel_minutes, site_table=self.site_table, exposure=self.exposure)

    def at_time(self, attack_time: str | None) -> Model:
        """The same model with another attack time (``None``: drawn over the week per replication)."""
        config = self.config.model_copy(update={
            "scenario": self.config.scenario.model_copy(update={"attack_time": attack_time}),
            "workload": self.config.workload.model_copy(update={"attack_time": attack_time})})
        return replace(self, config=config, site_weights=weights_for(self.site_table, attack_time))


def position_xy(fleet: Fleet, area: Area) -> np.ndarray:
    """Coordinates of the positions units can be at: the bases, then the LSOA centroids."""
    return np.vstack([fleet.base_xy, area.centroids])


def _named_sites(config: Config, area: Area) -> np.ndarray | None:
    named = config.scenario.named_sites
    if named is None:
        return None
    indices = []
    for k, site in enumerate(named):
        field_name = f"scenario.named_sites[{k}]"
        if isinstance(site, Point):
            x, y = point_in_area_crs(site, area)
            if not area.contains(x, y):
                raise ConfigError(f"point ({site.x}, {site.y}) in {site.crs} lies outside {area.name}",
                                  field=field_name)
            indices.append(area.nearest_lsoa(x, y))
        else:
            indices.append(area.lsoa_index(site, field_name=field_name))
    if not indices:
        raise ConfigError("give at least one site or leave it out", field="scenario.named_sites")
    return np.array(indices, dtype=np.int64)


def travel_model_for(config: Config, params: Parameters, area: Area) -> TravelModel:
    """The configured travel model; the calibrated one takes its coefficients from the registry."""
    spec = config.travel.model_dump()
    if spec["model"] == "calibrated":
        spec.update(intercept=params["travel.intercept_min"], sqrt_coef=params["travel.sqrt_coef"],
                    linear_coef=params["travel.linear_coef"])
    return build_travel_model(spec, crs=area.crs)


def build_model(config: Config, *, area: Area | None = None) -> Model:
    """Resolve a config into a :class:`Model` (reads the area and computes travel minutes once)."""
    params = Parameters(config.parameters)
    area = area or load_area(config.area)
    resources = resolve_resources(config.resources, params)
    resolved = config.model_copy(update={"resources": resources})
    fleet = build_fleet(resources, area, params)
    table, layer = site_layer(config.scenario.site_weights, area, params)
    minutes = np.asarray(travel_model_for(config, params, area).minutes(position_xy(fleet, area), area.centroids))
    return Model(config=resolved, params=params, area=area, fleet=fleet,
                 site_weights=weights_for(table, config.scenario.attack_time), named_sites=_named_sites(config, area),
                 travel_minutes=minutes.astype(np.float32), site_table=table, exposure=layer)

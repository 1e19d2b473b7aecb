"""The resolved model: area, fleet, travel minutes and parameters, built once from a config."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import numpy as np

from readiness.area import Area, load_area, point_in_area_crs
from readiness.config import Config, Point, parse_week_time
from readiness.errors import ConfigError
from readiness.exposure import ExposureLayer, site_layer, weights_for
from readiness.forces import default_bases_for, parameters_for
from readiness.move_up import ComplianceTable, compliance_table
from readiness.nearest import DistanceOrder, NearestPositions, distance_order, nearest_positions
from readiness.patrol import Patrols, build_patrols
from readiness.posts import Posts, resolve_posts
from readiness.registry import Parameters
from readiness.resources import Fleet, build_fleet, resolve_resources
from readiness.travel import TravelModel, build_travel_model, congestion_profile


@dataclass(frozen=True, eq=False)
class Model:
    """Everything the engine needs, as plain arrays; ``config`` is fully resolved.

    Positions are the bases ``0..n_bases-1`` followed by the LSOA centroids (``n_bases + i``), and
    ``travel_minutes[p, i]`` is the normal-speed road time from position ``p`` to LSOA ``i``
    (return to base or patrol, move-up); ``blue_light_minutes[p, i]`` the time on blue lights.
    ``travel_congestion[h]`` and ``blue_light_congestion[h]`` multiply them in hour ``h`` of the week
    (0 = Monday 00:00; all 1 with ``travel.congestion: false``).
    """

    config: Config
    params: Parameters
    area: Area
    fleet: Fleet
    site_weights: np.ndarray  # weights at the attack time (week mean when drawn): planning (patrols: ``patrols``)
    named_sites: np.ndarray | None  # LSOA indices when the scenario names its sites
    travel_minutes: np.ndarray = field(repr=False)
    blue_light_minutes: np.ndarray = field(repr=False)
    travel_congestion: np.ndarray = field(repr=False)
    blue_light_congestion: np.ndarray = field(repr=False)
    site_table: np.ndarray = field(repr=False)  # (168, n_lsoa) site weights by hour of the week
    exposure: ExposureLayer | None = field(default=None, repr=False)  # the layer behind site_table, if any
    patrols: Patrols | None = field(default=None, repr=False)  # patrol layers of the patrolling units
    posts: Posts | None = field(default=None, repr=False)  # armed posts (resources.armed_posts), docs/model.md 4.7

    @cached_property
    def site_cumulative(self) -> np.ndarray:
        """``(168, n_lsoa)`` cumulative site weights by hour (what the site draws search)."""
        return np.cumsum(self.site_table, axis=1)

    @cached_property
    def blue_light_to_sites(self) -> np.ndarray:
        """``blue_light_minutes`` transposed, ``[i, p]``: a site's minutes from every position in one row, as the
        dispatch loop reads them (one cache line serves several units; the same values)."""
        return _made_once(self.blue_light_minutes, _transposed)

    @cached_property
    def nearest_to_sites(self) -> NearestPositions:
        """For each LSOA, the positions fewest blue-light minutes from it, fewest first: where the dispatch
        looks for a site's nearest response cars (``nearest.nearest_positions``)."""
        return _made_once(self.blue_light_to_sites, nearest_positions)

    @cached_property
    def travel_order(self) -> DistanceOrder:
        """``travel_minutes`` with the LSOA columns the warm-up may search by distance (``nearest``)."""
        return distance_order(self.travel_minutes, self.positions, self.n_bases)

    @cached_property
    def compliance_table(self) -> ComplianceTable:
        """Move-up's positions by number of free ARVs (``move_up.compliance_table``), solved on first use."""
        return compliance_table(self)

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

    def blue_light_factor(self, minute_of_week: np.ndarray | int) -> np.ndarray:
        """Congestion multiplier on blue-light minutes in the hour of each minute of the week."""
        return _in_hour(self.blue_light_congestion, minute_of_week)

    def normal_factor(self, minute_of_week: np.ndarray | int) -> np.ndarray:
        """Congestion multiplier on normal road minutes in the hour of each minute of the week."""
        return _in_hour(self.travel_congestion, minute_of_week)

    def attack_blue_light_factor(self) -> float:
        """The blue-light factor at the configured attack time; 1 (the week's mean) when the time is drawn."""
        attack_time = self.config.scenario.attack_time
        return 1.0 if attack_time is None else float(self.blue_light_factor(parse_week_time(attack_time)))

    def at_time(self, attack_time: str | None) -> Model:
        """The same model with another attack time (``None``: drawn over the week per replication)."""
        config = self.config.model_copy(update={
            "scenario": self.config.scenario.model_copy(update={"attack_time": attack_time}),
            "workload": self.config.workload.model_copy(update={"attack_time": attack_time})})
        return derive_model(self, config)


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


#: Registry entries the normal-speed (calibrated) travel model takes its coefficients from.
TRAVEL_PARAMETERS = {"intercept": "travel.intercept_min", "sqrt_coef": "travel.sqrt_coef",
                     "linear_coef": "travel.linear_coef"}
#: Registry entries the blue-light (emergency) model takes where its config section does not give them.
BLUE_LIGHT_PARAMETERS = {"accel_km_min2": "travel.blue_light_accel_km_min2",
                         "cruise_kmh": "travel.blue_light_cruise_kmh", "detour_factor": "travel.detour_factor"}


def _with_registry(spec: dict, params: Parameters) -> dict:
    """A model section with the registry's coefficients: always for calibrated, where not given for emergency."""
    if spec["model"] == "calibrated":
        spec.update({key: params[name] for key, name in TRAVEL_PARAMETERS.items()})
    elif spec["model"] == "emergency":
        spec = {**{key: params[name] for key, name in BLUE_LIGHT_PARAMETERS.items()}, **spec}
    return spec


def travel_model_for(config: Config, params: Parameters, area: Area) -> TravelModel:
    """The normal-road-speed model; the calibrated one takes its coefficients from the registry."""
    return build_travel_model(_with_registry(config.travel.normal_spec(), params), crs=area.crs)


#: Arrays made from a travel array, by (what, the id of the array they are made from) (``_made_once``),
#: each dropped with that array.
_MADE: dict[tuple[str, int], Any] = {}
Made = TypeVar("Made")


def _made_once(minutes: np.ndarray, make: Callable[[np.ndarray], Made]) -> Made:
    """``make(minutes)``, made once per array: the models ``derive_model`` makes from one another (options,
    sweeps, scenarios) share their travel arrays, and so what is made from them (an 11 MB transpose)."""
    key = (make.__name__, id(minutes))
    if key not in _MADE:
        _MADE[key] = make(minutes)
        weakref.finalize(minutes, _MADE.pop, key, None)
    return _MADE[key]


def _transposed(minutes: np.ndarray) -> np.ndarray:
    """A C-contiguous transpose of ``minutes``."""
    return np.ascontiguousarray(minutes.T)


def _in_hour(factors: np.ndarray, minute_of_week: np.ndarray | int) -> np.ndarray:
    """The hour-of-week ``factors`` at each minute of the week, as float64."""
    return factors[(np.asarray(minute_of_week, dtype=np.int64) // 60) % len(factors)].astype(float)


def blue_light_minutes_for(config: Config, params: Parameters, area: Area, origins: np.ndarray,
                           normal_minutes: np.ndarray) -> np.ndarray:
    """Blue-light minutes from ``origins`` to every LSOA, given the normal minutes on the same rows.

    The emergency model gives them directly, capped by normal road speed (beyond the RAND fit's range a
    blue-light trip is never slower than driving normally); any other model is its minutes times
    ``travel.emergency_factor``, reusing ``normal_minutes`` when it is the normal model.
    """
    spec = config.travel.blue_light_spec()
    if spec["model"] == "emergency":
        model = build_travel_model(_with_registry(spec, params), crs=area.crs)
        return np.minimum(model.minutes(origins, area.centroids), normal_minutes)
    same = spec == config.travel.normal_spec()
    minutes = normal_minutes if same else build_travel_model(_with_registry(spec, params), crs=area.crs).minutes(
        origins, area.centroids)
    return params["travel.emergency_factor"] * np.asarray(minutes, dtype=float)


def congestion_for(config: Config, params: Parameters) -> tuple[np.ndarray, np.ndarray]:
    """Hour-of-week factors for normal and blue-light minutes (all 1 when congestion is off)."""
    on = config.travel.congestion
    return (congestion_profile(params["travel.congestion_peak_normal"] if on else 0.0).astype(np.float32),
            congestion_profile(params["travel.congestion_peak_blue_light"] if on else 0.0).astype(np.float32))


def build_model(config: Config, *, area: Area | None = None) -> Model:
    """Resolve a config into a :class:`Model` (reads the area and computes travel minutes once)."""
    return _assemble(config, area or load_area(config.area), reuse=None)


def derive_model(model: Model, config: Config) -> Model:
    """A changed copy of ``model`` for ``config``: rebuild only what the change requires, reuse the rest.

    The one way to make a model from another (options, sensitivity sweeps, plans). The area and site
    weights are reused when their config is unchanged; the travel minutes when the travel config and its
    coefficients are unchanged (then only the rows of new or moved bases are computed); parameters and the
    fleet always follow ``config``.
    """
    if config.area != model.config.area:
        return build_model(config)
    return _assemble(config, model.area, reuse=model)


def _assemble(config: Config, area: Area, *, reuse: Model | None) -> Model:
    """The model of ``config`` on ``area``, taking weights and travel minutes from ``reuse`` where still valid."""
    params = parameters_for(config)
    resources = resolve_resources(config.resources, params, default_bases_for(config, area, params))
    fleet = build_fleet(resources, area, params)
    table, layer = _site_table(config, params, area, reuse)
    minutes, blue = _travel_minutes(config, params, area, fleet, reuse)
    normal_congestion, blue_congestion = congestion_for(config, params)
    patrols = build_patrols(config, params, area, fleet, blue, layer, reuse=_patrol_shares(config, params, layer, reuse))
    return Model(config=config.model_copy(update={"resources": resources}), params=params, area=area, fleet=fleet,
                 site_weights=_weights_at(table, config, reuse), named_sites=_named_sites(config, area),
                 travel_minutes=minutes, blue_light_minutes=blue, travel_congestion=normal_congestion,
                 blue_light_congestion=blue_congestion, site_table=table, exposure=layer, patrols=patrols,
                 posts=resolve_posts(config.resources.armed_posts, params, area, table))


def _patrol_shares(config: Config, params: Parameters, layer: ExposureLayer | None,
                   reuse: Model | None) -> Patrols | None:
    """``reuse``'s patrols while their demand data and exposure layer still hold (their shares are reused)."""
    if reuse is None or reuse.patrols is None or layer is not reuse.exposure:
        return None
    same_demand = (config.workload.incidents, config.workload.profile) == (reuse.config.workload.incidents,
                                                                           reuse.config.workload.profile)
    same_exposure = layer is not None or all(params[n] == reuse.params[n] for n in params if n.startswith("exposure."))
    return reuse.patrols if same_demand and same_exposure else None


def _weights_at(table: np.ndarray, config: Config, reuse: Model | None) -> np.ndarray:
    """Site weights at the attack time (the week's mean when it is drawn), reused while table and time hold."""
    if reuse is not None and table is reuse.site_table and config.scenario.attack_time == reuse.config.scenario.attack_time:
        return reuse.site_weights
    return weights_for(table, config.scenario.attack_time)


def _site_table(config: Config, params: Parameters, area: Area,
                reuse: Model | None) -> tuple[np.ndarray, ExposureLayer | None]:
    """Site weights by hour of week, reused from ``reuse`` while the weights config and ``exposure.*`` hold."""
    if reuse is not None and config.scenario.site_weights == reuse.config.scenario.site_weights and all(
            params[name] == reuse.params[name] for name in params if name.startswith("exposure.")):
        return reuse.site_table, reuse.exposure
    return site_layer(config.scenario.site_weights, area, params)


def _travel_minutes(config: Config, params: Parameters, area: Area, fleet: Fleet,
                    reuse: Model | None) -> tuple[np.ndarray, np.ndarray]:
    """Normal and blue-light ``(n_bases + n_lsoa, n_lsoa)`` minutes, reusing ``reuse``'s rows when travel is
    unchanged (then only the rows of new or moved bases are computed)."""
    def rows(origins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        normal = np.asarray(travel_model_for(config, params, area).minutes(origins, area.centroids), dtype=float)
        blue = blue_light_minutes_for(config, params, area, origins, normal)
        return normal.astype(np.float32), np.asarray(blue).astype(np.float32)

    names = [*TRAVEL_PARAMETERS.values(), *BLUE_LIGHT_PARAMETERS.values(), "travel.emergency_factor"]
    if reuse is None or config.travel != reuse.config.travel or any(
            params[name] != reuse.params[name] for name in names):
        return rows(position_xy(fleet, area))
    if fleet.base_xy.shape == reuse.fleet.base_xy.shape and np.array_equal(fleet.base_xy, reuse.fleet.base_xy):
        return reuse.travel_minutes, reuse.blue_light_minutes
    normal, blue = rows(fleet.base_xy)
    return (np.vstack([normal, reuse.travel_minutes[reuse.n_bases:]]),
            np.vstack([blue, reuse.blue_light_minutes[reuse.n_bases:]]))

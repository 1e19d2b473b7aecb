"""Patrol layers: where patrolling units are, by hour of the week, within their patrol areas (docs/model.md).

Armed patrols follow a mix of everyday demand (incidents by LSOA times the demand profile) and people
exposed (the exposure layer), never the attack-site weights themselves; unarmed response cars follow
demand only. A unit with a patrol area patrols the LSOAs nearer, on blue lights, to its base than to
any other patrol centre. Draws pick an LSOA of the unit's layer at the hour of the week.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numba
import numpy as np
import pandas as pd

from readiness.area import Area, numeric_column
from readiness.config import Config
from readiness.demand import load_demand_weights, load_profile
from readiness.errors import ConfigError, DataError
from readiness.exposure import HOURS, ExposureLayer, hour_label, shipped_layer
from readiness.kinds import ARMED, PATROL_TEAM, UNARMED
from readiness.registry import Parameters
from readiness.resources import NO_BASE, Fleet
from readiness.rng import guide_table, pick_guided, uniform_at

_HOUR_COLUMNS = [f"h{h}" for h in range(HOURS)]


@dataclass(frozen=True, eq=False)
class Patrols:
    """The patrol layers in use and which one each unit patrols.

    ``cumulative[l, h]`` is the cumulative weight over LSOAs of layer ``l`` in hour ``h`` (what the
    draws search); ``unit_layer[u]`` the layer of unit ``u`` (-1: it does not patrol). ``demand`` and
    ``exposure`` are the two ``(168, n)`` shares the default armed layer mixes (each sums to 1 over the
    week's mean hour), kept for coverage and reuse.
    """

    cumulative: np.ndarray  # (L, 168, n_lsoa) float64
    unit_layer: np.ndarray  # (U,) int64
    labels: tuple[str, ...]  # what each layer is ("armed, area of Stechford")
    demand: np.ndarray  # (168, n_lsoa)
    exposure: np.ndarray  # (168, n_lsoa)
    armed: np.ndarray  # (168, n_lsoa) the armed layer before patrol areas
    area_of: np.ndarray  # (n_lsoa,) patrol centre (base index) nearest each LSOA, NO_BASE when none
    keys: tuple[tuple[int, int], ...] = ()  # what each layer is made from: (kind, patrol centre)

    @cached_property
    def guide(self) -> np.ndarray:
        """``(L, 168, n + 3)`` guide rows of ``cumulative`` (``rng.guide_table``): the draws search a few LSOAs."""
        return guide_table(self.cumulative)

    def weights(self, layer: int) -> np.ndarray:
        """``(168, n)`` weights of one layer (differences of its cumulative rows)."""
        return np.diff(self.cumulative[layer], axis=1, prepend=0.0)


def patrol_areas(blue_light_minutes: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """``(n_lsoa,)`` the centre (base index) nearest each LSOA on blue lights; ties go to the first listed."""
    if len(centres) == 0:
        return np.full(blue_light_minutes.shape[1], NO_BASE, dtype=np.int64)
    return np.asarray(centres, dtype=np.int64)[np.argmin(blue_light_minutes[centres], axis=0)]


def _share(table: np.ndarray) -> np.ndarray:
    """A ``(168, n)`` table scaled so that its mean hour sums to 1 (hours keep their relative size)."""
    total = table.sum(axis=1).mean()
    return table / total if total > 0 else table


def demand_table(weights: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Everyday demand by hour of the week: incidents by LSOA times the hour-of-week demand profile."""
    return _share(np.outer(np.asarray(profile, float), np.asarray(weights, float)))


def exposure_table(area: Area, params: Parameters, layer: ExposureLayer | None) -> np.ndarray:
    """People exposed by hour: the model's exposure layer, else the shipped one, else residents (other areas)."""
    if layer is None:
        try:
            layer = shipped_layer(area, params)
        except ConfigError:
            return _share(np.broadcast_to(area.residents.astype(float), (HOURS, area.n)))
    return _share(layer.table)


def load_patrol_layer(path: Path, area: Area) -> np.ndarray:
    """A user patrol layer: CSV with ``lsoa11cd`` and a ``weight`` column or ``h0..h167``; missing LSOAs weigh 0."""
    source = str(path)
    try:
        table = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read as CSV ({error})", source=source) from None
    hourly = all(c in table.columns for c in _HOUR_COLUMNS)
    if "lsoa11cd" not in table.columns or not (hourly or "weight" in table.columns):
        raise DataError("expected columns lsoa11cd and weight (or h0..h167)", source=source)
    unknown = sorted(set(table["lsoa11cd"].astype(str)) - set(area.index_of))
    if unknown:
        raise DataError(f"unknown LSOA codes {unknown[:5]}", source=source, field="lsoa11cd")
    columns = _HOUR_COLUMNS if hourly else ["weight"]
    values = np.column_stack([numeric_column(table[c], source=source, column=c) for c in columns])
    out = np.zeros((HOURS, area.n))
    out[:, [area.index_of[c] for c in table["lsoa11cd"].astype(str)]] = np.broadcast_to(values.T, (HOURS, len(table)))
    return out


def build_patrols(config: Config, params: Parameters, area: Area, fleet: Fleet, blue_light_minutes: np.ndarray,
                  layer: ExposureLayer | None, reuse: Patrols | None = None) -> Patrols:
    """The patrol layer of every patrolling unit; a unit left nowhere to be (zero weight in its area) is a user error.

    ``reuse``: a model's patrols whose demand and exposure shares still hold (same data and registry); where
    its layers would come out the same (same units, areas and armed mix; no specialist team on patrol, whose
    layer follows the blue-light minutes), it is returned itself: a model that only moves the attack time
    or the doctrine does not rebuild 250 MB of tables (and their guide) on the Metropolitan Police.
    """
    if reuse is not None:
        demand, exposure = reuse.demand, reuse.exposure
    else:
        demand = demand_table(load_demand_weights(config.workload.incidents, area).weights,
                              load_profile(config.workload.profile))
        exposure = exposure_table(area, params, layer)
    path = config.resources.patrol_layer
    if path is not None:
        armed = load_patrol_layer(Path(path), area)
    else:
        share = params["patrol.demand_share"]
        armed = share * demand + (1.0 - share) * exposure
    patrol_area = fleet.patrol_area if fleet.patrol_area is not None else np.full(fleet.n, NO_BASE)
    team = fleet.kind == PATROL_TEAM  # teams patrol near their base, never shaping the others' areas
    centres = np.unique(patrol_area[fleet.patrol & ~team & (patrol_area >= 0)])
    area_of = patrol_areas(blue_light_minutes[:fleet.n_bases], centres)
    index: dict[tuple[int, int], int] = {}
    first_unit: list[int] = []
    labels: list[str] = []
    unit_layer = np.full(fleet.n, -1, dtype=np.int64)
    for u in np.flatnonzero(fleet.patrol):
        kind, centre = int(fleet.kind[u]), int(patrol_area[u])
        key = (kind if kind in (ARMED, PATROL_TEAM) else UNARMED, centre)
        if key not in index:
            index[key] = len(first_unit)
            first_unit.append(int(u))
            what = "specialist team, exposure" if kind == PATROL_TEAM else "armed" if kind == ARMED else "unarmed"
            labels.append(f"{what}, {'area of ' + fleet.base_names[centre] if centre >= 0 else 'whole force'}")
        unit_layer[u] = index[key]
    keys = tuple(index)
    if (reuse is not None and keys == reuse.keys and tuple(labels) == reuse.labels
            and all(kind != PATROL_TEAM for kind, _ in keys) and np.array_equal(unit_layer, reuse.unit_layer)
            and np.array_equal(armed, reuse.armed) and np.array_equal(area_of, reuse.area_of)):
        return reuse  # the same layers from the same weights: its tables (and their guide) serve as they are
    radius = params["patrol.team_radius_min"]
    tables = []
    for (kind, centre), u in zip(keys, first_unit, strict=True):
        if kind == PATROL_TEAM:
            weights = exposure * (blue_light_minutes[centre] <= radius if centre >= 0 else 1.0)
        else:
            weights = (armed if kind == ARMED else demand) * (area_of == centre if centre >= 0 else 1.0)
        empty = np.flatnonzero(weights.sum(axis=1) <= 0)
        if len(empty):
            where = f"{fleet.base_names[centre]}'s patrol area" if centre >= 0 else area.name
            field = ("resources.patrol_layer" if kind == ARMED and path is not None
                     else f"resources.unit_types.{fleet.types[u]}.patrol_area")
            raise ConfigError(f"unit {fleet.names[u]} has nowhere to patrol: every LSOA of {where} weighs 0 "
                              f"at {hour_label(int(empty[0]))}", field=field)
        tables.append(np.cumsum(weights, axis=1))
    cumulative = np.stack(tables) if tables else np.zeros((0, HOURS, area.n))
    return Patrols(cumulative=cumulative, unit_layer=unit_layer, labels=tuple(labels), demand=demand,
                   exposure=exposure, armed=armed, area_of=area_of, keys=keys)


@numba.njit(cache=True, inline="always")
def pick_in_layer(cumulative, guide, layer, hour, u):
    """The LSOA of layer ``layer`` at hour ``hour`` that uniform ``u`` picks (``searchsorted``, side right),
    searching only where its guide row (``Patrols.guide``) allows."""
    return pick_guided(cumulative[layer, hour], guide[layer, hour], u)


@numba.njit(parallel=True, cache=True)
def _place_batch(cumulative, guide, layer, hour, replication_keys, unit_keys, columns, first, position):
    for r in numba.prange(position.shape[0]):
        for j in range(columns.shape[0]):
            u = uniform_at(replication_keys[r], unit_keys[j])
            position[r, columns[j]] = first + pick_in_layer(cumulative, guide, layer[j], hour[r], u)


def place_patrols(patrols: Patrols, units: np.ndarray, hour: np.ndarray, replication_keys: np.ndarray,
                  unit_keys: np.ndarray, first: int, position: np.ndarray) -> None:
    """Put patrolling ``units`` at LSOAs of their layers at each replication's hour of the week: column
    ``units[j]`` of ``position`` (``(R, n)``, written in place) becomes ``first`` + the LSOA that unit's
    uniform picks, ``uniform_at(replication_keys[r], unit_keys[j])`` (``rng.uniforms`` of the same keys).

    One compiled pass: drawing the uniforms, picking and writing the columns one after another cost three
    times as much (a third of a replication's unit starts on the default's 108 patrolling units).
    """
    _place_batch(patrols.cumulative, patrols.guide, np.ascontiguousarray(patrols.unit_layer[units]),
                 np.ascontiguousarray(hour, dtype=np.int64), np.ascontiguousarray(replication_keys, np.uint64),
                 np.ascontiguousarray(unit_keys, np.uint64), np.ascontiguousarray(units, np.int64), int(first),
                 position)


def where_units_are(fleet: Fleet, unit_types: dict, *, user_layer: bool) -> list[dict[str, object]]:
    """Per unit type of the fleet: its deployment, patrol area and layer, for results and reports."""
    rows = []
    for name in dict.fromkeys(fleet.types):
        unit_type, count = unit_types[name], sum(t == name for t in fleet.types)
        row: dict[str, object] = {"type": name, "kind": unit_type.kind, "units": count,
                                  "deployment": unit_type.deployment}
        if unit_type.deployment == "patrol":
            members = [u for u, t in enumerate(fleet.types) if t == name]
            areas = {fleet.patrol_base(u) for u in members}
            row["patrol_area"] = "base" if areas != {NO_BASE} else "force"
            row["layer"] = ("exposure near its base (patrol.team_radius_min)" if unit_type.kind == "specialist"
                            else "demand" if unit_type.kind != "armed" else "user layer" if user_layer
                            else "demand and exposure (patrol.demand_share)")
        rows.append(row)
    return rows

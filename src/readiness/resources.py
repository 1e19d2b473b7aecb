"""Resources: unit types, bases and the fleet of units on duty."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from readiness.area import Area, data_path, to_area_crs
from readiness.config import BNG, Base, ResourcesConfig, UnitGroup, UnitType
from readiness.errors import ConfigError

# the kinds live in readiness.kinds; resources.ARMED etc. stay importable
from readiness.kinds import ARMED, KIND_CODES, PATROL_TEAM, SPECIALIST, UNARMED  # noqa: F401

DEFAULT_BASES_FILE = "west_midlands_response_hubs.csv"

#: Position code of a unit that starts outside the area (regional team) or patrols (drawn each replication).
NO_BASE = -1


@dataclass(frozen=True, eq=False)
class Fleet:
    """Units on duty as aligned arrays, plus the bases they start from (in the area's CRS)."""

    names: tuple[str, ...]
    types: tuple[str, ...]
    kind: np.ndarray  # int8: ARMED, SPECIALIST, UNARMED
    officers: np.ndarray  # armed officers carried (0 for unarmed units)
    position: np.ndarray  # base index, or NO_BASE for patrol / outside
    patrol: np.ndarray  # bool: start position drawn each replication from its patrol layer
    base_names: tuple[str, ...]
    base_xy: np.ndarray  # (n_bases, 2)
    #: per unit: the base whose patrol area it patrols, NO_BASE for the whole force (or not patrolling)
    patrol_area: np.ndarray | None = None

    def patrol_base(self, u: int) -> int:
        """The base whose area unit ``u`` patrols, or ``NO_BASE`` (the whole force)."""
        return NO_BASE if self.patrol_area is None else int(self.patrol_area[u])

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def n_bases(self) -> int:
        return len(self.base_names)

    def count(self, kind: int) -> int:
        return int(np.sum(self.kind == kind))


def default_bases() -> list[Base]:
    """The eight published West Midlands response hubs: approximate positions, an assumption."""
    table = pd.read_csv(data_path(DEFAULT_BASES_FILE))
    return [Base(name=row.name, x=float(row.x), y=float(row.y), crs=BNG, district=row.district)
            for row in table.itertuples(index=False)]


#: ``base: any`` in a unit group spreads its units over every base (so one options file fits every force).
ANY_BASE = "any"


def spread(unit_type: str, count: int, bases: list[Base]) -> list[UnitGroup]:
    """``count`` units of a type dealt round-robin over the bases, in base order."""
    per_base = [count // len(bases) + (1 if i < count % len(bases) else 0) for i in range(len(bases))]
    return [UnitGroup(type=unit_type, base=base.name, count=n) for base, n in zip(bases, per_base) if n]


#: The unit types :func:`default_units` fills (``resources.units`` left out needs all of them).
DEFAULT_UNIT_TYPE_NAMES = ("arv", "response", "ctsfo")


def default_units(bases: list[Base], parameters: Mapping[str, float]) -> list[UnitGroup]:
    """ARVs spread round-robin over the bases (their patrol areas' centres), patrolling response cars, one
    regional CTSFO team."""
    groups = spread("arv", int(parameters["arv.on_duty"]), bases)
    groups.append(UnitGroup(type="response", count=int(parameters["response.on_duty"])))
    groups.append(UnitGroup(type="ctsfo", count=1))
    return groups


def expand_any(units: list[UnitGroup], bases: list[Base], unit_types: Mapping[str, UnitType]) -> list[UnitGroup]:
    """Unit groups with ``base: any`` spread over the bases (outside and unarmed patrol types take no base) and
    merged with the groups already at those bases, in first-seen order."""
    merged: dict[tuple[str, str | None], int] = {}
    for g, group in enumerate(units):
        if group.base != ANY_BASE:
            parts = [group]
        elif unit_types[group.type].deployment == "outside" or (unit_types[group.type].deployment == "patrol"
                                                                and unit_types[group.type].kind == "unarmed"):
            parts = [group.model_copy(update={"base": None})]
        elif not bases:
            raise ConfigError("base: any needs at least one base", field=f"resources.units[{g}].base")
        else:
            parts = spread(group.type, group.count, bases)
        for part in parts:
            merged[(part.type, part.base)] = merged.get((part.type, part.base), 0) + part.count
    return [UnitGroup(type=t, base=b, count=n) for (t, b), n in merged.items()]


def resolve_resources(config: ResourcesConfig, parameters: Mapping[str, float],
                      bases: list[Base] | None = None) -> ResourcesConfig:
    """The configuration with every default made explicit (written into results).

    ``bases`` are the area's default bases (a force's standby points); None: the West Midlands hubs.
    """
    if config.bases is not None:
        bases = config.bases
    elif bases is None:
        bases = default_bases()
    if not bases and (config.units is None or any(t.deployment == "base" for t in config.unit_types.values())):
        raise ConfigError("at least one base is needed", field="resources.bases")
    missing = [] if config.units is not None else [t for t in DEFAULT_UNIT_TYPE_NAMES if t not in config.unit_types]
    if missing:
        raise ConfigError(f"expected unit type(s) {missing} for the default units (ARVs, response cars, a CTSFO "
                          f"team), got {sorted(config.unit_types)}; add them, or list resources.units",
                          field="resources.unit_types")
    units = config.units if config.units is not None else default_units(bases, parameters)
    if any(group.base == ANY_BASE for group in units):
        units = expand_any(units, bases, config.unit_types)
    return config.model_copy(update={"bases": bases, "units": units})


def _officers(unit_type: UnitType, parameters: Mapping[str, float]) -> int:
    if unit_type.kind == "unarmed":
        return 0
    if unit_type.officers is not None:
        return unit_type.officers
    return int(parameters["ctsfo.team_officers" if unit_type.kind == "specialist" else "arv.crew"])


def build_fleet(config: ResourcesConfig, area: Area, parameters: Mapping[str, float]) -> Fleet:
    """Turn a resolved resources config into a :class:`Fleet`, checking bases lie in the area."""
    bases = config.bases or []
    names = [b.name for b in bases]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"duplicate base names {duplicates}", field="resources.bases")
    base_xy = np.array([to_area_crs(b.x, b.y, b.crs, area.crs) for b in bases], dtype=float).reshape(-1, 2)
    base_index = {name: i for i, name in enumerate(names)}
    unit_names: list[str] = []
    types: list[str] = []
    kind: list[int] = []
    officers: list[int] = []
    position: list[int] = []
    patrol: list[bool] = []
    patrol_area: list[int] = []
    for g, group in enumerate(config.units or []):
        unit_type = config.unit_types[group.type]
        field = f"resources.units[{g}]"
        team_patrols = unit_type.deployment == "patrol" and unit_type.kind == "specialist"
        if team_patrols and group.base is None:
            raise ConfigError("a specialist team on patrol needs a base: its patrol layer is the crowded places "
                              "near its base (docs/model.md 4.7)", field=f"{field}.base")
        if unit_type.deployment == "base" or (unit_type.deployment == "patrol" and group.base is not None):
            if group.base not in base_index:
                raise ConfigError(f"base {group.base!r} is not one of {names}", field=f"{field}.base")
            where = base_index[group.base]
            base = bases[where]
            if unit_type.kind != "unarmed" and not base.outside_area and not area.contains(*base_xy[where]):
                raise ConfigError(f"armed unit base {base.name!r} lies outside {area.name} (mark it "
                                  "outside_area: true for mutual-aid or regional bases)", field=f"{field}.base")
        elif group.base is not None:
            raise ConfigError(f"a {unit_type.deployment} unit type takes no base", field=f"{field}.base")
        elif unit_type.deployment == "outside" and unit_type.kind != "specialist":
            raise ConfigError("only specialist teams can start outside the area (mutual aid is a registry "
                              "setting)", field=f"resources.unit_types.{group.type}.deployment")
        else:
            where = NO_BASE
        label = group.base or unit_type.deployment
        for j in range(group.count):
            unit_names.append(f"{group.type}@{label}#{j + 1}")
            types.append(group.type)
            kind.append(PATROL_TEAM if team_patrols else KIND_CODES[unit_type.kind])
            officers.append(_officers(unit_type, parameters))
            position.append(where)
            patrol.append(unit_type.deployment == "patrol")
            patrol_area.append(where if patrol[-1] and unit_type.patrol_area == "base" else NO_BASE)
    repeated = sorted({n for n in unit_names if unit_names.count(n) > 1})
    if repeated:
        raise ConfigError(f"unit groups repeat type and base: {repeated[:3]}; merge them into one group",
                          field="resources.units")
    return Fleet(names=tuple(unit_names), types=tuple(types), kind=np.array(kind, dtype=np.int8),
                 officers=np.array(officers, dtype=np.int64), position=np.array(position, dtype=np.int64),
                 patrol=np.array(patrol, dtype=bool),
                 base_names=tuple(names), base_xy=base_xy, patrol_area=np.array(patrol_area, dtype=np.int64))

"""Options: a YAML file of named changes to the baseline, and applying one to a model."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from readiness.area import data_path
from readiness.config import (
    BNG,
    ArmedPosts,
    Base,
    StrictModel,
    UnitGroup,
    UnitType,
    parse_week_ranges,
    read_yaml,
)
from readiness.costs import Changes, officers_for_cut, officers_per_post
from readiness.errors import ConfigError, ReadinessError, validation_error
from readiness.model import Model, derive_model
from readiness.posts import post_lsoas
from readiness.resources import ANY_BASE

DEFAULT_OPTIONS_FILE = "options_2015.yaml"
ANY_FORCE_OPTIONS_FILE = "options_any_force.yaml"  # base: any throughout (docs/forces.md)
ROLES: tuple[str, ...] = ("neighbourhood", "response", "firearms")
#: Unit types an option may add without declaring them.
CTSFO_TEAM_TYPE = "ctsfo_team"
CTSFO_PATROL_TYPE = "ctsfo_patrol"
ARMED_RESPONSE_TYPE = "armed_response"


class UnitChange(StrictModel):
    """``count`` units of ``type`` added at (or removed from) ``base`` (no base for patrol units)."""

    type: str
    count: int = Field(ge=1)
    base: str | None = None


class BaseMove(StrictModel):
    """Move an existing base (and every unit on it) to a new position."""

    base: str
    x: float
    y: float
    crs: str = BNG


class CtsfoTeam(StrictModel):
    """Counter-terrorism specialist firearms teams based in the force (``deployment: base``)."""

    base: str
    count: int = Field(default=1, ge=1)


class ArmResponse(StrictModel):
    """Arm a share of the response cars; effectiveness defaults to the registry value."""

    share: float = Field(default=1.0, gt=0, le=1)
    effectiveness: float | None = Field(default=None, gt=0, le=1)


class BudgetCut(StrictModel):
    """A cut of ``amount_gbp`` a year; ``split`` (role to share) defaults to each role's share of officers."""

    amount_gbp: float = Field(gt=0)
    split: dict[str, float] | None = None


class Option(StrictModel):
    """One named option: any combination of changes to the baseline."""

    name: str = Field(min_length=1)
    description: str = ""
    add_bases: list[Base] = Field(default_factory=list)
    move_bases: list[BaseMove] = Field(default_factory=list)
    add_units: list[UnitChange] = Field(default_factory=list)
    remove_units: list[UnitChange] = Field(default_factory=list)
    add_ctsfo_teams: list[CtsfoTeam] = Field(default_factory=list)
    #: specialist teams on patrol from a base, dispatched like ARVs (docs/model.md 4.7)
    ctsfo_patrol: list[CtsfoTeam] = Field(default_factory=list)
    armed_posts: ArmedPosts | None = None  # armed officers posted at crowded places (docs/model.md 4.7)
    arm_response: ArmResponse | None = None
    budget_cut: BudgetCut | None = None
    protect_neighbourhood: bool = False
    move_up: bool = False  # dispatch.move_up on (docs/model.md 4.8), costed by costs.move_up_gbp


class OptionsFile(StrictModel):
    """An options file: a title and the options compared with the baseline."""

    title: str = "Options"
    baseline: str = "baseline"
    options: list[Option] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> OptionsFile:
        names = [self.baseline, *(o.name for o in self.options)]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"option names must differ from each other and from the baseline: {repeated}")
        return self


@dataclass(frozen=True, eq=False)
class AppliedOption:
    """An option resolved against a baseline: its model (same area and travel) and what it changes."""

    option: Option
    model: Model
    changes: Changes
    summary: tuple[str, ...]  # one line per change, for reports

    @property
    def name(self) -> str:
        return self.option.name


def load_options(path: str | Path | None, *, west_midlands: bool = True) -> tuple[OptionsFile, str]:
    """Read an options file (``None``: the shipped 2015 options, or for another force those that fit any
    force); returns it with its source name."""
    shipped = DEFAULT_OPTIONS_FILE if west_midlands else ANY_FORCE_OPTIONS_FILE
    path = Path(path) if path is not None else data_path(shipped)
    data = read_yaml(path, what="the options file", error=ConfigError) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping with 'options', got {type(data).__name__}", source=str(path))
    try:
        return OptionsFile.model_validate(data), str(path)
    except ValidationError as error:
        raise validation_error(error, str(path)) from None


def apply_options(baseline: Model, options: OptionsFile, *, source: str = "options") -> list[AppliedOption]:
    """Apply every option, so that any mistake in any option fails before anything runs."""
    return [apply_option(baseline, option, field=f"options[{i}]", source=source)
            for i, option in enumerate(options.options)]


def apply_option(baseline: Model, option: Option, *, field: str = "option", source: str = "options") -> AppliedOption:
    """Resolve one option against the baseline model (its resolved resources) into a new model."""
    try:
        return _Applier(baseline, option, field).apply()
    except ReadinessError as error:
        raise type(error)(f"option {option.name!r}: {error}", source=source) from None


def cut_split(cut: BudgetCut, *, protect_neighbourhood: bool, params: Mapping[str, float],
              field: str) -> dict[str, float]:
    """Shares of the officers lost by role (normalised); neighbourhood protected means its share is 0.

    The default is each modelled role's share of the force's officers (``options.cut_share_*``, from the
    workforce counts in the registry).
    """
    split = dict(cut.split) if cut.split is not None else {r: params[f"options.cut_share_{r}"] for r in ROLES}
    unknown = sorted(set(split) - set(ROLES))
    if unknown:
        raise ConfigError(f"unknown role(s) {unknown}; expected some of {list(ROLES)}", field=f"{field}.split")
    if any(v < 0 for v in split.values()):
        raise ConfigError("shares must not be negative", field=f"{field}.split")
    if protect_neighbourhood:
        split["neighbourhood"] = 0.0
    total = sum(split.values())
    if total <= 0:
        raise ConfigError("the cut falls on no role (shares sum to 0 once neighbourhood is protected)",
                          field=f"{field}.split")
    return {r: split.get(r, 0.0) / total for r in ROLES}


class _Applier:
    """Edits a copy of the baseline's resolved resources, counting what changed for the cost model."""

    def __init__(self, baseline: Model, option: Option, field: str) -> None:
        resources = baseline.config.resources
        self.baseline = baseline
        self.option = option
        self.field = field
        self.params = baseline.params
        self.bases = list(resources.bases or [])
        self.types = dict(resources.unit_types)
        self.units = [g.model_copy() for g in resources.units or []]
        self.counts: dict[str, int] = {}
        self.summary: list[str] = []

    # --- helpers ---
    def _base_names(self) -> list[str]:
        return [b.name for b in self.bases]

    def _check_base(self, name: str | None, unit_type: UnitType, where: str) -> None:
        if unit_type.deployment == "patrol" and unit_type.kind == "specialist" and name is None:
            raise ConfigError("a specialist team on patrol needs a base: its patrol layer is the crowded places "
                              "near its base", field=f"{where}.base")
        if unit_type.deployment == "outside" or (unit_type.deployment == "patrol" and name is None):
            if name is not None:
                raise ConfigError(f"a {unit_type.deployment} unit type takes no base", field=f"{where}.base")
        elif name == ANY_BASE and not self.bases:
            raise ConfigError("base: any needs at least one base", field=f"{where}.base")
        elif name not in self._base_names() and name != ANY_BASE:
            raise ConfigError(f"unknown base {name!r}; expected one of {self._base_names()}", field=f"{where}.base")

    def _type(self, name: str, where: str) -> UnitType:
        if name not in self.types:
            raise ConfigError(f"unknown unit type {name!r}; expected one of {sorted(self.types)}",
                              field=f"{where}.type")
        return self.types[name]

    def _crew(self, unit_type: UnitType) -> int:
        if unit_type.officers is not None:
            return unit_type.officers
        if unit_type.kind == "unarmed":
            return int(self.params["response.crew"])
        return int(self.params["ctsfo.team_officers" if unit_type.kind == "specialist" else "arv.crew"])

    def _count(self, unit_type: UnitType, delta: int) -> None:
        """Record posts changed, by kind, for the cost model."""
        kind = {"armed": "armed", "specialist": "specialist", "unarmed": "response"}[unit_type.kind]
        posts = "specialist_teams" if kind == "specialist" else f"{kind}_posts"
        self.counts[posts] = self.counts.get(posts, 0) + delta
        self.counts[f"{kind}_officers"] = self.counts.get(f"{kind}_officers", 0) + delta * self._crew(unit_type)

    def _at(self, type_name: str, base: str) -> int:
        return sum(g.count for g in self.units if g.type == type_name and g.base == base)

    def _add_teams(self, teams: list[CtsfoTeam], type_name: str, deployment: str, where: str, how: str) -> None:
        """CTSFO teams at bases or on patrol from them: one unit type per deployment, counted for costs."""
        if not teams:
            return
        team = self.types.setdefault(type_name, UnitType(kind="specialist", deployment=deployment))
        for i, change in enumerate(teams):
            self._check_base(change.base, team, f"{where}[{i}]")
            self._add(type_name, change.base, change.count)
            self._count(team, change.count)
            self.summary.append(f"+{change.count} CTSFO team(s) {how} {change.base}")

    def _add(self, type_name: str, base: str | None, count: int) -> None:
        if base == ANY_BASE:  # one at a time to the base with the fewest of the type (ties: the first)
            for _ in range(count):
                self._add(type_name, min(self._base_names(), key=lambda b: self._at(type_name, b)), 1)
            return
        for i, group in enumerate(self.units):
            if group.type == type_name and group.base == base:
                self.units[i] = group.model_copy(update={"count": group.count + count})
                return
        self.units.append(UnitGroup(type=type_name, base=base, count=count))

    def _remove(self, type_name: str, base: str | None, count: int, where: str) -> None:
        if base == ANY_BASE:  # one at a time from the base with the most of the type (ties: the last)
            for _ in range(count):
                held = [(self._at(type_name, b), j, b) for j, b in enumerate(self._base_names())]
                if max(held)[0] == 0:
                    raise ConfigError(f"no {type_name} units left at any base to remove", field=f"{where}.count")
                self._remove(type_name, max(held)[2], 1, where)
            return
        for i, group in enumerate(self.units):
            if group.type == type_name and group.base == base:
                if group.count < count:
                    raise ConfigError(f"cannot remove {count} {type_name} unit(s) from {base or 'patrol'}: only "
                                      f"{group.count} there", field=f"{where}.count")
                self.units[i] = group.model_copy(update={"count": group.count - count})
                return
        raise ConfigError(f"no {type_name} units at {base or 'patrol'} to remove", field=where)

    def _take_from_kind(self, kind: str, deployments: tuple[str, ...], count: int) -> int:
        """Remove up to ``count`` units of a kind, from the largest groups first (ties: the last group).

        Not counted for the cost model: these are the consequences of a cut, or a change of role.
        """
        removed = 0
        while removed < count:
            groups = [(g.count, i) for i, g in enumerate(self.units)
                      if g.count > 0 and self.types[g.type].kind == kind
                      and self.types[g.type].deployment in deployments]
            if not groups:
                break
            _, i = max(groups)
            self.units[i] = self.units[i].model_copy(update={"count": self.units[i].count - 1})
            removed += 1
        return removed

    # --- the changes, in a fixed order ---
    def apply(self) -> AppliedOption:
        o, f = self.option, self.field
        for i, base in enumerate(o.add_bases):
            if base.name in self._base_names():
                raise ConfigError(f"base {base.name!r} already exists", field=f"{f}.add_bases[{i}].name")
            self.bases.append(base)
            self.summary.append(f"new base {base.name}")
        for i, move in enumerate(o.move_bases):
            names = self._base_names()
            if move.base not in names:
                raise ConfigError(f"unknown base {move.base!r}; expected one of {names}",
                                  field=f"{f}.move_bases[{i}].base")
            j = names.index(move.base)
            self.bases[j] = self.bases[j].model_copy(update={"x": move.x, "y": move.y, "crs": move.crs})
            self.summary.append(f"base {move.base} moved")
        for i, change in enumerate(o.add_units):
            where = f"{f}.add_units[{i}]"
            unit_type = self._type(change.type, where)
            self._check_base(change.base, unit_type, where)
            self._add(change.type, change.base, change.count)
            self._count(unit_type, change.count)
            self.summary.append(f"+{change.count} {change.type} at {change.base or unit_type.deployment}")
        for i, change in enumerate(o.remove_units):
            where = f"{f}.remove_units[{i}]"
            unit_type = self._type(change.type, where)
            self._check_base(change.base, unit_type, where)
            self._remove(change.type, change.base, change.count, where)
            self._count(unit_type, -change.count)
            self.summary.append(f"-{change.count} {change.type} at {change.base or unit_type.deployment}")
        self._add_teams(o.add_ctsfo_teams, CTSFO_TEAM_TYPE, "base", f"{f}.add_ctsfo_teams", "based at")
        self._add_teams(o.ctsfo_patrol, CTSFO_PATROL_TYPE, "patrol", f"{f}.ctsfo_patrol", "on patrol from")
        post_hours = self._armed_posts(o.armed_posts) if o.armed_posts is not None else 0.0
        cut, lost = 0.0, {}
        if o.budget_cut is not None:
            cut, lost = o.budget_cut.amount_gbp, self._apply_cut(o.budget_cut)
        armed_response = self._arm_response(o.arm_response) if o.arm_response is not None else 0
        resources = self.baseline.config.resources.model_copy(update={
            "bases": self.bases, "unit_types": self.types, "units": [g for g in self.units if g.count],
            "armed_posts": o.armed_posts or self.baseline.config.resources.armed_posts})
        changes = Changes(**self.counts, armed_response_officers=armed_response, cut_gbp=cut, officers_lost=lost,
                          post_officer_hours_week=post_hours, move_up=o.move_up)
        config = self.baseline.config.model_copy(update={"resources": resources,
                                                         "parameters": self._neighbourhood_left(lost)})
        if o.move_up:
            config = config.model_copy(update={"dispatch": config.dispatch.model_copy(update={"move_up": True})})
            self.summary.append("free ARVs move up to cover the most exposure while others are committed")
        model = derive_model(self.baseline, config)
        return AppliedOption(option=o, model=model, changes=changes, summary=tuple(self.summary) or ("no change",))

    def _armed_posts(self, spec: ArmedPosts) -> float:
        """Check the posted places; returns the officer-hours a week the posts add (their cost)."""
        lsoa = post_lsoas(spec, self.baseline.area, self.baseline.site_table, field=f"{self.field}.armed_posts")
        officers = spec.officers if spec.officers is not None else int(self.params["posts.officers"])
        hours = sum(b - a for a, b in parse_week_ranges(spec.hours)) / 60.0
        self.summary.append(f"{len(lsoa)} armed post(s) of {officers} officers, {spec.hours} "
                            f"({hours:g} hours a week)")
        return len(lsoa) * officers * hours

    def _apply_cut(self, cut: BudgetCut) -> dict[str, float]:
        split = cut_split(cut, protect_neighbourhood=self.option.protect_neighbourhood, params=self.params,
                          field=f"{self.field}.budget_cut")
        lost = {role: officers_for_cut(cut.amount_gbp, self.params) * share for role, share in split.items()}
        per_post = officers_per_post(self.params)
        response_cars = self._take_from_kind("unarmed", ("patrol",),
                                             round(lost["response"] / (self.params["response.crew"] * per_post)))
        arvs = self._take_from_kind("armed", ("base", "patrol"), round(lost["firearms"] / (self.params["arv.crew"] * per_post)))
        self.summary.append(f"GBP {cut.amount_gbp / 1e6:.1f}m cut: about {sum(lost.values()):.0f} officers lost "
                            f"({', '.join(f'{r} {v:.0f}' for r, v in lost.items())}); {response_cars} response "
                            f"cars and {arvs} ARVs fewer on duty, {round(lost['neighbourhood'])} neighbourhood "
                            "officers fewer on strength")
        return lost

    def _neighbourhood_left(self, lost: Mapping[str, float]) -> dict[str, float]:
        """The config's parameters with neighbourhood officers cut, so the responders' density follows."""
        parameters = dict(self.baseline.config.parameters)
        if lost.get("neighbourhood", 0.0) > 0:
            parameters["neighbourhood.officers"] = float(max(0, round(self.params["neighbourhood.officers"]
                                                                      - lost["neighbourhood"])))
        return parameters

    def _arm_response(self, arm: ArmResponse) -> int:
        """Turn a share of the unarmed patrol cars into armed patrol cars; returns crew members armed."""
        effectiveness = arm.effectiveness or self.params["options.armed_response_effectiveness"]
        crew = int(self.params["response.crew"])
        total = sum(g.count for g in self.units if self.types[g.type].kind == "unarmed"
                    and self.types[g.type].deployment == "patrol")
        armed = self._take_from_kind("unarmed", ("patrol",), round(arm.share * total))
        if armed:
            self.types[ARMED_RESPONSE_TYPE] = UnitType(kind="armed", deployment="patrol",
                                                       officers=max(1, math.ceil(effectiveness * crew - 1e-9)))
            self._add(ARMED_RESPONSE_TYPE, None, armed)
        self.summary.append(f"{armed} response cars armed ({armed * crew} officers per shift, effectiveness "
                            f"{effectiveness:g})")
        return armed * crew

"""Configuration: pydantic models for area, resources, travel, scenario and workload, loaded from YAML."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from readiness.errors import ConfigError, DataError, ReadinessError, validation_error

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"


class StrictModel(BaseModel):
    """Unknown keys are mistakes, not extensions; NaN and infinity are mistakes, not numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Point(StrictModel):
    """A position: British National Grid metres by default, or longitude/latitude with ``crs: EPSG:4326``."""

    x: float
    y: float
    crs: str = BNG


class Base(StrictModel):
    """A base or standby point for units."""

    name: str = Field(min_length=1)
    x: float
    y: float
    crs: str = BNG
    district: str | None = None
    outside_area: bool = False  # mutual-aid or regional bases may lie outside the force area


class UnitType(StrictModel):
    """A kind of unit and its capabilities."""

    kind: Literal["armed", "specialist", "unarmed"]
    officers: int | None = Field(default=None, ge=0)  # None: from the registry (arv.crew, ctsfo.team_officers)
    deployment: Literal["base", "patrol", "outside"] = "base"
    #: patrol units with a base: ``base`` patrols the LSOAs nearer (blue-light minutes) to it than to any
    #: other base, ``force`` the whole force; a patrol group without a base patrols the whole force.
    patrol_area: Literal["base", "force"] = "base"


class UnitGroup(StrictModel):
    """``count`` units of one type at one base (or patrolling / outside the area)."""

    type: str
    count: int = Field(ge=0)
    base: str | None = None


class AreaConfig(StrictModel):
    """Which small areas make up the force area: the West Midlands default, a force by name, or a file."""

    name: str = "West Midlands Police"  # display name; with ``force``, defaults to the force's ONS name
    force: str | None = None  # any force of England and Wales by name or code (readiness.forces)
    file: Path | None = None  # a user's GeoPackage / GeoParquet / GeoJSON of LSOAs; None: the embedded default

    @field_validator("force")
    @classmethod
    def _known_force(cls, value: str | None) -> str | None:
        """An unknown or ambiguous force is one line naming the nearest names or the matches."""
        if value is not None:
            from readiness.forces import match_force

            match_force(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _force_name(cls, data: Any) -> Any:
        """The display name defaults to the force's ONS name; a force and a file exclude each other."""
        if isinstance(data, dict) and data.get("force") is not None:
            from readiness.forces import match_force

            if data.get("file") is not None:
                raise ValueError("give either force or file, not both")
            if data.get("name") is None:
                with contextlib.suppress(ValueError):  # the field validator reports an unknown force
                    data = {**data, "name": match_force(str(data["force"])).name}
        return data


class NormalTravelConfig(StrictModel):
    """The normal-road-speed model (return to base or patrol, move-up) and its options."""

    model_config = ConfigDict(extra="allow", frozen=True)
    model: Literal["calibrated", "network", "matrix"] = "calibrated"


class TravelConfig(StrictModel):
    """Which travel models turn positions into minutes (``readiness.travel``, ``docs/travel.md``).

    ``model`` (with its options alongside) gives blue-light minutes: ``emergency`` directly, any other
    model times ``travel.emergency_factor``. ``normal`` gives normal road minutes; left out, it is
    ``calibrated`` under ``emergency`` and else the same model as ``model``, so configs written before the
    emergency model mean what they meant. ``congestion`` switches the hour-of-week profile on.
    """

    model_config = ConfigDict(extra="allow", frozen=True)
    model: Literal["emergency", "calibrated", "network", "matrix"] = "emergency"
    normal: NormalTravelConfig | None = None
    congestion: bool = True

    def blue_light_spec(self) -> dict[str, Any]:
        """The blue-light model's section: ``model`` and its options."""
        return {k: v for k, v in self.model_dump().items() if k not in ("normal", "congestion")}

    def normal_spec(self) -> dict[str, Any]:
        """The normal-speed model's section (see the class docstring for the default)."""
        if self.normal is not None:
            return self.normal.model_dump()
        return {"model": "calibrated"} if self.model == "emergency" else self.blue_light_spec()


#: Keys of the ``travel:`` section that name files or folders (resolved against the config's folder).
TRAVEL_PATH_KEYS = ("osm", "file", "points", "cache_dir")


class ArmedPosts(StrictModel):
    """Armed officers posted at crowded places during some hours of the week (docs/model.md 4.7).

    ``top``: the N LSOAs with the most people exposed over the posts' hours (the site weights); ``sites``:
    named LSOA codes. ``officers`` per post (None: ``posts.officers``); ``hours``: "Fri 18:00-Sun 02:00"
    (one range of the week) or "18:00-02:00" (every day).
    """

    top: int | None = Field(default=None, ge=1, le=100)
    sites: list[str] | None = Field(default=None, min_length=1)
    officers: int | None = Field(default=None, ge=1)
    hours: str

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_week_ranges(value)
        return value

    @model_validator(mode="after")
    def _top_or_sites(self) -> ArmedPosts:
        if (self.top is None) == (self.sites is None):
            raise ValueError("give either top (the N most exposed places) or sites (LSOA codes), not both")
        return self


class ResourcesConfig(StrictModel):
    """Bases, unit types and units on duty. ``None`` fields take the shipped West Midlands defaults."""

    bases: list[Base] | None = None
    unit_types: dict[str, UnitType] = Field(default_factory=lambda: dict(DEFAULT_UNIT_TYPES))
    units: list[UnitGroup] | None = None
    #: where armed patrols are: None, the demand and exposure mix; a CSV of lsoa11cd with a ``weight``
    #: column or 168 columns ``h0..h167`` (hours of the week from Monday 00:00).
    patrol_layer: Path | None = None
    neighbourhood: bool = True  # neighbourhood officers and PCSOs respond as a density (docs/model.md, 4.6)
    armed_posts: ArmedPosts | None = None  # armed officers posted at crowded places (docs/model.md, 4.7)


#: Weapon classes the harm model has a kill rate for (bombs are outside it).
Weapon = Literal["firearm", "knife", "vehicle", "vehicle+knife"]
#: UK and European attacks in the attack table since 1987 (bombs, the US and New Zealand left out): 15 of 30
#: with firearms, 9 knives, 4 vehicles, 2 vehicle then knives; an assumption (docs/model.md).
DEFAULT_WEAPONS: dict[str, float] = {"firearm": 0.5, "knife": 0.3, "vehicle": 0.13, "vehicle+knife": 0.07}

#: Setting classes of a site (the exposure layer's, plus ``other_public``: ``scenario.SETTINGS``).
Setting = Literal["transport_hub", "venue", "night_time_economy", "residential", "other_public"]


class NamedSite(Point):
    """A named site with what is known of its attack (a replayed row): each field given is fixed, not drawn."""

    start_min: float | None = Field(default=None, ge=0)  # minutes after the attack's first start
    attackers: int | None = Field(default=None, ge=1)
    weapon: Weapon | None = None
    setting: Setting | None = None


class DispatchConfig(StrictModel):
    """How the armed response is run (structural choices, docs/model.md section 4).

    ``doctrine``: ``confront`` (locate and confront, national doctrine since 2017: each armed arrival
    engages at once) or ``contain`` (the site is engaged only once enough armed officers are on scene).
    """

    doctrine: Literal["confront", "contain"] = "confront"
    #: ``stay``: posted officers guard their place and never leave it; ``respond``: they are dispatched
    #: like ARVs to attacks elsewhere (docs/model.md 4.7).
    posts: Literal["stay", "respond"] = "stay"
    #: ``on``: free ARVs move up to the compliance table's positions when an ARV is committed (docs/model.md
    #: 4.8); off by default: at a multi-site attack most free ARVs are sent at the reports anyway.
    move_up: bool = False


class ScenarioConfig(StrictModel):
    """The attacks to assess."""

    sites: list[int] = Field(default_factory=lambda: [1, 2, 3, 5, 8])
    #: LSOA codes or points (a point may fix its start, attackers, weapon, setting); given: exactly these sites
    named_sites: list[str | Point | NamedSite] | None = None
    #: exposure: people in crowded places at the attack's hour (the shipped layer); residents (or None):
    #: usual residents; a path: a user's crowded places, or a CSV with lsoa11cd, weight.
    site_weights: Literal["exposure", "residents"] | Path | None = "exposure"
    attack_time: str | None = "Fri 21:20"  # None: drawn uniformly over the week, per replication
    #: Weapon class of an attack (all its sites), drawn by these weights (docs/model.md, harm by weapon).
    weapons: dict[Weapon, float] = Field(default_factory=lambda: dict(DEFAULT_WEAPONS))

    @field_validator("sites")
    @classmethod
    def _positive_sites(cls, value: list[int]) -> list[int]:
        if not value or any(k < 1 or k > 50 for k in value):
            raise ValueError("each number of sites must be between 1 and 50")
        return sorted(set(value))

    @field_validator("attack_time")
    @classmethod
    def _week_time(cls, value: str | None) -> str | None:
        if value is not None:
            parse_week_time(value)
        return value

    @field_validator("weapons")
    @classmethod
    def _weapon_weights(cls, value: dict[str, float]) -> dict[str, float]:
        if any(w < 0 for w in value.values()) or sum(value.values()) <= 0:
            raise ValueError("expected weights >= 0 with a positive sum, e.g. {firearm: 1}")
        return value


WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_WEEK_TIME = re.compile(r"^([A-Za-z]{3})[A-Za-z]*\s+(\d{1,2}:\d{2})$")


def parse_clock(text: str) -> int:
    """Minutes after midnight of a ``HH:MM`` time (00:00 to 23:59)."""
    match = _CLOCK.match(text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"expected a time of day such as '21:20', got {text!r}")
    return int(match[1]) * 60 + int(match[2])


def parse_week_time(text: str) -> int:
    """Minutes after Monday 00:00 of a time of the week such as ``"Fri 21:20"`` (or ``"Friday 21:20"``)."""
    match = _WEEK_TIME.match(text.strip())
    day = match[1].title() if match else ""
    if day not in WEEKDAYS:
        raise ValueError(f"expected a day and time of the week such as 'Fri 21:20', got {text!r}")
    return WEEKDAYS.index(day) * MINUTES_PER_DAY + parse_clock(match[2])


_WEEK_RANGE = re.compile(r"^\s*(?:([A-Za-z]{3})[A-Za-z]*\s+)?(\d{1,2}:\d{2})\s*-\s*(?:([A-Za-z]{3})[A-Za-z]*\s+)?"
                         r"(\d{1,2}:\d{2})\s*$")


def parse_week_ranges(text: str) -> tuple[tuple[int, int], ...]:
    """Minutes of the week ``[start, end)`` of an hours range: ``"Fri 18:00-Sun 02:00"`` (one range) or
    ``"18:00-02:00"`` (every day); an end at or before its start runs past midnight (ends may pass 10080)."""
    match = _WEEK_RANGE.match(text)
    if not match or (match[1] is None) != (match[3] is None):
        raise ValueError(f"expected hours such as 'Fri 18:00-Sun 02:00' or '18:00-02:00', got {text!r}")
    if match[1] is None:
        start, end = parse_clock(match[2]), parse_clock(match[4])
        end += MINUTES_PER_DAY if end <= start else 0
        return tuple((d * MINUTES_PER_DAY + start, d * MINUTES_PER_DAY + end) for d in range(len(WEEKDAYS)))
    start, end = parse_week_time(f"{match[1]} {match[2]}"), parse_week_time(f"{match[3]} {match[4]}")
    return ((start, end + (MINUTES_PER_WEEK if end <= start else 0)),)


class Shift(StrictModel):
    """One shift of a pattern: it starts at ``start`` on each of ``days`` and lasts ``hours``."""

    name: str = Field(min_length=1)
    start: str
    hours: float = Field(gt=0, le=24)
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS))

    @field_validator("start")
    @classmethod
    def _clock(cls, value: str) -> str:
        parse_clock(value)
        return value


class ShiftPattern(StrictModel):
    """A shift pattern (a YAML file): its shifts and the duty lines dealt to units.

    Each line lists the shifts whose crews staff one unit; a unit is on duty while any of its line's
    shifts is on. Lines are dealt round-robin to the units assigned the pattern (``docs/workload.md``).
    """

    name: str = Field(min_length=1)
    description: str = ""
    shifts: list[Shift] = Field(min_length=1)
    lines: list[list[str]] = Field(min_length=1)

    @model_validator(mode="after")
    def _lines_name_shifts(self) -> ShiftPattern:
        names = [s.name for s in self.shifts]
        if len(set(names)) != len(names):
            raise ValueError(f"shift names repeat: {names}")
        for i, line in enumerate(self.lines):
            unknown = [n for n in line if n not in names]
            if not line or unknown:
                raise ValueError(f"lines[{i}] must list shifts from {names}, got {line}")
        return self


class DemandProfile(StrictModel):
    """Relative rate of everyday demand by hour of the day and by day (a YAML file; normalised to mean 1).

    A day runs from ``day_starts`` to the same time next day, so the small hours of Saturday belong to
    Friday night.
    """

    source: str = "assumption"
    note: str = ""
    day_starts: str = "06:00"
    hour: list[float] = Field(min_length=24, max_length=24)
    day: dict[Weekday, float]

    @model_validator(mode="after")
    def _positive(self) -> DemandProfile:
        parse_clock(self.day_starts)
        if set(self.day) != set(WEEKDAYS):
            raise ValueError(f"day must give a factor for each of {list(WEEKDAYS)}")
        values = [*self.hour, *self.day.values()]
        if min(values) < 0 or sum(self.hour) <= 0 or sum(self.day.values()) <= 0:
            raise ValueError("factors must be non-negative and not all zero")
        return self


#: The shipped shift pattern for ARVs (``readiness/data/shift_patterns/``).
DEFAULT_ARV_PATTERN = "arv_five_relief_10h"


class WorkloadConfig(StrictModel):
    """Everyday workload and shifts: which armed units are on duty, busy or free when the attack starts.

    ``shifts`` maps a unit type (``arv``) or a unit group (``arv@Stechford``) to a shipped pattern name
    or a pattern YAML file; units not mapped are on duty all the time.
    """

    enabled: bool = True
    attack_time: str | None = "Fri 21:20"  # None: drawn uniformly over the week, per replication
    warmup_hours: float = Field(default=24.0, gt=0, le=168)
    incidents: Path | None = None  # data.police.uk CSV (either layout), a folder of them, or lsoa11cd,incidents
    profile: Path | None = None  # hour-of-week demand profile YAML; None: the shipped assumption
    shifts: dict[str, str] = Field(default_factory=lambda: {"arv": DEFAULT_ARV_PATTERN})

    @field_validator("attack_time")
    @classmethod
    def _week_time(cls, value: str | None) -> str | None:
        if value is not None:
            parse_week_time(value)
        return value


class Config(StrictModel):
    """Everything a run needs besides the seed and the replication count."""

    area: AreaConfig = Field(default_factory=AreaConfig)
    resources: ResourcesConfig = Field(default_factory=ResourcesConfig)
    travel: TravelConfig = Field(default_factory=TravelConfig)
    dispatch: DispatchConfig = Field(default_factory=DispatchConfig)
    scenario: ScenarioConfig = Field(default_factory=ScenarioConfig)
    parameters: dict[str, float] = Field(default_factory=dict)
    workload: WorkloadConfig = Field(default_factory=WorkloadConfig)

    @model_validator(mode="before")
    @classmethod
    def _one_attack_time(cls, data: Any) -> Any:
        """``scenario.attack_time`` and the older ``workload.attack_time`` name one time: either sets both."""
        if not isinstance(data, dict):
            return data
        given = {}
        for section in ("scenario", "workload"):
            value = data.get(section)
            if isinstance(value, dict) and "attack_time" in value:
                given[section] = value["attack_time"]
            elif isinstance(value, BaseModel) and "attack_time" in value.model_fields_set:
                given[section] = value.attack_time
        if len(set(given.values())) > 1:
            raise ValueError(f"scenario.attack_time {given['scenario']!r} and workload.attack_time "
                             f"{given['workload']!r} differ; set one of them")
        if not given:
            return data
        time = next(iter(given.values()))
        data = dict(data)
        for section in ("scenario", "workload"):
            value = data.get(section) or {}
            data[section] = (value.model_copy(update={"attack_time": time}) if isinstance(value, BaseModel)
                             else {**value, "attack_time": time})
        return data

    @model_validator(mode="after")
    def _unit_types_known(self) -> Config:
        types = self.resources.unit_types
        for i, group in enumerate(self.resources.units or []):
            if group.type not in types:
                raise ValueError(f"resources.units[{i}].type {group.type!r} is not one of {sorted(types)}")
        return self


DEFAULT_UNIT_TYPES: dict[str, UnitType] = {
    "arv": UnitType(kind="armed", deployment="patrol"),
    "ctsfo": UnitType(kind="specialist", deployment="outside"),
    "response": UnitType(kind="unarmed", deployment="patrol"),
}


def default_config() -> Config:
    """The embedded West Midlands default."""
    return Config()


def format_validation_error(error: ValidationError, source: str) -> str:
    """The one line :func:`readiness.errors.validation_error` reports (kept for callers that want text)."""
    return str(validation_error(error, source))


def config_from_mapping(data: dict[str, Any], *, source: str = "config") -> Config:
    """Validate a mapping into a :class:`Config`, raising :class:`ConfigError` with one readable line."""
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping at the top level, got {type(data).__name__}", source=source)
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        raise validation_error(error, source) from None


def read_yaml(path: Path, *, what: str = "the file", error: type[ReadinessError] = DataError) -> Any:
    """Parse a YAML file; an unreadable file or bad YAML is a user error naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as failure:
        raise error(f"cannot read {what} ({failure.strerror})", source=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as failure:
        raise error(f"not valid YAML ({failure})", source=str(path)) from None


def load_config(path: str | Path | None) -> Config:
    """Read a YAML config; ``None`` gives the default. Relative file paths resolve against its folder."""
    if path is None:
        return default_config()
    path = Path(path)
    data = read_yaml(path, error=ConfigError) or {}
    config = config_from_mapping(data, source=str(path))
    return _resolve_paths(config, path.parent)


def _resolve_paths(config: Config, folder: Path) -> Config:
    def absolute(p: Path | None) -> Path | None:
        return p if p is None or p.is_absolute() else (folder / p).resolve()

    area = config.area.model_copy(update={"file": absolute(config.area.file)})
    def travel_paths(spec: dict[str, Any]) -> dict[str, Any]:
        return {**spec, **{key: str(absolute(Path(value))) for key, value in spec.items()
                           if key in TRAVEL_PATH_KEYS and isinstance(value, str)}}

    spec = travel_paths(config.travel.model_dump())
    if config.travel.normal is not None:
        spec["normal"] = travel_paths(config.travel.normal.model_dump())
    travel = TravelConfig.model_validate(spec)
    weights = config.scenario.site_weights
    scenario = config.scenario.model_copy(update={"site_weights": absolute(weights) if isinstance(weights, Path)
                                                  else weights})
    workload = config.workload.model_copy(update={
        "incidents": absolute(config.workload.incidents), "profile": absolute(config.workload.profile),
        "shifts": {key: str(absolute(Path(ref))) if is_pattern_file(ref) else ref
                   for key, ref in config.workload.shifts.items()}})
    resources = config.resources.model_copy(update={"patrol_layer": absolute(config.resources.patrol_layer)})
    return config.model_copy(update={"area": area, "scenario": scenario, "workload": workload, "travel": travel,
                                     "resources": resources})


def is_pattern_file(ref: str) -> bool:
    """Whether a ``workload.shifts`` value names a YAML file (else a shipped pattern)."""
    return ref.lower().endswith((".yaml", ".yml"))


def portable_config(config: Config) -> dict[str, Any]:
    """The config as JSON-ready data with file paths cut to their names (results hold no machine paths)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, str) and Path(value).is_absolute():
            return Path(value).name
        return value

    return strip(config.model_dump(mode="json"))


def config_to_yaml(config: Config) -> str:
    """The full configuration as YAML (what ``readiness config default`` prints)."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)

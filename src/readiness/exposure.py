"""Exposure: people in crowded places by LSOA and hour of the week, the weights attack sites are drawn from.

The shipped West Midlands layer (``scripts/build_exposure.py``) stores per source a base quantity by LSOA,
a 168-hour occupancy profile and a setting class; the registry's ``exposure.*`` scales turn bases into
people (docs/model.md, the exposure layer). A user's crowded places (points or LSOAs with a capacity, a
setting class and an optional profile) load into the same shape.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from readiness.area import BOUNDARY_TOLERANCE_M, Area, data_path, load_site_weights
from readiness.config import parse_week_time
from readiness.errors import ConfigError, DataError

if TYPE_CHECKING:
    from readiness.model import Model
    from readiness.registry import Parameters

HOURS = 168
DEFAULT_LAYER_FILE = "west_midlands_exposure.json"
LAYER_FORMAT = "readiness.exposure-layer/1"
RESULTS_FORMAT = "readiness.exposure/1"
TRANSPORT_HUB, VENUE, NIGHT_TIME_ECONOMY, RESIDENTIAL = ("transport_hub", "venue", "night_time_economy",
                                                         "residential")
SETTINGS = (TRANSPORT_HUB, VENUE, NIGHT_TIME_ECONOMY, RESIDENTIAL)
#: Registry scale that turns each shipped source's base quantity into people at profile 1.
SOURCE_SCALES = {"rail": "exposure.rail_people_per_million_annual", "football": "exposure.football_attendance",
                 "street": "exposure.street_peak_people", "residential": "exposure.residential_weight"}
_HOUR_COLUMNS = [f"h{h}" for h in range(HOURS)]


@dataclass(frozen=True)
class PlacesReport:
    """What happened to the rows of a user's crowded-places file."""

    source: str
    rows: int
    kept: int
    outside: int  # dropped: beyond the boundary tolerance of every LSOA

    def as_dict(self) -> dict[str, object]:
        """JSON-ready record naming the file only (results hold no machine paths)."""
        return {"source": Path(self.source).name, "rows": self.rows, "kept": self.kept, "dropped": self.outside}


@dataclass(frozen=True, eq=False)
class ExposureLayer:
    """People exposed by source, hour of the week and LSOA: ``by_source[s, h, i]``."""

    sources: tuple[str, ...]
    settings: tuple[str, ...]  # setting class of each source
    by_source: np.ndarray = field(repr=False)  # (n_sources, 168, n_lsoa)
    origin: str = "shipped"
    report: PlacesReport | None = None

    @cached_property
    def table(self) -> np.ndarray:
        """``(168, n_lsoa)`` people exposed by hour of the week (all sources); an hour when no place is
        occupied takes the week's mean, so a site can be drawn at any hour."""
        table = self.by_source.sum(axis=0)
        empty = table.sum(axis=1) <= 0
        table[empty] = table.mean(axis=0)
        return table

    def weights_at(self, hour_of_week: int) -> np.ndarray:
        """``(n_lsoa,)`` people exposed in each LSOA during an hour of the week (0: Monday 00:00-00:59)."""
        return self.table[int(hour_of_week) % HOURS]

    def sources_at(self, hour_of_week: int) -> dict[str, np.ndarray]:
        """Per source, ``(n_lsoa,)`` people exposed during an hour of the week."""
        return {name: self.by_source[s, int(hour_of_week) % HOURS] for s, name in enumerate(self.sources)}

    def setting_mix_at(self, hour_of_week: int) -> dict[str, np.ndarray]:
        """Per setting class, its share of each LSOA's people during an hour (0 where nobody is exposed)."""
        total = self.weights_at(hour_of_week)
        safe = np.where(total > 0, total, 1.0)
        mix = {}
        for setting in SETTINGS:
            rows = [s for s, own in enumerate(self.settings) if own == setting]
            mix[setting] = self.by_source[rows, int(hour_of_week) % HOURS].sum(axis=0) / safe
        return mix


def hour_of_week(minute: np.ndarray | float) -> np.ndarray:
    """Hour of the week (0..167) containing a minute of the week (wraps past Sunday midnight)."""
    return (np.floor_divide(minute, 60) % HOURS).astype(np.int64)


def locate_points(x: np.ndarray, y: np.ndarray, crs: str, area: Area,
                  tolerance_m: float = BOUNDARY_TOLERANCE_M) -> np.ndarray:
    """LSOA index of each point: the shape it is in, else the nearest within the tolerance, else -1."""
    from readiness.demand import _locate  # the point-in-polygon locator incidents use

    usable = np.isfinite(x) & np.isfinite(y)
    inside, near = _locate(x, y, usable, crs, area, Path("points"), tolerance_m)
    return np.where(inside >= 0, inside, near)


def shipped_layer(area: Area, params: Parameters) -> ExposureLayer:
    """The shipped West Midlands layer aligned to the area, scaled by the registry (``exposure.*``); for
    another force, the national sources (stations, grounds, residents) with the same profiles."""
    path = data_path(DEFAULT_LAYER_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    residential = next(e["lsoa"] for e in data["sources"] if e["name"] == "residential")
    if sum(code in residential for code in area.codes) < 0.5 * area.n:  # another force: its national sources
        from readiness.forces import national_sources

        data = {**data, "area": area.name, "sources": national_sources(data["sources"], area)}
    contrast = params["exposure.profile_contrast"]
    by_source = np.zeros((len(data["sources"]), HOURS, area.n))
    for s, entry in enumerate(data["sources"]):
        base = np.zeros(area.n)
        for code, value in entry["lsoa"].items():
            if code in area.index_of:
                base[area.index_of[code]] = value
        scale = params[SOURCE_SCALES[entry["name"]]]
        if entry["name"] == "rail":
            scale /= 1e6
        elif entry["name"] == "street":  # a force's proxy scales with its residents (readiness.forces)
            scale = scale * entry.get("people_share", 1.0) / max(sum(entry["lsoa"].values()), 1.0)
        by_source[s] = np.outer(np.asarray(entry["profile"]) ** contrast, scale * base)
    if by_source.sum() <= 0:
        raise ConfigError(f"the shipped exposure layer covers {data['area']} only, not {area.name}; set "
                          "scenario.site_weights to residents or to a file of crowded places",
                          field="scenario.site_weights")
    return ExposureLayer(sources=tuple(e["name"] for e in data["sources"]),
                         settings=tuple(e["setting"] for e in data["sources"]), by_source=by_source)


def _profiles(table: pd.DataFrame, source: str, defaults: dict[str, np.ndarray], settings: pd.Series) -> np.ndarray:
    """``(rows, 168)`` occupancy per row: its own (``profile`` or ``h0..h167``) or its setting's default."""
    out = np.array([defaults[s] for s in settings], dtype=float).reshape(len(settings), HOURS)
    if set(_HOUR_COLUMNS) <= set(table.columns):
        given = table[_HOUR_COLUMNS].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        for row, values in enumerate(given):
            out[row] = _checked_profile(values, source, row)
    elif "profile" in table.columns:
        for row, text in enumerate(table["profile"]):
            if not (pd.isna(text) or str(text).strip() == ""):
                out[row] = _checked_profile(_parse_profile(str(text), source, row), source, row)
    return out


def _checked_profile(values: np.ndarray, source: str, row: int) -> np.ndarray:
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise DataError(f"row {row + 1}: profile values must be finite and non-negative", source=source,
                        field="profile")
    return values


def _parse_profile(text: str, source: str, row: int) -> np.ndarray:
    parts = [p for p in re.split(r"[\s;|]+", text.strip()) if p]
    try:
        values = np.array([float(p) for p in parts])
    except ValueError:
        raise DataError(f"row {row + 1}: profile must be {HOURS} numbers separated by spaces or ';'",
                        source=source, field="profile") from None
    if len(values) != HOURS:
        raise DataError(f"row {row + 1}: profile has {len(values)} values, expected {HOURS} (one per hour of "
                        "the week, Monday 00:00 first)", source=source, field="profile")
    return values


def _read_places(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError("file not found", source=str(path))
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path)
        import geopandas as gpd

        return gpd.read_file(path)
    except Exception as error:  # noqa: BLE001 - any reader failure is a bad file for the user
        raise DataError(f"cannot read as CSV, GeoJSON or GeoPackage ({error})", source=str(path)) from None


def _place_lsoas(table: pd.DataFrame, area: Area, source: str) -> np.ndarray:
    """LSOA index of each row (-1: outside the area), from its code, its point geometry or x/y columns."""
    if "lsoa11cd" in table.columns:
        codes = table["lsoa11cd"].astype(str).str.strip()
        for row, code in enumerate(codes):
            if code not in area.index_of:
                raise DataError(f"row {row + 1}: unknown LSOA code {code!r} (not one of the {area.n} LSOAs of "
                                f"{area.name})", source=source, field="lsoa11cd")
        return np.array([area.index_of[c] for c in codes], dtype=np.int64)
    geometry = getattr(table, "geometry", None) if hasattr(table, "crs") else None
    if geometry is not None:
        if table.crs is None:
            raise DataError("no coordinate reference system", source=source)
        if not (geometry.geom_type == "Point").all():
            raise DataError("geometries must be points, or give an lsoa11cd column", source=source,
                            field="geometry")
        x, y, crs = geometry.x.to_numpy(float), geometry.y.to_numpy(float), table.crs.to_string()
    elif {"lon", "lat"} <= set(table.columns):
        x, y, crs = _numbers(table, "lon", source), _numbers(table, "lat", source), "EPSG:4326"
    elif {"x", "y"} <= set(table.columns):
        x, y, crs = _numbers(table, "x", source), _numbers(table, "y", source), "EPSG:27700"
    else:
        raise DataError("missing location columns; expected lsoa11cd, or x, y (British National Grid), or "
                        "lon, lat", source=source)
    return locate_points(x, y, crs, area)


def _numbers(table: pd.DataFrame, column: str, source: str) -> np.ndarray:
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise DataError(f"row {bad[0] + 1}: expected a finite number", source=source, field=column)
    return values


def load_places(path: Path, area: Area, params: Parameters) -> ExposureLayer:
    """A user's crowded places as a layer with one source per setting class; rows outside are dropped."""
    source = str(path)
    table = _read_places(Path(path))
    for column in ("capacity", "setting"):
        if column not in table.columns:
            raise DataError(f"missing column {column!r}; expected capacity, setting and a location "
                            "(lsoa11cd, x/y, lon/lat or point geometry)", source=source)
    capacity = pd.to_numeric(table["capacity"], errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(capacity) | (capacity < 0))
    if len(bad):
        raise DataError(f"row {bad[0] + 1}: capacity must be a finite non-negative number", source=source,
                        field="capacity")
    settings = table["setting"].astype(str).str.strip()
    unknown = np.flatnonzero(~settings.isin(SETTINGS))
    if len(unknown):
        raise DataError(f"row {unknown[0] + 1}: setting {settings.iloc[unknown[0]]!r} is not one of "
                        f"{list(SETTINGS)}", source=source, field="setting")
    shipped = shipped_layer_profiles(params)
    profiles = _profiles(pd.DataFrame(table.drop(columns="geometry", errors="ignore")), source, shipped, settings)
    lsoa = _place_lsoas(table, area, source)
    kept = lsoa >= 0
    report = PlacesReport(source=source, rows=len(table), kept=int(kept.sum()), outside=int((~kept).sum()))
    if not kept.any():
        raise DataError(f"none of the {len(table)} places lies inside {area.name}", source=source)
    present = [s for s in SETTINGS if (settings[kept] == s).any()]
    by_source = np.zeros((len(present), HOURS, area.n))
    for s, setting in enumerate(present):
        rows = np.flatnonzero(kept & (settings == setting).to_numpy())
        for row in rows:
            by_source[s, :, lsoa[row]] += capacity[row] * profiles[row]
    if by_source.sum() <= 0:
        raise DataError("capacities times profiles sum to zero: no place is ever occupied", source=source,
                        field="capacity")
    return ExposureLayer(sources=tuple(present), settings=tuple(present), by_source=by_source,
                         origin=Path(path).name, report=report)


def shipped_layer_profiles(params: Parameters) -> dict[str, np.ndarray]:
    """Default occupancy profile of each setting class: the shipped source's, raised to the contrast."""
    data = json.loads(data_path(DEFAULT_LAYER_FILE).read_text(encoding="utf-8"))
    return {e["setting"]: np.asarray(e["profile"], float) ** params["exposure.profile_contrast"]
            for e in data["sources"]}


def _is_weight_file(path: Path) -> bool:
    """Whether a CSV is a plain ``lsoa11cd, weight`` file (the meaning ``site_weights: PATH`` had before)."""
    if Path(path).suffix.lower() != ".csv":
        return False
    try:
        columns = pd.read_csv(path, nrows=0).columns
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return False
    return "weight" in columns and "capacity" not in columns


def site_layer(choice: str | Path | None, area: Area, params: Parameters) -> tuple[np.ndarray, ExposureLayer | None]:
    """The ``(168, n_lsoa)`` site-weight table of ``scenario.site_weights`` and the layer behind it (if any).

    ``exposure``: the shipped layer; ``residents`` or None: usual residents every hour; a path: a file of
    crowded places, or a plain ``lsoa11cd, weight`` CSV (the same weights every hour).
    """
    if choice == "exposure":
        layer = shipped_layer(area, params)
        return layer.table, layer
    if choice is None or choice == "residents":
        return np.broadcast_to(area.residents.astype(float), (HOURS, area.n)), None
    if _is_weight_file(Path(choice)):
        return np.broadcast_to(load_site_weights(Path(choice), area), (HOURS, area.n)), None
    layer = load_places(Path(choice), area, params)
    return layer.table, layer


def weights_for(table: np.ndarray, attack_time: str | None) -> np.ndarray:
    """The weights of the attack time's hour, or the mean over the week when the time is drawn."""
    if attack_time is None:
        return table.mean(axis=0)
    return table[hour_of_week(parse_week_time(attack_time))]


#: How many of the most exposed LSOAs the results and report name.
TOP_PLACES = 10


@dataclass(frozen=True, eq=False)
class ExposureResult:
    """Who is exposed where at one time of the week (what ``readiness exposure`` reports)."""

    model: Model
    at: str
    hour: int
    weights: np.ndarray  # (n_lsoa,) people exposed at that hour
    by_source: dict[str, np.ndarray]
    settings: dict[str, str]  # source -> setting class
    setting_mix: dict[str, np.ndarray]
    report: PlacesReport | None
    results: dict[str, object]

    def frame(self) -> pd.DataFrame:
        """One row per LSOA: ``lsoa11cd``, ``weight`` and one column per source (people at that hour)."""
        return pd.DataFrame({"lsoa11cd": self.model.area.codes, "weight": np.round(self.weights, 3),
                             **{name: np.round(values, 3) for name, values in self.by_source.items()}})


def hour_label(hour: int) -> str:
    """``"Fri 21:00-21:59"`` for an hour of the week."""
    from readiness.config import WEEKDAYS

    return f"{WEEKDAYS[hour // 24]} {hour % 24:02d}:00-{hour % 24:02d}:59"


def _results(model: Model, at: str, hour: int, weights: np.ndarray, by_source: dict[str, np.ndarray],
             settings: dict[str, str], report: PlacesReport | None) -> dict[str, object]:
    """The results document: totals by source and setting, and the most exposed LSOAs named."""
    from readiness import __version__
    from readiness.config import portable_config
    from readiness.forces import force_record

    area, total = model.area, float(weights.sum())
    top = np.argsort(-weights, kind="stable")[:TOP_PLACES]
    by_setting: dict[str, float] = {}
    for name, values in by_source.items():
        by_setting[settings[name]] = by_setting.get(settings[name], 0.0) + float(values.sum())
    return {
        "format": RESULTS_FORMAT, "version": __version__,
        "area": {"name": area.name, "lsoas": area.n, "residents": round(float(area.residents.sum()))},
        **force_record(model),
        "config": portable_config(model.config), "parameters": model.params.as_records(),
        "exposure": {
            "at": at, "hour_of_week": hour, "hour": hour_label(hour),
            "site_weights": str(portable_config(model.config)["scenario"]["site_weights"]),
            "people": round(total, 1),
            "by_source": [{"source": name, "setting": settings[name], "people": round(float(v.sum()), 1),
                           "share": round(float(v.sum()) / total, 6)} for name, v in by_source.items()],
            "by_setting": {name: round(people / total, 6) for name, people in by_setting.items()},
            "top_places": [{"lsoa11cd": str(area.codes[i]), "name": str(area.names[i]),
                            "district": str(area.districts[i]), "people": round(float(weights[i]), 1),
                            "share": round(float(weights[i]) / total, 6),
                            "main_source": max(by_source, key=lambda n: by_source[n][i])} for i in top],
            "import": None if report is None else report.as_dict(),
        },
    }


def run_exposure(model: Model, *, at: str | None = None) -> ExposureResult:
    """The site weights of a model at a time of the week (default: the scenario's attack time)."""
    at = at or model.config.scenario.attack_time or "Fri 21:20"
    try:
        minute = parse_week_time(at)
    except ValueError as error:
        raise ConfigError(str(error), field="--at") from None
    hour = int(hour_of_week(minute))
    layer = model.exposure
    if layer is None:
        weights = np.asarray(model.site_table[hour], dtype=float)
        name = str(model.config.scenario.site_weights or "residents")
        label = "residents" if name == "residents" else Path(name).stem
        by_source, settings = {label: weights}, {label: RESIDENTIAL if label == "residents" else "unknown"}
        mix = {RESIDENTIAL: np.ones(model.area.n)} if label == "residents" else {}
    else:
        weights, by_source = layer.weights_at(hour), layer.sources_at(hour)
        settings, mix = dict(zip(layer.sources, layer.settings, strict=True)), layer.setting_mix_at(hour)
    return ExposureResult(model=model, at=at, hour=hour, weights=weights, by_source=by_source, settings=settings,
                          setting_mix=mix, report=None if layer is None else layer.report,
                          results=_results(model, at, hour, weights, by_source, settings,
                                           None if layer is None else layer.report))

"""Everyday demand: police incident data located to LSOAs, and the hour-of-week profile of demand."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import ValidationError

from readiness.area import BOUNDARY_TOLERANCE_M, Area, data_path, numeric_column
from readiness.config import BNG, WEEKDAYS, WGS84, DemandProfile, parse_clock, read_yaml
from readiness.errors import DataError, validation_error

#: Per-LSOA counts of the whole February 2011 West Midlands street-level file (the default spatial demand).
DEFAULT_INCIDENTS_FILE = "west_midlands_incidents_2011_02_by_lsoa.csv"
DEFAULT_PROFILE_FILE = "demand_profile.yaml"
#: Below this share of the area's LSOAs in the shipped counts, the area is not the West Midlands.
_MIN_DEFAULT_COVERAGE = 0.5

#: data.police.uk street-level layouts: coordinate columns, their CRS and plausible bounds.
LAYOUTS: dict[str, tuple[str, str, str, tuple[float, float, float, float]]] = {
    "bng": ("Easting", "Northing", BNG, (0.0, 0.0, 700_000.0, 1_300_000.0)),  # before about 2012
    "lonlat": ("Longitude", "Latitude", WGS84, (-180.0, -90.0, 180.0, 90.0)),  # current, with "LSOA code"
}
CODE_COLUMN = "LSOA code"
COUNT_COLUMNS = ("lsoa11cd", "incidents")


@dataclass(frozen=True)
class ImportReport:
    """What happened to every row of one incident file: located how, or dropped why."""

    source: str
    layout: str  # "bng", "lonlat" or "counts"
    rows: int
    by_point: int  # inside an LSOA shape
    by_code: int  # outside every shape (or no usable point) but with a valid LSOA code
    near_edge: int  # within the edge tolerance of a (generalised) LSOA shape: its nearest LSOA
    outside: int  # dropped: a usable point, or only an LSOA code, outside the area
    bad_coordinates: int  # dropped: no usable point and no LSOA code

    @property
    def kept(self) -> int:
        return self.by_point + self.by_code + self.near_edge

    @property
    def dropped(self) -> int:
        return self.outside + self.bad_coordinates

    def as_dict(self) -> dict[str, object]:
        """JSON-ready record, with the file's name only (results hold no machine paths)."""
        return {**asdict(self), "source": Path(self.source).name, "kept": self.kept, "dropped": self.dropped}


@dataclass(frozen=True, eq=False)
class Incidents:
    """Incidents of one street-level file located to the area's LSOAs (dropped rows are only counted)."""

    lsoa: np.ndarray  # LSOA index of each kept row
    crime_type: np.ndarray
    month: np.ndarray
    report: ImportReport

    def counts(self, n_lsoa: int) -> np.ndarray:
        """Incidents per LSOA."""
        return np.bincount(self.lsoa, minlength=n_lsoa).astype(np.int64)


@dataclass(frozen=True, eq=False)
class DemandWeights:
    """Where everyday jobs happen: a weight per LSOA, what it came from, and the import reports."""

    weights: np.ndarray
    source: str
    reports: tuple[ImportReport, ...]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {"source": self.source, "total": float(self.weights.sum()),
                "files": [r.as_dict() for r in self.reports]}


def _read_csv(path: Path, *, nrows: int | None = None) -> pd.DataFrame:
    if not path.is_file():
        raise DataError("file not found", source=str(path))
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", nrows=nrows)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DataError(f"cannot read as CSV ({error})", source=str(path)) from None


def _layout(frame: pd.DataFrame, path: Path) -> str:
    for name, (x_col, y_col, _, _) in LAYOUTS.items():
        if x_col in frame.columns and y_col in frame.columns:
            return name
    expected = " or ".join(f"{x!r} and {y!r}" for x, y, _, _ in LAYOUTS.values())
    raise DataError(f"missing coordinate columns: expected {expected} (data.police.uk street-level CSV), "
                    f"or {list(COUNT_COLUMNS)}; found {list(frame.columns)}", source=str(path))


def _codes(frame: pd.DataFrame, area: Area) -> tuple[np.ndarray, np.ndarray]:
    """Whether each row gives an LSOA code, and its LSOA index (-1: none, or not an LSOA of the area)."""
    if CODE_COLUMN not in frame.columns:
        return np.zeros(len(frame), dtype=bool), np.full(len(frame), -1, dtype=np.int64)
    codes = frame[CODE_COLUMN].str.strip()
    return (codes != "").to_numpy(), codes.map(area.index_of).fillna(-1).to_numpy(np.int64)


def _polygons(area: Area, path: Path) -> gpd.GeoDataFrame:
    if area.geometry is None:
        raise DataError(f"the area {area.name!r} has no LSOA shapes to locate incident points in",
                        source=str(path))
    return gpd.GeoDataFrame({"lsoa": np.arange(area.n)}, geometry=area.geometry.to_numpy(), crs=area.crs)


def _locate(x: np.ndarray, y: np.ndarray, usable: np.ndarray, crs: str, area: Area, path: Path,
            tolerance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """LSOA index of each usable point by point in polygon (-1 if none), and of those within the edge tolerance."""
    inside = np.full(len(x), -1, dtype=np.int64)
    near = np.full(len(x), -1, dtype=np.int64)
    if not usable.any():
        return inside, near
    polygons = _polygons(area, path)
    points = gpd.GeoDataFrame({"row": np.flatnonzero(usable)},
                              geometry=gpd.points_from_xy(x[usable], y[usable]), crs=crs).to_crs(area.crs)
    hits = gpd.sjoin(points, polygons, how="inner", predicate="within").drop_duplicates("row")
    inside[hits["row"].to_numpy()] = hits["lsoa"].to_numpy()
    missed = points[~points["row"].isin(hits["row"])]
    if len(missed) and tolerance_m > 0:
        close = gpd.sjoin_nearest(missed, polygons, how="inner", max_distance=tolerance_m).drop_duplicates("row")
        near[close["row"].to_numpy()] = close["lsoa"].to_numpy()
    return inside, near


def read_street_csv(path: str | Path, area: Area, *, edge_tolerance_m: float = BOUNDARY_TOLERANCE_M) -> Incidents:
    """Read a data.police.uk street-level crime CSV (either layout) and locate its rows to the area's LSOAs.

    Points are located by point in polygon against the area's LSOA shapes; a row whose point is in no
    shape (or unusable) falls back to its ``LSOA code`` when that is an LSOA of the area; a point within
    ``edge_tolerance_m`` of a shape takes the nearest LSOA (the shipped shapes are generalised, so points
    just inside the force can fall in the gaps). Every other row is dropped and counted in the report.

    Parameters
    ----------
    path
        A CSV in the old layout (``Easting``, ``Northing`` in British National Grid metres, no LSOA) or the
        current one (``Longitude``, ``Latitude`` in WGS84, ``LSOA code``).
    area
        The area whose LSOAs the incidents are located to.
    edge_tolerance_m
        How far outside every shape a point may lie and still count (metres; 0 to switch off).

    Returns
    -------
    Incidents
        The LSOA of every kept row, and the report of kept and dropped rows.
    """
    path = Path(path)
    frame = _read_csv(path)
    layout = _layout(frame, path)
    x_col, y_col, crs, (x_min, y_min, x_max, y_max) = LAYOUTS[layout]
    x = pd.to_numeric(frame[x_col].str.strip(), errors="coerce").to_numpy(float)
    y = pd.to_numeric(frame[y_col].str.strip(), errors="coerce").to_numpy(float)
    usable = np.isfinite(x) & np.isfinite(y) & (x >= x_min) & (x <= x_max) & (y >= y_min) & (y <= y_max)
    usable &= (x != 0) | (y != 0)  # (0, 0) is a placeholder, never a West Midlands incident
    has_code, codes = _codes(frame, area)
    if len(frame) and not usable.any() and not (codes >= 0).any():
        column = x_col if not np.isfinite(x).any() else y_col
        raise DataError(f"no row has a usable {x_col}/{y_col} point or a valid {CODE_COLUMN!r}; expected "
                        f"numbers in {crs}", source=str(path), field=column)
    inside, near = _locate(x, y, usable, crs, area, path, edge_tolerance_m)
    by_point = inside >= 0
    by_code = ~by_point & (codes >= 0)
    near_edge = ~by_point & ~by_code & (near >= 0)
    lsoa = np.where(by_point, inside, np.where(by_code, codes, near))
    kept = lsoa >= 0
    report = ImportReport(source=str(path), layout=layout, rows=len(frame), by_point=int(by_point.sum()),
                          by_code=int(by_code.sum()), near_edge=int(near_edge.sum()),
                          outside=int((~kept & (usable | has_code)).sum()),
                          bad_coordinates=int((~kept & ~usable & ~has_code).sum()))
    blank = pd.Series([""] * len(frame))
    crime = frame["Crime type"] if "Crime type" in frame.columns else blank
    month = frame["Month"] if "Month" in frame.columns else blank
    return Incidents(lsoa=lsoa[kept], crime_type=crime.to_numpy()[kept], month=month.to_numpy()[kept],
                     report=report)


def read_incident_counts(path: str | Path, area: Area) -> tuple[np.ndarray, ImportReport]:
    """Read a table of incidents per LSOA (``lsoa11cd, incidents``); rows for other LSOAs are dropped and counted."""
    path = Path(path)
    frame = _read_csv(path)
    missing = [c for c in COUNT_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; expected {list(COUNT_COLUMNS)}", source=str(path))
    counts = numeric_column(frame["incidents"].str.strip(), source=str(path), column="incidents")
    index = frame["lsoa11cd"].str.strip().map(area.index_of).fillna(-1).to_numpy(np.int64)
    kept = index >= 0
    aligned = np.zeros(area.n)
    np.add.at(aligned, index[kept], counts[kept])
    report = ImportReport(source=str(path), layout="counts", rows=len(frame), by_point=0,
                          by_code=int(kept.sum()), near_edge=0, outside=int((~kept).sum()), bad_coordinates=0)
    return aligned, report


def _read_any(path: Path, area: Area) -> tuple[np.ndarray, ImportReport]:
    columns = _read_csv(path, nrows=0).columns
    if all(c in columns for c in COUNT_COLUMNS):
        return read_incident_counts(path, area)
    incidents = read_street_csv(path, area)
    return incidents.counts(area.n).astype(float), incidents.report


def load_demand_weights(path: str | Path | None, area: Area) -> DemandWeights:
    """Weights of everyday jobs by LSOA from incident data.

    Parameters
    ----------
    path
        A street-level CSV (either layout), a table ``lsoa11cd, incidents``, or a folder of such CSVs
        (e.g. data.police.uk monthly downloads, read recursively and summed). ``None``: the shipped
        February 2011 West Midlands counts, or residents when the area is not the West Midlands.
    area
        The area the weights are aligned to.
    """
    if path is None:
        shipped = data_path(DEFAULT_INCIDENTS_FILE)
        counts, report = read_incident_counts(shipped, area)
        if report.by_code < _MIN_DEFAULT_COVERAGE * area.n:
            return DemandWeights(weights=area.residents.astype(float),
                                 source="residents (no incident data shipped for this area)", reports=())
        return DemandWeights(weights=counts, source="data.police.uk street-level crime, West Midlands, "
                             "February 2011 (shipped counts)", reports=(report,))
    path = Path(path)
    files = sorted(path.rglob("*.csv")) if path.is_dir() else [path]
    if not files:
        raise DataError("no CSV files in the folder", source=str(path))
    parts = [_read_any(file, area) for file in files]
    weights = np.sum([counts for counts, _ in parts], axis=0)
    if weights.sum() <= 0:
        raise DataError(f"no incident falls inside {area.name}", source=str(path))
    return DemandWeights(weights=weights, source=f"incident data: {path.name}", reports=tuple(r for _, r in parts))


def counts_table(counts: np.ndarray, area: Area) -> pd.DataFrame:
    """Incidents per LSOA as the shipped table (``lsoa11cd, incidents``, every LSOA, sorted by code)."""
    table = pd.DataFrame({"lsoa11cd": area.codes, "incidents": np.asarray(counts, dtype=np.int64)})
    return table.sort_values("lsoa11cd", ignore_index=True)


def load_profile(path: str | Path | None = None) -> np.ndarray:
    """Relative demand rate for each of the 168 hours of the week (Monday 00:00 first), mean 1.

    Parameters
    ----------
    path
        A YAML :class:`~readiness.config.DemandProfile`; ``None``: the shipped assumption.
    """
    source = Path(path) if path is not None else data_path(DEFAULT_PROFILE_FILE)
    data = read_yaml(source)
    try:
        profile = DemandProfile.model_validate(data)
    except ValidationError as error:
        raise validation_error(error, str(source), DataError) from None
    return profile_by_hour(profile)


def profile_by_hour(profile: DemandProfile) -> np.ndarray:
    """The 168 hourly factors of a profile (hour factor times the factor of the day it belongs to), mean 1."""
    hours = np.arange(168)
    day_shift = parse_clock(profile.day_starts) / 60.0
    day = np.floor((hours - day_shift) / 24.0).astype(np.int64) % 7  # the (police) day each hour belongs to
    factors = np.asarray(profile.hour)[hours % 24] * np.array([profile.day[d] for d in WEEKDAYS])[day]
    return factors / factors.mean()


def hour_of_week(minute: np.ndarray) -> np.ndarray:
    """Hour of the week (0 = Monday 00:00-01:00) of minutes after Monday 00:00 (any integer week)."""
    return (np.floor(np.asarray(minute) / 60.0).astype(np.int64)) % 168

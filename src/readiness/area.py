"""Area: the force's small areas (LSOAs) with residents, centroids, districts and boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from readiness.config import BNG, AreaConfig, Point
from readiness.errors import ConfigError, DataError

DEFAULT_AREA_FILE = "west_midlands_lsoa.parquet"
REQUIRED_COLUMNS = ("lsoa11cd", "residents")
#: A base this far outside every LSOA still counts as inside (boundaries are generalised).
BOUNDARY_TOLERANCE_M = 500.0


def data_path(name: str) -> Path:
    """Path of a file shipped inside the package's ``data`` folder."""
    return Path(str(resources.files("readiness") / "data" / name))


@dataclass(frozen=True, eq=False)
class Area:
    """LSOAs of one force area in one projected CRS; arrays are aligned by LSOA index."""

    name: str
    codes: np.ndarray
    names: np.ndarray
    districts: np.ndarray
    residents: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: str
    geometry: gpd.GeoSeries | None = field(default=None, repr=False)
    boundary: BaseGeometry | None = field(default=None, repr=False)  # the outline when no LSOA shapes ship
    land_km2: np.ndarray | None = field(default=None, repr=False)  # per LSOA, when no shapes ship (census)

    @property
    def n(self) -> int:
        return len(self.codes)

    @property
    def centroids(self) -> np.ndarray:
        """``(n, 2)`` projected centroid coordinates."""
        return np.column_stack([self.x, self.y])

    @cached_property
    def index_of(self) -> dict[str, int]:
        """LSOA code to index."""
        return {code: i for i, code in enumerate(self.codes)}

    @cached_property
    def km2(self) -> np.ndarray | None:
        """Area of each LSOA in km²: from its shape, else from the census hectares (None if neither ships)."""
        if self.geometry is not None:
            return np.asarray(self.geometry.area, dtype=float) / 1e6
        return None if self.land_km2 is None else np.asarray(self.land_km2, dtype=float)

    @cached_property
    def outline(self) -> BaseGeometry | None:
        """The union of all LSOA shapes, else the boundary (None if the area has neither)."""
        return self.boundary if self.geometry is None else self.geometry.union_all()

    def lsoa_index(self, code: str, *, field_name: str = "LSOA code") -> int:
        """Index of an LSOA code, or a clear error naming the unknown code."""
        try:
            return self.index_of[code]
        except KeyError:
            raise ConfigError(f"unknown LSOA code {code!r} (not one of the {self.n} LSOAs of {self.name})",
                              field=field_name) from None

    def contains(self, x: float, y: float) -> bool:
        """Whether a projected point lies inside the area (within a tolerance for generalised shapes)."""
        if self.outline is None:
            return bool(np.min(np.hypot(self.x - x, self.y - y)) <= 5_000.0)
        from shapely.geometry import Point as ShapelyPoint

        return bool(self.outline.distance(ShapelyPoint(x, y)) <= BOUNDARY_TOLERANCE_M)

    def nearest_lsoa(self, x: float, y: float) -> int:
        """Index of the LSOA whose centroid is nearest to a projected point."""
        return int(np.argmin(np.hypot(self.x - x, self.y - y)))


def to_area_crs(x: float, y: float, crs: str, area_crs: str) -> tuple[float, float]:
    """Transform a point given in ``crs`` (e.g. EPSG:4326 lon/lat) into the area's projected CRS."""
    if CRS.from_user_input(crs) == CRS.from_user_input(area_crs):
        return float(x), float(y)
    return tuple(float(v) for v in _transformer(crs, area_crs).transform(x, y))  # type: ignore[return-value]


@cache
def _transformer(crs: str, area_crs: str) -> Transformer:
    """One transformer per pair of CRSs (building one costs a fifth of a second; a replay converts many points)."""
    return Transformer.from_crs(crs, area_crs, always_xy=True)


def point_in_area_crs(point: Point, area: Area) -> tuple[float, float]:
    """A configured point in the area's CRS."""
    return to_area_crs(point.x, point.y, point.crs, area.crs)


def numeric_column(values: pd.Series, *, source: str, column: str, csv: bool = True,
                   negative_ok: bool = False) -> np.ndarray:
    """A column as floats, or a :class:`DataError` naming the file, the first bad row and the column.

    NaN, infinity, text and (unless ``negative_ok``) negative numbers are bad: they would crash or
    silently skew a run later. Rows are named as the user sees them: CSV lines (header is line 1),
    else row numbers.
    """
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numbers) | (False if negative_ok else numbers < 0)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        row = f"line {index + 2}" if csv else f"row {index + 1}"
        expected = "a finite number" if negative_ok else "a finite, non-negative number"
        value = values.iloc[index]
        value = value.item() if isinstance(value, np.generic) else value  # -5.5, not np.float64(-5.5)
        raise DataError(f"{row}: {value!r} is not {expected}", source=source, field=column)
    return numbers


def _read_frame(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        raise DataError("file not found", source=str(path))
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            return gpd.read_parquet(path)
        return gpd.read_file(path)
    except Exception as error:  # noqa: BLE001 - any reader failure is a bad file for the user
        raise DataError(f"cannot read as a GeoParquet/GeoPackage/GeoJSON file ({error})",
                        source=str(path)) from None


def _from_frame(frame: gpd.GeoDataFrame, *, name: str, source: str) -> Area:
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; expected at least {list(REQUIRED_COLUMNS)}",
                        source=source)
    if frame.crs is None:
        raise DataError("no coordinate reference system; expected a projected CRS or EPSG:4326", source=source)
    if frame.crs.is_geographic:
        frame = frame.to_crs(BNG)
    residents = numeric_column(frame["residents"], source=source, column="residents", csv=False)
    codes = frame["lsoa11cd"].astype(str)
    if codes.duplicated().any():
        raise DataError(f"duplicate LSOA codes {codes[codes.duplicated()].tolist()[:5]}", source=source,
                        field="lsoa11cd")
    if {"x", "y"} <= set(frame.columns):
        x, y = (numeric_column(frame[c], source=source, column=c, csv=False, negative_ok=True) for c in "xy")
    else:
        centroids = frame.geometry.representative_point()
        x, y = centroids.x.to_numpy(), centroids.y.to_numpy()
    districts = frame["district"].astype(str) if "district" in frame.columns else pd.Series([name] * len(frame))
    names = frame["lsoa11nm"].astype(str) if "lsoa11nm" in frame.columns else codes
    return Area(name=name, codes=codes.to_numpy(), names=names.to_numpy(), districts=districts.to_numpy(),
                residents=residents, x=x, y=y, crs=frame.crs.to_string(),
                geometry=frame.geometry.reset_index(drop=True))


def load_area(config: AreaConfig | None = None) -> Area:
    """The configured area: the embedded West Midlands LSOAs, a force of England and Wales, or a user's file."""
    config = config or AreaConfig()
    if config.force is not None:
        from readiness.forces import WEST_MIDLANDS, find_force, force_area

        force = find_force(config.force)
        if force.code != WEST_MIDLANDS:
            return force_area(force, config.name)
    path = config.file or data_path(DEFAULT_AREA_FILE)
    return _from_frame(_read_frame(Path(path)), name=config.name, source=str(path))


def load_site_weights(path: Path, area: Area) -> np.ndarray:
    """A user weight layer (CSV with ``lsoa11cd, weight``) aligned to the area; missing LSOAs weigh 0."""
    try:
        table = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read as CSV ({error})", source=str(path)) from None
    for column in ("lsoa11cd", "weight"):
        if column not in table.columns:
            raise DataError(f"missing column {column!r}; expected lsoa11cd, weight", source=str(path))
    weights = numeric_column(table["weight"], source=str(path), column="weight")
    unknown = sorted(set(table["lsoa11cd"]) - set(area.index_of))
    if unknown:
        raise DataError(f"unknown LSOA codes {unknown[:5]}", source=str(path), field="lsoa11cd")
    aligned = np.zeros(area.n)
    aligned[[area.index_of[c] for c in table["lsoa11cd"]]] = weights
    if aligned.sum() <= 0:
        raise DataError("weights sum to zero", source=str(path), field="weight")
    return aligned

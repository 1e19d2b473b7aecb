"""Tests for area.py and the area data shipped in ``readiness/data`` (built by ``scripts/build_area.py``)."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

DATA = files("readiness") / "data"
WEST_MIDLANDS_DISTRICTS = {
    "Birmingham",
    "Coventry",
    "Dudley",
    "Sandwell",
    "Solihull",
    "Walsall",
    "Wolverhampton",
}
WEST_MIDLANDS_FORCE = "E23000014"
T = TypeVar("T")


def _read(reader: Callable[[Path], T], name: str) -> T:
    with as_file(DATA / name) as path:
        return reader(path)


@pytest.fixture(scope="module")
def wm() -> gpd.GeoDataFrame:
    return _read(gpd.read_parquet, "west_midlands_lsoa.parquet")


@pytest.fixture(scope="module")
def ew() -> pd.DataFrame:
    return _read(pd.read_parquet, "ew_lsoa.parquet")


@pytest.fixture(scope="module")
def forces() -> gpd.GeoDataFrame:
    return _read(gpd.read_file, "police_force_areas.geojson")


@pytest.fixture(scope="module")
def hubs() -> pd.DataFrame:
    return _read(pd.read_csv, "west_midlands_response_hubs.csv")


def test_west_midlands_lsoas(wm: gpd.GeoDataFrame) -> None:
    assert list(wm.columns) == [
        "lsoa11cd",
        "lsoa11nm",
        "msoa11cd",
        "district",
        "residents",
        "x",
        "y",
        "geometry",
    ]
    assert len(wm) == 1680
    assert wm.crs.to_epsg() == 27700
    assert wm["lsoa11cd"].is_unique
    assert wm["lsoa11cd"].is_monotonic_increasing
    assert wm["lsoa11cd"].str.fullmatch(r"E01\d{6}").all()
    assert wm["msoa11cd"].str.fullmatch(r"E02\d{6}").all()
    assert int(wm["residents"].sum()) == 2_736_460
    assert np.issubdtype(wm["residents"].dtype, np.integer)
    assert (wm["residents"] > 0).all()
    assert set(wm["district"]) == WEST_MIDLANDS_DISTRICTS
    assert wm["lsoa11nm"].str.split(" ").str[0].eq(wm["district"]).all()


def test_west_midlands_geometry(wm: gpd.GeoDataFrame) -> None:
    assert wm.is_valid.all()
    assert set(wm.geom_type) <= {"Polygon", "MultiPolygon"}
    # The county is 902 km2 (ONS); the generalised boundaries must keep that within 1%.
    assert wm.area.sum() / 1e6 == pytest.approx(902, rel=0.01)
    centroids = gpd.GeoSeries(gpd.points_from_xy(wm["x"], wm["y"]), crs=wm.crs)
    # Centroids are ONS's (from full-resolution shapes): nearly all fall inside the generalised shape.
    assert wm.contains(centroids, align=False).mean() > 0.98
    with as_file(DATA / "west_midlands_lsoa.parquet") as path:
        assert path.stat().st_size <= 3_000_000


def test_england_and_wales_lsoas(ew: pd.DataFrame, forces: gpd.GeoDataFrame) -> None:
    assert list(ew.columns) == [
        "lsoa11cd",
        "lsoa11nm",
        "district",
        "force_code",
        "force_name",
        "residents",
        "x",
        "y",
    ]
    assert len(ew) == 34_753
    assert ew["lsoa11cd"].is_unique
    assert ew["lsoa11cd"].is_monotonic_increasing
    assert int(ew["residents"].sum()) == 56_075_912
    assert ew.notna().all().all()
    lsoa_forces = set(zip(ew["force_code"], ew["force_name"], strict=True))
    assert lsoa_forces == set(zip(forces["PFA20CD"], forces["PFA20NM"], strict=True))
    # Inside Great Britain's national grid.
    assert ew["x"].between(0, 700_000).all() and ew["y"].between(0, 1_300_000).all()


def test_west_midlands_is_the_force_subset_of_england_and_wales(
    wm: gpd.GeoDataFrame, ew: pd.DataFrame
) -> None:
    subset = ew[ew["force_code"] == WEST_MIDLANDS_FORCE].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        subset[["lsoa11cd", "lsoa11nm", "district", "residents", "x", "y"]],
        pd.DataFrame(wm[["lsoa11cd", "lsoa11nm", "district", "residents", "x", "y"]]),
    )


def test_force_areas(forces: gpd.GeoDataFrame) -> None:
    assert len(forces) == 43
    assert forces.crs.to_epsg() == 4326
    assert forces["PFA20CD"].is_unique
    assert forces.is_valid.all()
    with as_file(DATA / "police_force_areas.geojson") as path:
        assert path.stat().st_size < 400_000


def test_response_hubs(hubs: pd.DataFrame, forces: gpd.GeoDataFrame) -> None:
    assert list(hubs.columns) == ["name", "district", "x", "y", "longitude", "latitude", "note"]
    assert len(hubs) == 8
    assert hubs["name"].is_unique
    assert set(hubs["district"]) <= WEST_MIDLANDS_DISTRICTS
    assert hubs["note"].str.contains("approximate").all()
    boundary = forces.loc[forces["PFA20CD"] == WEST_MIDLANDS_FORCE].to_crs(27700).geometry.iloc[0]
    points = gpd.GeoSeries(gpd.points_from_xy(hubs["x"], hubs["y"]), crs=27700)
    assert points.within(boundary).all()
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    x, y = to_bng.transform(hubs["longitude"].to_numpy(), hubs["latitude"].to_numpy())
    np.testing.assert_allclose(hubs["x"], x, atol=1.0)
    np.testing.assert_allclose(hubs["y"], y, atol=1.0)


def test_each_hub_lies_in_its_district(hubs: pd.DataFrame, wm: gpd.GeoDataFrame) -> None:
    points = gpd.GeoDataFrame(
        hubs[["name", "district"]], geometry=gpd.points_from_xy(hubs["x"], hubs["y"]), crs=27700
    )
    joined = gpd.sjoin(
        points, wm[["district", "geometry"]], predicate="within", lsuffix="hub", rsuffix="lsoa"
    )
    assert len(joined) == len(hubs)
    assert (joined["district_hub"] == joined["district_lsoa"]).all()


# --- area.py: loading a user's LSOAs, lookups, coordinates, numeric columns, site weights ---

from shapely.geometry import box

from readiness.area import (
    DEFAULT_AREA_FILE,
    data_path,
    load_area,
    load_site_weights,
    numeric_column,
    point_in_area_crs,
    to_area_crs,
)
from readiness.config import BNG, WGS84, AreaConfig, Point
from readiness.errors import ConfigError, DataError


def _squares(crs: str = BNG, **columns: list) -> gpd.GeoDataFrame:
    """Three 1 km squares side by side from (400000, 280000), with codes A, B, C."""
    data = {"lsoa11cd": ["A", "B", "C"], "residents": [100, 200, 300], **columns}
    shapes = [box(400_000 + 1000 * i, 280_000, 401_000 + 1000 * i, 281_000) for i in range(3)]
    return gpd.GeoDataFrame(data, geometry=shapes, crs=BNG).to_crs(crs)


def _load(tmp_path: Path, frame: gpd.GeoDataFrame, name: str = "lsoas.gpkg"):
    path = tmp_path / name
    frame.to_file(path) if not name.endswith(".parquet") else frame.to_parquet(path)
    return load_area(AreaConfig(name="Test", file=path))


def test_default_area_is_the_shipped_file() -> None:
    assert data_path(DEFAULT_AREA_FILE).is_file()
    area = load_area()
    assert area.name == "West Midlands Police" and area.crs == BNG
    assert area.n == len(area.codes) == len(area.residents) == area.centroids.shape[0]


def test_user_area_fields_lookups_and_containment(tmp_path: Path) -> None:
    area = _load(tmp_path, _squares(district=["D1", "D1", "D2"]))
    assert area.codes.tolist() == ["A", "B", "C"] and area.names.tolist() == ["A", "B", "C"]
    assert area.districts.tolist() == ["D1", "D1", "D2"]
    assert area.residents.tolist() == [100.0, 200.0, 300.0]
    np.testing.assert_allclose(area.centroids, [[400_500, 280_500], [401_500, 280_500], [402_500, 280_500]])
    assert area.index_of == {"A": 0, "B": 1, "C": 2} and area.lsoa_index("C") == 2
    assert area.nearest_lsoa(402_900.0, 280_100.0) == 2
    assert area.outline.area == pytest.approx(3_000_000.0)
    assert area.contains(401_000.0, 280_500.0)
    assert area.contains(403_400.0, 280_500.0)  # within the 500 m tolerance of the edge
    assert not area.contains(403_600.0, 280_500.0)


def test_unknown_lsoa_code_names_the_field(tmp_path: Path) -> None:
    area = _load(tmp_path, _squares())
    with pytest.raises(ConfigError, match="unknown LSOA code 'Z'") as caught:
        area.lsoa_index("Z", field_name="scenario.named_sites[0]")
    assert caught.value.field == "scenario.named_sites[0]"


def test_lon_lat_file_is_projected_and_x_y_columns_win(tmp_path: Path) -> None:
    area = _load(tmp_path, _squares(WGS84), "lonlat.geojson")
    assert area.crs == BNG
    np.testing.assert_allclose(area.x, [400_500, 401_500, 402_500], atol=1.0)
    given = _load(tmp_path, _squares(x=[1.0, 2.0, 3.0], y=[4.0, 5.0, 6.0]), "xy.parquet")
    assert given.x.tolist() == [1.0, 2.0, 3.0] and given.y.tolist() == [4.0, 5.0, 6.0]


@pytest.mark.parametrize(("frame", "message"), [
    (_squares().drop(columns="residents"), "missing column(s) ['residents']"),
    (_squares(residents=[1.0, -5.5, 3.0]), "row 2: "),
    (_squares(lsoa11cd=["A", "A", "C"]), "duplicate LSOA codes ['A']"),
])
def test_bad_area_files_are_data_errors_naming_the_file(tmp_path: Path, frame: gpd.GeoDataFrame,
                                                        message: str) -> None:
    with pytest.raises(DataError) as caught:
        _load(tmp_path, frame, "bad.parquet")
    assert caught.value.source == str(tmp_path / "bad.parquet")
    assert message in str(caught.value)


def test_a_bad_number_in_a_geo_file_is_quoted_plainly(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        _load(tmp_path, _squares(residents=[1.0, -5.5, 3.0]), "bad.parquet")
    assert "row 2: -5.5 is not a finite, non-negative number" in str(caught.value)


def test_missing_and_unreadable_area_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        load_area(AreaConfig(file=tmp_path / "nope.gpkg"))
    junk = tmp_path / "junk.gpkg"
    junk.write_text("not a geopackage", encoding="utf-8")
    with pytest.raises(DataError, match="cannot read"):
        load_area(AreaConfig(file=junk))


def test_to_area_crs() -> None:
    assert to_area_crs(1.5, 2.5, BNG, BNG) == (1.5, 2.5)
    x, y = to_area_crs(-2.0, 49.0, WGS84, BNG)  # the grid's true origin, 2°W 49°N on OSGB36 (datum shift < 200 m)
    assert x == pytest.approx(400_000, abs=200) and y == pytest.approx(-100_000, abs=200)
    assert to_area_crs(x, y, BNG, WGS84) == pytest.approx((-2.0, 49.0), abs=1e-7)


def test_point_in_area_crs(tmp_path: Path) -> None:
    area = _load(tmp_path, _squares())
    assert point_in_area_crs(Point(x=400_100.0, y=280_200.0), area) == (400_100.0, 280_200.0)


def test_numeric_column_names_csv_lines_and_rows() -> None:
    good = numeric_column(pd.Series(["1", "2.5", 3]), source="f.csv", column="w")
    assert good.tolist() == [1.0, 2.5, 3.0]
    assert numeric_column(pd.Series([-1.0]), source="f", column="x", negative_ok=True).tolist() == [-1.0]
    for values, csv, expected in ((["1", "x"], True, "f.csv, field 'w': line 3: 'x' is not a finite, non-negative"),
                                  (["1", "inf"], False, "row 2: 'inf' is not"),
                                  (["", "2"], True, "line 2: '' is not")):
        with pytest.raises(DataError) as caught:
            numeric_column(pd.Series(values), source="f.csv", column="w", csv=csv)
        assert expected in str(caught.value)


def test_site_weights_align_to_the_area(tmp_path: Path) -> None:
    area = _load(tmp_path, _squares())
    path = tmp_path / "w.csv"
    path.write_text("lsoa11cd,weight\nC,3\nA,1.5\n", encoding="utf-8")
    assert load_site_weights(path, area).tolist() == [1.5, 0.0, 3.0]


@pytest.mark.parametrize(("text", "message"), [
    ("code,weight\nA,1\n", "missing column 'lsoa11cd'"),
    ("lsoa11cd,weight\nA,1\nZ,2\n", "unknown LSOA codes ['Z']"),
    ("lsoa11cd,weight\nA,0\n", "weights sum to zero"),
    ("lsoa11cd,weight\nA,1\nB,-2\n", "line 3: "),
])
def test_bad_site_weights(tmp_path: Path, text: str, message: str) -> None:
    area = _load(tmp_path, _squares())
    path = tmp_path / "w.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_site_weights(path, area)
    assert message in str(caught.value) and caught.value.source == str(path)

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

"""Build the national force data shipped in ``src/readiness/data`` (every force of England and Wales).

Run with ``python scripts/build_forces.py`` after ``scripts/build_area.py`` (it reads the shipped
``ew_lsoa.parquet`` and ``police_force_areas.geojson``). Deterministic. Writes:

- ``forces.csv``: the 43 police force areas with their LSOAs, residents, area, 2019 officer headcount and
  resident-weighted centre;
- ``ew_lsoa_centroids.parquet``: population-weighted centroid (BNG metres) and hectares of every LSOA;
- ``ew_crowded_places.csv``: national crowded-places bases by LSOA (ORR station usage, football ground
  capacity), for the exposure layer of forces outside the West Midlands.

Every join is checked and its unmatched rows are printed; provenance is in ``docs/data.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely.geometry import shape

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "scripts" / "sources"
DATA = REPO / "src" / "readiness" / "data"
BNG = "EPSG:27700"

HEADCOUNT = SOURCES / "police_officer_headcount_by_force_2019.csv"
CENTROIDS = SOURCES / "lsoa11_population_weighted_centroids_ew.csv"
DENSITY = SOURCES / "lsoa11_area_density_census2011_ew.csv"
STATIONS = SOURCES / "orr_station_usage_gb.csv"
GROUNDS = SOURCES / "football_stadiums_england_c2013.csv"

#: Rows of the headcount file that are regions (their headcount is the sum of the forces listed after them).
#: "West Midlands" is both a region (first) and a force (last of its region).
REGIONS = ("North East", "North West", "Yorkshire and the Humber", "East Midlands", "West Midlands", "Eastern",
           "London", "South East", "South West", "Wales")
#: Rows that are not territorial forces.
NOT_FORCES = ("Central Service Secondments", "British Transport Police")
#: Home Office headcount names that differ from the ONS police force area names.
HEADCOUNT_TO_ONS = {"Metropolitan": "Metropolitan Police", "City of London": "London, City of",
                    "Avon & Somerset": "Avon and Somerset"}


def _check(condition: bool, message: str) -> None:
    """Stop the build: a failed check means the inputs are not what docs/data.md says."""
    if not condition:
        raise SystemExit(f"build_forces: {message}")


def headcount() -> pd.DataFrame:
    """September 2019 officer headcount of the 43 forces, ONS names; regions checked to sum their forces."""
    table = pd.read_csv(HEADCOUNT)
    table = table[~table["force_or_region"].isin(NOT_FORCES)].reset_index(drop=True)
    rows, region, region_total, members = [], None, 0.0, 0.0
    for name, count in zip(table["force_or_region"], table["headcount_september_2019"]):
        if name in REGIONS and (region is None or abs(members - region_total) < 0.5):
            region, region_total, members = name, float(count), 0.0
            continue
        rows.append((HEADCOUNT_TO_ONS.get(name, name), int(count), region))
        members += float(count)
    _check(abs(members - region_total) < 0.5, f"region {region} does not sum")
    out = pd.DataFrame(rows, columns=["name", "officers_2019", "region"])
    _check(len(out) == 43 and out["name"].is_unique, f"{len(out)} forces in the headcount file")
    return out


def centroids() -> pd.DataFrame:
    """Population-weighted centroid (BNG, rounded to 1 m) and hectares of every LSOA."""
    table = pd.read_csv(CENTROIDS)
    x, y = Transformer.from_crs("EPSG:4326", BNG, always_xy=True).transform(table["lon"].to_numpy(),
                                                                            table["lat"].to_numpy())
    table = table.assign(x=np.round(x), y=np.round(y))[["lsoa11cd", "x", "y"]]
    density = pd.read_csv(DENSITY)[["lsoa11cd", "hectares"]]
    return table.merge(density, on="lsoa11cd", how="outer", indicator=True)


def force_shapes() -> gpd.GeoDataFrame:
    """The 43 shipped force boundaries in BNG."""
    collection = json.loads((DATA / "police_force_areas.geojson").read_text(encoding="utf-8"))
    return gpd.GeoDataFrame(
        {"code": [f["properties"]["PFA20CD"] for f in collection["features"]],
         "shape_name": [f["properties"]["PFA20NM"] for f in collection["features"]]},
        geometry=[shape(f["geometry"]) for f in collection["features"]], crs="EPSG:4326").to_crs(BNG)


def locate(x: np.ndarray, y: np.ndarray, lsoas: pd.DataFrame, shapes: gpd.GeoDataFrame) -> np.ndarray:
    """Row of ``lsoas`` for each point: the nearest population-weighted centroid of the force it lies in."""
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=BNG)
    hits = gpd.sjoin(points, shapes[["code", "geometry"]], how="left", predicate="within")
    hits = hits[~hits.index.duplicated()]
    out = np.full(len(x), -1, dtype=np.int64)
    for code, group in hits.dropna(subset=["code"]).groupby("code"):
        rows = np.flatnonzero(lsoas["force_code"].to_numpy() == code)
        gx, gy = lsoas["x"].to_numpy()[rows], lsoas["y"].to_numpy()[rows]
        for i in group.index:
            out[i] = rows[int(np.argmin(np.hypot(gx - x[i], gy - y[i])))]
    return out


def crowded_places(lsoas: pd.DataFrame, shapes: gpd.GeoDataFrame) -> pd.DataFrame:
    """Station entries+exits a year (2019/20, else 2015/16) and ground capacity, summed by LSOA."""
    stations = pd.read_csv(STATIONS)
    usage = stations["entries_exits_2019_20"].fillna(stations["entries_exits_2015_16"]).fillna(0.0)
    rail = locate(stations["easting"].to_numpy(float), stations["northing"].to_numpy(float), lsoas, shapes)
    grounds = pd.read_csv(GROUNDS).drop_duplicates("stadium")
    gx, gy = Transformer.from_crs("EPSG:4326", BNG, always_xy=True).transform(grounds["lon"].to_numpy(),
                                                                              grounds["lat"].to_numpy())
    football = locate(np.asarray(gx), np.asarray(gy), lsoas, shapes)
    print(f"stations: {int((rail >= 0).sum())} of {len(stations)} in England and Wales (the rest are in "
          f"Scotland); grounds: {int((football >= 0).sum())} of {len(grounds)}")
    _check(int((football >= 0).sum()) == len(grounds), "a football ground outside every force")
    frames = [pd.DataFrame({"lsoa11cd": lsoas["lsoa11cd"].to_numpy()[rows[rows >= 0]], "source": name,
                            "base": values[rows >= 0]})
              for name, rows, values in (("rail", rail, usage.to_numpy(float)),
                                         ("football", football, grounds["capacity"].to_numpy(float)))]
    places = pd.concat(frames).groupby(["source", "lsoa11cd"], as_index=False)["base"].sum()
    return places[places["base"] > 0].sort_values(["source", "lsoa11cd"], ignore_index=True)


def main() -> None:
    """Build and check the three files, printing what did not match."""
    ew = pd.read_parquet(DATA / "ew_lsoa.parquet")
    points = centroids()
    unmatched = points[points["_merge"] != "both"]
    _check(unmatched.empty, f"centroids and density disagree on LSOAs {unmatched['lsoa11cd'].tolist()[:5]}")
    joined = ew[["lsoa11cd", "force_code", "residents"]].merge(points.drop(columns="_merge"), on="lsoa11cd",
                                                               how="left")
    missing = joined[joined["x"].isna()]["lsoa11cd"].tolist()
    print(f"LSOAs without a population-weighted centroid: {len(missing)} {missing[:5]}")
    _check(not missing and len(points) == len(ew), "every LSOA needs a population-weighted centroid")
    shapes = force_shapes()
    _check(set(shapes["code"]) == set(ew["force_code"]), "force codes of the boundaries and the lookup differ")

    summary = ew.groupby(["force_code", "force_name"], as_index=False).agg(lsoas=("lsoa11cd", "size"),
                                                                          residents=("residents", "sum"))
    weighted = joined.assign(wx=joined["x"] * joined["residents"], wy=joined["y"] * joined["residents"])
    centre = weighted.groupby("force_code")[["wx", "wy", "residents"]].sum()
    summary["centre_x"] = (centre["wx"] / centre["residents"]).round().to_numpy()
    summary["centre_y"] = (centre["wy"] / centre["residents"]).round().to_numpy()
    summary["area_km2"] = summary["force_code"].map(shapes.set_index("code").area / 1e6).round(1)
    officers = headcount()
    forces = summary.rename(columns={"force_code": "code", "force_name": "name"}).merge(
        officers, on="name", how="outer", indicator=True)
    _check((forces["_merge"] == "both").all(),
           f"headcount names not matched: {forces.loc[forces['_merge'] != 'both', 'name'].tolist()}")
    forces = forces.drop(columns="_merge").sort_values("code", ignore_index=True)
    forces = forces[["code", "name", "region", "lsoas", "residents", "area_km2", "officers_2019", "centre_x",
                     "centre_y"]]
    _check(int(forces["lsoas"].sum()) == len(ew) and int(forces["residents"].sum()) == int(ew["residents"].sum()),
           "forces do not add up to England and Wales")

    forces.to_csv(DATA / "forces.csv", index=False, lineterminator="\n")
    joined[["lsoa11cd", "x", "y", "hectares"]].to_parquet(DATA / "ew_lsoa_centroids.parquet", index=False)
    crowded_places(joined, shapes).to_csv(DATA / "ew_crowded_places.csv", index=False, lineterminator="\n")
    print(f"forces: {len(forces)}, {forces['lsoas'].sum():,} LSOAs, {forces['residents'].sum():,} residents, "
          f"{forces['officers_2019'].sum():,} officers (Sept 2019)")


if __name__ == "__main__":
    main()

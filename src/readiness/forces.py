"""Forces: any of the 43 police force areas of England and Wales by name or code, with scaled defaults.

``area: {force: NAME | CODE}`` picks a force. Its LSOAs, residents, population-weighted centroids and
boundary come from the shipped national files (``scripts/build_forces.py``); what no national source
gives (ARVs and response cars on duty, standby points, CTSFO arrival) is scaled from the force's 2019
officer headcount and area by the registry's ``force.*`` assumptions. West Midlands keeps its own
defaults (its LSOA shapes, published hubs, the 2015 registry values). ``force_record`` says which is
which in every report.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import shape

from readiness.area import Area, data_path
from readiness.config import BNG, Base, Config
from readiness.errors import ConfigError
from readiness.registry import Parameters

if TYPE_CHECKING:
    from readiness.model import Model

FORCES_FILE = "forces.csv"
CENTROIDS_FILE = "ew_lsoa_centroids.parquet"
NATIONAL_FILE = "ew_lsoa.parquet"
BOUNDARIES_FILE = "police_force_areas.geojson"
WEST_MIDLANDS = "E23000014"
#: Forces hosting a CTSFO team that serves other forces: the Met and the four forces trained to its
#: standard as the Combined Response Firearms Teams of the 2012 Olympics (Greater Manchester, West
#: Yorkshire, Thames Valley, West Midlands), which the 2016 uplift enlarged into regional hubs (NPCC 2017;
#: sources and limits in docs/forces.md). Hubs added since are not published: their distance is an upper end.
CTSFO_HUBS = ("E23000001", "E23000005", "E23000010", "E23000029", "E23000014")
#: Common forms of a force's name that its ONS name does not contain.
ALIASES = {"met": "E23000001", "mps": "E23000001", "the met": "E23000001", "gmp": "E23000005",
           "wmp": "E23000014", "city of london": "E23000034", "city": "E23000034"}
_SUFFIXES = ("police service", "police force", "constabulary", "police", "service", "force")
#: Registry entries a force outside the West Midlands takes scaled values for.
SCALED = ("arv.on_duty", "response.on_duty", "ctsfo.external_delay_low_min", "ctsfo.external_delay_high_min",
          "workload.force_share", "workload.other_jobs_per_day")


@dataclass(frozen=True)
class Force:
    """One police force area: ONS code and name, and the national figures it is scaled from."""

    code: str
    name: str
    region: str
    lsoas: int
    residents: int
    area_km2: float
    officers_2019: int
    centre_x: float
    centre_y: float


@cache
def forces() -> tuple[Force, ...]:
    """The 43 forces of England and Wales in ONS code order (``data/forces.csv``)."""
    table = pd.read_csv(data_path(FORCES_FILE))
    return tuple(Force(code=r.code, name=r.name, region=r.region, lsoas=int(r.lsoas), residents=int(r.residents),
                       area_km2=float(r.area_km2), officers_2019=int(r.officers_2019), centre_x=float(r.centre_x),
                       centre_y=float(r.centre_y)) for r in table.itertuples(index=False))


def _key(text: str) -> str:
    """A name reduced for matching: lower case, '&' as 'and', no punctuation, no 'police'/'constabulary'."""
    words = re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("&", " and ")).split()
    key = " ".join(words[1:] if words[:1] == ["the"] else words)
    for suffix in _SUFFIXES:
        if key.endswith(" " + suffix):
            key = key[: -len(suffix) - 1]
    return key


def _keys(force: Force) -> set[str]:
    """Every reduced form a force answers to (its ONS name, and 'city of london' for 'London, City of')."""
    keys = {_key(force.name)}
    if "," in force.name:
        head, tail = force.name.split(",", 1)
        keys.add(_key(f"{tail} {head}"))
    return keys


def find_force(text: str) -> Force:
    """The force a name or code means; unknown or ambiguous names are a :class:`ConfigError` naming options."""
    try:
        return match_force(text)
    except ValueError as error:
        raise ConfigError(str(error), field="area.force") from None


def match_force(text: str) -> Force:
    """The force a name or code means, else a ValueError listing the matches or the nearest names."""
    found = _resolve(str(text).strip())
    if isinstance(found, str):
        raise ValueError(found)
    return found


def lookup_force(text: str) -> Force | None:
    """The force a name or code means, None when it names none (or several): for text that may name a place
    abroad, where that is no mistake."""
    found = _resolve(str(text).strip())
    return None if isinstance(found, str) else found


@cache
def _resolve(wanted: str) -> Force | str:
    """The force ``wanted`` means, else why not (the matches, or the nearest names); cached, as configs and
    attack tables name the same forces again and again."""
    by_code = {f.code: f for f in forces()}
    if wanted.upper() in by_code:
        return by_code[wanted.upper()]
    key = _key(wanted)
    if key in ALIASES or wanted.lower() in ALIASES:
        return by_code[ALIASES.get(key) or ALIASES[wanted.lower()]]
    exact = [f for f in forces() if key in _keys(f)]
    if exact:
        return exact[0]
    pattern = re.compile(rf"\b{re.escape(key)}\b") if key else None
    partial = [f for f in forces() if pattern and any(pattern.search(k) for k in _keys(f))]
    if len(partial) == 1:
        return partial[0]
    if partial:
        return f"{wanted!r} matches {len(partial)} forces: {', '.join(f.name for f in partial)}; give one of them"
    names = {k: f.name for f in forces() for k in _keys(f)}
    nearest = list(dict.fromkeys(names[k] for k in difflib.get_close_matches(key, list(names), n=3, cutoff=0.4)))
    hint = f"nearest: {', '.join(nearest)}" if nearest else "see `readiness areas list`"
    return f"unknown force {wanted!r}; {hint} (a name or code from `readiness areas list`)"


def is_west_midlands(config: Config) -> bool:
    """Whether the config's area is the West Midlands default (no force, or the West Midlands by name)."""
    return config.area.force is None or find_force(config.area.force).code == WEST_MIDLANDS


@cache
def _boundaries() -> dict[str, object]:
    """Force code to its boundary in British National Grid metres."""
    collection = json.loads(data_path(BOUNDARIES_FILE).read_text(encoding="utf-8"))
    frame = gpd.GeoDataFrame({"code": [f["properties"]["PFA20CD"] for f in collection["features"]]},
                             geometry=[shape(f["geometry"]) for f in collection["features"]], crs="EPSG:4326")
    return dict(zip(frame["code"], frame.to_crs(BNG).geometry))


@cache
def _national() -> pd.DataFrame:
    """Every LSOA of England and Wales with its force and population-weighted centroid."""
    lsoas = pd.read_parquet(data_path(NATIONAL_FILE), columns=["lsoa11cd", "lsoa11nm", "district", "force_code",
                                                                "residents"])
    return lsoas.merge(pd.read_parquet(data_path(CENTROIDS_FILE)), on="lsoa11cd", how="left")


def force_area(force: Force, name: str) -> Area:
    """A force's LSOAs from the national files: residents, population-weighted centroids, force boundary.

    No LSOA shapes ship for the country (the West Midlands has its own): the force boundary stands in for
    point-in-area checks, and maps draw centroids.
    """
    rows = _national()[_national()["force_code"] == force.code].sort_values("lsoa11cd")
    return Area(name=name, codes=rows["lsoa11cd"].to_numpy(str), names=rows["lsoa11nm"].to_numpy(str),
                districts=rows["district"].to_numpy(str), residents=rows["residents"].to_numpy(float),
                x=rows["x"].to_numpy(float), y=rows["y"].to_numpy(float), crs=BNG,
                boundary=_boundaries()[force.code], land_km2=rows["hectares"].to_numpy(float) / 100.0)


PLACES_FILE = "ew_crowded_places.csv"
#: Residents of the West Midlands (2011), whose street source ``exposure.street_peak_people`` is sized for.
WEST_MIDLANDS_RESIDENTS = 2_736_460


def _density_proxy(area: Area) -> dict[str, float]:
    """Residents x residents per hectare by LSOA: the stand-in for street-level crime (where people are out)
    outside the West Midlands, heavier where the force is densely built up. An assumption (docs/forces.md)."""
    hectares = _national().set_index("lsoa11cd").loc[area.codes, "hectares"].to_numpy(float)
    return dict(zip(area.codes, (area.residents ** 2 / np.maximum(hectares, 1.0)).tolist()))


def national_sources(shipped: list[dict], area: Area) -> list[dict]:
    """The shipped exposure layer's sources for a force outside the West Midlands: each keeps its setting and
    occupancy profile; base quantities by LSOA come from the national files (``ew_crowded_places.csv``,
    residents); street-level crime exists for the West Midlands only, so the street source is spread by
    residential density instead and sized by the force's residents (the force record says so)."""
    places = pd.read_csv(data_path(PLACES_FILE))
    places = places[places["lsoa11cd"].isin(area.index_of)]
    out = []
    for entry in shipped:
        extra = {}
        if entry["name"] == "residential":
            bases = dict(zip(area.codes, area.residents.tolist()))
        elif entry["name"] == "street":
            bases = _density_proxy(area)
            extra = {"unit": "residents x residents per hectare (proxy)",
                     "people_share": float(area.residents.sum()) / WEST_MIDLANDS_RESIDENTS}
        else:
            rows = places[places["source"] == entry["name"]]
            bases = dict(zip(rows["lsoa11cd"], rows["base"].astype(float)))
        out.append({**entry, **extra, "lsoa": {code: value for code, value in bases.items() if value > 0}})
    return out


def scaled_parameters(force: Force, params: Parameters) -> dict[str, tuple[float, str]]:
    """Registry values scaled for a force outside the West Midlands, each with the rule that gave it."""
    p = params
    thousands = force.officers_2019 / 1000.0
    arvs = max(int(p["force.arv_min_on_duty"]), round(thousands * p["force.arv_per_1000_officers"]),
               math.ceil(force.area_km2 / p["force.km2_per_arv"]))
    response = max(1, round(thousands * p["force.response_per_1000_officers"]))
    hub, km = nearest_ctsfo_hub(force)
    travel = km * p["force.ctsfo_min_per_km"]
    residents = _national_totals()[0]
    return {
        "arv.on_duty": (arvs, (f"max(force.arv_min_on_duty, {force.officers_2019:,} officers (2019) x "
                               f"force.arv_per_1000_officers, {force.area_km2:,.0f} km2 / force.km2_per_arv)")),
        "response.on_duty": (response, f"{force.officers_2019:,} officers (2019) x force.response_per_1000_officers"),
        "ctsfo.external_delay_low_min": (round(p["ctsfo.mobilise_low_min"] + travel, 1),
                                         (f"ctsfo.mobilise_low_min + {km:.0f} km from the {hub.name} CTSFO hub "
                                          "x force.ctsfo_min_per_km")),
        "ctsfo.external_delay_high_min": (round(p["ctsfo.mobilise_high_min"] + travel * p["force.ctsfo_spread"], 1),
                                          (f"ctsfo.mobilise_high_min + {km:.0f} km from the {hub.name} CTSFO hub "
                                           "x force.ctsfo_min_per_km x force.ctsfo_spread")),
        # the everyday workload follows the force: firearms operations by its residents (the registry's own
        # rule), other taskings per ARV on duty (the registry chose them for the ARVs' share of time busy)
        "workload.force_share": (round(force.residents / residents, 5),
                                 f"{force.residents:,} of England and Wales' {residents:,} residents (2011 census)"),
        "workload.other_jobs_per_day": (round(p["workload.other_jobs_per_day"] * arvs / p["arv.on_duty"], 1),
                                        (f"workload.other_jobs_per_day x {arvs} ARVs on duty / the West Midlands' "
                                         f"{p['arv.on_duty']:g}: as many taskings per ARV")),
    }


def nearest_ctsfo_hub(force: Force) -> tuple[Force, float]:
    """The CTSFO hub force nearest to a force (resident-weighted centres) and the straight-line km."""
    hubs = [f for f in forces() if f.code in CTSFO_HUBS]
    distances = [math.hypot(h.centre_x - force.centre_x, h.centre_y - force.centre_y) / 1000.0 for h in hubs]
    best = int(np.argmin(distances))
    return hubs[best], distances[best]


def parameters_for(config: Config) -> Parameters:
    """The registry with the force's scaled values (outside the West Midlands), then the config's overrides."""
    if is_west_midlands(config):
        return Parameters(config.parameters)
    base = Parameters({k: v for k, v in config.parameters.items() if k not in SCALED})
    return Parameters(config.parameters, scaled=scaled_parameters(find_force(config.area.force), base))


def standby_points(area: Area, count: int, *, iterations: int = 50) -> list[Base]:
    """``count`` standby points where residents are: weighted k-means on LSOA centroids, snapped to an LSOA.

    Deterministic: the first centre is the LSOA nearest the resident-weighted mean, each next one the LSOA
    with the most residents x squared distance to the chosen ones; then Lloyd iterations weighted by
    residents. Each point is named after its district (numbered where a district has several).
    """
    xy, weight = area.centroids, np.maximum(area.residents, 1e-9)
    count = max(1, min(count, area.n))
    mean = (xy * weight[:, None]).sum(axis=0) / weight.sum()
    chosen = [int(np.argmin(np.hypot(*(xy - mean).T)))]
    while len(chosen) < count:
        d2 = np.min(((xy[:, None, :] - xy[chosen][None, :, :]) ** 2).sum(axis=2), axis=1)
        chosen.append(int(np.argmax(weight * d2)))
    centres = xy[chosen].astype(float)
    for _ in range(iterations):
        nearest = np.argmin(((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
        moved = centres.copy()
        for c in range(count):
            members = nearest == c
            if members.any():
                moved[c] = (xy[members] * weight[members, None]).sum(axis=0) / weight[members].sum()
        if np.allclose(moved, centres):
            break
        centres = moved
    snapped = sorted({int(np.argmin(np.hypot(*(xy - c).T))) for c in centres})
    districts = [str(area.districts[i]) for i in snapped]
    names = [f"{d} {districts[:j + 1].count(d)}" if districts.count(d) > 1 else d for j, d in enumerate(districts)]
    return [Base(name=f"{name} standby", x=float(xy[i, 0]), y=float(xy[i, 1]), crs=area.crs, district=districts[j])
            for j, (name, i) in enumerate(zip(names, snapped))]


def default_bases_for(config: Config, area: Area, params: Mapping[str, float]) -> list[Base] | None:
    """Standby points of a force outside the West Midlands (None: the West Midlands hubs apply)."""
    if is_west_midlands(config):
        return None
    return standby_points(area, max(1, round(params["arv.on_duty"] * params["force.standby_points_per_arv"])))


#: A force with under this share of the national residents per officer (the City of London: 10 against 440)
#: gets a warning that residents understate its everyday demand.
_FEW_RESIDENTS = 0.25


@cache
def _national_totals() -> tuple[int, int]:
    """Residents (2011) and officers (2019) of England and Wales: the sums over the 43 forces."""
    return sum(f.residents for f in forces()), sum(f.officers_2019 for f in forces())


def force_record(model: Model) -> dict[str, object]:
    """``{"force": ...}`` for a results document when the config names a force: what is its own, what scaled."""
    if model.config.area.force is None:
        return {}
    force = find_force(model.config.area.force)
    own = [(f"{force.lsoas:,} LSOAs and {force.residents:,} usual residents (2011 Census), districts (ONS 2017 "
            "lookup)"), "force boundary (ONS, December 2020)"]
    scaled: list[str] = []
    warnings: list[str] = []
    if force.code == WEST_MIDLANDS:
        own += ["LSOA shapes and centroids", "eight published response hubs (approximate positions) as bases",
                "street-level crime (February 2011) in the exposure layer and everyday demand"]
        scaled.append("none: the West Midlands defaults of the registry (2015) apply")
    else:
        own.append("population-weighted LSOA centroids (ONS 2011)")
        entries = {p.name: p for p in model.params.entries()}
        scaled += [f"{name} = {entries[name].value:g}: {entries[name].note}" for name in SCALED
                   if entries[name].source.startswith("scaled")]
        if model.config.resources.bases is not None and all(b.name.endswith(" standby")
                                                            for b in model.config.resources.bases):
            scaled.append(f"{len(model.config.resources.bases)} standby points placed where residents are "
                          "(weighted k-means; no published bases)")
        if model.config.scenario.site_weights == "exposure":
            warnings.append("no street-level crime data ship for this force: in its exposure layer the shopping "
                            "streets and night-time economy are spread by residential density (a proxy), sized "
                            "by its residents")
        if model.config.workload.enabled and model.config.workload.incidents is None:
            warnings.append("no incident data ship for this force: everyday armed demand follows residents")
        residents, officers = _national_totals()
        few = force.residents / force.officers_2019 < _FEW_RESIDENTS * residents / officers
        if model.config.workload.enabled and few:
            warnings.append(f"{force.residents:,} residents for {force.officers_2019:,} officers: its firearms "
                            "operations, scaled by residents (workload.force_share), are likely far too few for "
                            "the people who work or visit there; set workload.force_share")
        warnings += [("no LSOA shapes ship for this force: points are placed by the force boundary and the "
                      "nearest LSOA centroid; maps draw centroids"),
                     "registry values not scaled (harm, attack, dispatch, mutual aid) are the West Midlands ones"]
        if force.code.startswith("W"):
            warnings.append("no football grounds of Wales are in the shipped stadium list (England only)")
    return {"force": {"code": force.code, "name": force.name, "officers_2019": force.officers_2019,
                      "area_km2": force.area_km2, "force_specific": own, "scaled": scaled, "warnings": warnings}}


def areas_table() -> pd.DataFrame:
    """The 43 forces: code, name, LSOAs, residents (what ``readiness areas list`` prints)."""
    return pd.DataFrame([{"code": f.code, "name": f.name, "lsoas": f.lsoas, "residents": f.residents,
                          "officers_2019": f.officers_2019, "area_km2": f.area_km2} for f in forces()])

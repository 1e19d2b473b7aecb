"""Summaries: means, shares and 95% confidence intervals from per-replication outcomes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

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


#: Each per-replication metric of the results by its name: the mean over an attack's sites (minutes censored at
#: the horizon), or the attack's total.
REPLICATION_METRICS: dict[str, Callable[[Outcomes, float], np.ndarray]] = {
    "time_to_first_armed_min": lambda o, horizon: censored(o.t_first_armed, horizon).mean(axis=1),
    "time_to_first_unarmed_min": lambda o, horizon: censored(o.t_first_unarmed, horizon).mean(axis=1),
    "share_sites_waiting_over_10_min": lambda o, horizon: (o.t_first_armed > 10.0).mean(axis=1),
    "deaths_per_attack": lambda o, horizon: o.deaths.sum(axis=1).astype(float),
}


def per_replication(outcomes: Outcomes, horizon: float, names: Sequence[str]) -> dict[str, np.ndarray]:
    """The named :data:`REPLICATION_METRICS` of each replication: one definition for every section that pairs them."""
    return {name: REPLICATION_METRICS[name](outcomes, horizon) for name in names}


def summarise_sites(outcomes: Outcomes, horizon: float) -> dict[str, object]:
    """The ``by_sites`` entry for one K (docs/results.md)."""
    first = censored(outcomes.t_first_armed, horizon)
    enough = censored(outcomes.t_enough_armed, horizon)
    stop = censored(outcomes.t_stop, horizon)
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
        "time_to_stop_min": {
            **mean_ci(stop.mean(axis=1)),
            "p50": rounded(np.percentile(stop, 50)),
            "p90": rounded(np.percentile(stop, 90)),
        },
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


class StreamingSummary:
    """The ``by_sites`` summary of one K accumulated batch by batch, without keeping per-replication arrays.

    Means and confidence intervals are exact (running sums and sums of squares of per-replication values);
    percentiles of minutes come from a histogram with ``resolution_min`` bins (so they are within one bin
    of the exact ones), percentiles of victims from exact integer counts.
    """

    def __init__(self, sites: int, horizon: float, *, resolution_min: float = 0.01) -> None:
        self.sites, self.horizon, self.resolution = sites, horizon, resolution_min
        self.n = 0
        self.sums: dict[str, list[float]] = {}
        self.first_bins = np.zeros(int(np.ceil(horizon / resolution_min)) + 1, np.int64)
        self.enough_bins = np.zeros_like(self.first_bins)
        self.stop_bins = np.zeros_like(self.first_bins)
        self.victim_counts = np.zeros(1, np.int64)
        self.not_reached = 0
        self.deaths_static = 0
        self.deaths_all = 0

    def _accumulate(self, name: str, values: np.ndarray) -> None:
        total = self.sums.setdefault(name, [0.0, 0.0])
        total[0] += float(values.sum())
        total[1] += float(np.square(values).sum())

    def _bin(self, times: np.ndarray) -> np.ndarray:
        index = np.floor(censored(times, self.horizon).ravel() / self.resolution + 1e-9).astype(np.int64)
        return np.bincount(np.minimum(index, len(self.first_bins) - 1), minlength=len(self.first_bins))

    def add(self, outcomes: Outcomes) -> None:
        """Fold one batch in."""
        self.n += outcomes.replications
        self._accumulate("first", censored(outcomes.t_first_armed, self.horizon).mean(axis=1))
        self._accumulate("enough", censored(outcomes.t_enough_armed, self.horizon).mean(axis=1))
        self._accumulate("stop", censored(outcomes.t_stop, self.horizon).mean(axis=1))
        self._accumulate("over10", (outcomes.t_first_armed > 10.0).mean(axis=1))
        self._accumulate("over20", (outcomes.t_first_armed > 20.0).mean(axis=1))
        victims = outcomes.deaths.sum(axis=1)
        self._accumulate("victims", victims.astype(float))
        counts = np.bincount(victims)
        if len(counts) > len(self.victim_counts):
            self.victim_counts = np.pad(self.victim_counts, (0, len(counts) - len(self.victim_counts)))
        self.victim_counts[: len(counts)] += counts
        self.first_bins += self._bin(outcomes.t_first_armed)
        self.enough_bins += self._bin(outcomes.t_enough_armed)
        self.stop_bins += self._bin(outcomes.t_stop)
        self.not_reached += int((~np.isfinite(outcomes.t_first_armed)).sum())
        self.deaths_static += int(outcomes.deaths[outcomes.static].sum())
        self.deaths_all += int(outcomes.deaths.sum())

    def _mean_ci(self, name: str) -> dict[str, object]:
        total, squares = self.sums[name]
        mean = total / self.n
        variance = (squares - self.n * mean * mean) / (self.n - 1) if self.n > 1 else np.inf
        half = Z95 * np.sqrt(max(variance, 0.0) / self.n)
        return {"mean": rounded(mean), "ci95": [rounded(mean - half), rounded(mean + half)]}

    def _share(self, name: str) -> dict[str, object]:
        stats = self._mean_ci(name)
        low, high = stats["ci95"]
        return {"value": stats["mean"], "ci95": [max(0.0, low), min(1.0, high)]}

    @staticmethod
    def _percentile(counts: np.ndarray, q: float, width: float) -> float:
        position = np.searchsorted(np.cumsum(counts), q / 100.0 * counts.sum(), side="left")
        return float(position * width)

    def result(self) -> dict[str, object]:
        """The same fields as :func:`summarise_sites`."""
        return {
            "sites": self.sites,
            "time_to_first_armed_min": {**self._mean_ci("first"),
                                        "p50": rounded(self._percentile(self.first_bins, 50, self.resolution)),
                                        "p90": rounded(self._percentile(self.first_bins, 90, self.resolution))},
            "share_sites_waiting_over_10_min": self._share("over10"),
            "share_sites_waiting_over_20_min": self._share("over20"),
            "sites_not_reached": self.not_reached,
            "share_sites_not_reached": rounded(self.not_reached / (self.n * self.sites)),
            "time_to_enough_armed_min": {**self._mean_ci("enough"),
                                         "p90": rounded(self._percentile(self.enough_bins, 90, self.resolution))},
            "time_to_stop_min": {**self._mean_ci("stop"),
                                 "p50": rounded(self._percentile(self.stop_bins, 50, self.resolution)),
                                 "p90": rounded(self._percentile(self.stop_bins, 90, self.resolution))},
            "victims": {**self._mean_ci("victims"), "p90": rounded(self._percentile(self.victim_counts, 90, 1.0))},
            "victims_static_share": rounded(self.deaths_static / max(self.deaths_all, 1)),
        }

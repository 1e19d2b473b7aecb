"""Benchmark readiness.locate against spopt (PuLP/CBC) and on the national instance; print and save a table.

Run ``python benchmarks/bench_optimise.py`` (about five minutes on two cores, most of it spopt). Every
spopt row solves the same cost matrix with the same standard and compares objectives; times include
model building (spopt's PuLP model, our coverage matrix from the same cost matrix) and solving. Ours
is the best of three runs, spopt one run. The table is also written as JSON to
``benchmarks/results_optimise.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from machine import machine

import readiness
from readiness.locate.base import DEFAULT_TIME_LIMIT, MIP_REL_GAP, LocationPlan
from readiness.locate.center import p_center
from readiness.locate.coverage import lscp, mclp, travel_coverage
from readiness.locate.median import p_median
from readiness.travel import CalibratedModel

DATA = Path(readiness.__file__).parent / "data"
OUTPUT = Path(__file__).with_name("results_optimise.json")
NATIONAL_UNITS = 180
"""ARVs crewed round the clock nationally after the 2016 uplift: 170-190 (NPCC press release 2016)."""


@dataclass(frozen=True)
class Row:
    """One benchmark line: our plan and, where run, spopt's objective and time on the same instance."""

    instance: str
    model: str
    size: str
    objective: float
    gap: float
    method: str
    status: str
    seconds: float
    spopt_objective: float | None = None
    spopt_seconds: float | None = None

    @classmethod
    def of(
        cls,
        instance: str,
        model: str,
        size: str,
        plan: LocationPlan,
        seconds: float,
        spopt: tuple[float, float] | None = None,
    ) -> Row:
        """A row from our plan, its best time and, where run, spopt's (objective, seconds)."""
        extra = () if spopt is None else spopt
        return cls(instance, model, size, plan.objective, plan.gap, plan.method, plan.status, seconds, *extra)

    @property
    def equal(self) -> bool | None:
        if self.spopt_objective is None:
            return None
        return bool(np.isclose(self.objective, self.spopt_objective, rtol=MIP_REL_GAP, atol=1e-6))

    @property
    def speedup(self) -> float | None:
        return None if self.spopt_seconds is None else self.spopt_seconds / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "equal": self.equal, "speedup": self.speedup}


def best_of(runs: int, solve: Callable[[], LocationPlan]) -> tuple[LocationPlan, float]:
    """The plan and the shortest wall time over ``runs`` calls (the solvers are deterministic)."""
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        plan = solve()
        timings.append(time.perf_counter() - began)
    return plan, min(timings)


def run_spopt(build: Callable[[], Any]) -> tuple[float, float]:
    """Build and solve a spopt model with CBC; return its objective and wall time."""
    import pulp

    began = time.perf_counter()
    model = build().solve(pulp.PULP_CBC_CMD(msg=False), results=False)
    return float(pulp.value(model.problem.objective)), time.perf_counter() - began


def spopt_rows(runs: int) -> list[Row]:
    """The instances solved both by us and by spopt."""
    from spopt.locate import LSCP, MCLP, PCenter, PMedian

    area = pd.read_parquet(DATA / "west_midlands_lsoa.parquet", columns=["residents", "x", "y"])
    xy = area[["x", "y"]].to_numpy()
    w = area["residents"].to_numpy(float)
    cost = CalibratedModel().minutes(xy, xy)
    rows = []
    wm = f"West Midlands LSOAs {len(w):,} × {len(w):,}"
    rng = np.random.default_rng(2015)

    plan, seconds = best_of(runs, lambda: mclp(w, sp.csr_array(cost <= 10.0), 8))
    spopt = run_spopt(lambda: MCLP.from_cost_matrix(cost, w, 10.0, 8))
    rows.append(Row.of(wm, "MCLP p=8, 10 min", f"{len(w)}×{len(w)}", plan, seconds, spopt))

    plan, seconds = best_of(1, lambda: lscp(sp.csr_array(cost <= 10.0), time_limit=60.0))
    rows.append(Row.of(wm, "LSCP, 10 min (60 s limit)", f"{len(w)}×{len(w)}", plan, seconds))

    plan, seconds = best_of(runs, lambda: lscp(sp.csr_array(cost <= 15.0)))
    spopt = run_spopt(lambda: LSCP.from_cost_matrix(cost, 15.0))
    rows.append(Row.of(wm, "LSCP, 15 min", f"{len(w)}×{len(w)}", plan, seconds, spopt))

    sample = np.sort(rng.choice(len(w), 300, replace=False))
    small_cost, small_w = cost[np.ix_(sample, sample)], w[sample]
    spopt = run_spopt(lambda: PMedian.from_cost_matrix(small_cost, small_w, 5))
    for method in ("auto", "highs"):
        plan, seconds = best_of(runs, lambda m=method: p_median(small_w, small_cost, 5, method=m))
        label = f"p-median p=5 ({method})"
        rows.append(Row.of("300 random West Midlands LSOAs", label, "300×300", plan, seconds, spopt))

    sample = np.sort(rng.choice(len(w), 100, replace=False))
    small_cost = cost[np.ix_(sample, sample)]
    plan, seconds = best_of(runs, lambda: p_center(small_cost, 5))
    spopt = run_spopt(lambda: PCenter.from_cost_matrix(small_cost, 5))
    rows.append(Row.of("100 random West Midlands LSOAs", "p-center p=5", "100×100", plan, seconds, spopt))
    return rows


def msoa_candidates(area: pd.DataFrame) -> np.ndarray:
    """One candidate per MSOA: the LSOA centroid nearest the residents-weighted mean of its LSOAs.

    The MSOA is the LSOA name less its final letter ("Birmingham 001A" is in "Birmingham 001").
    """
    frame = area.assign(
        msoa=area["lsoa11nm"].str[:-1], wx=area["x"] * area["residents"], wy=area["y"] * area["residents"]
    )
    sums = frame.groupby("msoa")[["wx", "wy", "residents"]].sum()
    centre_x = frame["msoa"].map(sums["wx"] / sums["residents"])
    centre_y = frame["msoa"].map(sums["wy"] / sums["residents"])
    distance = (frame["x"] - centre_x) ** 2 + (frame["y"] - centre_y) ** 2
    return np.sort(distance.groupby(frame["msoa"]).idxmin().to_numpy())


def national_rows(runs: int) -> list[Row]:
    """National instances (34,753 LSOAs), built sparsely from coordinates; spopt cannot hold them."""
    area = pd.read_parquet(DATA / "ew_lsoa.parquet", columns=["lsoa11nm", "residents", "x", "y"])
    xy = area[["x", "y"]].to_numpy()
    w = area["residents"].to_numpy(float)
    n = len(w)
    rows = []
    candidates = msoa_candidates(area)
    for label, sites in [("one per MSOA", xy[candidates]), ("every LSOA", xy)]:
        began = time.perf_counter()
        cover = travel_coverage(xy, sites, 10.0)
        built = time.perf_counter() - began
        plan, seconds = best_of(runs, lambda c=cover: mclp(w, c, NATIONAL_UNITS))
        rows.append(
            Row.of(
                f"England & Wales LSOAs, candidates {label} ({cover.nnz:,} pairs, built in {built:.2f} s)",
                f"MCLP p={NATIONAL_UNITS}, 10 min",
                f"{n}×{len(sites)}",
                plan,
                seconds,
            )
        )
    for method, limit in [("auto", DEFAULT_TIME_LIMIT), ("highs", 120.0)]:
        plan, seconds = best_of(1, lambda m=method, t=limit: lscp(cover, method=m, time_limit=t))
        rows.append(
            Row.of(
                "England & Wales LSOAs, candidates every LSOA",
                f"LSCP, 10 min ({method}{', 120 s' if method == 'highs' else ''})",
                f"{n}×{n}",
                plan,
                seconds,
            )
        )
    return rows


def table(rows: list[Row]) -> str:
    """A fixed-width text table of the rows."""
    header = f"{'model':<30}{'size':>13}{'objective':>15}{'gap':>9}{'method':>10}{'s':>8}{'spopt s':>9}{'equal':>7}{'×':>7}"
    lines = [header, "-" * len(header)]
    instance = None
    for row in rows:
        if row.instance != instance:
            instance = row.instance
            lines.append(instance)
        spopt_s = "" if row.spopt_seconds is None else f"{row.spopt_seconds:.1f}"
        equal = "" if row.equal is None else ("yes" if row.equal else "NO")
        speedup = "" if row.speedup is None else f"{row.speedup:.1f}"
        lines.append(
            f"  {row.model:<28}{row.size:>13}{row.objective:>15,.1f}{row.gap:>9.2e}{row.method:>10}"
            f"{row.seconds:>8.2f}{spopt_s:>9}{equal:>7}{speedup:>7}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-spopt", action="store_true", help="skip the spopt comparisons (minutes of CBC)")
    parser.add_argument("--runs", type=int, default=3, help="runs of our solver per instance (best kept)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the JSON table")
    args = parser.parse_args()
    rows = ([] if args.no_spopt else spopt_rows(args.runs)) + national_rows(args.runs)
    info = machine(("highspy", "spopt", "pulp", "numpy", "scipy"))
    print(
        f"{info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    )
    print(table(rows))
    args.output.write_text(
        json.dumps({"machine": info, "rows": [row.as_dict() for row in rows]}, indent=2, ensure_ascii=False)
        + "\n"
    )
    print(f"written {args.output}")


if __name__ == "__main__":
    main()

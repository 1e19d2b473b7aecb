"""Standby planning: turn a model into a location problem, solve it, and turn the plan back into a fleet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from readiness import optimise
from readiness.config import Base, Config, UnitGroup
from readiness.errors import ConfigError
from readiness.model import Model
from readiness.resources import ARMED

LocationModel = Literal["lscp", "mclp", "backup", "mexclp", "p-median", "p-center"]
LOCATION_MODELS: tuple[str, ...] = ("lscp", "mclp", "backup", "mexclp", "p-median", "p-center")


@dataclass(frozen=True)
class StandbyProblem:
    """Demand LSOAs × candidate positions (the model's bases, then every LSOA centroid)."""

    weights: np.ndarray  # (n_lsoa,) demand weight: the model's site weights (residents by default)
    minutes: np.ndarray  # (n_lsoa, n_candidates) blue-light minutes
    names: tuple[str, ...]  # candidate names: base names, then LSOA codes
    xy: np.ndarray  # (n_candidates, 2)
    existing: np.ndarray  # candidate indices of the bases where ARVs stand by now

    def coverage(self, within: float) -> np.ndarray:
        return self.minutes <= within


def standby_problem(model: Model) -> StandbyProblem:
    """Candidates are the existing bases and all LSOA centroids; travel is the model's, on blue lights."""
    fleet = model.fleet
    minutes = (model.params["travel.emergency_factor"] * model.travel_minutes.astype(float)).T
    names = (*fleet.base_names, *model.area.codes.tolist())
    xy = model.positions
    existing = np.unique(fleet.position[(fleet.kind == ARMED) & (fleet.position >= 0)])
    return StandbyProblem(weights=np.asarray(model.site_weights, float), minutes=minutes, names=names, xy=xy,
                          existing=existing)


def solve(problem: StandbyProblem, model_name: str, *, units: int, within: float, busy_fraction: float,
          fix_existing: bool, method: optimise.Method = "auto") -> optimise.LocationPlan:
    """Solve one of the six location models on the problem (HiGHS, or the heuristic for large instances)."""
    fixed = problem.existing.tolist() if fix_existing else None
    if fixed is not None and units < len(fixed) and model_name not in ("lscp",):
        raise ConfigError(f"--units {units} is fewer than the {len(fixed)} existing bases that --fix-existing keeps",
                          field="--units")
    if model_name == "lscp":
        return optimise.lscp(problem.coverage(within), fixed, method=method)
    if model_name == "mclp":
        return optimise.mclp(problem.weights, problem.coverage(within), units, fixed, method=method)
    if model_name == "backup":
        return optimise.backup_coverage(problem.weights, problem.coverage(within), units, fixed, method=method)
    if model_name == "mexclp":
        return optimise.mexclp(problem.weights, problem.coverage(within), units, busy_fraction, fixed, method=method)
    if model_name == "p-median":
        return optimise.p_median(problem.weights, problem.minutes, units, fixed, method=method)
    if model_name == "p-center":
        return optimise.p_center(problem.minutes, units, fixed, method=method)
    raise ConfigError(f"unknown model {model_name!r}; expected one of {list(LOCATION_MODELS)}", field="--model")


def plan_config(model: Model, problem: StandbyProblem, plan: optimise.LocationPlan) -> Config:
    """The model's config with its ARVs moved to the plan's sites (other units unchanged)."""
    config = model.config
    resources = config.resources
    bases = list(resources.bases or [])
    known = {b.name for b in bases}
    arv_types = {name for name, t in resources.unit_types.items() if t.kind == "armed"}
    if not arv_types:
        raise ConfigError("the config has no armed unit type to place", field="resources.unit_types")
    arv_type = "arv" if "arv" in arv_types else sorted(arv_types)[0]
    groups = [g for g in resources.units or [] if g.type not in arv_types]
    for site in plan.sites:
        name = problem.names[site]
        if name not in known:
            x, y = problem.xy[site]
            bases.append(Base(name=f"standby {name}", x=float(x), y=float(y), crs=model.area.crs))
            name = f"standby {name}"
        groups.append(UnitGroup(type=arv_type, base=name, count=int(max(plan.units_per_site[site], 1))))
    new_resources = resources.model_copy(update={"bases": bases, "units": groups})
    return config.model_copy(update={"resources": new_resources})


def existing_plan(problem: StandbyProblem, model: Model) -> optimise.LocationPlan:
    """The ARV bases of the model as a plan, for before/after comparisons (not optimised: no objective)."""
    fleet = model.fleet
    counts = np.bincount(fleet.position[(fleet.kind == ARMED) & (fleet.position >= 0)], minlength=len(problem.names))
    return optimise.LocationPlan(model="existing", sites=problem.existing, units_per_site=counts,
                                 objective=float("nan"), bound=float("nan"), gap=0.0, method="existing",
                                 status="existing", solve_seconds=0.0)


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def plan_summary(problem: StandbyProblem, plan: optimise.LocationPlan, *, within: float) -> dict[str, object]:
    """The plan as compact JSON-ready data: chosen sites with names, units and the headline measures."""
    assigned = problem.minutes[:, plan.sites].min(axis=1)
    share = lambda mask: float(problem.weights[mask].sum() / problem.weights.sum())  # noqa: E731
    return {
        "model": plan.model, "method": plan.method, "status": plan.status,
        "objective": _finite(plan.objective), "bound": _finite(plan.bound), "gap": _finite(plan.gap),
        "mean_cost": _finite(plan.mean_cost),
        "sites": [{"candidate": int(s), "name": problem.names[s], "x": float(problem.xy[s, 0]),
                   "y": float(problem.xy[s, 1]), "units": int(max(plan.units_per_site[s], 1)),
                   "existing_base": bool(np.isin(s, problem.existing))} for s in plan.sites],
        "n_sites": plan.n_sites,
        "share_weight_within_standard": share(assigned <= within),
        "weighted_mean_minutes_to_nearest_site": float(np.average(assigned, weights=problem.weights)),
        "largest_minutes_to_nearest_site": float(assigned.max()),
    }


def armed_on_duty_by_shift(model: Model) -> dict[int, list[str]]:
    """Armed units rostered on duty, mapped to the hours of the week with that many (one plan per shift level)."""
    from readiness.config import WEEKDAYS
    from readiness.workload import rostered_on_duty

    minutes = np.arange(168) * 60 + 30
    counts = rostered_on_duty(model, minutes)[:, model.fleet.kind == ARMED].sum(axis=1)
    periods: dict[int, list[str]] = {}
    for hour, count in enumerate(counts):
        periods.setdefault(int(count), []).append(f"{WEEKDAYS[hour // 24]} {hour % 24:02d}:00")
    return dict(sorted(periods.items()))

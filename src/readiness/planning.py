"""Standby planning: turn a model into a location problem, solve it, and turn the plan back into a fleet."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from readiness import __version__
from readiness.assessment import run_assessment
from readiness.config import WEEKDAYS, Base, Config, UnitGroup, portable_config
from readiness.errors import ConfigError
from readiness.exposure import site_layer, weights_for
from readiness.forces import force_record
from readiness.locate import LOCATION_MODELS, LocationModel
from readiness.locate.base import LocationPlan, Method
from readiness.model import Model, derive_model
from readiness.resources import ARMED
from readiness.workload import coverage_results, rostered_on_duty


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


#: What ``readiness optimise --weights`` plans for (the demand weight of each LSOA).
PLANNING_WEIGHTS: tuple[str, ...] = ("exposure", "residents", "week")


def planning_weights(model: Model, choice: str = "exposure") -> np.ndarray:
    """Demand weights a standby plan serves: people exposed at the attack time (the default, so plans follow
    where attacks happen), usual residents, or the site weights averaged over the week's 168 hours.

    ``exposure`` is the configured site weights at the attack time, or the shipped exposure layer when the
    config draws sites by residents.
    """
    if choice not in PLANNING_WEIGHTS:
        raise ConfigError(f"--weights must be one of {', '.join(PLANNING_WEIGHTS)}, got {choice!r}")
    if choice == "residents":
        return model.area.residents.astype(float)
    if choice == "week":
        return np.asarray(model.site_table, float).mean(axis=0)
    scenario = model.config.scenario
    if scenario.site_weights in (None, "residents"):
        table, _ = site_layer("exposure", model.area, model.params)
        return weights_for(table, scenario.attack_time)
    return np.asarray(model.site_weights, float)


def standby_problem(model: Model, *, weights: np.ndarray | None = None) -> StandbyProblem:
    """Candidates are the existing bases and all LSOA centroids; travel is the model's, on blue lights, with
    the congestion of the attack's hour (the week's mean when it is drawn).

    ``weights``: the demand weight per LSOA (default: :func:`planning_weights`, exposure at the attack time).
    """
    fleet = model.fleet
    minutes = (model.attack_blue_light_factor() * model.blue_light_minutes.astype(float)).T
    names = (*fleet.base_names, *model.area.codes.tolist())
    xy = model.positions
    existing = np.unique(fleet.position[(fleet.kind == ARMED) & (fleet.position >= 0)])
    demand = planning_weights(model) if weights is None else np.asarray(weights, float)
    return StandbyProblem(weights=demand, minutes=minutes, names=names, xy=xy, existing=existing)


def location_model(model_name: str) -> LocationModel:
    """The ``LOCATION_MODELS`` entry of a ``--model`` name, or a user error listing the names."""
    if model_name not in LOCATION_MODELS:
        raise ConfigError(f"--model must be one of {', '.join(LOCATION_MODELS)}, got {model_name!r}")
    return LOCATION_MODELS[model_name]


def solve(problem: StandbyProblem, model_name: str, *, units: int, within: float, busy_fraction: float,
          fix_existing: bool, method: Method = "auto") -> LocationPlan:
    """Solve one of the ``LOCATION_MODELS`` on the problem (HiGHS, or the heuristic for large instances)."""
    entry = location_model(model_name)
    fixed = problem.existing.tolist() if fix_existing else None
    if fixed is not None and units < len(fixed) and entry.places_units:
        raise ConfigError(f"--units {units} is fewer than the {len(fixed)} existing bases that --fix-existing keeps",
                          field="--units")
    return entry.solve(problem.weights, problem.minutes, within=within, units=units, busy_fraction=busy_fraction,
                       fixed=fixed, method=method)


def plan_config(model: Model, problem: StandbyProblem, plan: LocationPlan) -> Config:
    """The model's config with its ARVs moved to the plan's sites (other units unchanged)."""
    config = model.config
    resources = config.resources
    bases = list(resources.bases or [])
    known = {b.name for b in bases}
    arv_types = {name for name, t in resources.unit_types.items() if t.kind == "armed"}
    if not arv_types:
        raise ConfigError("the config has no armed unit type to place", field="resources.unit_types")
    arv_type = "arv" if "arv" in arv_types else min(arv_types)
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


def existing_plan(problem: StandbyProblem, model: Model) -> LocationPlan:
    """The ARV bases of the model as a plan, for before/after comparisons (not optimised: no objective)."""
    fleet = model.fleet
    counts = np.bincount(fleet.position[(fleet.kind == ARMED) & (fleet.position >= 0)], minlength=len(problem.names))
    return LocationPlan(model="existing", sites=problem.existing, units_per_site=counts,
                                 objective=float("nan"), bound=float("nan"), gap=0.0, method="existing",
                                 status="existing", solve_seconds=0.0)


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def plan_summary(problem: StandbyProblem, plan: LocationPlan, *, within: float) -> dict[str, object]:
    """The plan as compact JSON-ready data: chosen sites with names, units and the headline measures."""
    assigned = problem.minutes[:, plan.sites].min(axis=1)
    share = lambda mask: float(problem.weights[mask].sum() / problem.weights.sum())
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
    minutes = np.arange(168) * 60 + 30
    counts = rostered_on_duty(model, minutes)[:, model.fleet.kind == ARMED].sum(axis=1)
    periods: dict[int, list[str]] = {}
    for hour, count in enumerate(counts):
        periods.setdefault(int(count), []).append(f"{WEEKDAYS[hour // 24]} {hour % 24:02d}:00")
    return dict(sorted(periods.items()))


@dataclass(frozen=True)
class OptimiseResult:
    """What ``readiness optimise`` found: the model, its location problem, the plan and the results document."""

    model: Model
    problem: StandbyProblem
    plan: LocationPlan
    results: dict[str, object]


def run_optimise(model: Model, *, model_name: str, units: int | None, within: float, busy_fraction: float | None,
                 fix_existing: bool, method: Method, per_shift: bool, assess_plan: bool, replications: int,
                 seed: int, weights: str = "exposure") -> OptimiseResult:
    """Plan where the ARVs stand by (``units``: default the ARVs on duty; ``busy_fraction``: default from workload).

    With ``per_shift`` also one plan per number of ARVs the shift pattern puts on duty; with
    ``assess_plan`` the existing bases and the plan are both simulated on the same seed. ``weights``: what
    the plan serves (:data:`PLANNING_WEIGHTS`).
    """
    location_model(model_name)
    demand = planning_weights(model, weights)
    units = units or model.fleet.count(ARMED)
    if busy_fraction is None:
        busy_fraction = (coverage_results(model, seed=seed, replications=5)["utilisation"]["overall"]
                         if model.config.workload.enabled else 0.0)
    problem = standby_problem(model, weights=demand)
    plan = solve(problem, model_name, units=units, within=within, busy_fraction=busy_fraction,
                 fix_existing=fix_existing, method=method)
    planned = derive_model(model, plan_config(model, problem, plan))
    results: dict[str, object] = {
        "format": "readiness.optimise/1", "version": __version__, "seed": seed,
        "request": {"model": model_name, "weights": weights, "units": units, "within_min": within,
                    "busy_fraction": round(busy_fraction, 6), "fix_existing": fix_existing, "method": method},
        **force_record(model),
        "config": portable_config(model.config), "parameters": model.params.as_records(),
        "existing": plan_summary(problem, existing_plan(problem, model), within=within),
        "plan": plan_summary(problem, plan, within=within),
        "plan_config": portable_config(planned.config),
    }
    if per_shift:
        results["plans_by_shift"] = [
            {"armed_on_duty": count, "hours_per_week": len(hours), "first_hours": hours[:3],
             "plan": plan_summary(problem, solve(problem, model_name, units=count, within=within,
                                                 busy_fraction=busy_fraction, fix_existing=False, method=method),
                                  within=within)}
            for count, hours in armed_on_duty_by_shift(model).items() if count > 0]
    if assess_plan:
        before = run_assessment(model, replications=replications, seed=seed)
        after = run_assessment(planned, replications=replications, seed=seed)
        results["assessment"] = {"replications": replications,
                                 "before": before.results["by_sites"], "after": after.results["by_sites"]}
    return OptimiseResult(model=model, problem=problem, plan=plan, results=results)

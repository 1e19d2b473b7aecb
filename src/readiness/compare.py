"""Compare options with the baseline on common random numbers: differences, money, Pareto, prevention."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from readiness import __version__
from readiness.config import ResourcesConfig, portable_config
from readiness.costs import Cost, cost_per_life_saved, officers_for_cut, option_cost
from readiness.engine import Outcomes, UnitStateSampler, simulate
from readiness.forces import force_record
from readiness.kinds import PATROL_TEAM
from readiness.model import Model
from readiness.neighbourhood import on_duty
from readiness.options import AppliedOption
from readiness.registry import Parameters
from readiness.resources import ARMED, SPECIALIST, UNARMED
from readiness.sensitivity import (
    SOBOL_RESAMPLES,
    model_with_parameters,
    morris,
    ranged,
    sobol,
    sobol_evaluations,
    tornado,
)
from readiness.structural import paired_rows, run_structural, structural_metrics_by_k
from readiness.summary import paired_difference, per_replication, rounded, summarise_sites
from readiness.workload import unit_state_sampler

RESULTS_FORMAT = "readiness.compare/1"
DEFAULT_SITES: tuple[int, ...] = (1, 3, 5)
#: The K of the Pareto chart and the sensitivity analysis (Paris 2015 had three teams).
REFERENCE_SITES = 3
METRICS: tuple[str, ...] = ("time_to_first_armed_min", "share_sites_waiting_over_10_min", "deaths_per_attack")
#: Registry namespaces that never enter a simulation: swept analytically on the money, not re-simulated.
MONEY_PREFIXES: tuple[str, ...] = ("costs.", "threat.", "prevention.", "options.cut_share_")
FUNDING_CUT_GBP = 28_300_000.0
#: The K values of the Sobol analysis (one site, and Paris 2015's three).
SOBOL_SITES: tuple[int, ...] = (1, 3)

#: The unit-state sampler of each model compared (``run_comparison``'s ``sampler_for``).
SamplerFor = Callable[[Model], UnitStateSampler]


@dataclass(frozen=True)
class Comparison:
    """Outcomes of the baseline and each option (by name, then K) and the results document."""

    baseline: Model
    options: tuple[AppliedOption, ...]
    outcomes: dict[str, dict[int, Outcomes]]
    results: dict[str, object]
    seconds: dict[str, float] = field(default_factory=dict)  # run times of parts (run.json, never results)


def replication_metrics(outcomes: Outcomes, horizon: float) -> dict[str, np.ndarray]:
    """Per replication: mean minutes to first armed (censored at the horizon), share waiting > 10, deaths."""
    return per_replication(outcomes, horizon, METRICS)


def disruption_probability(neighbourhood: float, params: Mapping[str, float]) -> float:
    """P(plot disrupted) at a neighbourhood staffing level: an assumption, never mixed with response results.

    Plots not disrupted scale as (staffing / today's staffing) ^ -elasticity, where staffing is
    intelligence officers plus weighted neighbourhood officers; capped at 1.
    """
    weight = params["prevention.neighbourhood_weight"]
    today = params["prevention.intelligence_officers"] + weight * params["neighbourhood.officers"]
    staffing = params["prevention.intelligence_officers"] + weight * max(neighbourhood, 0.0)
    if staffing <= 0:
        return 0.0
    missed = (1.0 - params["prevention.disruption_probability"]) * (staffing / today) ** -params[
        "prevention.staffing_elasticity"]
    return max(0.0, 1.0 - min(missed, 1.0))


def prevention_rows(names: Sequence[str], officers_lost: Sequence[Mapping[str, float]], deaths: Sequence[float],
                    params: Mapping[str, float]) -> list[dict[str, object]]:
    """Expected deaths per year = plots per year x (1 - P(disrupted)) x deaths per attack, per option.

    Plots per year are backed out of ``threat.attacks_per_year`` (attacks that happen today) and today's
    P(disrupted), so the baseline reproduces the registry's attack rate.
    """
    plots = params["threat.attacks_per_year"] / (1.0 - params["prevention.disruption_probability"])
    rows = []
    for name, lost, per_attack in zip(names, officers_lost, deaths):
        neighbourhood = params["neighbourhood.officers"] - lost.get("neighbourhood", 0.0)
        p = disruption_probability(neighbourhood, params)
        rows.append({"option": name, "neighbourhood_officers": rounded(neighbourhood),
                     "p_disrupted": rounded(p), "attacks_per_year": rounded(plots * (1 - p)),
                     "deaths_per_attack": rounded(per_attack),
                     "expected_deaths_per_year": rounded(plots * (1 - p) * per_attack)})
    return rows


def pareto_frontier(points: Mapping[str, tuple[float, float]]) -> list[str]:
    """Names not dominated in (lower yearly cost, more deaths averted), cheapest first."""
    frontier = []
    for name, (cost, gain) in points.items():
        dominated = any(c <= cost and g >= gain and (c < cost or g > gain) for other, (c, g) in points.items()
                        if other != name)
        if not dominated:
            frontier.append(name)
    return sorted(frontier, key=lambda n: (points[n][0], n))


def funding_cut(params: Parameters, amount_gbp: float = FUNDING_CUT_GBP) -> dict[str, object]:
    """Officers a cut removes at the registry's full cost per officer, with the range of that cost."""
    entry = next(p for p in params.entries() if p.name == "costs.officer_full_gbp")
    return {"amount_gbp": amount_gbp, "source": "Hansard / MP statements Nov 2015; BBC 9 Nov 2015",
            "officers_lost": round(officers_for_cut(amount_gbp, params)),
            "officers_lost_range": [round(amount_gbp / entry.high), round(amount_gbp / entry.low)],
            "officer_full_cost_gbp": [entry.low, entry.value, entry.high]}


def _fleet_record(model: Model) -> dict[str, int]:
    fleet = model.fleet
    return {"armed_units": fleet.count(ARMED), "specialist_teams": fleet.count(SPECIALIST) + fleet.count(PATROL_TEAM),
            "unarmed_units": fleet.count(UNARMED), "armed_officers": int(fleet.officers.sum()),
            "armed_posts": 0 if model.posts is None else len(model.posts.lsoa)}


def _ci_record(stats: Mapping[str, object]) -> dict[str, object]:
    return {"mean": stats["mean"], "ci95": stats["ci95"]}


def _outcomes_by_k(model: Model, sampler: UnitStateSampler, sites: Sequence[int], *, replications: int, seed: int,
                   progress: Callable[[int], None] | None) -> dict[int, Outcomes]:
    """One model at every K with one sampler, so the workload warm-up runs once and serves every K."""
    return {k: simulate(model, sites=k, replications=replications, seed=seed, unit_states=sampler, progress=progress)
            for k in sites}


def run_comparison(baseline: Model, options: Sequence[AppliedOption], *, replications: int, seed: int,
                   baseline_name: str = "baseline", sites: Sequence[int] = DEFAULT_SITES,
                   sampler_for: SamplerFor | None = None, resources: ResourcesConfig | None = None,
                   sensitivity_replications: int = 400, morris_trajectories: int = 6, structural: bool = True,
                   sobol_samples: int = 0,
                   sobol_parameters: Sequence[str] | int | None = None, sobol_replications: int | None = None,
                   progress: Callable[[int], None] | None = None) -> Comparison:
    """Run the baseline and every option on the same seed (common random numbers) and build the results.

    ``sensitivity_replications = 0`` skips the sensitivity analysis; ``resources`` is the baseline's
    resources config before defaults (so ``arv.on_duty`` moves the fleet in the sensitivity sweeps);
    ``sampler_for=None`` runs every model with its configured unit states (``workload.unit_state_sampler``).
    ``sobol_samples`` (a power of two, 0: none) adds Sobol indices at K = 1 and 3 over the simulated
    parameters, ``sobol_samples x (parameters + 2)`` evaluations of ``sobol_replications`` (default: the
    sensitivity replications); ``sobol_parameters`` names a subset, or an int ``n`` takes the ``n`` with
    the largest Morris mu* on deaths per attack (screen, then quantify).
    ``structural=False`` skips the structural scenarios (``readiness.structural``).
    """
    sampler_for = sampler_for or unit_state_sampler
    params, horizon = baseline.params, baseline.params["horizon_min"]
    models = {baseline_name: baseline, **{a.name: a.model for a in options}}

    def simulate_k(model: Model) -> dict[int, Outcomes]:
        return _outcomes_by_k(model, sampler_for(model), sites, replications=replications, seed=seed,
                              progress=progress)

    outcomes = {name: simulate_k(model) for name, model in models.items()}
    metrics = {name: {k: replication_metrics(o, horizon) for k, o in by_k.items()} for name, by_k in outcomes.items()}
    costs: dict[str, Cost] = {a.name: option_cost(a.changes, params) for a in options}
    differences, money = [], []
    for applied in options:
        for k in sites:
            for metric in METRICS:
                stats = paired_difference(metrics[applied.name][k][metric], metrics[baseline_name][k][metric])
                differences.append({"option": applied.name, "sites": k, "metric": metric, **_ci_record(stats)})
            averted = paired_difference(metrics[baseline_name][k]["deaths_per_attack"],
                                        metrics[applied.name][k]["deaths_per_attack"])
            money.append(_money_row(applied.name, k, costs[applied.name].yearly_gbp, averted, params))
    reference = REFERENCE_SITES if REFERENCE_SITES in sites else sites[len(sites) // 2]
    points = {baseline_name: (0.0, 0.0), **{r["option"]: (r["yearly_cost_gbp"], r["deaths_averted_per_attack"]["mean"])
                                            for r in money if r["sites"] == reference}}
    deaths_ref = [float(metrics[n][reference]["deaths_per_attack"].mean()) for n in models]
    lost = [{}, *(a.changes.officers_lost for a in options)]
    results: dict[str, object] = {
        "format": RESULTS_FORMAT, "version": __version__, "seed": seed, "replications": replications,
        "sites": list(sites), "reference_sites": reference,
        "area": {"name": baseline.area.name, "lsoas": baseline.area.n},
        **force_record(baseline),
        "config": portable_config(baseline.config),
        "parameters": params.as_records(),
        "options": [{"name": baseline_name, "description": "the configuration as it stands", "changes": [],
                     "fleet": _fleet_record(baseline), "cost": None,
                     "by_sites": [summarise_sites(outcomes[baseline_name][k], horizon) for k in sites]}]
        + [{"name": a.name, "description": a.option.description, "changes": list(a.summary),
            "fleet": _fleet_record(a.model), "cost": costs[a.name].as_record(),
            "by_sites": [summarise_sites(outcomes[a.name][k], horizon) for k in sites]} for a in options],
        "differences": differences,
        "value_for_money": money,
        "pareto": {"sites": reference, "points": [{"option": n, "yearly_cost_gbp": round(c), "deaths_averted_per_attack": rounded(g)}
                                                  for n, (c, g) in points.items()],
                   "frontier": pareto_frontier(points)},
        "funding_cut": funding_cut(params),
        "prevention": {"label": "assumption: not part of the response results",
                       "sites": reference,
                       "rows": prevention_rows(list(models), lost, deaths_ref, params)},
        "neighbourhood_response": neighbourhood_response(options, outcomes, baseline_name, horizon),
    }
    if structural:
        results["structural"] = run_structural(baseline, outcomes[baseline_name], simulate_k)
    seconds: dict[str, float] = {}
    if sensitivity_replications > 0:
        results["sensitivity"] = _sensitivity(baseline, options, resources, points, seed=seed,
                                              replications=sensitivity_replications, sites=reference,
                                              trajectories=morris_trajectories, sampler_for=sampler_for)
        if sobol_samples > 0:
            began = time.perf_counter()
            sensitivity = results["sensitivity"]
            if isinstance(sobol_parameters, int):
                screened = [r["parameter"] for r in sensitivity.get("morris", []) if r["output"] == "deaths_per_attack"]
                if not screened:
                    raise ValueError("a number of Sobol parameters needs the Morris screen (morris_trajectories > 0)")
                sobol_parameters = screened[:sobol_parameters]
            sensitivity["sobol"] = _sobol(
                baseline, resources, seed=seed, replications=sobol_replications or sensitivity_replications,
                base_samples=sobol_samples, names=sobol_parameters, sampler_for=sampler_for)
            seconds["sobol"] = time.perf_counter() - began
    return Comparison(baseline=baseline, options=tuple(options), outcomes=outcomes, results=results, seconds=seconds)


def neighbourhood_response(options: Sequence[AppliedOption], outcomes: Mapping[str, Mapping[int, Outcomes]],
                           baseline_name: str, horizon: float) -> list[dict[str, object]]:
    """What a cut in neighbourhood staffing does to the response: first unarmed arrival and deaths, paired.

    One row per option that removes neighbourhood officers (response results, unlike the prevention section).
    """
    cuts = [a for a in options if a.changes.officers_lost.get("neighbourhood", 0.0) > 0]
    baseline = structural_metrics_by_k(outcomes[baseline_name], horizon)
    return [{"option": a.name, "neighbourhood_officers": a.model.params["neighbourhood.officers"],
             "neighbourhood_on_duty": round(on_duty(a.model.params), 1),
             "responders": bool(a.model.config.resources.neighbourhood),
             "by_sites": paired_rows(outcomes[a.name], baseline, horizon)}
            for a in cuts]


def _money_row(name: str, k: int, yearly: float, averted: Mapping[str, object],
               params: Mapping[str, float]) -> dict[str, object]:
    gain = float(averted["mean"])
    rate = params["threat.attacks_per_year"]
    per_life = cost_per_life_saved(yearly, gain, rate)
    return {"option": name, "sites": k, "yearly_cost_gbp": round(yearly),
            "deaths_averted_per_attack": _ci_record(averted),
            "lives_saved_per_year": rounded(rate * gain),
            "cost_per_life_saved_gbp": None if per_life is None else round(per_life),
            "lives_saved_per_gbp_m_per_year": rounded(rate * gain / (yearly / 1e6)) if yearly > 0 else None}


def _sensitivity(baseline: Model, options: Sequence[AppliedOption], resources: ResourcesConfig | None,
                 points: Mapping[str, tuple[float, float]], *, seed: int, replications: int, sites: int,
                 trajectories: int, sampler_for: SamplerFor) -> dict[str, object]:
    """Response outputs of the baseline swept by simulation; money outputs of each option swept analytically."""
    params, horizon = baseline.params, baseline.params["horizon_min"]

    def response(values: Parameters) -> dict[str, float]:
        model = model_with_parameters(baseline, values, resources=resources)
        outcomes = simulate(model, sites=sites, replications=replications, seed=seed,
                            unit_states=sampler_for(model))
        return {name: float(v.mean()) for name, v in replication_metrics(outcomes, horizon).items()}

    def money(values: Parameters) -> dict[str, float]:
        out = {}
        for applied in options:
            gain = points[applied.name][1] * values["threat.attacks_per_year"]
            out[f"yearly cost, {applied.name} (GBP m)"] = option_cost(applied.changes, values).yearly_gbp / 1e6
            out[f"lives saved per GBP m, {applied.name}"] = gain / max(
                option_cost(applied.changes, values).yearly_gbp / 1e6, 1e-9) if gain > 0 else 0.0
        return out

    simulated = ranged(params, exclude_prefixes=MONEY_PREFIXES)
    analytic = [p for p in ranged(params) if p.name.startswith(MONEY_PREFIXES)]
    result: dict[str, object] = {"sites": sites, "replications": replications,
                                 "tornado": _rounded(tornado(response, params, simulated)),
                                 "money_tornado": _rounded(tornado(money, params, analytic))}
    if trajectories > 0:
        result["morris"] = _rounded(morris(response, params, simulated, trajectories=trajectories, seed=seed))
        result["morris_trajectories"] = trajectories
    return result


def _sobol(baseline: Model, resources: ResourcesConfig | None, *, seed: int, replications: int, base_samples: int,
           names: Sequence[str] | None, sampler_for: SamplerFor) -> dict[str, object]:
    """Sobol indices of the response metrics at each K of ``SOBOL_SITES``, over the simulated parameters."""
    params, horizon = baseline.params, baseline.params["horizon_min"]
    entries = [p for p in ranged(params, exclude_prefixes=MONEY_PREFIXES) if names is None or p.name in names]

    def response(values: Parameters) -> dict[str, float]:
        model = model_with_parameters(baseline, values, resources=resources)
        out = {}
        for k in SOBOL_SITES:
            outcomes = simulate(model, sites=k, replications=replications, seed=seed, unit_states=sampler_for(model))
            out.update({f"{name}|{k}": float(v.mean()) for name, v in replication_metrics(outcomes, horizon).items()})
        return out

    rows = []
    for row in sobol(response, params, entries, base_samples=base_samples, seed=seed):
        metric, k = str(row["output"]).split("|")
        rows.append({**row, "output": metric, "sites": int(k)})
    return {"sites": list(SOBOL_SITES), "base_samples": base_samples, "parameters": len(entries),
            "evaluations": sobol_evaluations(base_samples, len(entries)), "replications": replications,
            "bootstrap_resamples": SOBOL_RESAMPLES, "rows": _rounded(rows)}


def _rounded(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: rounded(v) if isinstance(v, float) else v for k, v in row.items()} for row in rows]

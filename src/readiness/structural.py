"""Structural scenarios: every structural switch of the config, flipped one at a time against the baseline.

A parameter has a range the sensitivity analysis sweeps; a structural choice (where sites fall, whether
neighbourhood officers respond, which travel model) has alternatives instead. ``SWITCHES`` is the one
table of them: a switch is a name, a dotted path into the config and its values by label, so **adding a
switch is one line**. ``readiness compare`` runs each alternative on the baseline's seed (common random
numbers) and reports paired differences under ``structural`` (docs/results.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from readiness.config import Config
from readiness.engine import Outcomes
from readiness.model import Model, derive_model
from readiness.summary import mean_ci, paired_difference, per_replication

#: What each scenario reports, per replication (mean over sites, or the attack's total).
STRUCTURAL_METRICS: tuple[str, ...] = ("time_to_first_armed_min", "time_to_first_unarmed_min",
                                       "share_sites_waiting_over_10_min", "deaths_per_attack")


@dataclass(frozen=True)
class Switch:
    """A structural choice: its report name, where it lives in the config, and its values by label."""

    name: str
    path: str  # dotted path into the config; a part may be a key of a mapping (unit_types.arv)
    values: Mapping[str, Any]

    def current(self, config: Config) -> str | None:
        """The label of the config's value, or ``None`` when it is none of the listed values (or the config has
        nothing there: a unit type it does not define)."""
        try:
            value = _get(config, self.path.split("."))
        except KeyError:
            return None
        return next((label for label, v in self.values.items() if v == value), None)

    def alternatives(self, config: Config) -> list[tuple[str, Config]]:
        """``(label, config)`` for each listed value the config does not have (none if it has an unlisted one)."""
        current = self.current(config)
        if current is None:
            return []
        return [(label, _set(config, self.path.split("."), value)) for label, value in self.values.items()
                if label != current]


#: The structural switches, one line each (a later switch: one more line).
SWITCHES: tuple[Switch, ...] = (
    Switch("site_weights", "scenario.site_weights", {"exposure": "exposure", "residents": "residents"}),
    Switch("neighbourhood", "resources.neighbourhood", {"on": True, "off": False}),
    Switch("travel.model", "travel.model", {"emergency": "emergency", "calibrated": "calibrated"}),
    Switch("travel.congestion", "travel.congestion", {"on": True, "off": False}),
    Switch("dispatch.doctrine", "dispatch.doctrine", {"confront": "confront", "contain": "contain"}),
    Switch("arv.deployment", "resources.unit_types.arv.deployment", {"patrol": "patrol", "base": "base"}),
    Switch("arv.patrol_area", "resources.unit_types.arv.patrol_area", {"base": "base", "force": "force"}),
    Switch("dispatch.move_up", "dispatch.move_up", {"off": False, "on": True}),
)


@dataclass(frozen=True)
class Scenario:
    """One switch set to one alternative value, and the model it gives."""

    switch: str
    value: str
    baseline_value: str
    model: Model

    @property
    def name(self) -> str:
        return f"{self.switch}: {self.value}"


def structural_scenarios(baseline: Model, switches: Sequence[Switch] = SWITCHES) -> list[Scenario]:
    """Every alternative of every switch the baseline's config has a listed value for, as models."""
    return [Scenario(switch.name, label, str(switch.current(baseline.config)), derive_model(baseline, config))
            for switch in switches for label, config in switch.alternatives(baseline.config)]


def scenario_count(config: Config, switches: Sequence[Switch] = SWITCHES) -> int:
    """How many structural scenarios a config gives (for progress bars, without building models)."""
    return sum(len(switch.alternatives(config)) for switch in switches)


def structural_metrics(outcomes: Outcomes, horizon: float) -> dict[str, np.ndarray]:
    """Per replication: mean minutes to first armed and first unarmed (censored), share waiting > 10, deaths."""
    return per_replication(outcomes, horizon, STRUCTURAL_METRICS)


def structural_metrics_by_k(outcomes: Mapping[int, Outcomes], horizon: float) -> dict[int, dict[str, np.ndarray]]:
    """:func:`structural_metrics` at each K: the baseline's, computed once for all the rows paired with it."""
    return {k: structural_metrics(o, horizon) for k, o in outcomes.items()}


def paired_rows(option: Mapping[int, Outcomes], baseline: Mapping[int, Mapping[str, np.ndarray]],
                horizon: float) -> list[dict[str, object]]:
    """Per K: each metric's baseline mean, scenario mean and paired difference with its 95% CI (``baseline``:
    the baseline's :func:`structural_metrics_by_k`)."""
    rows = []
    for k, theirs in baseline.items():
        ours = structural_metrics(option[k], horizon)
        rows.append({"sites": k, **{m: {"baseline": mean_ci(theirs[m])["mean"], "scenario": mean_ci(ours[m])["mean"],
                                        "difference": paired_difference(ours[m], theirs[m])}
                                    for m in STRUCTURAL_METRICS}})
    return rows


def run_structural(baseline: Model, baseline_outcomes: Mapping[int, Outcomes],
                   simulate_k: Callable[[Model], Mapping[int, Outcomes]],
                   switches: Sequence[Switch] = SWITCHES) -> dict[str, object]:
    """The ``structural`` section: each scenario against the baseline's outcomes on the same seed."""
    horizon = baseline.params["horizon_min"]
    theirs = structural_metrics_by_k(baseline_outcomes, horizon)
    scenarios = [{"name": s.name, "switch": s.switch, "value": s.value, "baseline_value": s.baseline_value,
                  "by_sites": paired_rows(simulate_k(s.model), theirs, horizon)}
                 for s in structural_scenarios(baseline, switches)]
    return {"metrics": list(STRUCTURAL_METRICS), "scenarios": scenarios}


def _get(node: Any, parts: list[str]) -> Any:
    for part in parts:
        node = node[part] if isinstance(node, Mapping) else getattr(node, part)
    return node


def _set(node: Any, parts: list[str], value: Any) -> Any:
    """A copy of ``node`` with the value at ``parts`` replaced (pydantic models and mappings alike)."""
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(node, BaseModel):
        return node.model_copy(update={head: _set(getattr(node, head), rest, value)})
    return {**node, head: _set(node[head], rest, value)}

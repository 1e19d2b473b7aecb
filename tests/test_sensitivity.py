"""Sensitivity: the tornado and Morris screening find a planted dominant parameter; sweeps move the fleet."""

import numpy as np

from readiness.config import default_config
from readiness.engine import simulate
from readiness.registry import Parameters
from readiness.sensitivity import model_with_parameters, morris, ranged, tornado

PLANTED = "notify.sigma"


def planted(values: Parameters) -> dict[str, float]:
    """Dominated by one parameter; the others move it a little."""
    return {"y": 100 * values[PLANTED] + 0.01 * values["attack.window_min"] + values["harm.plato_reduction"]}


def test_tornado_ranks_the_planted_parameter_first():
    params = Parameters()
    entries = ranged(params, exclude_prefixes=("costs.",))
    rows = tornado(planted, params, entries)
    assert rows[0]["parameter"] == PLANTED
    assert abs(rows[0]["swing"] - 100 * (0.8 - 0.25)) < 1e-9
    assert all(row["swing"] == 0 for row in rows if row["parameter"] not in
               {PLANTED, "attack.window_min", "harm.plato_reduction"})
    assert not any(row["parameter"].startswith("costs.") for row in rows)
    assert all(p.low < p.high for p in entries)


def test_morris_ranks_the_planted_parameter_first():
    params = Parameters()
    entries = [p for p in ranged(params) if p.name.startswith(("notify.", "attack.", "harm."))]
    rows = morris(planted, params, entries, trajectories=6, seed=3)
    assert rows[0]["parameter"] == PLANTED
    assert rows[0]["mu_star"] > 10 * rows[1]["mu_star"]
    assert rows == morris(planted, params, entries, trajectories=6, seed=3)  # seeded: reproducible


def test_model_with_parameters_rebuilds_the_fleet(default_model):
    raw = default_config().resources
    twelve = model_with_parameters(default_model, Parameters({"arv.on_duty": 12}), resources=raw)
    assert twelve.fleet.count(0) == 12 and twelve.params["arv.on_duty"] == 12
    slower = simulate(default_model, sites=3, replications=300, seed=2).t_first_armed
    faster = simulate(twelve, sites=3, replications=300, seed=2).t_first_armed
    assert np.minimum(faster, 120).mean() < np.minimum(slower, 120).mean()

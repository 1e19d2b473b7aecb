"""Structural scenarios: the switch table, config paths, scenarios on common random numbers, the compare section."""

import json

import pytest

from readiness.compare import run_comparison
from readiness.config import default_config
from readiness.options import BudgetCut, cut_split
from readiness.registry import FIREARMS_OFFICERS, NEIGHBOURHOOD_OFFICERS, RESPONSE_OFFICERS, Parameters
from readiness.structural import SWITCHES, scenario_count, structural_scenarios


def test_a_switch_reads_and_flips_its_config_value_and_names_the_scenario(default_model):
    names = [s.name for s in structural_scenarios(default_model)]
    assert "neighbourhood: off" in names
    assert len(names) == scenario_count(default_model.config)
    (off,) = [s for s in structural_scenarios(default_model) if s.name == "neighbourhood: off"]
    assert off.model.config.resources.neighbourhood is False and off.baseline_value == "on"
    assert off.model.config.travel == default_model.config.travel  # only the switch moves


def test_a_switch_reaches_into_mappings_so_unit_type_switches_are_one_line():
    (deployment,) = [s for s in SWITCHES if s.name == "arv.deployment"]
    config = default_config()
    assert deployment.current(config) == "patrol"  # ARVs patrol by default (docs/model.md section 9)
    ((label, flipped),) = deployment.alternatives(config)
    assert label == "base" and flipped.resources.unit_types["arv"].deployment == "base"
    assert flipped.resources.unit_types["response"] == config.resources.unit_types["response"]
    assert config.resources.unit_types["arv"].deployment == "patrol"  # the original is untouched


def test_a_config_with_an_unlisted_value_gets_no_scenario_for_that_switch():
    travel = next(s for s in SWITCHES if s.name == "travel.model")
    config = default_config().model_copy(update={"travel": default_config().travel.model_copy(
        update={"model": "network"})})
    assert travel.current(config) is None and travel.alternatives(config) == []


def test_a_config_without_the_unit_type_a_switch_names_gets_no_scenario_for_it():
    types = {name: t for name, t in default_config().resources.unit_types.items() if name != "arv"}
    config = default_config().model_copy(update={"resources": default_config().resources.model_copy(
        update={"unit_types": types})})
    for switch in SWITCHES:
        if switch.path.startswith("resources.unit_types.arv."):
            assert switch.current(config) is None and switch.alternatives(config) == []


def test_switch_names_are_unique():
    assert len({s.name for s in SWITCHES}) == len(SWITCHES)


def test_structural_section_pairs_each_scenario_with_the_baseline(default_model):
    results = run_comparison(default_model, [], replications=150, seed=6, sites=(1, 3),
                             sensitivity_replications=0).results
    section = results["structural"]
    off = next(s for s in section["scenarios"] if s["name"] == "neighbourhood: off")
    row = next(r for r in off["by_sites"] if r["sites"] == 3)
    unarmed = row["time_to_first_unarmed_min"]
    assert unarmed["difference"]["mean"] > 0 and unarmed["difference"]["ci95"][0] > 0
    assert unarmed["scenario"] - unarmed["baseline"] == pytest.approx(unarmed["difference"]["mean"], abs=1e-5)
    assert row["time_to_first_armed_min"]["difference"]["mean"] == 0  # same attacks, same ARVs
    assert row["deaths_per_attack"]["difference"]["mean"] > 0
    json.dumps(results, allow_nan=False)
    skipped = run_comparison(default_model, [], replications=20, seed=6, sites=(1,), sensitivity_replications=0,
                             structural=False).results
    assert "structural" not in skipped


def test_a_cut_defaults_to_each_roles_share_of_the_officers():
    params = Parameters()
    total = NEIGHBOURHOOD_OFFICERS + RESPONSE_OFFICERS + FIREARMS_OFFICERS
    split = cut_split(BudgetCut(amount_gbp=1e6), protect_neighbourhood=False, params=params, field="cut")
    assert split["firearms"] == pytest.approx(FIREARMS_OFFICERS / total, abs=1e-4)
    assert split["neighbourhood"] == pytest.approx(NEIGHBOURHOOD_OFFICERS / total, abs=1e-4)
    assert sum(split.values()) == pytest.approx(1.0)
    protected = cut_split(BudgetCut(amount_gbp=1e6), protect_neighbourhood=True, params=params, field="cut")
    assert protected["firearms"] == pytest.approx(FIREARMS_OFFICERS / (FIREARMS_OFFICERS + RESPONSE_OFFICERS),
                                                  abs=1e-4)
    settable = cut_split(BudgetCut(amount_gbp=1e6, split={"firearms": 1.0, "response": 3.0}),
                         protect_neighbourhood=False, params=params, field="cut")
    assert settable == {"neighbourhood": 0.0, "response": 0.75, "firearms": 0.25}

"""Move-up: the compliance table on an instance solved by hand, and its effect in the kernel in closed form."""

from types import SimpleNamespace

import numpy as np
import pytest
from conftest import model_from

from readiness.config import config_from_mapping, load_config, parse_week_time
from readiness.costs import option_cost
from readiness.engine import simulate
from readiness.errors import ConfigError
from readiness.kinds import ARMED, UNARMED
from readiness.model_checks import one_unit_config
from readiness.move_up import compliance_table
from readiness.options import apply_option, load_options
from readiness.structural import SWITCHES


def _world(weights: list[float], covers: list[list[int]], kinds: list[int]) -> SimpleNamespace:
    """A model-like world of LSOAs (after two bases) where candidate ``j`` reaches the LSOAs in ``covers[j]``."""
    n = len(weights)
    minutes = np.full((2 + n, n), 30.0, dtype=np.float32)
    for j, reached in enumerate(covers):
        minutes[2 + j, reached] = 5.0
    return SimpleNamespace(params={"dispatch.move_up_standard_min": 10.0}, site_weights=np.array(weights),
                           blue_light_minutes=minutes, n_bases=2, attack_blue_light_factor=lambda: 1.0,
                           fleet=SimpleNamespace(kind=np.array(kinds)))


def test_each_row_is_the_best_plan_for_that_many_units_solved_by_hand():
    # A (6) alone; B (4) alone; C (3) also reaches D (2); D alone: 1 unit A (6), 2 units A + C (11 > 10), 3: all (15)
    world = _world([6.0, 4.0, 3.0, 2.0], [[0], [1], [2, 3], [3]], [ARMED, ARMED, UNARMED, ARMED])
    table = compliance_table(world)
    assert table.max_units == 3  # one row per ARV of the fleet, unarmed units not counted
    assert table.positions.tolist() == [[-1, -1, -1], [2, -1, -1], [2, 4, -1], [2, 3, 4]]
    assert table.covered_share == pytest.approx([0.0, 6 / 15, 11 / 15, 1.0])


def test_the_table_is_solved_once_for_the_same_inputs():
    world = _world([1.0, 2.0], [[0], [1]], [ARMED])
    assert compliance_table(world) is compliance_table(world)
    world.params = {"dispatch.move_up_standard_min": 4.0}  # nothing within 4 minutes: a new table
    assert compliance_table(world).covered_share.tolist() == [0.0, 0.0]


def _two_arvs(**extra: object) -> dict:
    """Two ARVs at Bournville Lane, one attacker per site (one ARV is enough), sites spread over 30 minutes."""
    return one_unit_config(arvs=2, extra=extra, **{"attack.window_min": 30.0, "attack.extra_attacker_prob": 0.0,
                                                   "dispatch.scene_clear_min": 30.0})


def test_a_free_arv_moves_up_and_a_later_site_there_is_reached_sooner_in_closed_form():
    """Site 0 takes one ARV at its report (3 min); the other drives at normal road speed to row 1 of the table.
    A site there reported after it arrives is reached from there, before that from the base."""
    config = _two_arvs()
    probe = model_from(config)
    target = int(probe.compliance_table.positions[1, 0])
    config["scenario"]["named_sites"] = ["E01009371", str(probe.area.codes[target - probe.n_bases])]
    off, on = model_from(config), model_from({**config, "dispatch": {"move_up": "on"}})
    assert on.compliance_table.positions[1, 0] == target and not off.config.dispatch.move_up
    a, b = (simulate(m, sites=2, replications=300, seed=4) for m in (off, on))
    base, hour = int(on.fleet.position[0]), parse_week_time("Fri 21:20") // 60
    arrives = 3.0 + on.travel_congestion[hour] * on.travel_minutes[base, target - on.n_bases]  # normal road speed
    blue = on.blue_light_congestion[hour] * on.blue_light_minutes[:, target - on.n_bases]
    report = b.report[:, 1]
    expected = np.where(report >= arrives, report + blue[target], report + blue[base]) - b.start[:, 1]
    np.testing.assert_allclose(b.t_first_armed[:, 1], expected, rtol=1e-6)
    np.testing.assert_allclose(a.t_first_armed[:, 1], report + blue[base] - a.start[:, 1], rtol=1e-6)
    assert (report >= arrives).mean() > 0.3 and blue[target] < blue[base]  # the test sees moved units
    np.testing.assert_array_equal(a.t_first_armed[:, 0], b.t_first_armed[:, 0])  # the first site as before


def test_off_by_default_and_on_off_in_yaml(tmp_path):
    assert config_from_mapping({}).dispatch.move_up is False
    path = tmp_path / "c.yaml"
    path.write_text("dispatch:\n  move_up: on\n")
    assert load_config(path).dispatch.move_up is True
    assert config_from_mapping({"dispatch": {"move_up": "off"}}).dispatch.move_up is False
    with pytest.raises(ConfigError, match="move_up"):
        config_from_mapping({"dispatch": {"move_up": "sometimes"}})


def test_a_structural_switch_turns_it_on_for_the_default():
    (switch,) = [s for s in SWITCHES if s.name == "dispatch.move_up"]
    config = config_from_mapping({})
    assert switch.current(config) == "off"
    ((label, flipped),) = switch.alternatives(config)
    assert label == "on" and flipped.dispatch.move_up is True and flipped.dispatch.doctrine == config.dispatch.doctrine


def test_the_shipped_move_up_option_changes_only_the_switch_and_costs_the_registry_value(default_model):
    options, _ = load_options(None)
    (option,) = [o for o in options.options if o.name == "move-up"]
    applied = apply_option(default_model, option)
    assert applied.model.config.dispatch.move_up is True
    assert applied.model.config.resources == default_model.config.resources
    assert applied.changes.move_up and applied.changes.armed_posts == 0
    assert option_cost(applied.changes, default_model.params).yearly_gbp == 0  # the default: no cost
    dearer = default_model.params.overridden(**{"costs.move_up_gbp": 12_000.0})
    assert option_cost(applied.changes, dearer).breakdown["move_up"] == option_cost(applied.changes, dearer).yearly_gbp
    assert option_cost(applied.changes, dearer).yearly_gbp == 12_000.0

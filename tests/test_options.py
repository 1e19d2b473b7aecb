"""Options: the shipped file applies, bad options fail before any run, options share the random draws."""

import numpy as np
import pytest
from typer.testing import CliRunner

from readiness.cli import app
from readiness.costs import option_cost
from readiness.engine import simulate
from readiness.errors import ConfigError
from readiness.kinds import PATROL_TEAM
from readiness.options import Option, apply_option, apply_options, load_options
from readiness.resources import ARMED, SPECIALIST, UNARMED
from readiness.scenario import draw_unit_starts


@pytest.fixture(scope="module")
def shipped(default_model):
    options, source = load_options(None)
    return {a.name: a for a in apply_options(default_model, options, source=source)}


def test_shipped_options_change_the_fleet_as_described(default_model, shipped):
    base = default_model.fleet
    assert shipped["+4 ARVs"].model.fleet.count(ARMED) == base.count(ARMED) + 4
    ctsfo = shipped["+1 CTSFO team (Birmingham)"].model
    assert ctsfo.fleet.count(SPECIALIST) == base.count(SPECIALIST) + 1
    assert ctsfo.travel_minutes.shape[0] == default_model.travel_minutes.shape[0] + 1  # a new base row
    armed = shipped["arm all response officers"].model.fleet
    assert armed.count(UNARMED) == 0 and armed.count(ARMED) == base.count(ARMED) + base.count(UNARMED)
    neighbourhood = shipped["GBP 28.3m cut on neighbourhood"]
    assert neighbourhood.model.fleet.names == base.names
    assert neighbourhood.changes.officers_lost["neighbourhood"] == pytest.approx(28.3e6 / 52_500)
    protected = shipped["GBP 28.3m cut, neighbourhood protected"]
    assert protected.changes.officers_lost["neighbourhood"] == 0
    assert protected.model.fleet.count(UNARMED) < base.count(UNARMED)
    assert protected.model.fleet.count(ARMED) < base.count(ARMED)


def test_shipped_posture_options(default_model, shipped):
    """Armed posts at the 5 and 10 most exposed places of Friday and Saturday evenings (officer-hours, no
    new units), and a CTSFO team on patrol that is dispatched like an ARV from near Lloyd House."""
    five, ten = shipped["armed posts (top 5)"], shipped["armed posts (top 10)"]
    assert five.model.fleet.names == default_model.fleet.names and default_model.posts is None
    assert len(five.model.posts.lsoa) == 5 and set(five.model.posts.lsoa) < set(ten.model.posts.lsoa)
    assert five.changes.post_officer_hours_week == 5 * 2 * 32 and ten.changes.post_officer_hours_week == 640
    patrol = shipped["CTSFO team on patrol (Birmingham)"]
    assert patrol.model.fleet.count(PATROL_TEAM) == 1 and patrol.model.fleet.count(SPECIALIST) == 1
    assert patrol.changes.specialist_teams == 1
    team = shipped["+1 CTSFO team (Birmingham)"]
    assert option_cost(patrol.changes, patrol.model.params).yearly_gbp == pytest.approx(
        option_cost(team.changes, team.model.params).yearly_gbp)


@pytest.mark.parametrize(("text", "field"), [
    ('    armed_posts: {top: 5, hours: "Fri 18:00 to Sun 02:00"}\n', "options[0].armed_posts.hours"),
    ('    armed_posts: {sites: [E99999999], hours: "18:00-02:00"}\n', "options[0].armed_posts.sites[0]"),
    ('    armed_posts: {top: 5, sites: [E01009003], hours: "18:00-02:00"}\n', "options[0].armed_posts"),
])
def test_bad_posts_in_an_options_file_are_one_line_exit_2(tmp_path, text, field):
    path = tmp_path / "options.yaml"
    path.write_text("options:\n  - name: posts\n" + text)
    result = CliRunner().invoke(app, ["compare", str(path), "--out", str(tmp_path / "out"), "--quiet",
                                      "--replications", "10", "--no-store"])
    assert result.exit_code == 2, result.output
    assert field in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(("change", "expected"), [
    ({"add_units": [{"type": "arv", "base": "Atlantis", "count": 1}]}, "unknown base 'Atlantis'"),
    ({"add_units": [{"type": "tank", "base": "Stechford", "count": 1}]}, "unknown unit type 'tank'"),
    ({"remove_units": [{"type": "arv", "base": "Stechford", "count": 5}]}, "only 1 there"),
    ({"move_bases": [{"base": "Nowhere", "x": 400000, "y": 290000}]}, "unknown base 'Nowhere'"),
    ({"add_ctsfo_teams": [{"base": "Nowhere"}]}, "unknown base 'Nowhere'"),
    ({"budget_cut": {"amount_gbp": 1e6, "split": {"detectives": 1.0}}}, "unknown role(s) ['detectives']"),
    ({"budget_cut": {"amount_gbp": 1e6, "split": {"neighbourhood": 1.0}}, "protect_neighbourhood": True},
     "falls on no role"),
    ({"armed_posts": {"sites": ["E01009003", "E99999999"], "hours": "18:00-02:00"}},
     "unknown posted place 'E99999999'"),
    ({"ctsfo_patrol": [{"base": "Nowhere"}]}, "unknown base 'Nowhere'"),
])
def test_bad_options_raise_a_config_error_naming_the_option(default_model, change, expected):
    with pytest.raises(ConfigError) as error:
        apply_option(default_model, Option(name="bad one", **change), source="my.yaml")
    assert expected in str(error.value) and "bad one" in str(error.value) and "my.yaml" in str(error.value)


def test_a_bad_option_fails_the_command_before_any_run(tmp_path, monkeypatch):
    path = tmp_path / "options.yaml"
    path.write_text("options:\n  - name: good\n    add_units: [{type: arv, base: Stechford, count: 1}]\n"
                    "  - name: bad\n    add_units: [{type: arv, base: Mars, count: 1}]\n")

    def no_runs(*args, **kwargs):
        raise AssertionError("simulated before the options were checked")

    monkeypatch.setattr("readiness.compare.simulate", no_runs)
    result = CliRunner().invoke(app, ["compare", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 2, result.output
    assert "Mars" in result.output and "bad" in result.output
    assert not (tmp_path / "out" / "results.json").exists()


def test_unknown_keys_in_an_options_file_are_errors(tmp_path):
    path = tmp_path / "options.yaml"
    path.write_text("options:\n  - name: x\n    add_arvs: 4\n")
    with pytest.raises(ConfigError, match="add_arvs"):
        load_options(path)


def test_options_share_the_random_draws(default_model, shipped):
    option = shipped["+4 ARVs"].model
    base = simulate(default_model, sites=3, replications=200, seed=11)
    other = simulate(option, sites=3, replications=200, seed=11)
    for name in ("site", "start", "report", "attackers", "static"):
        np.testing.assert_array_equal(getattr(base, name), getattr(other, name))
    reps = np.arange(200)
    before, after = draw_unit_starts(default_model, 11, reps), draw_unit_starts(option, 11, reps)
    shared = [default_model.fleet.names.index(n) for n in default_model.fleet.names]
    moved = [option.fleet.names.index(n) for n in default_model.fleet.names]
    np.testing.assert_array_equal(before.position[:, shared], after.position[:, moved])


def test_adding_armed_units_never_makes_the_time_to_first_armed_worse(default_model, shipped):
    option = shipped["+4 ARVs"].model
    # every unit free at its patrol position: with the workload on, a new ARV takes jobs from the others
    # and so changes where they resume patrol (docs/model.md section 9), and one site may then be farther
    one_base = simulate(default_model, sites=1, replications=300, seed=5, unit_states=draw_unit_starts).t_first_armed
    one_more = simulate(option, sites=1, replications=300, seed=5, unit_states=draw_unit_starts).t_first_armed
    assert np.all(one_more <= one_base + 1e-9)  # one site: the nearest free ARV is never farther
    three_base = np.minimum(simulate(default_model, sites=3, replications=300, seed=5).t_first_armed, 120)
    three_more = np.minimum(simulate(option, sites=3, replications=300, seed=5).t_first_armed, 120)
    assert three_more.mean() < three_base.mean()  # with several sites the second ARV at a base helps


def test_with_workload_off_and_no_reuse_adding_arvs_never_delays_any_site(default_model, shipped):
    """Greedy dispatch from a larger set of free units, exactly: the issue's per-replication property.

    With the workload off and units never re-used (no re-tasking after resolution, no mutual aid, no
    specialist team whose choice of site depends on which sites are resolved), every site's first ARV is
    the nearest of a superset of free units, so no replication's time can get worse. With re-use switched
    on this is not a theorem (docs/model.md 4.4); tests/test_engine.py bounds how rarely it fails.
    """
    from readiness.config import config_from_mapping
    from readiness.model import build_model

    no_reuse = {"dispatch.scene_clear_min": 10_000.0, "mutual_aid.units_low": 0, "mutual_aid.units_high": 0}

    def without_reuse(model):
        units = [g for g in model.config.resources.units if g.type != "ctsfo"]
        data = model.config.model_dump(mode="json")
        data["resources"]["units"] = [g.model_dump(mode="json") for g in units]
        data["parameters"] = {**data["parameters"], **no_reuse}
        data["workload"]["enabled"] = False
        return build_model(config_from_mapping(data), area=model.area)

    base, more = without_reuse(default_model), without_reuse(shipped["+4 ARVs"].model)
    assert more.fleet.count(0) == base.fleet.count(0) + 4
    for sites in (3, 8):
        before = simulate(base, sites=sites, replications=1500, seed=21).t_first_armed
        after = simulate(more, sites=sites, replications=1500, seed=21).t_first_armed
        assert np.all(after <= before + 1e-9)
        assert np.minimum(after, 120).mean() < np.minimum(before, 120).mean()

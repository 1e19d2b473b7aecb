"""Tests for scenario.py: the attack draws against their closed-form distributions, and their keying."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest
from scipy import stats

from readiness.config import MINUTES_PER_WEEK, Setting, parse_week_time
from readiness.exposure import hour_of_week
from readiness.kinds import SPECIALIST, Stream
from readiness.model import Model, derive_model
from readiness.model_checks import one_unit_config
from readiness.rng import uniforms
from readiness.scenario import (
    MAX_MUTUAL_AID,
    SETTINGS,
    WEAPONS,
    Attacks,
    attack_minutes,
    draw_attacks,
    draw_sites,
    draw_unit_starts,
    pick_by_weight,
)
from tests.conftest import model_from

R, K, SEED = 40_000, 3, 11


def _ks_ok(sample: np.ndarray, cdf: object) -> None:
    """Kolmogorov-Smirnov distance within the 0.1% critical value (the draws are fixed, so this never flakes)."""
    assert stats.kstest(sample, cdf).statistic < 1.95 / np.sqrt(len(sample))


def _share_ok(hits: np.ndarray, p: float) -> None:
    """A binomial share within four standard errors of ``p``."""
    assert abs(hits.mean() - p) < 4 * np.sqrt(p * (1 - p) / hits.size)


@pytest.fixture(scope="module")
def attacks(default_model: Model) -> Attacks:
    return draw_attacks(default_model, SEED, np.arange(R), K)


def test_shapes(attacks: Attacks) -> None:
    for name in ("site", "start", "report", "attackers", "static", "mobile_duration", "siege", "assault"):
        assert getattr(attacks, name).shape == (R, K), name
    assert attacks.mutual_aid_units.shape == (R,)
    assert attacks.mutual_aid_delay.shape == (R, MAX_MUTUAL_AID)


def test_first_site_starts_at_zero_and_the_others_uniformly_in_the_window(default_model: Model,
                                                                         attacks: Attacks) -> None:
    window = default_model.params["attack.window_min"]
    assert np.all(attacks.start[:, 0] == 0.0)
    later = attacks.start[:, 1:].ravel()
    assert later.min() >= 0 and later.max() <= window
    _ks_ok(later, stats.uniform(0, window).cdf)


def test_notification_delay_is_lognormal_with_the_registry_median(default_model: Model, attacks: Attacks) -> None:
    p = default_model.params
    delay = (attacks.report - attacks.start).ravel()
    assert np.median(delay) == pytest.approx(p["notify.median_min"], rel=0.02)
    _ks_ok(delay, stats.lognorm(s=p["notify.sigma"], scale=p["notify.median_min"]).cdf)


def test_durations_are_lognormal(default_model: Model, attacks: Attacks) -> None:
    p = default_model.params
    _ks_ok(attacks.mobile_duration.ravel(), stats.lognorm(s=p["attack.mobile_duration_sigma"],
                                                          scale=p["attack.mobile_duration_median_min"]).cdf)
    _ks_ok(attacks.assault.ravel(), stats.lognorm(s=p["ctsfo.assault_sigma"], scale=p["ctsfo.assault_median_min"]).cdf)


def test_mode_and_siege_shares(default_model: Model, attacks: Attacks) -> None:
    vehicle = attacks.weapon == WEAPONS.index("vehicle")  # a vehicle attack is always mobile
    assert vehicle.any() and not attacks.static[vehicle].any()
    _share_ok(attacks.static[~vehicle], default_model.params["attack.static_share"])
    _share_ok(attacks.siege, default_model.params["harm.siege_probability"])


@pytest.mark.parametrize("p", [0.5, 0.2])
def test_attackers_are_one_plus_binomial_two(default_model: Model, p: float) -> None:
    model = derive_model(default_model, default_model.config.model_copy(
        update={"parameters": {"attack.extra_attacker_prob": p}}))
    attackers = draw_attacks(model, SEED, np.arange(R), K).attackers.ravel()
    assert set(np.unique(attackers)) == {1, 2, 3}
    for n in (1, 2, 3):
        _share_ok(attackers == n, stats.binom(2, p).pmf(n - 1))
    assert attackers.mean() == pytest.approx(1 + 2 * p, abs=4 * np.sqrt(2 * p * (1 - p) / attackers.size))


def test_mutual_aid_draws(default_model: Model, attacks: Attacks) -> None:
    p = default_model.params
    low, high = int(p["mutual_aid.units_low"]), int(p["mutual_aid.units_high"])
    values = np.arange(low, high + 1)
    assert set(np.unique(attacks.mutual_aid_units)) == set(values)
    for n in values:
        _share_ok(attacks.mutual_aid_units == n, 1 / len(values))
    _ks_ok(attacks.mutual_aid_delay.ravel(),
           stats.uniform(p["mutual_aid.delay_low_min"], p["mutual_aid.delay_high_min"] - p["mutual_aid.delay_low_min"]).cdf)


def test_a_replication_draws_the_same_in_any_batch(default_model: Model, attacks: Attacks) -> None:
    part = draw_attacks(default_model, SEED, np.arange(1000, 1010), K)
    for name in ("site", "start", "report", "attackers", "static", "siege", "mutual_aid_units", "mutual_aid_delay"):
        np.testing.assert_array_equal(getattr(part, name), getattr(attacks, name)[1000:1010], err_msg=name)
    other = draw_attacks(default_model, SEED + 1, np.arange(1000, 1010), K)
    assert not np.array_equal(other.start, part.start)


def test_sites_are_picked_by_the_weights_of_their_starting_hour(default_model: Model, attacks: Attacks) -> None:
    reps = np.arange(500)
    minute = parse_week_time(default_model.config.scenario.attack_time) + attacks.start[:500]
    hour = hour_of_week(minute)
    u = uniforms(SEED, Stream.SITE, reps, K)
    cumulative = np.cumsum(default_model.site_table, axis=1)
    expected = np.array([[np.searchsorted(cumulative[hour[r, j]], u[r, j] * cumulative[hour[r, j], -1], "right")
                          for j in range(K)] for r in range(500)])
    np.testing.assert_array_equal(attacks.site[:500], expected)
    assert np.all(default_model.site_table[hour, attacks.site[:500]] > 0)


def test_pick_by_weight_frequencies_and_zero_weights() -> None:
    weights = np.array([0.0, 1.0, 3.0, 0.0, 6.0])
    u = uniforms(SEED, Stream.PATROL, np.arange(20_000), 1)
    picked = pick_by_weight(weights, u).ravel()
    assert not np.isin(picked, [0, 3]).any()
    for index in (1, 2, 4):
        _share_ok(picked == index, weights[index] / weights.sum())
    edge = pick_by_weight(weights, np.array([[1e-12, 0.1 - 1e-9, 0.1 + 1e-9, 0.4 + 1e-9, 1 - 1e-12]]))
    assert edge.tolist() == [[1, 1, 2, 4, 4]]


def test_attack_minutes() -> None:
    reps = np.arange(20_000)
    assert np.all(attack_minutes("Sat 02:30", SEED, reps[:5]) == 5 * 1440 + 150)
    drawn = attack_minutes(None, SEED, reps)
    assert drawn.dtype == np.int64 and drawn.min() >= 0 and drawn.max() < MINUTES_PER_WEEK
    _ks_ok(drawn + 0.5, stats.uniform(0, MINUTES_PER_WEEK).cdf)


def test_named_sites_are_the_sites() -> None:
    model = model_from(one_unit_config(extra={"scenario": {"named_sites": ["E01009371", "E01009372"]}}))
    sites = draw_sites(model, SEED, np.arange(4), 2)
    assert sites.tolist() == [[model.area.index_of["E01009371"], model.area.index_of["E01009372"]]] * 4


def test_unit_starts(default_model: Model) -> None:
    fleet, p = default_model.fleet, default_model.params
    starts = draw_unit_starts(default_model, SEED, np.arange(2000))
    assert np.all(starts.available == 0.0)
    np.testing.assert_array_equal(starts.position[:, ~fleet.patrol], np.broadcast_to(
        fleet.position[~fleet.patrol], (2000, int((~fleet.patrol).sum()))))
    patrol = starts.position[:, fleet.patrol]
    assert patrol.min() >= fleet.n_bases and patrol.max() < fleet.n_bases + default_model.area.n
    assert np.all(default_model.site_weights[patrol - fleet.n_bases] > 0)
    specialist = fleet.kind == SPECIALIST
    assert specialist.any() and np.all(fleet.position[specialist] < 0)  # the default team is outside the area
    low, high = p["ctsfo.external_delay_low_min"], p["ctsfo.external_delay_high_min"]
    _ks_ok(starts.specialist_delay[:, specialist].ravel(), stats.uniform(low, high - low).cdf)
    assert np.all(np.isinf(starts.specialist_delay[:, ~specialist]))


def test_unit_draws_follow_the_unit_not_its_place_in_the_fleet(default_model: Model) -> None:
    resources = default_model.config.resources
    reordered = default_model.config.model_copy(update={"resources": resources.model_copy(
        update={"units": list(reversed(resources.units))})})
    model = derive_model(default_model, reordered)
    assert model.fleet.names != default_model.fleet.names
    reps = np.arange(50)
    before, after = draw_unit_starts(default_model, SEED, reps), draw_unit_starts(model, SEED, reps)
    where = {name: i for i, name in enumerate(model.fleet.names)}
    order = [where[name] for name in default_model.fleet.names]
    np.testing.assert_array_equal(after.specialist_delay[:, order], before.specialist_delay)
    patrol = default_model.fleet.patrol
    np.testing.assert_array_equal(after.position[:, order][:, patrol], before.position[:, patrol])


def test_named_sites_fix_what_they_give_and_leave_every_other_draw() -> None:
    """A ``NamedSite`` fixes its start, attackers, weapon and setting; the other sites and draws stay as drawn."""
    plain = one_unit_config()
    plain["scenario"]["named_sites"] = ["E01009371", "E01009371"]
    fixed = one_unit_config()
    fixed["scenario"]["named_sites"] = [{"x": -1.9026, "y": 52.4797, "crs": "EPSG:4326", "start_min": 12.5,
                                         "attackers": 3, "weapon": "vehicle", "setting": "venue"}, "E01009371"]
    assert get_args(Setting) == SETTINGS  # the config's setting names are the scenario's codes, in order
    reps = np.arange(200)
    a, b = (draw_attacks(model_from(config), SEED, reps, 2) for config in (plain, fixed))
    assert np.all(b.start[:, 0] == 12.5) and np.all(b.attackers[:, 0] == 3)
    assert np.all(b.weapon[:, 0] == WEAPONS.index("vehicle")) and not b.static[:, 0].any()  # a vehicle is mobile
    assert np.all(b.setting[:, 0] == SETTINGS.index("venue"))
    np.testing.assert_array_equal(b.report - b.start, a.report - a.start)  # the same notification delays
    for name in ("start", "attackers", "weapon", "setting", "mobile_duration", "siege"):
        np.testing.assert_array_equal(getattr(b, name)[:, 1], getattr(a, name)[:, 1])

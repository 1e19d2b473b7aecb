"""Engine: closed-form checks with fixed delays, dispatch rules, batch invariance, common random numbers."""

import numba
import numpy as np
import pytest
from conftest import model_from
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness import engine
from readiness.engine import simulate
from readiness.harm import expected_deaths
from readiness.kinds import UNARMED
from readiness.model_checks import one_unit_config
from readiness.nearest import nearest_positions
from readiness.rng import uniforms


def blue(model, base_index: int, lsoa: int) -> float:
    """Blue-light minutes at the attack's hour: the emergency model times that hour's congestion factor."""
    return model.attack_blue_light_factor() * float(model.blue_light_minutes[base_index, lsoa])


CONTAIN = {"dispatch": {"doctrine": "contain"}}
ONE_STATIC_ATTACKER = {"attack.static_share": 1.0, "harm.siege_probability": 0.0, "attack.extra_attacker_prob": 0.0}


def test_one_unit_fixed_delays_gives_the_exact_arrival_time():
    model = model_from(one_unit_config(**{"attack.static_share": 1.0, "harm.siege_probability": 0.0}))
    out = simulate(model, sites=1, replications=50, seed=1)
    site = int(model.named_sites[0])
    expected = model.params["notify.median_min"] + blue(model, int(model.fleet.position[0]), site)
    np.testing.assert_allclose(out.t_first_armed, expected, rtol=1e-6)
    # one attacker needs 2 officers = one ARV; three attackers need three ARVs (only one exists)
    one_attacker = out.attackers[:, 0] == 1
    np.testing.assert_allclose(out.t_enough_armed[one_attacker], expected, rtol=1e-6)
    assert np.all(np.isinf(out.t_enough_armed[out.attackers[:, 0] == 3]))


def test_congestion_slows_blue_light_trips_at_the_evening_peak():
    quiet, peak = (model_from(one_unit_config(extra={"scenario": {"named_sites": ["E01009371"], "attack_time": t}},
                                              **ONE_STATIC_ATTACKER)) for t in ("Sun 04:00", "Wed 17:30"))
    site = int(quiet.named_sites[0])
    factors = [m.blue_light_congestion[h] for m, h in ((quiet, 6 * 24 + 4), (peak, 2 * 24 + 17))]
    for model, factor in zip((quiet, peak), factors, strict=True):
        out = simulate(model, sites=1, replications=5, seed=1)
        travel = factor * float(model.blue_light_minutes[int(model.fleet.position[0]), site])
        np.testing.assert_allclose(out.t_first_armed, model.params["notify.median_min"] + travel, rtol=1e-6)
    assert factors[1] > factors[0]


def test_confront_with_a_certain_stop_ends_the_attack_at_arrival_plus_the_engagement_delay():
    delay = 1.5
    model = model_from(one_unit_config(**ONE_STATIC_ATTACKER, **{"doctrine.stop_probability": 1.0,
                                                                  "doctrine.engagement_delay_min": delay}))
    assert model.config.dispatch.doctrine == "confront"  # the default
    out = simulate(model, sites=1, replications=20, seed=3)
    arrival = model.params["notify.median_min"] + blue(model, int(model.fleet.position[0]), int(model.named_sites[0]))
    np.testing.assert_allclose(out.t_first_armed, arrival, rtol=1e-6)
    np.testing.assert_allclose(out.t_stop, arrival + delay, rtol=1e-6)
    np.testing.assert_allclose(out.t_resolved, arrival + delay, rtol=1e-6)
    p = model.params
    expected = expected_deaths(1, arrival + delay, np.inf, p["harm.kill_rate_per_attacker_min"],
                               p["harm.flight_time_min"], p["harm.plato_reduction"], 0.0, 0.0)
    np.testing.assert_allclose(out.expected_deaths, expected, rtol=1e-6)


def test_confront_failed_engagements_suppress_the_killing_until_the_horizon():
    model = model_from(one_unit_config(**ONE_STATIC_ATTACKER, **{"doctrine.stop_probability": 0.0,
                                                                  "doctrine.engagement_delay_min": 0.0}))
    out = simulate(model, sites=1, replications=10, seed=3)
    p = model.params
    assert np.all(np.isinf(out.t_stop)) and np.all(np.isinf(out.t_resolved))
    expected = expected_deaths(1, p["horizon_min"], np.inf, p["harm.kill_rate_per_attacker_min"],
                               p["harm.flight_time_min"], p["harm.plato_reduction"], 0.0, 0.0,
                               float(out.t_first_armed[0, 0]), p["doctrine.suppression_factor"])
    np.testing.assert_allclose(out.expected_deaths, expected, rtol=1e-6)


def test_confront_stops_more_often_with_more_officers_per_attacker():
    """p = 1 - (1 - q)^(a/A): with a = 2 officers against A = 1 attacker, the first engagement stops the
    attack with probability 1 - (1 - q)^2."""
    q = 0.5
    model = model_from(one_unit_config(**ONE_STATIC_ATTACKER, **{"doctrine.stop_probability": q,
                                                                  "doctrine.engagement_delay_min": 0.0}))
    n = 4000
    out = simulate(model, sites=1, replications=n, seed=5)
    share = np.isclose(out.t_stop[:, 0], out.t_first_armed[:, 0]).mean()  # stopped by the first engagement
    expected = 1.0 - (1.0 - q) ** 2
    assert abs(share - expected) < 4.0 * np.sqrt(expected * (1.0 - expected) / n)


def test_static_site_harm_matches_the_closed_form():
    model = model_from(one_unit_config(extra=CONTAIN, **ONE_STATIC_ATTACKER))
    out = simulate(model, sites=1, replications=20, seed=3)
    p = model.params
    t = float(out.t_first_armed[0, 0])
    expected = expected_deaths(1, t, np.inf, p["harm.kill_rate_per_attacker_min"], p["harm.flight_time_min"],
                               p["harm.plato_reduction"], 0.0, 0.0)
    np.testing.assert_allclose(out.expected_deaths, expected, rtol=1e-9)


def _two_sites_two_units(**parameters: float):
    config = one_unit_config(**{"attack.static_share": 1.0, "harm.siege_probability": 0.0,
                                "attack.extra_attacker_prob": 0.0, **parameters})
    config["resources"]["units"] = [{"type": "arv", "base": "Bournville Lane", "count": 1},
                                    {"type": "arv", "base": "Wolverhampton (Bilston Street)", "count": 1}]
    config["scenario"]["named_sites"] = ["E01009371", "E01009371"]
    model = model_from({**config, **CONTAIN})  # the engagement ends the attack at the arrival
    site = int(model.named_sites[0])
    near = model.fleet.base_names.index("Bournville Lane")
    far = model.fleet.base_names.index("Wolverhampton (Bilston Street)")
    return model, site, near, far


def test_second_site_gets_the_other_unit_when_the_first_cannot_clear():
    # two sites at one LSOA reported together: site 1 takes the nearer unit, site 2 the farther one
    model, site, near, far = _two_sites_two_units(**{"dispatch.scene_clear_min": 500.0})
    out = simulate(model, sites=2, replications=5, seed=0)
    notify = model.params["notify.median_min"]
    np.testing.assert_allclose(np.sort(out.t_first_armed, axis=1),
                               np.tile([notify + blue(model, near, site), notify + blue(model, far, site)], (5, 1)),
                               rtol=1e-6)


def test_a_nearer_unit_that_frees_up_overtakes_a_far_unit_on_its_way():
    model, site, near, far = _two_sites_two_units()
    p = model.params
    first = p["notify.median_min"] + blue(model, near, site)
    retasked = first + p["dispatch.scene_clear_min"] + blue(model, model.lsoa_position(site), site)
    assert retasked < p["notify.median_min"] + blue(model, far, site)  # the premise of the test
    out = simulate(model, sites=2, replications=5, seed=0)
    np.testing.assert_allclose(np.sort(out.t_first_armed, axis=1), np.tile([first, retasked], (5, 1)), rtol=1e-6)


def test_a_unit_is_retasked_after_its_site_is_resolved():
    # one ARV, two one-attacker static sites at the same place reported together: the second site waits for
    # the first to be resolved, the scene to clear, and the within-LSOA drive.
    config = one_unit_config(**{"attack.static_share": 1.0, "harm.siege_probability": 0.0,
                                "attack.extra_attacker_prob": 0.0, "mutual_aid.threshold_sites": 4})
    config["scenario"]["named_sites"] = ["E01009371", "E01009371"]
    model = model_from({**config, **CONTAIN})
    site = int(model.named_sites[0])
    out = simulate(model, sites=2, replications=3, seed=0)
    p = model.params
    first = p["notify.median_min"] + blue(model, int(model.fleet.position[0]), site)
    second = first + p["dispatch.scene_clear_min"] + blue(model, model.lsoa_position(site), site)
    np.testing.assert_allclose(np.sort(out.t_first_armed, axis=1), np.tile([first, second], (3, 1)), rtol=1e-6)


def test_external_specialist_team_arrives_within_its_delay_and_ends_sieges():
    config = one_unit_config(arvs=1, **{"attack.static_share": 1.0, "harm.siege_probability": 1.0,
                                        "attack.extra_attacker_prob": 1.0})  # 3 attackers: 6 officers needed
    config["resources"]["units"].append({"type": "ctsfo", "count": 1})
    model = model_from(config)
    out = simulate(model, sites=1, replications=400, seed=5)
    p = model.params
    notify = p["notify.median_min"]
    enough = out.t_enough_armed[:, 0]  # only the team brings enough officers
    assert np.isfinite(enough).mean() > 0.9  # the rest arrive after the 120-minute horizon
    enough = enough[np.isfinite(enough)]
    assert np.all(enough >= notify + p["ctsfo.external_delay_low_min"] - 1e-9)
    assert np.all(enough <= notify + p["ctsfo.external_delay_high_min"] + 1e-9)
    resolved = out.t_resolved[:, 0][np.isfinite(out.t_enough_armed[:, 0])]
    assert np.all((resolved > enough) | np.isinf(resolved))  # a siege lasts beyond the team's arrival


def test_a_team_on_patrol_is_dispatched_like_an_arv_and_ends_a_siege():
    """Closed form: a CTSFO team patrolling the one LSOA within 1 blue-light minute of Park Lane is sent at
    the report (no mobilisation), is enough on its own, stops the shooting at once and ends the siege an
    assault later (docs/model.md 4.7)."""
    config = one_unit_config(arvs=1, **{**ONE_STATIC_ATTACKER, "harm.siege_probability": 1.0,
                                        "patrol.team_radius_min": 1.0, "ctsfo.assault_sigma": 0.0,
                                        "doctrine.engagement_delay_min": 2.0})
    config["resources"]["unit_types"]["ctsfo_patrol"] = {"kind": "specialist", "deployment": "patrol"}
    config["resources"]["units"] = [{"type": "ctsfo_patrol", "base": "Park Lane (Aston)", "count": 1}]
    model = model_from(config)
    p, site = model.params, model.named_sites[0]
    where = model.lsoa_position(model.area.index_of["E01008901"])  # the LSOA of its patrol layer
    arrival = p["notify.median_min"] + blue(model, where, site)
    out = simulate(model, sites=1, replications=5, seed=2)
    np.testing.assert_allclose(out.t_first_armed[:, 0], arrival, rtol=1e-6)
    np.testing.assert_allclose(out.t_enough_armed[:, 0], arrival, rtol=1e-6)
    np.testing.assert_allclose(out.t_stop[:, 0], arrival + 2.0, rtol=1e-6)
    np.testing.assert_allclose(out.t_resolved[:, 0], arrival + 2.0 + p["ctsfo.assault_median_min"], rtol=1e-6)


def test_mutual_aid_reaches_sites_when_local_units_are_all_committed():
    # one attacker per site: the only ARV satisfies the first site and never clears within the horizon
    config = one_unit_config(arvs=1, **{"attack.static_share": 1.0, "harm.siege_probability": 0.0,
                                        "attack.extra_attacker_prob": 0.0, "mutual_aid.threshold_sites": 1,
                                        "dispatch.scene_clear_min": 500.0})
    config["scenario"]["named_sites"] = ["E01009371", "E01009371"]
    model = model_from(config)
    out = simulate(model, sites=2, replications=300, seed=9)
    p = model.params
    later = np.max(out.t_first_armed, axis=1)  # the site the only ARV did not go to
    assert np.all(later >= p["notify.median_min"] + p["mutual_aid.delay_low_min"] - 1e-9)
    assert np.all(later <= p["notify.median_min"] + p["mutual_aid.delay_high_min"] + 1e-9)


def test_sites_beyond_the_horizon_are_censored():
    model = model_from(one_unit_config(**{"notify.median_min": 130.0}))
    out = simulate(model, sites=1, replications=10, seed=2)
    assert np.all(np.isinf(out.t_first_armed))


def test_batch_size_does_not_change_any_number(default_model):
    a = simulate(default_model, sites=3, replications=600, seed=42, batch_size=600)
    b = simulate(default_model, sites=3, replications=600, seed=42, batch_size=97)
    for name in ("site", "t_first_armed", "t_resolved", "deaths"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    c = simulate(default_model, sites=3, replications=100, seed=42, first_replication=250)
    np.testing.assert_array_equal(a.t_first_armed[250:350], c.t_first_armed)


def test_fewer_sites_are_the_first_sites_of_more(default_model):
    three = simulate(default_model, sites=3, replications=200, seed=8)
    five = simulate(default_model, sites=5, replications=200, seed=8)
    np.testing.assert_array_equal(three.site, five.site[:, :3])
    np.testing.assert_array_equal(three.report, five.report[:, :3])


def test_adding_armed_units_does_not_delay_sites_without_workload(default_model):
    """More ARVs: every site as early or earlier in almost every replication, and earlier on average.

    Strictly every replication cannot hold once units are re-tasked after resolution: more units change
    which sites resolve when, and so which freed unit goes where (docs/model.md, 4.4).
    """
    from readiness.config import UnitGroup
    from readiness.model import derive_model
    from readiness.scenario import draw_unit_starts

    resources = default_model.config.resources
    extra = [*resources.units, UnitGroup(type="arv", base="Stechford", count=2)]
    bigger_resources = resources.model_copy(update={"units": [g if not (g.type == "arv" and g.base == "Stechford")
                                                              else g.model_copy(update={"count": g.count + 2})
                                                              for g in extra[:-1]]})
    bigger = derive_model(default_model, default_model.config.model_copy(update={"resources": bigger_resources}))
    assert bigger.fleet.count(0) == default_model.fleet.count(0) + 2
    assert bigger.travel_minutes is default_model.travel_minutes  # same bases: travel reused
    base = simulate(default_model, sites=5, replications=2000, seed=11, unit_states=draw_unit_starts)
    more = simulate(bigger, sites=5, replications=2000, seed=11, unit_states=draw_unit_starts)
    np.testing.assert_array_equal(base.site, more.site)
    no_worse = np.all(more.t_first_armed <= base.t_first_armed + 1e-9, axis=1)
    assert no_worse.mean() >= 0.995
    assert more.t_first_armed[np.isfinite(more.t_first_armed)].mean() < base.t_first_armed[np.isfinite(base.t_first_armed)].mean()


@pytest.mark.parametrize("k", [1, 8])
def test_outcome_arrays_are_consistent(default_model, k):
    out = simulate(default_model, sites=k, replications=500, seed=4)
    assert out.t_first_armed.shape == (500, k)
    finite = np.isfinite(out.t_enough_armed)
    assert np.all(out.t_enough_armed[finite] >= out.t_first_armed[finite] - 1e-9)
    assert np.all(out.t_first_armed >= out.report - out.start - 1e-9)
    assert np.all(out.deaths >= 0)


def test_streaming_summary_matches_the_summary_of_all_arrays(default_model):
    from readiness.engine import simulate_batches
    from readiness.summary import StreamingSummary, summarise_sites

    horizon = default_model.params["horizon_min"]
    whole = summarise_sites(simulate(default_model, sites=3, replications=3000, seed=6), horizon)
    stream = StreamingSummary(3, horizon)
    for batch in simulate_batches(default_model, sites=3, replications=3000, seed=6, batch_size=700):
        stream.add(batch)
    streamed = stream.result()
    for key in ("share_sites_waiting_over_10_min", "share_sites_waiting_over_20_min"):
        assert streamed[key]["value"] == pytest.approx(whole[key]["value"], abs=1e-6)
        assert streamed[key]["ci95"] == pytest.approx(whole[key]["ci95"], abs=1e-6)
    for key in ("sites_not_reached", "share_sites_not_reached", "victims_static_share"):
        assert streamed[key] == pytest.approx(whole[key], abs=1e-6)
    for key in ("time_to_first_armed_min", "time_to_enough_armed_min", "victims"):
        assert streamed[key]["mean"] == pytest.approx(whole[key]["mean"], abs=1e-6)
        assert streamed[key]["ci95"] == pytest.approx(whole[key]["ci95"], abs=1e-6)
    # percentiles: within one histogram bin (minutes) or exactly (integer victims, up to interpolation)
    assert streamed["time_to_first_armed_min"]["p50"] == pytest.approx(whole["time_to_first_armed_min"]["p50"], abs=0.011)
    assert streamed["time_to_first_armed_min"]["p90"] == pytest.approx(whole["time_to_first_armed_min"]["p90"], abs=0.011)
    assert streamed["victims"]["p90"] == pytest.approx(whole["victims"]["p90"], abs=1.0)


def test_unit_states_none_means_the_configured_sampler(default_model):
    from readiness.scenario import draw_unit_starts
    from readiness.workload import unit_state_sampler

    assert default_model.config.workload.enabled
    configured = simulate(default_model, sites=3, replications=300, seed=12)
    by_hand = simulate(default_model, sites=3, replications=300, seed=12, unit_states=unit_state_sampler(default_model))
    all_free = simulate(default_model, sites=3, replications=300, seed=12, unit_states=draw_unit_starts)
    np.testing.assert_array_equal(configured.t_first_armed, by_hand.t_first_armed)
    assert not np.array_equal(configured.t_first_armed, all_free.t_first_armed)  # the workload does matter


def test_unit_states_none_without_workload_means_every_unit_free(default_model):
    from readiness.model import derive_model
    from readiness.scenario import draw_unit_starts

    off = derive_model(default_model, default_model.config.model_copy(
        update={"workload": default_model.config.workload.model_copy(update={"enabled": False})}))
    configured = simulate(off, sites=3, replications=300, seed=12)
    all_free = simulate(off, sites=3, replications=300, seed=12, unit_states=draw_unit_starts)
    for name in ("t_first_armed", "t_resolved", "deaths"):
        np.testing.assert_array_equal(getattr(configured, name), getattr(all_free, name))


# --- the unarmed cars, sent before the event loop (engine._send_cars) ---------------------------------

@numba.njit
def _first_unarmed_by_send_cars(draws, fleet, cars, settings, travel, nearest, t_end):
    scratch = engine._scratch(1, draws.site.shape[0], cars.shape[0], settings.units_per_site, 1, travel.shape[1])
    engine._start_sites(draws, settings.per_attacker, scratch.sites)
    engine._send_cars(draws, fleet, cars, scratch.sites, settings, travel, nearest, t_end, scratch)
    return scratch.sites.first_unarmed, scratch.sent, scratch.car_at


def _first_unarmed_one_car_at_a_time(report, site, neighbourhood, position, available, factor, travel, m, t_end):
    """docs/model.md 4 (report) as the event loop did it: at each report (report order, ties by site), m times
    send the free car that arrives first (ties: lowest index); a site's first unarmed arrival is the
    earliest of its cars and its neighbourhood officer. Returns those and which cars were sent."""
    first = neighbourhood.copy()
    free = np.isfinite(available)
    for k in sorted(range(len(report)), key=lambda k: (report[k], k)):
        if report[k] > t_end:
            break
        for _ in range(m):
            with np.errstate(invalid="ignore"):  # no factor times no road: nan, no arrival (as in the engine)
                etas = [(max(report[k], available[u]) + factor * travel[site[k], position[u]], u)
                        for u in range(len(position)) if free[u]]
            etas = [e for e in etas if e[0] < np.inf]
            if not etas:
                break
            eta, u = min(etas)
            free[u] = False
            first[k] = min(first[k], eta)
    return first, np.isfinite(available) & ~free


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_cars_sent_before_the_loop_are_the_cars_sent_one_at_a_time(default_model, data):
    """Integer minutes make ties common: the order of reports, of cars and the lowest index must all agree,
    whether the cars are found by walking the nearest positions (all kept, or a few: then the walk may run
    out and every car is read) or, with no congestion factor to order them, by reading every car."""
    k = data.draw(st.integers(1, 5))
    n_cars = data.draw(st.integers(0, 12))
    m = data.draw(st.integers(0, 4))
    n_pos = 6
    ints = lambda n, lo, hi: np.array(data.draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n)), float)
    travel = ints(3 * n_pos, 0, 4).reshape(3, n_pos)
    travel[travel == 4] = np.inf  # some cars cannot reach some sites
    report, neighbourhood = ints(k, 0, 4), np.where(ints(k, 0, 1) > 0, np.inf, 9.0)
    site = ints(k, 0, 2).astype(np.int64)
    position = ints(n_cars, 0, n_pos - 1).astype(np.int64)
    available = ints(n_cars, 0, 2)
    available[available == 2] = np.inf  # off duty
    t_end, factor = float(data.draw(st.integers(0, 5))), data.draw(st.sampled_from([1.0, 1.5, 0.0]))
    nearest = nearest_positions(travel, kept=data.draw(st.integers(1, n_pos)))
    zeros = np.zeros(k)
    draws = engine.SiteDraws(site, zeros, report, np.ones(k, np.int64), np.ones(k, np.bool_), zeros,
                             np.zeros(k, np.bool_), zeros, 0, np.zeros(8), neighbourhood, zeros, factor,
                             np.zeros((k, engine.MAX_ENGAGEMENTS)))
    fleet = engine.FleetArrays(np.full(n_cars, UNARMED, np.int64), np.zeros(n_cars, np.int64), position, available,
                               np.full(n_cars, np.inf))
    run_settings = engine.Settings.of(default_model)._replace(units_per_site=m)
    got, sent, car_at = _first_unarmed_by_send_cars(draws, fleet, np.arange(n_cars), run_settings, travel, nearest,
                                                    t_end)
    want, want_sent = _first_unarmed_one_car_at_a_time(report, site, neighbourhood, position, available, factor,
                                                       travel, m, t_end)
    np.testing.assert_array_equal(got, want)
    if m > 0 and n_cars > 0:  # (with none to send, ``sent`` is not set)
        np.testing.assert_array_equal(sent, want_sent)  # the same cars, not only the same times
    assert (car_at == -1).all()  # left as found, for the next replication


@pytest.mark.parametrize("replications", [0, -3])
def test_no_replications_is_a_clear_error(default_model, replications: int) -> None:
    with pytest.raises(ValueError, match="replications and batch_size must be at least 1"):
        simulate(default_model, sites=1, replications=replications, seed=1)


def test_poisson_deaths_are_scipys_inverse_cdf_below_and_above_the_loops_limit() -> None:
    """The compiled inversion (means up to 200) and SciPy's (above): the same counts as
    ``scipy.stats.poisson.ppf``, except where a uniform lies on a CDF step within rounding."""
    from scipy import stats

    mean = np.repeat([0.0, 0.3, 4.0, 37.5, 199.0, 200.0, 250.0, 900.0], 2_000)
    u = uniforms(3, "poisson-check", np.arange(len(mean)), 1).ravel()
    got = engine.poisson_deaths(u, mean)
    want = stats.poisson.ppf(u, mean).astype(np.int64)
    differ = got != want
    near_a_step = np.abs(stats.poisson.cdf(np.minimum(got, want), mean) - u) < 1e-9
    assert not (differ & ~near_a_step).any()
    assert differ.mean() < 1e-3
    assert got[mean == 0.0].max() == 0 and abs(got[mean == 900.0].mean() - 900.0) < 3.0

"""Armed posts: hours ranges, which places are posted, and the closed form at a posted place."""

import numpy as np
import pytest
from conftest import model_from

from readiness.config import ArmedPosts, parse_week_ranges
from readiness.engine import simulate
from readiness.errors import ConfigError
from readiness.kinds import POSTED
from readiness.posts import Posts, post_lsoas, post_units, posted_hours
from readiness.scenario import draw_unit_starts

SITE = "E01009003"
EVENING = "Fri 18:00-Sun 02:00"


def test_hours_ranges_of_the_week_and_of_every_day():
    friday_evening = 4 * 1440 + 18 * 60
    assert parse_week_ranges(EVENING) == ((friday_evening, friday_evening + 32 * 60),)
    daily = parse_week_ranges("18:00-02:00")
    assert daily == tuple((d * 1440 + 1080, d * 1440 + 1560) for d in range(7))
    assert parse_week_ranges("Sun 22:00-Mon 02:00") == ((6 * 1440 + 1320, 7 * 1440 + 120),)  # wraps the week
    assert parse_week_ranges("Mon 00:00-Mon 00:00") == ((0, 7 * 1440),)  # the whole week


@pytest.mark.parametrize("text", ["Fri 18:00", "Fri 18:00-02:00", "25:00-02:00", "Fru 18:00-Sun 02:00", "evenings"])
def test_malformed_hours_are_rejected(text):
    with pytest.raises(ValueError):
        parse_week_ranges(text)


def test_on_duty_and_officer_hours_follow_the_ranges():
    posts = Posts(lsoa=np.array([3, 7]), officers=2, ranges=parse_week_ranges("Sun 22:00-Mon 02:00"))
    minutes = np.array([6 * 1440 + 1319, 6 * 1440 + 1320, 0, 119, 120, 10080 + 60])
    np.testing.assert_array_equal(posts.on_duty(minutes), [False, True, True, True, False, True])
    assert posts.officer_hours_per_week == 2 * 2 * 4.0
    assert list(posted_hours(posts.ranges)) == [0, 1, 166, 167]


def test_top_places_are_the_most_exposed_over_the_posts_hours(default_model):
    spec = ArmedPosts(top=5, hours=EVENING)
    chosen = post_lsoas(spec, default_model.area, default_model.site_table, field="f")
    hours = [h for h in range(168) if any(a <= m < b for a, b in parse_week_ranges(EVENING)
                                          for m in (h * 60, h * 60 + 59))]
    mean = sum(default_model.site_table[h] for h in hours) / len(hours)
    assert len(chosen) == 5 and set(chosen) == set(np.argsort(mean)[-5:])
    assert mean[chosen].min() >= np.sort(mean)[-5]


def test_named_places_keep_their_order_and_unknown_ones_name_the_field(default_model):
    area = default_model.area
    spec = ArmedPosts(sites=[SITE, "E01010282", SITE], hours=EVENING)
    np.testing.assert_array_equal(post_lsoas(spec, area, default_model.site_table, field="f"),
                                  [area.index_of[SITE], area.index_of["E01010282"]])
    with pytest.raises(ConfigError, match=r"E99999999") as error:
        post_lsoas(ArmedPosts(sites=[SITE, "E99999999"], hours=EVENING), area, default_model.site_table,
                   field="options[0].armed_posts")
    assert error.value.field == "options[0].armed_posts.sites[1]"


def test_top_and_sites_exclude_each_other():
    with pytest.raises(ValueError, match="either top"):
        ArmedPosts(top=3, sites=[SITE], hours=EVENING)
    with pytest.raises(ValueError, match="either top"):
        ArmedPosts(hours=EVENING)


def test_posts_are_units_at_their_place_only_while_staffed():
    posts = Posts(lsoa=np.array([4, 9]), officers=3, ranges=parse_week_ranges(EVENING))
    kind, officers, position, available, delay = post_units(posts, 8, np.array([4 * 1440 + 1280, 0]))
    np.testing.assert_array_equal(position, [[12, 17], [12, 17]])
    np.testing.assert_array_equal(available, [[0, 0], [np.inf, np.inf]])
    assert kind.tolist() == [POSTED, POSTED] and officers.tolist() == [3, 3] and np.isinf(delay).all()


def _posted(doctrine: str, hours: str = EVENING, **parameters: float):
    return model_from({"resources": {"armed_posts": {"sites": [SITE], "hours": hours}},
                       "scenario": {"named_sites": [SITE, "E01010282"]}, "dispatch": {"doctrine": doctrine},
                       "parameters": {"doctrine.stop_probability": 1.0, **parameters}})


def test_an_attack_at_a_posted_place_meets_armed_officers_at_once():
    """Closed form (Westminster): first armed officer at 0; confront stops a static attack after the
    engagement delay exactly; the other site is reached by ARVs as before."""
    model = _posted("confront", **{"doctrine.engagement_delay_min": 1.5})
    out = simulate(model, sites=2, replications=300, seed=4, unit_states=draw_unit_starts)
    assert np.all(out.t_first_armed[:, 0] == 0.0)
    static = out.static[:, 0]
    assert static.any() and np.all(out.t_stop[static, 0] == 1.5)
    assert np.all(out.t_stop[~static, 0] <= 1.5)  # a mobile attack may end by itself first
    assert np.all(out.t_first_armed[:, 1] > 0.0)


def test_under_contain_two_posted_officers_stop_one_attacker_at_once():
    model = _posted("contain", **{"attack.extra_attacker_prob": 0.0, "dispatch.officers_per_attacker": 2})
    out = simulate(model, sites=1, replications=200, seed=4, unit_states=draw_unit_starts)
    assert np.all(out.t_enough_armed[:, 0] == 0.0) and np.all(out.t_stop[:, 0] == 0.0)


def test_a_post_off_duty_changes_nothing():
    off = _posted("confront", hours="Mon 06:00-Mon 09:00")  # the attack is on Friday evening
    none = model_from({"scenario": {"named_sites": [SITE, "E01010282"]},
                       "parameters": {"doctrine.stop_probability": 1.0}})
    a = simulate(off, sites=2, replications=200, seed=4, unit_states=draw_unit_starts)
    b = simulate(none, sites=2, replications=200, seed=4, unit_states=draw_unit_starts)
    np.testing.assert_array_equal(a.t_first_armed, b.t_first_armed)


@pytest.mark.parametrize("posts", ["stay", "respond"])
def test_posts_leave_their_place_only_when_they_may(posts):
    """A post next door to the attacked place, one ARV parked far away: the post stays on guard (the ARV
    comes), or it is the nearest armed unit and comes itself."""
    model = model_from({"resources": {"armed_posts": {"sites": ["E01009509"], "hours": "18:00-02:00"},
                                      "units": [{"type": "arv", "base": "Bloxwich", "count": 1}],
                                      "unit_types": {"arv": {"kind": "armed", "deployment": "base"}}},
                        "scenario": {"named_sites": ["E01009507"]}, "dispatch": {"posts": posts},
                        "workload": {"enabled": False}})
    site = model.area.index_of["E01009507"]
    factor = model.attack_blue_light_factor()
    nearby = model.blue_light_minutes[model.n_bases + model.area.index_of["E01009509"], site] * factor
    far = model.blue_light_minutes[model.fleet.base_names.index("Bloxwich"), site] * factor
    out = simulate(model, sites=1, replications=100, seed=4)
    reported = out.report[:, 0] - out.start[:, 0]
    expected = reported + (nearby if posts == "respond" else far)
    np.testing.assert_allclose(out.t_first_armed[:, 0], expected, rtol=1e-5)

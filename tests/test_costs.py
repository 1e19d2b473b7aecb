"""Tests for costs.py: officer costs in closed form from the registry's numbers."""

from __future__ import annotations

import pytest

from readiness.costs import (
    Changes,
    Cost,
    cost_per_life_saved,
    officers_for_cut,
    officers_per_post,
    option_cost,
    post_hours_yearly,
)
from readiness.registry import Parameters

P = Parameters()
PER_POST = 5 / (1 - 0.25)  # reliefs / (1 - abstraction) with the registry defaults
FULL = 52500.0


def test_registry_defaults_assumed_here() -> None:
    assert (P["costs.reliefs"], P["shifts.abstraction"], P["costs.officer_full_gbp"]) == (5, 0.25, FULL)


def test_officers_per_post_and_for_cut() -> None:
    assert officers_per_post(P) == pytest.approx(PER_POST)
    assert officers_per_post(P.overridden(**{"costs.reliefs": 6, "shifts.abstraction": 0.2})) == pytest.approx(7.5)
    assert officers_for_cut(1_050_000.0, P) == pytest.approx(20.0)


def test_no_changes_cost_nothing() -> None:
    cost = option_cost(Changes(), P)
    assert cost.yearly_gbp == 0 and cost.one_off_gbp == 0
    assert set(cost.breakdown) == {"officers", "firearms_extras", "vehicles", "training_amortised", "budget_cut",
                                   "armed_posts"}


def test_one_new_arv_post_by_hand() -> None:
    cost = option_cost(Changes(armed_posts=1, armed_officers=2), P)
    officers = 2 * PER_POST
    training = officers * (12705.0 + 9 / 52 * FULL)
    assert cost.one_off_gbp == pytest.approx(training)
    assert cost.breakdown["officers"] == pytest.approx(officers * FULL)
    assert cost.breakdown["firearms_extras"] == pytest.approx(officers * (1500.0 + 2000.0))
    assert cost.breakdown["vehicles"] == pytest.approx(15000.0)
    assert cost.breakdown["training_amortised"] == pytest.approx(training / 5)
    assert cost.yearly_gbp == pytest.approx(officers * (FULL + 3500.0) + 15000.0 + training / 5)


def test_a_specialist_team_takes_the_arv_and_ctsfo_courses() -> None:
    cost = option_cost(Changes(specialist_teams=1, specialist_officers=8), P)
    officers = 8 * PER_POST
    assert cost.one_off_gbp == pytest.approx(officers * (12705.0 + 30000.0 + (9 + 12) / 52 * FULL))
    assert cost.breakdown["vehicles"] == pytest.approx(15000.0)


def test_arming_response_officers_trains_but_hires_no_one() -> None:
    cost = option_cost(Changes(armed_response_officers=4), P)
    officers = 4 * PER_POST
    assert cost.breakdown["officers"] == 0
    assert cost.one_off_gbp == pytest.approx(officers * (4671.0 + 4 / 52 * FULL))
    assert cost.breakdown["firearms_extras"] == pytest.approx(officers * 3500.0)


def test_removed_posts_save_recurring_costs_but_no_training() -> None:
    cost = option_cost(Changes(armed_posts=-1, armed_officers=-2), P)
    officers = -2 * PER_POST
    assert cost.one_off_gbp == 0
    assert cost.yearly_gbp == pytest.approx(officers * (FULL + 3500.0) - 15000.0)
    assert cost.yearly_gbp < 0


def test_budget_cut_saves_its_amount_once() -> None:
    cost = option_cost(Changes(cut_gbp=2_000_000.0, officers_lost={"response": 38.1}), P)
    assert cost.yearly_gbp == pytest.approx(-2_000_000.0)
    assert cost.breakdown["officers"] == 0


def test_costs_scale_with_the_parameters() -> None:
    dearer = P.overridden(**{"costs.officer_full_gbp": 2 * FULL, "costs.amortisation_years": 10})
    base, more = (option_cost(Changes(response_posts=1, response_officers=2), p) for p in (P, dearer))
    assert more.breakdown["officers"] == pytest.approx(2 * base.breakdown["officers"])
    assert base.one_off_gbp == 0  # response officers need no firearms course


def test_as_record_rounds_to_the_pound() -> None:
    record = Cost(yearly_gbp=1234.6, one_off_gbp=0.4, breakdown={"a": 2.5, "b": -7.51}).as_record()
    assert record == {"yearly_gbp": 1235, "one_off_gbp": 0, "breakdown": {"a": 2, "b": -8}}


@pytest.mark.parametrize(("yearly", "averted", "rate", "expected"), [
    (1_000_000.0, 2.0, 0.01, 50_000_000.0),
    (1_000_000.0, 0.0, 0.01, None),
    (1_000_000.0, -1.0, 0.01, None),
    (-1_000_000.0, -1.0, 0.01, None),
    (0.0, 1.0, 0.01, None),
    (1_000_000.0, float("inf"), 0.01, None),
])
def test_cost_per_life_saved(yearly: float, averted: float, rate: float, expected: float | None) -> None:
    result = cost_per_life_saved(yearly, averted, rate)
    assert result == (None if expected is None else pytest.approx(expected))


def test_armed_posts_cost_their_officer_hours_at_an_armed_officers_hourly_cost() -> None:
    """Five posts of two officers, 32 hours a week: officer-hours x 52 x (full cost + extras) / hours a year."""
    hours = 5 * 2 * 32.0
    expected = hours * 52 * (FULL + 1500.0 + 2000.0) / 1650.0
    assert post_hours_yearly(hours, P) == pytest.approx(expected)
    cost = option_cost(Changes(post_officer_hours_week=hours), P)
    assert cost.yearly_gbp == pytest.approx(expected) and cost.one_off_gbp == 0

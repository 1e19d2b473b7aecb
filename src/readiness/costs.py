"""Cost model: the yearly cost of an option's changes, from registry parameters with sources."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

WEEKS_PER_YEAR = 52.0


@dataclass(frozen=True)
class Changes:
    """What an option changes, in posts and officers: the inputs of the cost model.

    A *post* is one unit on duty around the clock; it takes :func:`officers_per_post` officers per
    crew member. ``armed_officers`` and ``response_officers`` count crew members per post summed over
    the posts added (negative: removed).
    """

    armed_posts: int = 0
    armed_officers: int = 0
    specialist_teams: int = 0
    specialist_officers: int = 0
    response_posts: int = 0
    response_officers: int = 0
    armed_response_officers: int = 0  # crew members of response cars whose officers are armed
    cut_gbp: float = 0.0
    officers_lost: Mapping[str, float] = field(default_factory=dict)  # by role, from a budget cut
    post_officer_hours_week: float = 0.0  # armed posts: officer-hours a week (docs/options.md)
    move_up: bool = False  # free ARVs move up (dispatch.move_up): no new posts, costs.move_up_gbp a year


@dataclass(frozen=True)
class Cost:
    """Yearly cost of an option (one-off costs amortised in); negative is a saving."""

    yearly_gbp: float
    one_off_gbp: float
    breakdown: Mapping[str, float]

    def as_record(self) -> dict[str, object]:
        """JSON-ready, rounded to the pound."""
        return {"yearly_gbp": round(self.yearly_gbp), "one_off_gbp": round(self.one_off_gbp),
                "breakdown": {k: round(v) for k, v in self.breakdown.items()}}


def officers_per_post(params: Mapping[str, float]) -> float:
    """Officers needed to keep one seat filled around the clock: reliefs / (1 - abstraction)."""
    return params["costs.reliefs"] / (1.0 - params["shifts.abstraction"])


def officers_for_cut(amount_gbp: float, params: Mapping[str, float]) -> float:
    """Officers a cut of ``amount_gbp`` a year removes at the full yearly cost of one officer."""
    return amount_gbp / params["costs.officer_full_gbp"]


def _armed_yearly(officers: float, params: Mapping[str, float]) -> float:
    """Allowance and requalification of armed officers (their pay is counted separately)."""
    return officers * (params["costs.firearms_allowance_gbp"] + params["costs.requalification_gbp"])


def _training(officers: float, course_gbp: float, weeks: float, params: Mapping[str, float]) -> float:
    """One-off cost of a course: the fee plus the officer's time away from duty."""
    return max(officers, 0.0) * (course_gbp + weeks / WEEKS_PER_YEAR * params["costs.officer_full_gbp"])


def post_hours_yearly(officer_hours_week: float, params: Mapping[str, float]) -> float:
    """Yearly cost of armed posts: officer-hours at an armed officer's full cost per hour on duty.

    Posts are staffed by officers already trained as AFOs working extra hours (no training cost): an
    officer-hour costs (``costs.officer_full_gbp`` + allowance + requalification) / ``costs.officer_hours_year``.
    """
    hourly = (params["costs.officer_full_gbp"] + _armed_yearly(1.0, params)) / params["costs.officer_hours_year"]
    return officer_hours_week * WEEKS_PER_YEAR * hourly


def option_cost(changes: Changes, params: Mapping[str, float]) -> Cost:
    """Yearly cost of the changes: new officers at full cost, armed extras, vehicles, amortised training.

    New armed posts are crewed by new officers (an uplift, not a transfer) who take the ARV course;
    specialist teams also take the CTSFO course; arming response officers trains existing officers on
    the basic AFO course. Removed posts save their recurring cost, never the training already spent.
    A budget cut saves its amount; what it removes is modelled as officers lost, not costed twice.
    """
    per_post = officers_per_post(params)
    full = params["costs.officer_full_gbp"]
    arv_officers = changes.armed_officers * per_post
    team_officers = changes.specialist_officers * per_post
    response_officers = changes.response_officers * per_post
    armed_response = changes.armed_response_officers * per_post
    one_off = {
        "arv_training": _training(arv_officers, params["costs.arv_course_gbp"], params["costs.arv_course_weeks"],
                                  params),
        "ctsfo_training": _training(team_officers, params["costs.arv_course_gbp"] + params["costs.ctsfo_course_gbp"],
                                    params["costs.arv_course_weeks"] + params["costs.ctsfo_course_weeks"], params),
        "armed_response_training": _training(armed_response, params["costs.afo_course_gbp"],
                                             params["costs.afo_course_weeks"], params),
    }
    one_off_total = sum(one_off.values())
    breakdown = {
        "officers": (arv_officers + team_officers + response_officers) * full,
        "firearms_extras": _armed_yearly(arv_officers + team_officers + armed_response, params),
        "vehicles": (changes.armed_posts + changes.specialist_teams) * params["costs.vehicle_gbp"],
        "training_amortised": one_off_total / params["costs.amortisation_years"],
        "budget_cut": -changes.cut_gbp,
        "armed_posts": post_hours_yearly(changes.post_officer_hours_week, params),
        **({"move_up": params["costs.move_up_gbp"]} if changes.move_up else {}),
    }
    return Cost(yearly_gbp=sum(breakdown.values()), one_off_gbp=one_off_total, breakdown=breakdown)


def cost_per_life_saved(yearly_gbp: float, deaths_averted_per_attack: float,
                        attacks_per_year: float) -> float | None:
    """Yearly cost / (attacks per year x deaths averted per attack); ``None`` when nothing is saved.

    ``None`` also for a saving that costs lives (a cut): the ratio would read as a price, not a loss.
    """
    lives_per_year = attacks_per_year * deaths_averted_per_attack
    if lives_per_year <= 0 or yearly_gbp <= 0 or not math.isfinite(lives_per_year):
        return None
    return yearly_gbp / lives_per_year

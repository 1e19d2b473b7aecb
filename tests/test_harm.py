"""Harm: the closed form against numerical integration, and the Paris calibration behind the registry."""

import math

import pytest
from scipy import integrate

from readiness.harm import PARIS_SITES, calibrate_paris, expected_deaths
from readiness.registry import Parameters


@pytest.mark.parametrize(("shooting", "unarmed"), [(10.0, 4.0), (10.0, math.inf), (3.0, 5.0), (0.0, 0.0)])
def test_expected_deaths_matches_the_integral_of_the_rate(shooting, unarmed):
    attackers, rate, flight, plato = 3, 2.0, 20.0, 0.3

    def h(s: float) -> float:
        return attackers * rate * math.exp(-s / flight) * (1 - plato * (s >= unarmed))

    points = [unarmed] if 0 < unarmed < shooting else None
    numeric = integrate.quad(h, 0, shooting, points=points)[0] if shooting > 0 else 0.0
    closed = expected_deaths(attackers, shooting, unarmed, rate, flight, plato, 0.0, 0.0)
    assert closed == pytest.approx(numeric, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("shooting", "unarmed", "suppressed"), [
    (10.0, 4.0, 6.0), (10.0, 6.0, 4.0), (10.0, 5.0, 5.0), (10.0, math.inf, 3.0), (3.0, 1.0, 7.0),
    (12.0, math.inf, math.inf), (0.0, 0.0, 0.0)])
def test_the_piecewise_multiplier_matches_the_integral_of_the_rate(shooting, unarmed, suppressed):
    attackers, rate, flight, plato, suppression = 2, 2.4, 25.0, 0.2, 0.4

    def h(s: float) -> float:
        return (attackers * rate * math.exp(-s / flight) * (1 - plato * (s >= unarmed))
                * (suppression if s >= suppressed else 1.0))

    points = [t for t in (unarmed, suppressed) if 0 < t < shooting] or None
    numeric = integrate.quad(h, 0, shooting, points=points)[0] if shooting > 0 else 0.0
    closed = expected_deaths(attackers, shooting, unarmed, rate, flight, plato, 0.0, 0.0, suppressed, suppression)
    assert closed == pytest.approx(numeric, rel=1e-9, abs=1e-12)


def test_siege_adds_a_constant_rate():
    base = expected_deaths(2, 5.0, math.inf, 2.0, 30.0, 0.0, 0.0, 0.05)
    assert expected_deaths(2, 5.0, math.inf, 2.0, 30.0, 0.0, 40.0, 0.05) == pytest.approx(base + 2.0)


def test_paris_fit_reproduces_total_deaths_and_the_registry_defaults():
    fit = calibrate_paris()
    # Poisson MLE with the canonical link fits the total exactly
    assert sum(fit.fitted) == pytest.approx(sum(s.deaths for s in PARIS_SITES), rel=1e-4)
    params = Parameters()
    assert params["harm.kill_rate_per_attacker_min"] == pytest.approx(fit.kill_rate_per_attacker_min, rel=0.03)
    assert params["harm.flight_time_min"] == pytest.approx(fit.flight_time_min, rel=0.03)

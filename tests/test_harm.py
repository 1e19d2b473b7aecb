"""Harm: the closed form against numerical integration (the fit behind the registry: test_harm_fit.py)."""

import math

import pytest
from scipy import integrate

from readiness.harm import expected_deaths


@pytest.mark.parametrize(("shooting", "unarmed"), [(10.0, 4.0), (10.0, math.inf), (3.0, 5.0), (0.0, 0.0)])
def test_expected_deaths_matches_the_integral_of_the_rate(shooting, unarmed):
    attackers, rate, flight, plato = 3, 2.0, 20.0, 0.3

    def h(s: float) -> float:
        return attackers * rate * math.exp(-s / flight) * (1 - plato * (s >= unarmed))

    points = [unarmed] if 0 < unarmed < shooting else None
    numeric = integrate.quad(h, 0, shooting, points=points)[0] if shooting > 0 else 0.0
    closed = expected_deaths(attackers, shooting, unarmed, rate, flight, plato, 0.0, 0.0)
    assert closed == pytest.approx(numeric, rel=1e-9, abs=1e-12)


def test_siege_adds_a_constant_rate():
    base = expected_deaths(2, 5.0, math.inf, 2.0, 30.0, 0.0, 0.0, 0.05)
    assert expected_deaths(2, 5.0, math.inf, 2.0, 30.0, 0.0, 40.0, 0.05) == pytest.approx(base + 2.0)

"""Tests for readiness.queueing: Erlang formulas, hypercube model, Larson's approximation, book examples."""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np
import pytest
from scipy import stats

from readiness.errors import ConfigError
from readiness.model_checks import THREE_UNIT_PREFERENCES, THREE_UNIT_RATES, TWO_UNIT_CITY, two_unit_city
from readiness.queueing import erlang_b, erlang_c, hypercube, larson_correction_factors

# --- Erlang formulas ------------------------------------------------------------------------------


def _erlang_c_by_sums(load: float, servers: int) -> float:
    """Erlang C from its defining sums (fine for small c): an independent check of the recursion."""
    queued = load**servers / math.factorial(servers) * servers / (servers - load)
    return queued / (sum(load**k / math.factorial(k) for k in range(servers)) + queued)


@pytest.mark.parametrize("load", [0.1, 0.5, 1.0, 1.9, 7.0])
def test_erlang_closed_forms_for_one_and_two_servers(load: float) -> None:
    assert erlang_b(load, 1) == pytest.approx(load / (1 + load), rel=1e-14)
    assert erlang_b(load, 2) == pytest.approx(load**2 / 2 / (1 + load + load**2 / 2), rel=1e-14)
    if load < 1:
        assert erlang_c(load, 1) == pytest.approx(load, rel=1e-14)
    if load < 2:
        assert erlang_c(load, 2) == pytest.approx(load**2 / (2 + load), rel=1e-14)


@pytest.mark.parametrize(
    ("load", "servers", "blocking"),
    [
        (10.0, 10, 0.2146),  # Erlang B table: 10 erlangs on 10 circuits
        (4.461, 10, 0.0100),  # 1% grade of service, 10 circuits
        (13.182, 20, 0.0200),  # 2% grade of service, 20 circuits
        (80.0, 100, 0.0040),  # 0.4% at 80 erlangs on 100 circuits
    ],
)
def test_erlang_b_table_values(load: float, servers: int, blocking: float) -> None:
    assert erlang_b(load, servers) == pytest.approx(blocking, abs=5e-5)


@pytest.mark.parametrize(("load", "servers"), [(0.5, 1), (2.0, 3), (8.5, 10), (19.0, 25)])
def test_erlang_c_matches_defining_sums(load: float, servers: int) -> None:
    assert erlang_c(load, servers) == pytest.approx(_erlang_c_by_sums(load, servers), rel=1e-12)


def test_erlang_b_is_stable_for_thousands_of_servers() -> None:
    # B = Poisson pmf(c) / Poisson cdf(c): an independent, log-space formula.
    for load, servers in [(1000.0, 1000), (4500.0, 5000), (2.0, 3000)]:
        expected = stats.poisson.pmf(servers, load) / stats.poisson.cdf(servers, load)
        assert erlang_b(load, servers) == pytest.approx(expected, rel=1e-9)


def test_erlang_formulas_are_vectorised_and_keep_scalars_scalar() -> None:
    loads = np.array([[0.0, 1.0], [2.0, 2.5]])
    blocking = erlang_b(loads, 3)
    delay = erlang_c(loads, 3)
    assert isinstance(blocking, np.ndarray) and blocking.shape == loads.shape
    assert blocking[0, 0] == 0.0 and delay[0, 0] == 0.0
    assert blocking[1, 0] == pytest.approx(erlang_b(2.0, 3))
    assert delay[1, 1] == pytest.approx(_erlang_c_by_sums(2.5, 3))
    assert isinstance(erlang_b(1.0, 2), float) and isinstance(erlang_c(1.0, 2), float)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: erlang_c(3.0, 3), "offered_load"),
        (lambda: erlang_c(np.array([1.0, 4.0]), 3), "offered_load"),
        (lambda: erlang_b(-1.0, 3), "offered_load"),
        (lambda: erlang_b(float("nan"), 3), "offered_load"),
        (lambda: erlang_b(1.0, 0), "servers"),
        (lambda: erlang_b(1.0, 2.5), "servers"),
        (lambda: erlang_b(1.0, True), "servers"),
    ],
)
def test_erlang_formulas_reject_bad_input(call, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        call()


# --- Correction factors --------------------------------------------------------------------------


def test_correction_factors_match_larson_odoni_section_5_5_3() -> None:
    # Printed: Q(3, 1/2, 0) = 1, Q(3, 1/2, 1) = 0.73684, Q(3, 1/2, 2) = 0.63158.
    assert larson_correction_factors(3, 1.5) == pytest.approx([1.0, 0.73684, 0.63158], abs=5e-6)


@pytest.mark.parametrize("queue", ["infinite", "loss"])
def test_correction_factors_reproduce_random_sampling_probabilities(queue: str) -> None:
    # Q rho^j (1 - rho) is the probability that the first free server is the (j+1)-th sampled;
    # summed over j it must be the probability that some server is free.
    servers, load = 6, 4.2
    all_busy = erlang_c(load, servers) if queue == "infinite" else erlang_b(load, servers)
    rho = load / servers if queue == "infinite" else load * (1 - all_busy) / servers
    factors = larson_correction_factors(servers, load, queue=queue)
    first_free = factors * rho ** np.arange(servers) * (1 - rho)
    assert factors[0] == pytest.approx(1.0, rel=1e-12)
    assert first_free.sum() == pytest.approx(1 - all_busy, rel=1e-12)


def test_correction_factors_match_larsons_closed_form() -> None:
    # Larson and Odoni eq. 5.48 (infinite queue): sum over k = j..N-1 of
    # (N-j-1)! (N-k) / (k-j)! * N^k / N! * rho^(k-j) / (1 - rho) * P_0.
    servers, load = 7, 5.25
    rho = load / servers
    p0 = 1 / (
        sum(load**k / math.factorial(k) for k in range(servers))
        + load**servers / math.factorial(servers) / (1 - rho)
    )
    expected = [
        sum(
            math.factorial(servers - j - 1)
            * (servers - k)
            / math.factorial(k - j)
            * servers**k
            / math.factorial(servers)
            * rho ** (k - j)
            / (1 - rho)
            * p0
            for k in range(j, servers)
        )
        for j in range(servers)
    ]
    assert larson_correction_factors(servers, load) == pytest.approx(expected, rel=1e-12)


def test_correction_factors_do_not_overflow_for_many_servers() -> None:
    factors = larson_correction_factors(400, 360.0)
    assert np.isfinite(factors).all() and factors[0] == pytest.approx(1.0)


# --- Hypercube: exact reductions and invariants ---------------------------------------------------


def _random_preferences(rng: np.random.Generator, atoms: int, units: int) -> np.ndarray:
    return np.array([rng.permutation(units) for _ in range(atoms)])


@pytest.mark.parametrize(("units", "load"), [(1, 0.6), (3, 1.2), (5, 3.7)])
def test_one_shared_preference_order_reduces_to_mmn(units: int, load: float) -> None:
    rng = np.random.default_rng(units)
    rates = rng.uniform(0.5, 1.5, size=7)
    rates *= load / rates.sum()  # service_rate 1: load in erlangs
    order = rng.permutation(units)
    preferences = np.tile(order, (7, 1))
    popcount = np.array([s.bit_count() for s in range(2**units)])
    for queue, formula in [("loss", erlang_b), ("infinite", erlang_c)]:
        result = hypercube(rates, 1.0, preferences, queue=queue)
        assert result.all_busy_probability == pytest.approx(formula(load, units), abs=1e-10)
        busy = np.bincount(popcount, weights=result.state_probabilities)
        k = np.arange(units)
        erlang_terms = load**k / np.array([math.factorial(i) for i in k])
        assert busy[:units] / busy[0] == pytest.approx(erlang_terms, rel=1e-8)
        carried = load * (1 - erlang_b(load, units)) if queue == "loss" else load
        assert result.workloads.sum() == pytest.approx(carried, abs=1e-10)
        assert np.all(np.diff(result.workloads[order]) <= 1e-12)  # earlier in the order, busier


@pytest.mark.parametrize("queue", ["loss", "infinite"])
def test_workloads_sum_to_carried_load_and_dispatches_to_one(queue: str) -> None:
    rng = np.random.default_rng(11)
    units, atoms = 5, 12
    rates = rng.uniform(0.1, 1.0, size=atoms)
    rates *= 3.1 / rates.sum()
    preferences = _random_preferences(rng, atoms, units)
    result = hypercube(rates, 2.0, preferences, queue=queue)  # mean service 0.5: load 1.55
    load = 3.1 / 2.0
    blocking = erlang_b(load, units) if queue == "loss" else 0.0
    assert result.workloads.sum() == pytest.approx(load * (1 - blocking), abs=1e-10)
    assert result.state_probabilities.shape == (2**units,)
    assert result.state_probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    assert result.dispatch_fractions.shape == (units, atoms)
    assert result.dispatch_fractions.sum() == pytest.approx(1.0, abs=1e-12)
    # Every atom is served in proportion to its calls (all calls see the same all-busy chance).
    assert result.dispatch_fractions.sum(axis=0) == pytest.approx(rates / rates.sum(), abs=1e-12)
    # Each unit's share of dispatches is its share of the work (equal mean service times).
    assert result.dispatch_fractions.sum(axis=1) == pytest.approx(
        result.workloads / result.workloads.sum(), abs=1e-10
    )


def test_mean_travel_weights_travel_by_dispatches() -> None:
    rng = np.random.default_rng(5)
    rates = np.array([0.3, 0.0, 0.5, 0.2])  # an atom without calls still gets a per-atom mean
    preferences = _random_preferences(rng, 4, 3)
    travel = rng.uniform(1.0, 20.0, size=(3, 4))
    result = hypercube(rates, 1.0, preferences, queue="loss", travel_minutes=travel)
    assert result.mean_travel_minutes == pytest.approx((result.dispatch_fractions * travel).sum())
    assert np.isfinite(result.mean_travel_minutes_by_atom).all()
    weighted = (rates * result.mean_travel_minutes_by_atom).sum() / rates.sum()
    assert result.mean_travel_minutes == pytest.approx(weighted)
    without = hypercube(rates, 1.0, preferences, queue="loss")
    assert without.mean_travel_minutes is None and without.mean_travel_minutes_by_atom is None


def test_results_are_read_only() -> None:
    result = hypercube([1.0, 0.5], 1.0, [[0, 1], [1, 0]])
    with pytest.raises(ValueError):
        result.workloads[0] = 0.0


# --- Larson and Odoni (1981), chapter 5 -----------------------------------------------------------


@pytest.mark.parametrize(("w", "mean_travel", "imbalance", "workloads"), TWO_UNIT_CITY)
def test_two_unit_rectangular_city_of_section_5_3_3(w, mean_travel, imbalance, workloads) -> None:
    result = two_unit_city(w)  # the book's line city (readiness.model_checks.two_unit_city)
    assert result.mean_travel_minutes == pytest.approx(mean_travel, abs=5e-6)
    assert result.workloads[0] - result.workloads[1] == pytest.approx(imbalance, abs=5e-6)
    if workloads is not None:
        # Printed 0.49010 and 0.43773; exact 0.4900998 and 0.4377352 (the book seems to truncate the
        # second), so within one unit of the last printed digit.
        assert result.workloads == pytest.approx(workloads, abs=1e-5)


# Section 5.4.3's city (ten atoms, four preference orders): readiness.model_checks holds the book's data
# (the per-atom rates are inferred there: the only round totals whose exact workloads round to the printed ones).


def test_three_unit_exact_example_of_section_5_4() -> None:
    result = hypercube(THREE_UNIT_RATES, 1.0, THREE_UNIT_PREFERENCES)
    assert result.workloads == pytest.approx([0.5574, 0.4734, 0.4693], abs=5e-5)
    # Splitting a preference class into atoms changes nothing.
    split_preferences = [[0, 1, 2], *THREE_UNIT_PREFERENCES, [1, 0, 2]]
    split = hypercube([0.2, 0.3, 0.25, 0.15, 0.4, 0.2], 1.0, split_preferences)
    assert split.workloads == pytest.approx(result.workloads, abs=1e-12)


def test_three_unit_approximation_of_section_5_5_3() -> None:
    # The book stops on the third iteration (largest change 0.0011); printed 0.5627, 0.4716, 0.4657.
    # The exact and approximate calculations are independent, so this also checks the inferred rates.
    book_stop = hypercube(THREE_UNIT_RATES, 1.0, THREE_UNIT_PREFERENCES, method="approx", tolerance=0.0012)
    assert book_stop.workloads == pytest.approx([0.5627, 0.4716, 0.4657], abs=1e-4)
    converged = hypercube(THREE_UNIT_RATES, 1.0, THREE_UNIT_PREFERENCES, method="approx")
    assert converged.workloads == pytest.approx([0.5627, 0.4716, 0.4657], abs=1.5e-4)
    assert converged.workloads.sum() == pytest.approx(1.5, abs=1e-12)
    assert converged.state_probabilities is None


# --- Approximation against exact on random instances ----------------------------------------------


def _geographic_instance(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Units and atoms uniform in a square, nearest-first (Manhattan) preferences, uniform demand."""
    units = int(rng.integers(2, 9))
    atoms = int(rng.integers(units, 4 * units + 1))
    utilisation = rng.uniform(0.2, 0.8)
    weights = rng.uniform(size=atoms)
    rates = weights / weights.sum() * utilisation * units
    homes, places = rng.uniform(size=(units, 2)), rng.uniform(size=(atoms, 2))
    distance = np.abs(homes[:, None, :] - places[None, :, :]).sum(axis=-1)
    return rates, np.argsort(distance, axis=0).T


@pytest.mark.parametrize("queue", ["infinite", "loss"])
def test_approximation_tracks_exact_workloads_on_random_instances(queue: str) -> None:
    # Within 0.02 of exact on these 50 seeded instances (largest errors: 0.016 infinite, 0.018 loss).
    # This is not a guarantee: errors grow with workload imbalance, and in larger or more uneven
    # random sets a few per cent of instances exceed 0.02, up to about 0.04 (docs/queueing.md).
    rng = np.random.default_rng(20240611)
    errors = []
    for _ in range(50):
        rates, preferences = _geographic_instance(rng)
        exact = hypercube(rates, 1.0, preferences, queue=queue)
        approx = hypercube(rates, 1.0, preferences, queue=queue, method="approx")
        errors.append(np.abs(exact.workloads - approx.workloads).max())
        assert approx.dispatch_fractions.sum() == pytest.approx(1.0, abs=1e-12)
    errors = np.array(errors)
    assert errors.max() < 0.02
    assert errors.mean() < 0.01


def test_approximation_handles_many_units() -> None:
    rng = np.random.default_rng(3)
    units, atoms = 60, 200
    rates = rng.uniform(size=atoms)
    rates *= 0.7 * units / rates.sum()
    result = hypercube(rates, 1.0, _random_preferences(rng, atoms, units), method="approx")
    assert result.workloads.sum() == pytest.approx(0.7 * units, abs=1e-9)
    assert ((result.workloads > 0) & (result.workloads < 1)).all()


# --- Discrete-event simulation of the same dispatch rules -----------------------------------------


def _simulate(
    rates: np.ndarray,
    preferences: np.ndarray,
    queue: str,
    horizon: float,
    batches: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Busy fraction of each unit per batch, and dispatch counts (unit x atom), service rate 1."""
    units = preferences.shape[1]
    total = rates.sum()
    cumulative = np.cumsum(rates) / total
    busy = np.zeros(units, dtype=bool)
    departures: list[tuple[float, int]] = []
    waiting: deque[int] = deque()
    busy_time = np.zeros((batches, units))
    dispatches = np.zeros((units, rates.size))
    width = horizon / batches
    now, next_arrival = 0.0, rng.exponential(1 / total)

    def advance(until: float) -> None:
        nonlocal now
        while now < until:
            batch = min(int(now // width), batches - 1)
            end = until if batch == batches - 1 else min(until, (batch + 1) * width)
            busy_time[batch] += busy * (end - now)
            now = end

    def serve(unit: int, atom: int) -> None:
        busy[unit] = True
        dispatches[unit, atom] += 1
        heapq.heappush(departures, (now + rng.exponential(1.0), unit))

    while True:
        event = min(next_arrival, departures[0][0] if departures else math.inf)
        if event >= horizon:
            advance(horizon)
            break
        advance(event)
        if event == next_arrival:
            atom = int(np.searchsorted(cumulative, rng.random()))
            free = next((u for u in preferences[atom] if not busy[u]), None)
            if free is not None:
                serve(int(free), atom)
            elif queue == "infinite":
                waiting.append(atom)
            next_arrival = now + rng.exponential(1 / total)
        else:
            _, unit = heapq.heappop(departures)
            busy[unit] = False
            if waiting:
                serve(unit, waiting.popleft())
    return busy_time / width, dispatches


@pytest.mark.slow
@pytest.mark.parametrize("queue", ["infinite", "loss"])
def test_simulation_agrees_with_exact_hypercube(queue: str) -> None:
    rates = np.array([0.5, 0.3, 0.6, 0.4, 0.5])
    preferences = np.array([[0, 1, 2, 3], [0, 2, 1, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]])
    exact = hypercube(rates, 1.0, preferences, queue=queue)
    batch_busy, dispatches = _simulate(rates, preferences, queue, 60_000.0, 20, np.random.default_rng(99))
    mean = batch_busy.mean(axis=0)
    half_width = stats.t.ppf(0.9995, 19) * batch_busy.std(axis=0, ddof=1) / math.sqrt(20)
    # 99.9% intervals per unit; the exact value must lie inside each (a wrong model misses by far more).
    assert np.all(np.abs(mean - exact.workloads) <= half_width), (mean, exact.workloads, half_width)
    assert np.abs(dispatches / dispatches.sum() - exact.dispatch_fractions).max() < 0.005


# --- Input validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"atom_rates": [1.0, 0.5, 0.2]}, "preferences", "expected 3 lists"),
        ({"preferences": [[0, 1], [1, 1]]}, "preferences", "atom 1"),
        ({"preferences": [[0, 1], [1, 2]]}, "preferences", "atom 1"),
        ({"preferences": [[0, 1], [1]]}, "preferences", "different lengths"),
        ({"preferences": [[0.0, 1.0], [1.0, 0.0]]}, "preferences", "integer"),
        ({"atom_rates": [1.0, -0.5]}, "atom_rates", "atom 1"),
        ({"atom_rates": [0.0, 0.0]}, "atom_rates", "positive total"),
        ({"service_rate": 0.0}, "service_rate", "> 0"),
        ({"service_rate": "fast"}, "service_rate", "> 0"),
        ({"atom_rates": [1.5, 0.5]}, "atom_rates", "not below the 2 units"),
        ({"queue": "lossy"}, "queue", "'infinite', 'loss'"),
        ({"method": "fast"}, "method", "'exact', 'approx'"),
        ({"travel_minutes": [[1.0, 2.0]]}, "travel_minutes", "shape"),
        ({"travel_minutes": [[1.0, 2.0], [3.0, -1.0]]}, "travel_minutes", "unit 1, atom 1"),
        ({"tolerance": 0.0}, "tolerance", "> 0"),
    ],
)
def test_hypercube_rejects_bad_input(kwargs: dict, field: str, words: str) -> None:
    arguments = {"atom_rates": [1.0, 0.5], "service_rate": 1.0, "preferences": [[0, 1], [1, 0]]} | kwargs
    with pytest.raises(ConfigError, match=field) as caught:
        hypercube(**arguments)
    assert words in str(caught.value)


def test_exact_method_refuses_too_many_units() -> None:
    with pytest.raises(ConfigError, match="approx"):
        hypercube([1.0], 1.0, [list(range(17))])
    assert hypercube([1.0], 1.0, [list(range(17))], method="approx").workloads.size == 17


def test_loss_queue_accepts_load_above_units() -> None:
    result = hypercube([3.0, 2.0], 1.0, [[0, 1], [1, 0]], queue="loss")
    assert result.all_busy_probability == pytest.approx(erlang_b(5.0, 2), abs=1e-10)

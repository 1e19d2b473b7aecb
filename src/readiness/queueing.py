"""Erlang formulas and Larson's hypercube queueing model of units dispatched by fixed preference."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.special import gammaln, logsumexp

from readiness.errors import ConfigError

Queue = Literal["infinite", "loss"]
Method = Literal["exact", "approx"]

#: Largest number of units the exact model accepts: 2^16 states, a few seconds and tens of MB.
MAX_EXACT_UNITS = 16
#: Default stopping rule of the approximation: largest change of any workload between iterations.
DEFAULT_TOLERANCE = 1e-10
_QUEUES = ("infinite", "loss")
_METHODS = ("exact", "approx")
_MAX_APPROX_ITERATIONS = 10_000
# The exact chain is solved by power iteration; it stops when no state probability moves by more than
# this. The error is then at most about this times the chain's relaxation (hundreds of steps): < 1e-10.
_EXACT_STEP_TOLERANCE = 1e-14
_MAX_EXACT_ITERATIONS = 200_000


def _servers(servers: object, field: str = "servers") -> int:
    """Check a number of servers: an integer >= 1 (bool and fractional numbers are mistakes)."""
    if isinstance(servers, bool) or not isinstance(servers, (int, np.integer)) or servers < 1:
        raise ConfigError(f"{servers!r} is not a whole number of servers >= 1", field=field)
    return int(servers)


def _loads(offered_load: ArrayLike) -> np.ndarray:
    """Check offered loads (erlangs): finite and >= 0, as a float array of any shape."""
    try:
        loads = np.asarray(offered_load, dtype=float)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{offered_load!r} is not a number of erlangs", field="offered_load") from e
    bad = ~np.isfinite(loads) | (loads < 0)
    if bad.any():
        value = float(loads[bad].flat[0])
        raise ConfigError(f"{value!r} is not a finite load >= 0 erlangs", field="offered_load")
    return loads


def _same_kind(values: np.ndarray, like: ArrayLike) -> float | np.ndarray:
    """Return a float for a scalar input and an array for an array input."""
    return float(values) if np.ndim(like) == 0 else values


def erlang_b(offered_load: ArrayLike, servers: int) -> float | np.ndarray:
    """Blocking probability of an M/M/c/c (Erlang loss) system.

    Uses the recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)), whose terms stay in [0, 1], so it
    neither overflows nor loses precision for thousands of servers, unlike the textbook ratio of sums.

    Parameters
    ----------
    offered_load
        Offered load a = arrival rate x mean service time, in erlangs (>= 0); a scalar or an array.
    servers
        Number of servers c (>= 1).

    Returns
    -------
    float or numpy.ndarray
        Probability that an arriving call finds all c servers busy (and is lost), shaped like
        ``offered_load``.
    """
    loads = _loads(offered_load)
    count = _servers(servers)
    blocking = np.ones_like(loads)
    for k in range(1, count + 1):
        blocking = loads * blocking / (k + loads * blocking)
    return _same_kind(blocking, offered_load)


def erlang_c(offered_load: ArrayLike, servers: int) -> float | np.ndarray:
    """Probability that a call waits in an M/M/c queue (Erlang delay formula).

    Computed from Erlang B as C = c B / (c - a (1 - B)), which inherits the recursion's stability.

    Parameters
    ----------
    offered_load
        Offered load a in erlangs, 0 <= a < c; a scalar or an array.
    servers
        Number of servers c (>= 1).

    Returns
    -------
    float or numpy.ndarray
        Probability that an arriving call finds all servers busy and must queue, shaped like
        ``offered_load``.

    Raises
    ------
    ConfigError
        If any load is >= c: the queue then grows without bound and has no steady state.
    """
    loads = _loads(offered_load)
    count = _servers(servers)
    if (loads >= count).any():
        value = float(loads[loads >= count].flat[0])
        msg = f"load {value!r} erlangs is not below the {count} servers; an M/M/c queue needs load < servers"
        raise ConfigError(msg, field="offered_load")
    blocking = np.asarray(erlang_b(loads, count))
    delay = count * blocking / (count - loads * (1.0 - blocking))
    return _same_kind(delay, offered_load)


def _log_busy_distribution(offered_load: float, servers: int, queue: Queue) -> np.ndarray:
    """Log probabilities that k = 0..N servers are busy in M/M/N (k = N includes the queue) or M/M/N/N."""
    k = np.arange(servers + 1)
    log_terms = k * math.log(offered_load) - gammaln(k + 1)
    if queue == "infinite":
        log_terms[servers] -= math.log1p(-offered_load / servers)
    return log_terms - logsumexp(log_terms)


def larson_correction_factors(servers: int, offered_load: float, *, queue: Queue = "infinite") -> np.ndarray:
    """Larson's correction factors Q(N, rho, j), j = 0..N-1, for an M/M/N system.

    If servers are sampled at random without replacement, the probability that the first j are busy
    and the (j+1)-th is free is Q(N, rho, j) rho^j (1 - rho): the product a naive independence
    assumption would give, corrected for the dependence between servers (Larson and Odoni 1981,
    eqs. 5.45-5.48). It is computed here from the exact busy-count distribution P_k:
    sum over k of P_k [k!/(k-j)!] / [N!/(N-j)!] (N-k)/(N-j), divided by rho^j (1 - rho), in logs so
    that large N neither overflows nor underflows.

    Parameters
    ----------
    servers
        Number of servers N (>= 1).
    offered_load
        Offered load a = lambda / mu in erlangs (> 0; < N for the infinite queue).
    queue
        "infinite" (M/M/N, rho = a / N) or "loss" (M/M/N/N, rho = a (1 - B) / N, the carried load per
        server, B being Erlang B).

    Returns
    -------
    numpy.ndarray
        Q(N, rho, j) for j = 0..N-1 (Q(N, rho, 0) = 1).
    """
    count = _servers(servers)
    load = float(_loads(offered_load))
    if load <= 0:
        raise ConfigError(f"{load!r} is not a load > 0 erlangs", field="offered_load")
    _check_choice(queue, _QUEUES, "queue")
    if queue == "infinite":
        erlang_c(load, count)  # validates load < servers
        utilisation = load / count
    else:
        utilisation = load * (1.0 - erlang_b(load, count)) / count
    log_busy = _log_busy_distribution(load, count, queue)
    factors = np.empty(count)
    for j in range(count):
        k = np.arange(j, count)
        log_first_free = (
            gammaln(k + 1)
            - gammaln(k - j + 1)
            - gammaln(count + 1)
            + gammaln(count - j + 1)
            + np.log(count - k)
            - math.log(count - j)
        )
        log_probability = logsumexp(log_busy[k] + log_first_free)
        factors[j] = math.exp(log_probability - j * math.log(utilisation) - math.log1p(-utilisation))
    return factors


@dataclass(frozen=True)
class HypercubeResult:
    """Steady-state performance of a hypercube model.

    Attributes
    ----------
    workloads
        Length N: fraction of time each unit is busy.
    dispatch_fractions
        N x atoms: fraction of all dispatches (served calls) that send unit u to atom j; sums to 1.
    state_probabilities
        Exact method only (else None): length 2^N indexed by bitmask, bit u set when unit u is busy.
        For the infinite queue the all-busy entry includes every state with calls waiting.
    mean_travel_minutes
        Mean travel minutes over all dispatches when ``travel_minutes`` was given, else None.
    mean_travel_minutes_by_atom
        Length atoms: mean travel minutes of a dispatch to each atom, else None.
    all_busy_probability
        Probability that an arriving call finds every unit busy: lost (loss) or queued (infinite).
    """

    workloads: np.ndarray
    dispatch_fractions: np.ndarray
    state_probabilities: np.ndarray | None
    mean_travel_minutes: float | None
    mean_travel_minutes_by_atom: np.ndarray | None
    all_busy_probability: float


def _check_choice(value: object, choices: tuple[str, ...], field: str) -> None:
    """Check that a string option is one of its allowed values."""
    if value not in choices:
        raise ConfigError(f"{value!r} is not one of {', '.join(map(repr, choices))}", field=field)


def _check_rates(atom_rates: ArrayLike, service_rate: float) -> tuple[np.ndarray, float]:
    """Check per-atom call rates (finite, >= 0, positive in total) and the service rate (finite, > 0)."""
    try:
        rates = np.asarray(atom_rates, dtype=float)
    except (TypeError, ValueError) as e:
        raise ConfigError("expected a list of calls per unit time, one per atom", field="atom_rates") from e
    if rates.ndim != 1 or rates.size == 0:
        raise ConfigError(
            f"expected a non-empty list, one rate per atom; got shape {rates.shape}", field="atom_rates"
        )
    bad = ~np.isfinite(rates) | (rates < 0)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise ConfigError(
            f"atom {index}: {float(rates[index])!r} is not a finite rate >= 0", field="atom_rates"
        )
    if rates.sum() <= 0:
        raise ConfigError("all atom rates are 0; expected a positive total call rate", field="atom_rates")
    try:
        mu = float(service_rate) if not isinstance(service_rate, bool) else math.nan
    except (TypeError, ValueError):
        mu = math.nan
    if not (math.isfinite(mu) and mu > 0):
        raise ConfigError(f"{service_rate!r} is not a finite rate > 0", field="service_rate")
    return rates, mu


def _check_preferences(preferences: ArrayLike, atoms: int) -> np.ndarray:
    """Check one full preference order per atom, each a permutation of the unit indices 0..N-1."""
    try:
        orders = np.asarray(preferences)
    except ValueError as e:  # ragged nested lists
        raise ConfigError(
            "lists have different lengths; each atom must rank every unit", field="preferences"
        ) from e
    if orders.ndim != 2 or orders.shape[0] != atoms or orders.shape[1] == 0:
        msg = f"expected {atoms} lists (one per atom) of unit indices; got shape {orders.shape}"
        raise ConfigError(msg, field="preferences")
    if orders.dtype.kind not in "iu":
        raise ConfigError(f"expected integer unit indices; got {orders.dtype} values", field="preferences")
    units = orders.shape[1]
    expected = np.arange(units)
    for atom, order in enumerate(orders):
        if not np.array_equal(np.sort(order), expected):
            msg = (
                f"atom {atom}: {order.tolist()} is not an ordering of every unit 0..{units - 1} exactly once"
            )
            raise ConfigError(msg, field="preferences")
    return orders.astype(np.intp)


def _check_travel(travel_minutes: ArrayLike | None, units: int, atoms: int) -> np.ndarray | None:
    """Check travel minutes: an N x atoms array of finite numbers >= 0, or None."""
    if travel_minutes is None:
        return None
    travel = np.asarray(travel_minutes, dtype=float)
    if travel.shape != (units, atoms):
        msg = f"expected shape ({units} units, {atoms} atoms); got {travel.shape}"
        raise ConfigError(msg, field="travel_minutes")
    if not (np.isfinite(travel) & (travel >= 0)).all():
        unit, atom = np.argwhere(~(np.isfinite(travel) & (travel >= 0)))[0]
        msg = (
            f"unit {unit}, atom {atom}: {float(travel[unit, atom])!r} is not a finite number of minutes >= 0"
        )
        raise ConfigError(msg, field="travel_minutes")
    return travel


def _first_free(order: np.ndarray, states: np.ndarray) -> np.ndarray:
    """For every state bitmask, the first free unit in ``order`` (-1 when all are busy)."""
    first = np.full(states.size, -1, dtype=np.intp)
    undecided = np.ones(states.size, dtype=bool)
    for unit in order:
        free = ((states >> unit) & 1) == 0
        first[undecided & free] = unit
        undecided &= ~free
    return first


def _busy_count(states: np.ndarray, units: int) -> np.ndarray:
    """Number of busy units (set bits) in each state bitmask."""
    return sum(((states >> unit) & 1) for unit in range(units))


def _solve_exact(
    group_rates: np.ndarray, groups: np.ndarray, service_rate: float, queue: Queue
) -> tuple[np.ndarray, np.ndarray]:
    """Steady-state probabilities of the 2^N-state hypercube and, per preference group, of each dispatch.

    Upward transitions: from state s, a call from a group sets the bit of the first free unit in its
    order. Downward: each busy unit frees at the service rate. For the infinite queue, the all-busy
    state stands for all queue lengths; given that block, the queue is empty with probability
    1 - rho (geometric), so each unit leaves it at rate mu (1 - rho): exact for the steady state.
    The balance equations are solved by power iteration on the uniformised chain, started from the
    exact Erlang distribution of the number busy spread evenly over states, which only has to learn
    which units are busy; sparse LU factorisation suffers ruinous fill-in on a hypercube.
    """
    units = groups.shape[1]
    states = np.arange(1 << units)
    full = states[-1]
    load = group_rates.sum() / service_rate
    up = np.zeros((states.size, units))
    for rate, order in zip(group_rates, groups):
        first = _first_free(order, states)
        hit = first >= 0
        up[states[hit], first[hit]] += rate
    down = np.full(states.size, service_rate)
    if queue == "infinite":
        down[full] = service_rate * (1.0 - load / units)
    rows, cols, rates = [], [], []
    for unit in range(units):
        busy = ((states >> unit) & 1) == 1
        rows += [states[~busy] | (1 << unit), states[busy] ^ (1 << unit)]
        cols += [states[~busy], states[busy]]
        rates += [up[~busy, unit], down[busy]]
    inflow = sp.csr_matrix(
        (np.concatenate(rates), (np.concatenate(rows), np.concatenate(cols))), shape=(states.size,) * 2
    )
    outflow = np.asarray(inflow.sum(axis=0)).ravel()
    uniform_rate = outflow.max()
    count = _busy_count(states, units)
    log_busy = _log_busy_distribution(load, units, queue)
    log_ways = gammaln(units + 1) - gammaln(count + 1) - gammaln(units - count + 1)
    probabilities = np.exp(log_busy[count] - log_ways)
    for _ in range(_MAX_EXACT_ITERATIONS):
        step = (inflow @ probabilities - outflow * probabilities) / uniform_rate
        probabilities = probabilities + step
        if np.abs(step).max() < _EXACT_STEP_TOLERANCE:
            break
    else:
        msg = (
            f"the exact hypercube did not converge in {_MAX_EXACT_ITERATIONS} iterations (load "
            f"{load:.4g} on {units} units is too close to saturation); use method='approx'"
        )
        raise ConfigError(msg, field="atom_rates")
    probabilities = np.clip(probabilities, 0.0, None)
    probabilities /= probabilities.sum()
    immediate = np.zeros((len(groups), units))
    for g, order in enumerate(groups):
        first = _first_free(order, states)
        hit = first >= 0
        immediate[g] = np.bincount(first[hit], weights=probabilities[hit], minlength=units)
    return probabilities, immediate


def _solve_approx(
    group_rates: np.ndarray,
    groups: np.ndarray,
    service_rate: float,
    queue: Queue,
    all_busy: float,
    tolerance: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Workloads and per-group immediate dispatch probabilities by Larson's (1975) approximation.

    The probability that a call's first k preferred units are busy and the next, n, is free is taken
    as Q(N, r, k) rho_1 ... rho_k (1 - rho_n). Then rho_n = (1 - rho_n) V_n + D, with V_n the
    corrected rate of calls that would go to n if free (in service times) and D = a P_N / N the share
    of queued calls, gives rho_n = (V_n + D) / (1 + V_n). Each iteration applies this to every unit
    from the previous workloads (starting from the average r) and rescales the workloads to their
    known total (a for the infinite queue, a (1 - B) for loss), as in Larson and Odoni (1981, 5.5).
    """
    units = groups.shape[1]
    load = group_rates.sum() / service_rate
    factors = larson_correction_factors(units, load, queue=queue)
    carried = load if queue == "infinite" else load * (1.0 - all_busy)
    queued_share = load * all_busy / units if queue == "infinite" else 0.0
    weights = group_rates[:, None] / service_rate * factors[None, :]
    workloads = np.full(units, carried / units)
    for _ in range(_MAX_APPROX_ITERATIONS):
        busy_before = np.cumprod(np.c_[np.ones(len(groups)), workloads[groups[:, :-1]]], axis=1)
        would_serve = np.bincount(groups.ravel(), weights=(weights * busy_before).ravel(), minlength=units)
        updated = (would_serve + queued_share) / (1.0 + would_serve)
        updated *= carried / updated.sum()
        change = np.abs(updated - workloads).max()
        workloads = updated
        if change < tolerance:
            break
    else:
        msg = (
            f"Larson's approximation did not converge to {tolerance:g} in {_MAX_APPROX_ITERATIONS} iterations"
        )
        raise ConfigError(msg, field="tolerance")
    if not ((workloads > 0) & (workloads < 1)).all():
        raise ConfigError(
            f"Larson's approximation gave workloads outside (0, 1): {workloads}; use method='exact'",
            field="method",
        )
    busy_before = np.cumprod(np.c_[np.ones(len(groups)), workloads[groups[:, :-1]]], axis=1)
    by_rank = factors[None, :] * busy_before * (1.0 - workloads[groups])
    # The approximate probabilities of a group's dispatches need not add up to the exact 1 - P_N;
    # rescaling each group's keeps its calls' fates consistent (served immediately, or not).
    by_rank *= (1.0 - all_busy) / by_rank.sum(axis=1, keepdims=True)
    immediate = np.zeros((len(groups), units))
    np.put_along_axis(immediate, groups, by_rank, axis=1)
    return workloads, immediate


def hypercube(
    atom_rates: ArrayLike,
    service_rate: float,
    preferences: ArrayLike,
    queue: Queue = "infinite",
    method: Method = "exact",
    travel_minutes: ArrayLike | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> HypercubeResult:
    """Solve Larson's hypercube queueing model: N units, atoms of Poisson demand, fixed preferences.

    Each call goes to the first free unit in its atom's preference order; all units share one
    exponential service time. With every unit busy a call waits in one FCFS queue and is served by
    the next unit to free up ("infinite"; queued calls fall equally on all units) or is lost ("loss").

    Parameters
    ----------
    atom_rates
        Calls per unit time from each atom (>= 0, positive in total).
    service_rate
        Service completions per unit time per busy unit; the mean service time is 1 / service_rate.
    preferences
        One list per atom: every unit index 0..N-1 in dispatch order (first = most preferred).
    queue
        "infinite" (needs total load < N) or "loss".
    method
        "exact": the 2^N-state Markov chain (N <= 16). "approx": Larson's 1975 approximation with
        correction factors Q(N, rho, j), for any N.
    travel_minutes
        Optional N x atoms minutes from each unit to each atom, for mean travel times.
    tolerance
        Approximation only: stop when no workload changes by more than this between iterations
        (Larson's epsilon; the book's three-unit example used about 0.001).

    Returns
    -------
    HypercubeResult
        Workloads, dispatch fractions, state probabilities (exact only), mean travel minutes (when
        travel is given) and the probability that a call finds every unit busy.
    """
    rates, mu = _check_rates(atom_rates, service_rate)
    orders = _check_preferences(preferences, rates.size)
    units = orders.shape[1]
    travel = _check_travel(travel_minutes, units, rates.size)
    _check_choice(queue, _QUEUES, "queue")
    _check_choice(method, _METHODS, "method")
    load = rates.sum() / mu
    if queue == "infinite" and load >= units:
        msg = (
            f"total load {load:.6g} erlangs (calls x mean service time) is not below the {units} units; "
            "an infinite queue would grow without bound (use queue='loss' or fewer calls)"
        )
        raise ConfigError(msg, field="atom_rates")
    if method == "exact" and units > MAX_EXACT_UNITS:
        msg = f"{units} units means 2^{units} states; the exact method takes up to {MAX_EXACT_UNITS}"
        raise ConfigError(msg + "; use method='approx'", field="method")
    if not (np.isfinite(tolerance) and tolerance > 0):
        raise ConfigError(f"{tolerance!r} is not a finite tolerance > 0", field="tolerance")

    groups, group_of_atom = np.unique(orders, axis=0, return_inverse=True)
    group_rates = np.bincount(group_of_atom.ravel(), weights=rates, minlength=len(groups))
    states: np.ndarray | None = None
    if method == "exact":
        states, immediate = _solve_exact(group_rates, groups, mu, queue)
        all_busy = float(states[-1])
        workloads = np.array([states[((np.arange(states.size) >> u) & 1) == 1].sum() for u in range(units)])
    else:
        all_busy = float(erlang_c(load, units) if queue == "infinite" else erlang_b(load, units))
        workloads, immediate = _solve_approx(group_rates, groups, mu, queue, all_busy, tolerance)

    # Probability that a call from each atom is dispatched to each unit, given that it is served.
    served = immediate[group_of_atom.ravel()]
    if queue == "infinite":
        served = served + all_busy / units
    served /= served.sum(axis=1, keepdims=True)
    dispatches = rates[:, None] * served
    fractions = (dispatches / dispatches.sum()).T
    mean_travel = by_atom = None
    if travel is not None:
        by_atom = (served * travel.T).sum(axis=1)
        mean_travel = float((fractions * travel).sum())
    for array in (workloads, fractions, states, by_atom):
        if array is not None:
            array.flags.writeable = False
    return HypercubeResult(
        workloads=workloads,
        dispatch_fractions=fractions,
        state_probabilities=states,
        mean_travel_minutes=mean_travel,
        mean_travel_minutes_by_atom=by_atom,
        all_busy_probability=all_busy,
    )

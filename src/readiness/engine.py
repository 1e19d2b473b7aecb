"""Engine: a pure function of (model, number of sites, seed, replications) to per-replication outcomes.

The named steps are: draw attacks (``scenario.draw_attacks``), draw unit states
(``scenario.draw_unit_starts``, or the workload model), dispatch and travel (the compiled event loop
``_dispatch_batch``, one replication per iteration, replications in parallel), harm
(``harm.expected_deaths`` inside the loop, Poisson deaths after it), summarise (``readiness.summary``).
The rules are specified in docs/model.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields

import numba
import numpy as np
from scipy import stats

from readiness.harm import expected_deaths
from readiness.model import Model
from readiness.resources import ARMED, SPECIALIST, UNARMED
from readiness.rng import uniforms
from readiness.scenario import MAX_MUTUAL_AID, Attacks, UnitStateSampler, draw_attacks
from readiness.workload import resolve_unit_states

INF = np.inf
MUTUAL_AID = 3  # kind of the mutual-aid units the kernel appends after the fleet

# unit states inside the kernel
_IDLE, _ENROUTE, _ONSCENE, _CLEARING, _MOBILISING, _WAITING, _INCOMING, _UNUSED = range(8)
# event categories, in the order they are processed at equal times
_ARRIVAL, _STOP, _FREE, _REPORT, _READY, _AID = range(6)

@dataclass(frozen=True)
class Outcomes:
    """Per-replication, per-site outcomes, arrays of shape ``(replications, K)``.

    Times are minutes since the site's own start; ``inf`` means not within the horizon.
    """

    replication: np.ndarray  # (R,) global replication indices
    site: np.ndarray
    start: np.ndarray
    report: np.ndarray
    attackers: np.ndarray
    static: np.ndarray
    t_first_armed: np.ndarray
    t_enough_armed: np.ndarray
    t_resolved: np.ndarray
    t_first_unarmed: np.ndarray
    expected_deaths: np.ndarray
    deaths: np.ndarray

    @property
    def replications(self) -> int:
        return len(self.replication)

    @property
    def sites(self) -> int:
        return self.site.shape[1]

    @staticmethod
    def concatenate(parts: list[Outcomes]) -> Outcomes:
        """Join batches (in replication order) into one."""
        return Outcomes(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Outcomes)})


@numba.njit(cache=True)
def _site_for_free_unit(order, reported, resolved, assigned, needed, first_armed, next_arrival, site, eta_from,
                        factor, travel, now):
    """Where a freed (or arriving mutual-aid) armed unit goes, or -1 (docs/model.md, 4.4).

    The earliest-reported unresolved site that is short of armed officers, or that has no armed officer
    on scene yet and would be reached sooner by this unit than by any unit already on its way. A unit
    with ``eta_from < 0`` (mutual aid) arrives at once.
    """
    for j in range(order.shape[0]):
        k = order[j]
        if not reported[k] or resolved[k] != INF:
            continue
        if assigned[k] < needed[k]:
            return k
        eta = now if eta_from < 0 else now + factor * travel[eta_from, site[k]]
        if first_armed[k] == INF and eta < next_arrival[k]:
            return k
    return -1


@numba.njit(cache=True)
def _static_site_for_team(order, reported, resolved, static, team_at):
    """Earliest-reported unresolved static site without a specialist team, or -1."""
    for j in range(order.shape[0]):
        k = order[j]
        if reported[k] and resolved[k] == INF and static[k] and not team_at[k]:
            return k
    return -1


@numba.njit(cache=True)
def _replication(site, start, report, attackers, static, mobile_duration, siege, assault, n_aid, aid_delay,
                 kill_rate, kind, officers, position0, available0, specialist_delay, travel, n_bases, scalars,
                 out_first, out_enough, out_resolved, out_unarmed, out_expected):
    """Simulate one replication's dispatch and harm (docs/model.md, sections 4 and 5)."""
    factor, per_attacker, clear, units_per_site, horizon, threshold, aid_crew = (
        scalars[0], scalars[1], scalars[2], int(scalars[3]), scalars[4], scalars[5], int(scalars[6]))
    flight, plato, siege_rate = scalars[7], scalars[8], scalars[9]
    k_sites = site.shape[0]
    n_fleet = kind.shape[0]
    n_units = n_fleet + MAX_MUTUAL_AID

    # units: the fleet, then the mutual-aid slots
    u_kind = np.empty(n_units, np.int64)
    u_off = np.zeros(n_units, np.int64)
    u_pos = np.full(n_units, -1, np.int64)
    u_time = np.full(n_units, INF)  # available / arrival / free / ready time, by state
    u_state = np.full(n_units, _UNUSED, np.int64)
    u_site = np.full(n_units, -1, np.int64)
    for u in range(n_fleet):
        u_kind[u] = kind[u]
        u_off[u] = officers[u]
        u_pos[u] = position0[u]
        if available0[u] < INF:
            u_state[u] = _IDLE
            u_time[u] = available0[u]
    for u in range(n_fleet, n_units):
        u_kind[u] = MUTUAL_AID
        u_off[u] = aid_crew

    needed = per_attacker * attackers
    order = np.argsort(report, kind="mergesort")
    reported = np.zeros(k_sites, np.bool_)
    resolved = np.full(k_sites, INF)
    assigned = np.zeros(k_sites, np.int64)
    arrived = np.zeros(k_sites, np.int64)
    first_armed = np.full(k_sites, INF)
    enough = np.full(k_sites, INF)
    first_unarmed = np.full(k_sites, INF)
    shoot_stop = np.full(k_sites, INF)  # when shooting stops (engagement or a mobile attack's end)
    attack_end = np.full(k_sites, INF)  # when the attack is over (shooting stopped, siege ended)
    stop_pending = np.zeros(k_sites, np.bool_)
    team_at = np.zeros(k_sites, np.bool_)
    team_on_scene = np.full(k_sites, INF)
    next_arrival = np.full(k_sites, INF)  # earliest arrival of an armed unit on its way
    for k in range(k_sites):
        if not static[k]:
            shoot_stop[k] = start[k] + mobile_duration[k]
            attack_end[k] = shoot_stop[k]
            stop_pending[k] = True
    t_end = np.max(start) + horizon
    aid_requested = False
    first_report_seen = False

    while True:
        best_t = INF
        best_cat = 99
        best_i = -1
        for u in range(n_units):
            s = u_state[u]
            cat = 99
            if s == _ENROUTE:
                cat = _ARRIVAL
            elif s == _CLEARING:
                cat = _FREE
            elif s == _MOBILISING:
                cat = _READY
            elif s == _INCOMING:
                cat = _AID
            if cat != 99 and (u_time[u] < best_t or (u_time[u] == best_t and cat < best_cat)):
                best_t, best_cat, best_i = u_time[u], cat, u
        for k in range(k_sites):
            if stop_pending[k] and resolved[k] == INF:
                if attack_end[k] < best_t or (attack_end[k] == best_t and _STOP < best_cat):
                    best_t, best_cat, best_i = attack_end[k], _STOP, k
            if not reported[k]:
                if report[k] < best_t or (report[k] == best_t and _REPORT < best_cat):
                    best_t, best_cat, best_i = report[k], _REPORT, k
        if best_t > t_end:
            break
        now = best_t

        if best_cat == _ARRIVAL:
            u = best_i
            k = u_site[u]
            if u_kind[u] == UNARMED:
                u_state[u] = _ONSCENE
                first_unarmed[k] = min(first_unarmed[k], now)
                continue
            arrived[k] += u_off[u]
            if enough[k] == INF and (arrived[k] >= needed[k] or u_kind[u] == SPECIALIST):
                enough[k] = now
            if resolved[k] < INF:  # came after the site was resolved: clear and go
                u_state[u] = _CLEARING
                u_time[u] = now + clear
                u_pos[u] = n_bases + site[k]
                continue
            u_state[u] = _ONSCENE
            if first_armed[k] == INF:
                first_armed[k] = now
            if u_kind[u] == SPECIALIST and team_on_scene[k] == INF:
                team_on_scene[k] = now
            if enough[k] == now and shoot_stop[k] > now:  # engaged while shooting
                shoot_stop[k] = now
                if static[k] and siege[k]:
                    attack_end[k] = INF
                else:
                    attack_end[k] = now
                    stop_pending[k] = True
            if static[k] and siege[k] and team_on_scene[k] < INF and attack_end[k] == INF and enough[k] < INF:
                attack_end[k] = max(team_on_scene[k], enough[k]) + assault[k]
                stop_pending[k] = True
            if attack_end[k] <= now:
                best_cat = _STOP  # resolve below
                best_i = k
            else:
                continue

        if best_cat == _STOP:
            k = best_i
            stop_pending[k] = False
            if first_armed[k] <= now:
                resolved[k] = now
                for u in range(n_units):
                    if u_site[u] == k and u_state[u] == _ONSCENE and u_kind[u] != UNARMED:
                        u_state[u] = _CLEARING
                        u_time[u] = now + clear
                        u_pos[u] = n_bases + site[k]
            continue

        if best_cat == _FREE:
            u = best_i
            u_state[u] = _IDLE
            u_site[u] = -1
            if u_kind[u] == SPECIALIST:
                k = _static_site_for_team(order, reported, resolved, static, team_at)
                if k >= 0:
                    team_at[k] = True
                    u_site[u] = k
                    u_state[u] = _ENROUTE
                    u_time[u] = now + factor * travel[u_pos[u], site[k]]
                else:
                    u_state[u] = _WAITING
                continue
            k = _site_for_free_unit(order, reported, resolved, assigned, needed, first_armed, next_arrival, site,
                                    u_pos[u], factor, travel, now)
            if k >= 0:
                assigned[k] += u_off[u]
                u_site[u] = k
                u_state[u] = _ENROUTE
                u_time[u] = now + factor * travel[u_pos[u], site[k]]
                next_arrival[k] = min(next_arrival[k], u_time[u])
            continue

        if best_cat == _REPORT:
            k = best_i
            reported[k] = True
            # armed units: earliest arrival first, until enough officers are assigned
            while assigned[k] < needed[k]:
                best_u = -1
                best_eta = INF
                for u in range(n_units):
                    if u_state[u] == _IDLE and (u_kind[u] == ARMED or u_kind[u] == MUTUAL_AID):
                        eta = max(now, u_time[u]) + factor * travel[u_pos[u], site[k]]
                        if eta < best_eta:
                            best_eta, best_u = eta, u
                if best_u < 0:
                    break
                assigned[k] += u_off[best_u]
                u_site[best_u] = k
                u_state[best_u] = _ENROUTE
                u_time[best_u] = best_eta
                next_arrival[k] = min(next_arrival[k], best_eta)
            # unarmed units (Operation Plato): never re-tasked
            for _ in range(units_per_site):
                best_u = -1
                best_eta = INF
                for u in range(n_units):
                    if u_state[u] == _IDLE and u_kind[u] == UNARMED:
                        eta = max(now, u_time[u]) + factor * travel[u_pos[u], site[k]]
                        if eta < best_eta:
                            best_eta, best_u = eta, u
                if best_u < 0:
                    break
                u_site[best_u] = k
                u_state[best_u] = _ENROUTE
                u_time[best_u] = best_eta
            # specialist teams: the first report requests them all; a waiting team takes a new static site
            if not first_report_seen:
                first_report_seen = True
                for u in range(n_fleet):
                    if u_kind[u] == SPECIALIST and u_state[u] == _IDLE:
                        u_state[u] = _MOBILISING
                        u_time[u] = now + specialist_delay[u]
            if static[k] and not team_at[k]:
                for u in range(n_fleet):
                    if u_state[u] == _WAITING:
                        team_at[k] = True
                        u_site[u] = k
                        u_state[u] = _ENROUTE
                        u_time[u] = now if u_pos[u] < 0 else now + factor * travel[u_pos[u], site[k]]
                        break
            # mutual aid once more than `threshold` sites are active
            if not aid_requested:
                active = 0
                for j in range(k_sites):
                    if reported[j] and resolved[j] == INF:
                        active += 1
                if active > threshold:
                    aid_requested = True
                    for j in range(n_aid):
                        u_state[n_fleet + j] = _INCOMING
                        u_time[n_fleet + j] = now + aid_delay[j]
            continue

        if best_cat == _READY:
            u = best_i
            k = _static_site_for_team(order, reported, resolved, static, team_at)
            if k < 0:
                u_state[u] = _WAITING
                continue
            team_at[k] = True
            u_site[u] = k
            u_state[u] = _ENROUTE
            u_time[u] = now if u_pos[u] < 0 else now + factor * travel[u_pos[u], site[k]]
            continue

        if best_cat == _AID:
            u = best_i
            k = _site_for_free_unit(order, reported, resolved, assigned, needed, first_armed, next_arrival, site,
                                    -1, factor, travel, now)
            if k < 0:
                u_state[u] = _UNUSED
                continue
            assigned[k] += u_off[u]
            u_site[u] = k
            u_state[u] = _ENROUTE  # arrives now: travel is part of the delay
            next_arrival[k] = now

    for k in range(k_sites):
        limit = start[k] + horizon
        out_first[k] = first_armed[k] - start[k] if first_armed[k] <= limit else INF
        out_enough[k] = enough[k] - start[k] if enough[k] <= limit else INF
        out_resolved[k] = resolved[k] - start[k] if resolved[k] <= limit else INF
        out_unarmed[k] = first_unarmed[k] - start[k] if first_unarmed[k] <= limit else INF
        shooting = min(shoot_stop[k], limit) - start[k]
        siege_minutes = 0.0
        if static[k] and siege[k] and enough[k] < limit:
            siege_minutes = min(attack_end[k], limit) - enough[k]
        out_expected[k] = expected_deaths(attackers[k], shooting, out_unarmed[k], kill_rate[k], flight, plato,
                                          siege_minutes, siege_rate)


@numba.njit(parallel=True, cache=True)
def _dispatch_batch(site, start, report, attackers, static, mobile_duration, siege, assault, n_aid, aid_delay,
                    kill_rate, kind, officers, position0, available0, specialist_delay, travel, n_bases, scalars,
                    out_first, out_enough, out_resolved, out_unarmed, out_expected):
    for r in numba.prange(site.shape[0]):
        _replication(site[r], start[r], report[r], attackers[r], static[r], mobile_duration[r], siege[r],
                     assault[r], n_aid[r], aid_delay[r], kill_rate[r], kind, officers, position0[r],
                     available0[r], specialist_delay[r], travel, n_bases, scalars,
                     out_first[r], out_enough[r], out_resolved[r], out_unarmed[r], out_expected[r])


#: Above this mean the Poisson inversion goes to SciPy (the running product would underflow).
_POISSON_LOOP_MAX_MEAN = 200.0


@numba.njit(parallel=True, cache=True)
def _poisson_inverse(u, mean, out):
    """Smallest ``k`` with ``P(N <= k) >= u`` for ``N ~ Poisson(mean)``, summing the pmf (mean <= 200)."""
    for i in numba.prange(u.shape[0]):
        term = np.exp(-mean[i])
        cdf = term
        k = 0
        while cdf < u[i] and term > 0.0:
            k += 1
            term *= mean[i] / k
            cdf += term
        out[i] = k


def poisson_deaths(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson draws by inversion of counter-based uniforms (the same numbers as ``scipy.stats.poisson.ppf``
    up to rounding at a CDF step), compiled because SciPy's ppf was the costliest step after the loop."""
    u, mean = np.ascontiguousarray(u, dtype=float).ravel(), np.ascontiguousarray(mean, dtype=float).ravel()
    out = np.empty(u.shape, np.int64)
    _poisson_inverse(u, np.minimum(mean, _POISSON_LOOP_MAX_MEAN), out)
    large = mean > _POISSON_LOOP_MAX_MEAN
    if large.any():
        out[large] = stats.poisson.ppf(u[large], mean[large]).astype(np.int64)
    return out


def _scalars(model: Model) -> np.ndarray:
    p = model.params
    return np.array([p["travel.emergency_factor"], p["dispatch.officers_per_attacker"],
                     p["dispatch.scene_clear_min"], p["response.units_per_site"], p["horizon_min"],
                     p["mutual_aid.threshold_sites"], p["arv.crew"], p["harm.flight_time_min"],
                     p["harm.plato_reduction"], p["harm.siege_kill_rate_min"]])


def simulate_batch(model: Model, *, sites: int, seed: int, replications: np.ndarray,
                   unit_states: UnitStateSampler | None = None) -> Outcomes:
    """Outcomes of the given global replication indices (any batch gives the same numbers).

    ``unit_states=None`` means as configured (``workload.unit_state_sampler``).
    """
    reps = np.asarray(replications, dtype=np.int64)
    attacks: Attacks = draw_attacks(model, seed, reps, sites)
    units = resolve_unit_states(model, unit_states)(model, seed, reps)
    shape = (len(reps), sites)
    out = {name: np.empty(shape) for name in ("first", "enough", "resolved", "unarmed", "expected")}
    _dispatch_batch(attacks.site, attacks.start, attacks.report, attacks.attackers.astype(np.int64),
                    attacks.static, attacks.mobile_duration, attacks.siege, attacks.assault,
                    attacks.mutual_aid_units, attacks.mutual_aid_delay, attacks.kill_rate,
                    model.fleet.kind.astype(np.int64),
                    model.fleet.officers, units.position, units.available, units.specialist_delay,
                    model.travel_minutes, model.n_bases, _scalars(model),
                    out["first"], out["enough"], out["resolved"], out["unarmed"], out["expected"])
    deaths = poisson_deaths(uniforms(seed, "deaths", reps, sites), out["expected"]).reshape(shape)
    return Outcomes(replication=reps, site=attacks.site, start=attacks.start, report=attacks.report,
                    attackers=attacks.attackers, static=attacks.static, t_first_armed=out["first"],
                    t_enough_armed=out["enough"], t_resolved=out["resolved"], t_first_unarmed=out["unarmed"],
                    expected_deaths=out["expected"], deaths=deaths)


def simulate_batches(model: Model, *, sites: int, replications: int, seed: int, first_replication: int = 0,
                     batch_size: int = 20_000, unit_states: UnitStateSampler | None = None,
                     progress: Callable[[int], None] | None = None) -> Iterator[Outcomes]:
    """Outcomes batch by batch, for callers that aggregate as they go (memory stays flat)."""
    unit_states = resolve_unit_states(model, unit_states)  # one sampler for every batch
    for lo in range(first_replication, first_replication + replications, batch_size):
        hi = min(lo + batch_size, first_replication + replications)
        yield simulate_batch(model, sites=sites, seed=seed, replications=np.arange(lo, hi), unit_states=unit_states)
        if progress is not None:
            progress(hi - lo)


def simulate(model: Model, *, sites: int, replications: int, seed: int, first_replication: int = 0,
             batch_size: int = 20_000, unit_states: UnitStateSampler | None = None,
             progress: Callable[[int], None] | None = None) -> Outcomes:
    """Simulate ``replications`` attacks with ``sites`` sites each; batching never changes the numbers.

    ``unit_states`` gives the units' states at the first shot; ``None`` means as configured: the workload
    model when ``workload.enabled``, else every unit free at its post (``scenario.draw_unit_starts``).
    """
    return Outcomes.concatenate(list(simulate_batches(
        model, sites=sites, replications=replications, seed=seed, first_replication=first_replication,
        batch_size=batch_size, unit_states=unit_states, progress=progress)))

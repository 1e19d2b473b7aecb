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
from typing import NamedTuple

import numba
import numpy as np

from readiness.harm import expected_deaths
from readiness.prefetch import prefetch
from readiness.kinds import ARMED, MUTUAL_AID, PATROL_TEAM, POSTED, SPECIALIST, UNARMED, Stream
from readiness.model import Model
from readiness.posts import post_units
from readiness.rng import uniforms
from readiness.scenario import MAX_MUTUAL_AID, Attacks, UnitStateSampler, attack_minutes, draw_attacks
from readiness.workload import CHUNK, resolve_unit_states

INF = np.inf

# unit states inside the kernel
_IDLE, _ENROUTE, _ONSCENE, _CLEARING, _MOBILISING, _WAITING, _INCOMING, _UNUSED = range(8)
# event categories, in the order they are processed at equal times
_ARRIVAL, _ENGAGE, _STOP, _FREE, _REPORT, _READY, _AID = range(7)
#: Engagements per site with their own random draw; later ones reuse the last draw (docs/model.md, 4.2).
MAX_ENGAGEMENTS = 16
#: ``dispatch.doctrine`` -> the kernel's code.
DOCTRINES = {"contain": 0, "confront": 1}
_CONFRONT = DOCTRINES["confront"]

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
    t_stop: np.ndarray  # when the shooting stopped: the engagement that stopped it, or a mobile attack's end
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


# --- kernel inputs: named records that Numba compiles (and caches) as typed tuples ---------------------


class Settings(NamedTuple):
    """The model's numbers the event loop reads (registry names in comments), built by :meth:`of`."""

    doctrine: int  # dispatch.doctrine (config): DOCTRINES
    engage_delay: float  # doctrine.engagement_delay_min
    stop_q: float  # doctrine.stop_probability
    suppression: float  # doctrine.suppression_factor
    per_attacker: float  # dispatch.officers_per_attacker (float as before: overrides are not rounded)
    clear: float  # dispatch.scene_clear_min
    units_per_site: int  # response.units_per_site
    horizon: float  # horizon_min
    threshold: float  # mutual_aid.threshold_sites (float as before, compared with a count)
    aid_crew: int  # arv.crew
    flight: float  # harm.flight_time_min
    plato: float  # harm.plato_reduction
    siege_rate: float  # harm.siege_kill_rate_min
    n_bases: int  # positions from n_bases on are LSOA centroids
    posts_respond: bool  # dispatch.posts (config) == "respond": posted officers may leave (docs/model.md 4.7)

    @staticmethod
    def of(model: Model) -> Settings:
        """The settings of a model, with the Python types Numba needs (float64 and int64 fields)."""
        p = model.params
        return Settings(doctrine=DOCTRINES[model.config.dispatch.doctrine],
                        engage_delay=float(p["doctrine.engagement_delay_min"]),
                        stop_q=float(p["doctrine.stop_probability"]),
                        suppression=float(p["doctrine.suppression_factor"]),
                        per_attacker=float(p["dispatch.officers_per_attacker"]),
                        clear=float(p["dispatch.scene_clear_min"]),
                        units_per_site=int(float(p["response.units_per_site"])),
                        horizon=float(p["horizon_min"]), threshold=float(p["mutual_aid.threshold_sites"]),
                        aid_crew=int(float(p["arv.crew"])), flight=float(p["harm.flight_time_min"]),
                        plato=float(p["harm.plato_reduction"]),
                        siege_rate=float(p["harm.siege_kill_rate_min"]), n_bases=int(model.n_bases),
                        posts_respond=model.config.dispatch.posts == "respond")


class SiteDraws(NamedTuple):
    """The attack draws (``scenario.Attacks``): ``(R, K)`` arrays in a batch, one row ``(K,)`` per replication."""

    site: np.ndarray  # LSOA index
    start: np.ndarray
    report: np.ndarray
    attackers: np.ndarray  # int64
    static: np.ndarray
    mobile_duration: np.ndarray
    siege: np.ndarray
    assault: np.ndarray
    n_aid: np.ndarray  # (R,): mutual-aid units a request brings
    aid_delay: np.ndarray  # (R, MAX_MUTUAL_AID)
    first_neighbourhood: np.ndarray  # the nearest neighbourhood officer's arrival (inf: none), docs/model.md 4.6
    kill_rate: np.ndarray  # deaths per minute per attacker at the site (weapon and setting)
    factor: np.ndarray  # (R,): blue-light congestion factor at the attack's hour of the week
    engagement: np.ndarray  # (R, K, MAX_ENGAGEMENTS): uniforms of each site's engagements


class FleetArrays(NamedTuple):
    """The fleet (``kind``, ``officers``: one per unit) and its starts (``scenario.UnitStarts``: ``(R, U)``)."""

    kind: np.ndarray  # int64
    officers: np.ndarray
    position: np.ndarray
    available: np.ndarray
    specialist_delay: np.ndarray


class Roles(NamedTuple):
    """Which fleet units the event loop moves (``loop``) and which are unarmed response cars (``cars``).

    Cars are kept out of the event loop: a car is sent once, at a report, and changes nothing but the
    site's first unarmed arrival, so they are sent in report order before the loop (``_send_cars``).
    """

    loop: np.ndarray  # int64 fleet indices, in fleet order (ties go to the lower index, as before)
    cars: np.ndarray

    @staticmethod
    def of(kind: np.ndarray) -> Roles:
        """The roles of units of these kinds (fleet order)."""
        return Roles(np.flatnonzero(kind != UNARMED), np.flatnonzero(kind == UNARMED))


class Outputs(NamedTuple):
    """What the event loop writes, ``(R, K)`` (one row per replication): minutes since each site's start."""

    first: np.ndarray
    enough: np.ndarray
    resolved: np.ndarray
    unarmed: np.ndarray
    stop: np.ndarray
    expected: np.ndarray


class MoveUp(NamedTuple):
    """Move-up (``dispatch.move_up``, docs/model.md 4.8): the compliance table and normal road minutes."""

    on: bool
    table: np.ndarray  # (P + 1, P) positions of row p in its first p slots, -1 after (move_up.ComplianceTable)
    normal: np.ndarray  # travel_minutes: normal road minutes, position x LSOA
    factor: np.ndarray  # (R,) normal-road congestion at the attack's hour; one float per replication

    @staticmethod
    def of(model: Model, minute: np.ndarray) -> MoveUp:
        """The model's move-up inputs for attacks at ``minute`` of the week (an empty table when off)."""
        on = bool(model.config.dispatch.move_up)
        table = model.compliance_table.positions if on else np.full((1, 1), -1, np.int64)
        return MoveUp(on, table, model.travel_minutes, model.normal_factor(minute))


class _Moves(NamedTuple):
    """Free ARVs moving up: the position each is driving to (-1: none) and when it gets there."""

    dest: np.ndarray
    until: np.ndarray


class _Units(NamedTuple):
    """State of one replication's units: the fleet, then the mutual-aid slots."""

    kind: np.ndarray
    officers: np.ndarray
    pos: np.ndarray
    time: np.ndarray  # available / arrival / free / ready time, by state
    state: np.ndarray
    site: np.ndarray
    engage: np.ndarray  # when the unit engages (confront), inf if not pending


class _Sites(NamedTuple):
    """State of one replication's sites."""

    needed: np.ndarray
    order: np.ndarray  # sites in report order
    reported: np.ndarray
    resolved: np.ndarray
    assigned: np.ndarray
    arrived: np.ndarray
    first_armed: np.ndarray
    enough: np.ndarray
    first_unarmed: np.ndarray
    shoot_stop: np.ndarray  # when shooting stops (engagement or a mobile attack's end)
    attack_end: np.ndarray  # when the attack is over (shooting stopped, siege ended)
    stop_pending: np.ndarray
    team_at: np.ndarray
    team_on_scene: np.ndarray
    next_arrival: np.ndarray  # earliest arrival of an armed unit on its way
    engagements: np.ndarray  # engagements so far (confront)
    suppressed: np.ndarray  # first failed engagement (confront)


class _Scratch(NamedTuple):
    """One thread's working arrays, filled afresh by every replication it runs (``_scratch``).

    The replication allocates nothing and runs without Numba's reference counting (``_nrt=False``):
    with it, every inlined step that takes a state record counted a reference to each of the record's
    arrays in and out, which cost more than the steps themselves (docs/performance.md).
    """

    units: _Units
    sites: _Sites
    moves: _Moves
    by_start: np.ndarray  # (K,) sites in start order (armed posts)
    sent: np.ndarray  # (C,) cars already sent
    best_eta: np.ndarray  # (units_per_site,) the cars a report takes, earliest first
    best_u: np.ndarray
    taken: np.ndarray  # (P,) move-up: positions of the row held
    done: np.ndarray  # (units,) move-up: units placed
    car_at: np.ndarray  # (positions,) the lowest-index car at each position, -1 none (all -1 between replications)
    next_car: np.ndarray  # (C,) the next car at the same position, -1 none


# --- the event loop -------------------------------------------------------------------------------------

#: The event loop's steps are compiled into it (Numba IR inlining): as separate calls passing the state
#: records they measured slower than the single loop they were split from.
_inline = numba.njit(cache=True, inline="always")


@_inline
def _is_team(kind):
    """A specialist team, based or on patrol: it always stops the shooting and ends sieges (docs/model.md 4.7)."""
    return kind == SPECIALIST or kind == PATROL_TEAM


@_inline
def _stable_order(values, order):
    """``order`` := indices sorting ``values``, equal values in index order (a stable sort; K is small)."""
    for i in range(values.shape[0]):
        j = i
        while j > 0 and values[order[j - 1]] > values[i]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = i


@_inline
def _take_posts(draws, units, sites, settings, by_start):
    """A post on duty at an attacked place is on scene from the site's start (earliest-starting site first)."""
    _stable_order(draws.start, by_start)
    for k in by_start:
        for u in range(units.kind.shape[0]):
            if (units.kind[u] == POSTED and units.state[u] == _IDLE and units.site[u] < 0
                    and units.pos[u] == settings.n_bases + draws.site[k]):
                _send_armed(u, k, draws.start[k], units, sites)
                break


@numba.njit(cache=True)
def _scratch(n_units, k_sites, n_cars, units_per_site, n_positions, n_travel):
    """Working arrays for replications with these sizes (``_Scratch``); their values are set per replication."""
    ints, floats = np.int64, np.float64
    units = _Units(np.empty(n_units, ints), np.empty(n_units, ints), np.empty(n_units, ints),
                   np.empty(n_units, floats), np.empty(n_units, ints), np.empty(n_units, ints),
                   np.empty(n_units, floats))
    sites = _Sites(np.empty(k_sites, floats), np.empty(k_sites, ints), np.empty(k_sites, np.bool_),
                   np.empty(k_sites, floats), np.empty(k_sites, ints), np.empty(k_sites, ints),
                   np.empty(k_sites, floats), np.empty(k_sites, floats), np.empty(k_sites, floats),
                   np.empty(k_sites, floats), np.empty(k_sites, floats), np.empty(k_sites, np.bool_),
                   np.empty(k_sites, np.bool_), np.empty(k_sites, floats), np.empty(k_sites, floats),
                   np.empty(k_sites, ints), np.empty(k_sites, floats))
    return _Scratch(units, sites, _Moves(np.empty(n_units, np.int64), np.empty(n_units)),
                    np.empty(k_sites, np.int64), np.empty(n_cars, np.bool_), np.empty(max(units_per_site, 1)),
                    np.empty(max(units_per_site, 1), np.int64), np.empty(n_positions, np.bool_),
                    np.empty(n_units, np.bool_), np.full(n_travel, -1, np.int64), np.empty(n_cars, np.int64))


@_inline
def _start_units(fleet, loop, aid_crew, units, moves):
    """Units as the attack starts: the fleet units ``loop`` free from their available time, then the
    mutual-aid slots, unused; no unit moving up."""
    n_fleet = loop.shape[0]
    for u in range(units.kind.shape[0]):
        units.pos[u], units.time[u], units.state[u], units.site[u], units.engage[u] = -1, INF, _UNUSED, -1, INF
        moves.dest[u], moves.until[u] = -1, INF
        if u >= n_fleet:
            units.kind[u], units.officers[u] = MUTUAL_AID, aid_crew
            continue
        f = loop[u]
        units.kind[u] = fleet.kind[f]
        units.officers[u] = fleet.officers[f]
        units.pos[u] = fleet.position[f]
        if fleet.available[f] < INF:
            units.state[u] = _IDLE
            units.time[u] = fleet.available[f]


@_inline
def _start_sites(draws, per_attacker, sites):
    """Sites as the attack starts: none reported; a mobile attack ends by itself after its duration."""
    _stable_order(draws.report, sites.order)
    for k in range(draws.site.shape[0]):
        sites.needed[k] = per_attacker * draws.attackers[k]
        sites.reported[k], sites.resolved[k], sites.assigned[k], sites.arrived[k] = False, INF, 0, 0
        sites.first_armed[k], sites.enough[k] = INF, INF
        sites.first_unarmed[k], sites.shoot_stop[k], sites.attack_end[k] = draws.first_neighbourhood[k], INF, INF
        sites.stop_pending[k], sites.team_at[k], sites.team_on_scene[k] = False, False, INF
        sites.next_arrival[k], sites.engagements[k], sites.suppressed[k] = INF, 0, INF
        if not draws.static[k]:
            sites.shoot_stop[k] = draws.start[k] + draws.mobile_duration[k]
            sites.attack_end[k] = sites.shoot_stop[k]
            sites.stop_pending[k] = True


@_inline
def _next_event(units, sites, report, n_units):
    """The next event ``(time, category, unit or site)``; at equal times the lower category comes first.

    Only the first ``n_units`` units can have one (the mutual-aid slots not called in stay unused)."""
    best_t = INF
    best_cat = 99
    best_i = -1
    for u in range(n_units):
        s = units.state[u]
        cat = 99
        if s == _ENROUTE:
            cat = _ARRIVAL
        elif s == _CLEARING:
            cat = _FREE
        elif s == _MOBILISING:
            cat = _READY
        elif s == _INCOMING:
            cat = _AID
        if cat != 99 and (units.time[u] < best_t or (units.time[u] == best_t and cat < best_cat)):
            best_t, best_cat, best_i = units.time[u], cat, u
        engage = units.engage[u]
        if engage < best_t or (engage == best_t and _ENGAGE < best_cat):
            best_t, best_cat, best_i = engage, _ENGAGE, u
    for k in range(report.shape[0]):
        end = sites.attack_end[k]
        if sites.stop_pending[k] and sites.resolved[k] == INF and (
                end < best_t or (end == best_t and _STOP < best_cat)):
            best_t, best_cat, best_i = end, _STOP, k
        if not sites.reported[k] and (report[k] < best_t or (report[k] == best_t and _REPORT < best_cat)):
            best_t, best_cat, best_i = report[k], _REPORT, k
    return best_t, best_cat, best_i


@_inline
def _site_for_free_unit(sites, site, eta_from, factor, travel, now):
    """Where a freed (or arriving mutual-aid) armed unit goes, or -1 (docs/model.md, 4.4).

    The earliest-reported unresolved site that is short of armed officers, or that has no armed officer
    on scene yet and would be reached sooner by this unit than by any unit already on its way. A unit
    with ``eta_from < 0`` (mutual aid) arrives at once.
    """
    for j in range(sites.order.shape[0]):
        k = sites.order[j]
        if not sites.reported[k] or sites.resolved[k] != INF:
            continue
        if sites.assigned[k] < sites.needed[k]:
            return k
        eta = now if eta_from < 0 else now + factor * travel[site[k], eta_from]
        if sites.first_armed[k] == INF and eta < sites.next_arrival[k]:
            return k
    return -1


@_inline
def _static_site_for_team(sites, static):
    """Earliest-reported unresolved static site without a specialist team, or -1."""
    for j in range(sites.order.shape[0]):
        k = sites.order[j]
        if sites.reported[k] and sites.resolved[k] == INF and static[k] and not sites.team_at[k]:
            return k
    return -1


@_inline
def _send_armed(u, k, eta, units, sites):
    """Send an armed unit to site ``k``, arriving at ``eta``."""
    sites.assigned[k] += units.officers[u]
    units.site[u] = k
    units.state[u] = _ENROUTE
    units.time[u] = eta
    sites.next_arrival[k] = min(sites.next_arrival[k], eta)


@_inline
def _send_team(u, k, now, units, sites, site, factor, travel):
    """Send a specialist team to static site ``k`` (a team outside the area arrives at once: travel is in its delay)."""
    sites.team_at[k] = True
    units.site[u] = k
    units.state[u] = _ENROUTE
    units.time[u] = now if units.pos[u] < 0 else now + factor * travel[site[k], units.pos[u]]


@_inline
def _clear(u, k, now, units, site, settings):
    """A unit at site ``k`` starts clearing the scene; it is free where the site is when done."""
    units.state[u] = _CLEARING
    units.engage[u] = INF
    units.time[u] = now + settings.clear
    units.pos[u] = settings.n_bases + site[k]


@_inline
def _arrive(u, now, units, sites, draws, settings):
    """An armed unit arrives at its site (docs/model.md, 4.3); True when that ends the attack there now."""
    k = units.site[u]
    sites.arrived[k] += units.officers[u]
    if sites.enough[k] == INF and (sites.arrived[k] >= sites.needed[k] or _is_team(units.kind[u])):
        sites.enough[k] = now
    if sites.resolved[k] < INF:  # came after the site was resolved: clear and go
        _clear(u, k, now, units, draws.site, settings)
        return False
    units.state[u] = _ONSCENE
    if sites.first_armed[k] == INF:
        sites.first_armed[k] = now
    if _is_team(units.kind[u]) and sites.team_on_scene[k] == INF:
        sites.team_on_scene[k] = now
    if settings.doctrine == _CONFRONT:
        if sites.shoot_stop[k] > now:  # still shooting: this unit engages after the delay
            units.engage[u] = now + settings.engage_delay
    elif sites.enough[k] == now and sites.shoot_stop[k] > now:  # contain: engaged once enough are on scene
        _stop_shooting(k, now, sites, draws)
    _siege_end(k, sites, draws)
    return sites.attack_end[k] <= now


@_inline
def _stop_shooting(k, now, sites, draws):
    """An engagement stops the shooting at site ``k``: the attack ends, or a siege begins (static, siege)."""
    sites.shoot_stop[k] = now
    if draws.static[k] and draws.siege[k]:
        sites.attack_end[k] = INF
    else:
        sites.attack_end[k] = now
        sites.stop_pending[k] = True


@_inline
def _siege_end(k, sites, draws):
    """A siege ends a specialist assault after both the team's arrival and the engagement that began it."""
    if (draws.static[k] and draws.siege[k] and sites.team_on_scene[k] < INF and sites.attack_end[k] == INF
            and sites.shoot_stop[k] < INF):
        sites.attack_end[k] = max(sites.team_on_scene[k], sites.shoot_stop[k]) + draws.assault[k]
        sites.stop_pending[k] = True


@_inline
def _engage(u, now, units, sites, draws, settings):
    """Unit ``u`` engages the attackers (confront, docs/model.md 4.2): it stops them with probability
    ``1 - (1 - q)^(a / A)`` for ``a`` armed officers on scene (a specialist team always does), else the
    engagement fails and the killing rate is suppressed from now on."""
    units.engage[u] = INF
    k = units.site[u]
    if sites.resolved[k] < INF or sites.shoot_stop[k] <= now:
        return
    n = min(sites.engagements[k], MAX_ENGAGEMENTS - 1)
    sites.engagements[k] += 1
    p_stop = 1.0 - (1.0 - settings.stop_q) ** (sites.arrived[k] / draws.attackers[k])
    if _is_team(units.kind[u]) or draws.engagement[k, n] < p_stop:
        _stop_shooting(k, now, sites, draws)
        _siege_end(k, sites, draws)
    else:
        sites.suppressed[k] = min(sites.suppressed[k], now)


@_inline
def _stop(k, now, units, sites, site, settings):
    """The attack at site ``k`` is over: resolved if an armed officer is there, and its armed units clear."""
    sites.stop_pending[k] = False
    if sites.first_armed[k] <= now:
        sites.resolved[k] = now
        for u in range(units.state.shape[0]):
            if units.site[u] == k and units.state[u] == _ONSCENE:
                _clear(u, k, now, units, site, settings)


@_inline
def _free(u, now, units, sites, draws, settings, travel):
    """A unit has cleared a scene: a team takes the next static site or waits, an armed unit is re-tasked."""
    units.state[u] = _IDLE
    units.site[u] = -1
    if units.kind[u] == SPECIALIST:
        k = _static_site_for_team(sites, draws.static)
        if k >= 0:
            _send_team(u, k, now, units, sites, draws.site, draws.factor, travel)
        else:
            units.state[u] = _WAITING
        return
    if units.kind[u] == POSTED and not settings.posts_respond:  # back on guard at its post
        return
    k = _site_for_free_unit(sites, draws.site, units.pos[u], draws.factor, travel, now)
    if k >= 0:
        _send_armed(u, k, now + draws.factor * travel[draws.site[k], units.pos[u]], units, sites)


@_inline
def _nearest_idle(k, now, units, site, factor, travel, posts_respond):
    """The idle armed unit (ARV, team on patrol, mutual aid, a post that may leave) that reaches site ``k``
    first, and when; -1 if none."""
    best_u = -1
    best_eta = INF
    for u in range(units.state.shape[0]):
        if units.state[u] != _IDLE:
            continue
        kind = units.kind[u]
        if kind == ARMED or kind == MUTUAL_AID or kind == PATROL_TEAM or (posts_respond and kind == POSTED):
            eta = max(now, units.time[u]) + factor * travel[site[k], units.pos[u]]
            if eta < best_eta:
                best_eta, best_u = eta, u
    return best_u, best_eta


@_inline
def _report(k, now, units, sites, draws, settings, travel):
    """Site ``k`` is reported: armed units by earliest arrival until enough (the unarmed: ``_send_cars``)."""
    sites.reported[k] = True
    while sites.assigned[k] < sites.needed[k]:
        u, eta = _nearest_idle(k, now, units, draws.site, draws.factor, travel, settings.posts_respond)
        if u < 0:
            break
        _send_armed(u, k, eta, units, sites)


#: Entries of a site's nearest positions asked for before the walk (about how far a walk goes: 49 on average
#: on the default), and the entries of 4 bytes in a cache line of 64.
_WALK_AHEAD = 64
_LINE = 16


@_inline
def _keep_earliest(c, eta, chosen, m, best_eta, best_u):
    """The ``m`` earliest (eta, car) pairs so far, sorted, after car ``c`` (ties: the lower index, in any order
    of candidates); returns how many are kept. A car that cannot arrive (eta not finite) is not kept."""
    if not eta < INF:
        return chosen
    if chosen == m and not (eta < best_eta[m - 1] or (eta == best_eta[m - 1] and c < best_u[m - 1])):
        return chosen
    i = min(chosen, m - 1)
    while i > 0 and (best_eta[i - 1] > eta or (best_eta[i - 1] == eta and best_u[i - 1] > c)):
        best_eta[i], best_u[i] = best_eta[i - 1], best_u[i - 1]
        i -= 1
    best_eta[i], best_u[i] = eta, c
    return min(chosen + 1, m)


@_inline
def _cars_by_scan(now, lsoa, draws, fleet, cars, travel, m, scratch):
    """The cars a report at ``lsoa`` takes, every car's minutes read (asked for together: the misses overlap)."""
    for c in range(cars.shape[0]):
        prefetch(travel, lsoa, fleet.position[cars[c]])
    chosen = 0
    for c in range(cars.shape[0]):
        if not scratch.sent[c]:
            eta = max(now, fleet.available[cars[c]]) + draws.factor * travel[lsoa, fleet.position[cars[c]]]
            chosen = _keep_earliest(c, eta, chosen, m, scratch.best_eta, scratch.best_u)
    return chosen


@_inline
def _cars_by_nearest(now, lsoa, draws, fleet, cars, travel, nearest, m, scratch):
    """The cars a report at ``lsoa`` takes, walking the positions nearest it (``nearest.nearest_positions``)
    and reading minutes only where a car is, until no car further away can be earlier (its eta is at least
    ``now`` plus its minutes, which only grow); -1 when the walk cannot tell (the kept positions ran out)."""
    row, minutes = nearest.position[lsoa], nearest.minutes[lsoa]
    best_eta, best_u = scratch.best_eta, scratch.best_u
    chosen = 0
    for r in range(row.shape[0]):
        c = scratch.car_at[row[r]]
        if c < 0:
            continue
        drive = draws.factor * minutes[r]
        soonest = now + drive
        if not soonest < INF or (chosen == m and soonest > best_eta[m - 1]):
            return chosen
        while c >= 0:
            if not scratch.sent[c]:
                chosen = _keep_earliest(c, max(now, fleet.available[cars[c]]) + drive, chosen, m, best_eta, best_u)
            c = scratch.next_car[c]
    return chosen if row.shape[0] == travel.shape[1] else -1


@_inline
def _send_cars(draws, fleet, cars, sites, settings, travel, nearest, t_end, scratch):
    """Each site reported by ``t_end``, in report order, takes the ``response.units_per_site`` free cars that
    reach it first (ties: lowest index), never re-tasked; the first to arrive may be its first unarmed
    arrival (docs/model.md 4, report, and reading 3). The same cars as choosing one at a time in the loop.

    Cars are found by walking the positions nearest the site (``_cars_by_nearest``, a few look-ups) and by
    reading every car's minutes (``_cars_by_scan``) where the walk cannot tell: the same cars either way.
    """
    n_cars, m = cars.shape[0], settings.units_per_site
    if n_cars == 0 or m <= 0:
        return
    sent, car_at, next_car = scratch.sent, scratch.car_at, scratch.next_car
    for k in range(draws.site.shape[0]):  # the start of every site's walk, asked for together
        for ahead in range(0, min(_WALK_AHEAD, nearest.position.shape[1]), _LINE):
            prefetch(nearest.position, draws.site[k], ahead)
            prefetch(nearest.minutes, draws.site[k], ahead)
    sent[:] = False
    for c in range(n_cars - 1, -1, -1):  # each position's cars, lowest index first
        p = fleet.position[cars[c]]
        next_car[c] = car_at[p]
        car_at[p] = c
    by_walk = draws.factor > 0.0  # minutes times the factor grow with the minutes
    for j in range(sites.order.shape[0]):
        k = sites.order[j]
        now = draws.report[k]
        if now > t_end:
            break
        lsoa = draws.site[k]
        chosen = _cars_by_nearest(now, lsoa, draws, fleet, cars, travel, nearest, m, scratch) if by_walk else -1
        if chosen < 0:
            chosen = _cars_by_scan(now, lsoa, draws, fleet, cars, travel, m, scratch)
        for i in range(chosen):
            sent[scratch.best_u[i]] = True  # (indices into ``cars``)
        if chosen:
            sites.first_unarmed[k] = min(sites.first_unarmed[k], scratch.best_eta[0])
    for c in range(n_cars):
        car_at[fleet.position[cars[c]]] = -1


@_inline
def _is_free_arv(u, now, units):
    """A fleet ARV free now (not on a job, not still busy on an everyday one): what move-up moves."""
    return units.state[u] == _IDLE and units.kind[u] == ARMED and units.time[u] <= now


@_inline
def _free_arvs(now, units):
    """How many fleet ARVs are free now."""
    n = 0
    for u in range(units.state.shape[0]):
        if _is_free_arv(u, now, units):
            n += 1
    return n


@_inline
def _settle(now, units, moves):
    """ARVs whose move-up has ended by ``now`` are at their new position (before that: where they left)."""
    for u in range(moves.dest.shape[0]):
        if moves.dest[u] >= 0 and moves.until[u] <= now:
            units.pos[u] = moves.dest[u]
            moves.dest[u] = -1


@_inline
def _move_minutes(u, target, now, units, moves, move, n_bases):
    """Normal road minutes for unit ``u`` to hold ``target``: 0 there, what is left of a move there under way."""
    if target == units.pos[u]:
        return 0.0
    if target == moves.dest[u]:
        return moves.until[u] - now
    return move.factor * move.normal[units.pos[u], target - n_bases]


@_inline
def _move_up(now, units, moves, move, n_bases, n, taken, done):
    """The ``n`` free ARVs take the compliance table's row for their number (docs/model.md 4.8).

    Greedy assignment: the (unit, position) pair with the fewest normal road minutes first (ties: lowest
    unit, then the row's order), until the row's positions are held; a unit left over stays where it is.
    """
    for u in range(moves.dest.shape[0]):
        if moves.dest[u] >= 0 and units.state[u] != _IDLE:  # committed while moving up: the move is over
            moves.dest[u] = -1
    if n == 0:
        return
    row = move.table[n]
    for s in range(n):
        taken[s] = row[s] < 0
    done[:] = False
    for _ in range(n):
        best, best_u, best_s = INF, -1, -1
        for u in range(units.state.shape[0]):
            if done[u] or not _is_free_arv(u, now, units):
                continue
            for s in range(n):
                if not taken[s]:
                    minutes = _move_minutes(u, row[s], now, units, moves, move, n_bases)
                    if minutes < best:
                        best, best_u, best_s = minutes, u, s
        if best_u < 0:
            break
        done[best_u] = True
        taken[best_s] = True
        if row[best_s] == units.pos[best_u]:
            moves.dest[best_u] = -1
        elif row[best_s] != moves.dest[best_u]:
            moves.dest[best_u] = row[best_s]
            moves.until[best_u] = now + best
    for u in range(units.state.shape[0]):
        if _is_free_arv(u, now, units) and not done[u]:
            moves.dest[u] = -1


@_inline
def _active_sites(sites):
    """Sites reported and not yet resolved."""
    active = 0
    for j in range(sites.reported.shape[0]):
        if sites.reported[j] and sites.resolved[j] == INF:
            active += 1
    return active


@_inline
def _write_outputs(draws, sites, settings, out):
    """Times since each site's start (inf past the horizon) and expected deaths (docs/model.md, 5)."""
    for k in range(draws.site.shape[0]):
        limit = draws.start[k] + settings.horizon
        out.first[k] = sites.first_armed[k] - draws.start[k] if sites.first_armed[k] <= limit else INF
        out.enough[k] = sites.enough[k] - draws.start[k] if sites.enough[k] <= limit else INF
        out.resolved[k] = sites.resolved[k] - draws.start[k] if sites.resolved[k] <= limit else INF
        out.unarmed[k] = sites.first_unarmed[k] - draws.start[k] if sites.first_unarmed[k] <= limit else INF
        out.stop[k] = sites.shoot_stop[k] - draws.start[k] if sites.shoot_stop[k] <= limit else INF
        shooting = min(sites.shoot_stop[k], limit) - draws.start[k]
        siege_minutes = 0.0
        if draws.static[k] and draws.siege[k] and sites.shoot_stop[k] < limit:
            siege_minutes = min(sites.attack_end[k], limit) - sites.shoot_stop[k]
        out.expected[k] = expected_deaths(draws.attackers[k], shooting, out.unarmed[k], draws.kill_rate[k],
                                          settings.flight, settings.plato, siege_minutes, settings.siege_rate,
                                          sites.suppressed[k] - draws.start[k], settings.suppression)


@numba.njit(cache=True, _nrt=False)
def _replication(draws, fleet, roles, travel, nearest, settings, move, out, scratch):
    """Simulate one replication's dispatch and harm (docs/model.md, sections 4 and 5): rows of the batch.

    The unarmed cars (``roles.cars``) are sent before the event loop, which moves ``roles.loop``; the
    state lives in ``scratch``, set afresh here.
    """
    n_fleet = roles.loop.shape[0]
    units, sites, moves = scratch.units, scratch.sites, scratch.moves
    _start_units(fleet, roles.loop, settings.aid_crew, units, moves)
    _start_sites(draws, settings.per_attacker, sites)
    t_end = -INF
    for k in range(draws.start.shape[0]):
        t_end = max(t_end, draws.start[k] + settings.horizon)
    _send_cars(draws, fleet, roles.cars, sites, settings, travel, nearest, t_end, scratch)
    aid_requested = False
    first_report_seen = False
    _take_posts(draws, units, sites, settings, scratch.by_start)

    in_play = n_fleet  # units that may have an event: the fleet, then the mutual aid called in
    while True:
        now, cat, i = _next_event(units, sites, draws.report, in_play)
        if now > t_end:
            break
        if cat == _ARRIVAL:
            if not _arrive(i, now, units, sites, draws, settings):
                continue
            cat, i = _STOP, units.site[i]  # the arrival ended the attack: resolve now
        if cat == _ENGAGE:
            _engage(i, now, units, sites, draws, settings)
        elif cat == _STOP:
            _stop(i, now, units, sites, draws.site, settings)
        elif cat == _FREE:
            _free(i, now, units, sites, draws, settings, travel)
        elif cat == _REPORT:
            free = 0
            if move.on:
                _settle(now, units, moves)
                free = _free_arvs(now, units)
            _report(i, now, units, sites, draws, settings, travel)
            if move.on:
                after = _free_arvs(now, units)
                if after < free:  # an ARV was committed: the others move up
                    _move_up(now, units, moves, move, settings.n_bases, after, scratch.taken, scratch.done)
            # specialist teams: the first report requests them all; a waiting team takes a new static site
            if not first_report_seen:
                first_report_seen = True
                for u in range(n_fleet):
                    if units.kind[u] == SPECIALIST and units.state[u] == _IDLE:
                        units.state[u] = _MOBILISING
                        units.time[u] = now + fleet.specialist_delay[roles.loop[u]]
            if draws.static[i] and not sites.team_at[i]:
                for u in range(n_fleet):
                    if units.state[u] == _WAITING:
                        _send_team(u, i, now, units, sites, draws.site, draws.factor, travel)
                        break
            # mutual aid once more than `threshold` sites are active
            if not aid_requested and _active_sites(sites) > settings.threshold:
                aid_requested = True
                in_play = n_fleet + draws.n_aid
                for j in range(draws.n_aid):
                    units.state[n_fleet + j] = _INCOMING
                    units.time[n_fleet + j] = now + draws.aid_delay[j]
        elif cat == _READY:
            k = _static_site_for_team(sites, draws.static)
            if k < 0:
                units.state[i] = _WAITING
            else:
                _send_team(i, k, now, units, sites, draws.site, draws.factor, travel)
        elif cat == _AID:
            k = _site_for_free_unit(sites, draws.site, -1, draws.factor, travel, now)
            if k < 0:
                units.state[i] = _UNUSED
            else:  # arrives now: travel is part of the delay
                sites.assigned[k] += units.officers[i]
                units.site[i] = k
                units.state[i] = _ENROUTE
                sites.next_arrival[k] = now

    _write_outputs(draws, sites, settings, out)


@numba.njit(parallel=True, cache=True)
def _dispatch_batch(draws, fleet, roles, travel, nearest, settings, move, out):
    """Every replication of a batch, in parallel: each runs on its own rows of the draws and outputs.

    Chunks of ``workload.CHUNK`` replications run in parallel, each with its own working arrays (any split
    gives the same numbers: a replication sets every value it reads).
    """
    n_reps = draws.site.shape[0]
    for chunk in numba.prange((n_reps + CHUNK - 1) // CHUNK):
        scratch = _scratch(roles.loop.shape[0] + MAX_MUTUAL_AID, draws.site.shape[1], roles.cars.shape[0],
                           settings.units_per_site, move.table.shape[1], travel.shape[1])
        for r in range(chunk * CHUNK, min((chunk + 1) * CHUNK, n_reps)):
            _one(r, draws, fleet, roles, travel, nearest, settings, move, out, scratch)


@_inline
def _one(r, draws, fleet, roles, travel, nearest, settings, move, out, scratch):
    """Replication ``r`` of the batch, on its rows of the draws and outputs."""
    row = SiteDraws(draws.site[r], draws.start[r], draws.report[r], draws.attackers[r], draws.static[r],
                    draws.mobile_duration[r], draws.siege[r], draws.assault[r], draws.n_aid[r],
                    draws.aid_delay[r], draws.first_neighbourhood[r], draws.kill_rate[r], draws.factor[r],
                    draws.engagement[r])
    units = FleetArrays(fleet.kind, fleet.officers, fleet.position[r], fleet.available[r],
                        fleet.specialist_delay[r])
    _replication(row, units, roles, travel, nearest, settings,
                 MoveUp(move.on, move.table, move.normal, move.factor[r]),
                 Outputs(out.first[r], out.enough[r], out.resolved[r], out.unarmed[r], out.stop[r],
                         out.expected[r]), scratch)


#: Replications per batch: the memory of one batch (a few kB a replication) stays in the allocator's pool
#: and the last-level cache between batches; 20,000 cost a fifth more system time in page faults.
BATCH_SIZE = 5_000

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
        from scipy import stats  # here: importing it costs 0.9 s, and means this large are rare

        out[large] = stats.poisson.ppf(u[large], mean[large]).astype(np.int64)
    return out


#: The fleet's per-replication starts, passed to the compiled loop read-only whoever made them (the workload's
#: kept states are read-only), so that it is compiled for one type of array, not two.
_PER_REPLICATION = ("position", "available", "specialist_delay")


def _read_only(array: np.ndarray) -> np.ndarray:
    """A read-only view of ``array`` (itself if already read-only)."""
    if not array.flags.writeable:
        return array
    view = array.view()
    view.flags.writeable = False
    return view


def simulate_batch(model: Model, *, sites: int, seed: int, replications: np.ndarray,
                   unit_states: UnitStateSampler | None = None) -> Outcomes:
    """Outcomes of the given global replication indices (any batch gives the same numbers).

    ``unit_states=None`` means as configured (``workload.unit_state_sampler``).
    """
    reps = np.asarray(replications, dtype=np.int64)
    attacks: Attacks = draw_attacks(model, seed, reps, sites)
    units = resolve_unit_states(model, unit_states)(model, seed, reps)
    shape = (len(reps), sites)
    out = Outputs(*(np.empty(shape) for _ in Outputs._fields))
    minute = attack_minutes(model.config.scenario.attack_time, seed, reps)
    draws = SiteDraws(attacks.site, attacks.start, attacks.report, attacks.attackers.astype(np.int64), attacks.static,
                      attacks.mobile_duration, attacks.siege, attacks.assault, attacks.mutual_aid_units,
                      attacks.mutual_aid_delay, attacks.first_neighbourhood, attacks.kill_rate,
                      model.blue_light_factor(minute),
                      uniforms(seed, Stream.ENGAGEMENT, reps, sites * MAX_ENGAGEMENTS).reshape(
                          len(reps), sites, MAX_ENGAGEMENTS))
    fleet = FleetArrays(model.fleet.kind.astype(np.int64), model.fleet.officers, units.position, units.available,
                        units.specialist_delay)
    if model.posts is not None:  # posted officers join the fleet for the attack (docs/model.md 4.7)
        fleet = FleetArrays(*(np.concatenate([a, b], axis=-1) for a, b in
                              zip(fleet, post_units(model.posts, model.n_bases, minute), strict=True)))
    fleet = fleet._replace(**{name: _read_only(getattr(fleet, name)) for name in _PER_REPLICATION})
    _dispatch_batch(draws, fleet, Roles.of(fleet.kind), model.blue_light_to_sites, model.nearest_to_sites,
                    Settings.of(model), MoveUp.of(model, minute), out)
    deaths = poisson_deaths(uniforms(seed, Stream.DEATHS, reps, sites), out.expected).reshape(shape)
    return Outcomes(replication=reps, site=attacks.site, start=attacks.start, report=attacks.report,
                    attackers=attacks.attackers, static=attacks.static, t_first_armed=out.first,
                    t_enough_armed=out.enough, t_resolved=out.resolved, t_first_unarmed=out.unarmed,
                    t_stop=out.stop, expected_deaths=out.expected, deaths=deaths)


def simulate_batches(model: Model, *, sites: int, replications: int, seed: int, first_replication: int = 0,
                     batch_size: int = BATCH_SIZE, unit_states: UnitStateSampler | None = None,
                     progress: Callable[[int], None] | None = None) -> Iterator[Outcomes]:
    """Outcomes batch by batch, for callers that aggregate as they go (memory stays flat)."""
    if replications < 1 or batch_size < 1:
        raise ValueError(f"replications and batch_size must be at least 1, got {replications} and {batch_size}")
    unit_states = resolve_unit_states(model, unit_states)  # one sampler for every batch
    for lo in range(first_replication, first_replication + replications, batch_size):
        hi = min(lo + batch_size, first_replication + replications)
        yield simulate_batch(model, sites=sites, seed=seed, replications=np.arange(lo, hi), unit_states=unit_states)
        if progress is not None:
            progress(hi - lo)


def simulate(model: Model, *, sites: int, replications: int, seed: int, first_replication: int = 0,
             batch_size: int = BATCH_SIZE, unit_states: UnitStateSampler | None = None,
             progress: Callable[[int], None] | None = None) -> Outcomes:
    """Simulate ``replications`` attacks with ``sites`` sites each; batching never changes the numbers.

    ``unit_states`` gives the units' states at the first shot; ``None`` means as configured: the workload
    model when ``workload.enabled``, else every unit free at its post (``scenario.draw_unit_starts``).
    """
    return Outcomes.concatenate(list(simulate_batches(
        model, sites=sites, replications=replications, seed=seed, first_replication=first_replication,
        batch_size=batch_size, unit_states=unit_states, progress=progress)))

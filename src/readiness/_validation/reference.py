"""SimPy reference implementation of the attack model (docs/model.md), used only to cross-check the engine.

Needs the ``validate`` extra: importing it without SimPy raises ``MissingExtraError`` (see the package).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, fields, replace
from enum import IntEnum
from typing import Any, Protocol

import numpy as np
import simpy
from simpy.events import NORMAL, EventPriority

from readiness.config import MINUTES_PER_DAY, MINUTES_PER_WEEK, WEEKDAYS, parse_clock, parse_week_time
from readiness.demand import load_demand_weights, load_profile
from readiness.errors import ConfigError
from readiness.kinds import ARMED, MUTUAL_AID, PATROL_TEAM, POSTED, SPECIALIST, UNARMED
from readiness.neighbourhood import density_per_km2
from readiness.resources import NO_BASE
from readiness.workload import load_pattern

#: A SimPy process body.
ProcessBody = Generator[simpy.Event, Any, None]


class Phase(IntEnum):
    """Order of events at equal times (docs/model.md section 4).

    Arrivals come first; an attack stopping by itself (mobile end, siege end) shares their phase; then
    engagements (confront), so that officers arriving at the same time are on scene for them.
    """

    ARRIVAL = 0
    ENGAGE = 1
    FREE = 2
    REPORT = 3
    READY = 4


class _At(simpy.Event):
    """An event at an absolute time, processed after every same-time event of an earlier phase.

    SimPy breaks ties between events at equal times by scheduling order; the model fixes the order
    by kind instead, so the phase becomes the event's priority (after SimPy's own NORMAL events, so
    that a process woken by ``succeed()`` finishes its step first). Built like ``simpy.Timeout``.
    """

    def __init__(self, env: simpy.Environment, when: float, phase: Phase) -> None:
        if when < env.now:
            raise ValueError(f"event at {when} is in the past (now {env.now})")
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, EventPriority(NORMAL + 1 + phase), when - env.now)


@dataclass(frozen=True)
class _Settings:
    """The registry values a replication uses, read once so a missing name fails at the boundary."""

    emergency_factor: float
    horizon: float
    window: float
    notify_median: float
    notify_sigma: float
    extra_attacker_prob: float
    static_share: float
    mobile_median: float
    mobile_sigma: float
    siege_probability: float
    assault_median: float
    assault_sigma: float
    officers_per_attacker: float
    scene_clear: float
    unarmed_per_site: float
    mobilise_low: float
    mobilise_high: float
    external_low: float
    external_high: float
    aid_threshold: float
    aid_units_low: float
    aid_units_high: float
    aid_delay_low: float
    aid_delay_high: float
    arv_crew: float
    flight_time: float
    plato_reduction: float
    siege_kill_rate: float
    engagement_delay: float
    stop_probability: float
    suppression: float

    @classmethod
    def from_params(cls, params: Mapping[str, float]) -> _Settings:
        values = {}
        for field in fields(cls):
            name = _PARAMETER_NAMES[field.name]
            if name not in params:
                raise ConfigError(f"the attack model needs parameter {name!r}", field="parameters")
            values[field.name] = float(params[name])
        return cls(**values)


_PARAMETER_NAMES = {
    "emergency_factor": "travel.emergency_factor",
    "horizon": "horizon_min",
    "window": "attack.window_min",
    "notify_median": "notify.median_min",
    "notify_sigma": "notify.sigma",
    "extra_attacker_prob": "attack.extra_attacker_prob",
    "static_share": "attack.static_share",
    "mobile_median": "attack.mobile_duration_median_min",
    "mobile_sigma": "attack.mobile_duration_sigma",
    "siege_probability": "harm.siege_probability",
    "assault_median": "ctsfo.assault_median_min",
    "assault_sigma": "ctsfo.assault_sigma",
    "officers_per_attacker": "dispatch.officers_per_attacker",
    "scene_clear": "dispatch.scene_clear_min",
    "unarmed_per_site": "response.units_per_site",
    "mobilise_low": "ctsfo.mobilise_low_min",
    "mobilise_high": "ctsfo.mobilise_high_min",
    "external_low": "ctsfo.external_delay_low_min",
    "external_high": "ctsfo.external_delay_high_min",
    "aid_threshold": "mutual_aid.threshold_sites",
    "aid_units_low": "mutual_aid.units_low",
    "aid_units_high": "mutual_aid.units_high",
    "aid_delay_low": "mutual_aid.delay_low_min",
    "aid_delay_high": "mutual_aid.delay_high_min",
    "arv_crew": "arv.crew",
    "flight_time": "harm.flight_time_min",
    "plato_reduction": "harm.plato_reduction",
    "siege_kill_rate": "harm.siege_kill_rate_min",
    "engagement_delay": "doctrine.engagement_delay_min",
    "stop_probability": "doctrine.stop_probability",
    "suppression": "doctrine.suppression_factor",
}


class _Fleet(Protocol):
    names: Any
    types: Any
    kind: np.ndarray
    officers: np.ndarray
    position: np.ndarray
    patrol: np.ndarray


class ModelLike(Protocol):
    """What the reference reads from :class:`readiness.model.Model`.

    The everyday workload also reads ``config`` (``workload`` and ``resources`` sections) and ``area``;
    a hand-built world without a ``config`` attribute runs with every unit free at the attack. Sites are
    drawn from ``site_table`` (``(168, n)`` weights by hour of the week) where the model has one, else
    from ``site_weights`` at every hour. Blue-light minutes are ``blue_light_minutes`` times the hour's
    ``blue_light_congestion`` where the model has them, else ``travel.emergency_factor`` times
    ``travel_minutes`` at every hour; the doctrine is ``config.dispatch.doctrine``, else ``doctrine``
    (a hand-built world without either is run under ``contain``).
    """

    params: Mapping[str, float]
    fleet: _Fleet
    site_weights: np.ndarray
    named_sites: np.ndarray | None
    travel_minutes: np.ndarray

    @property
    def n_bases(self) -> int: ...


def expected_deaths(*, attackers: float, kill_rate: float, flight_time: float, plato_reduction: float,
                    shooting_minutes: float, unarmed_minutes: float, siege_minutes: float,
                    siege_kill_rate: float, suppressed_minutes: float = math.inf,
                    suppression: float = 1.0) -> float:
    """Expected deaths at one site, the closed form of docs/model.md section 5.

    Parameters
    ----------
    attackers, kill_rate, flight_time, plato_reduction
        ``A_k``, ``λ``, ``θ`` and ``ε``.
    shooting_minutes
        ``L_k``: minutes from the site's start until the shooting stops (already capped at the horizon).
    unarmed_minutes
        ``U_k``: minutes from the start to the first unarmed arrival, ``inf`` if none.
    siege_minutes, siege_kill_rate
        Length of the siege within the horizon and ``ρ_siege``.
    suppressed_minutes, suppression
        Minutes from the start to the first failed engagement (``inf`` if none) and the factor ``σ``
        on the kill rate from then on.

    Returns
    -------
    float
        ``Λ_k``, the mean of the Poisson number of deaths.
    """
    edges = sorted({0.0, shooting_minutes, *(t for t in (unarmed_minutes, suppressed_minutes)
                                             if 0.0 < t < shooting_minutes)})
    free_fire = 0.0
    for a, b in itertools.pairwise(edges):  # the multiplier is constant on each piece: read it at the middle
        middle = (a + b) / 2.0
        multiplier = ((1.0 - plato_reduction) if middle >= unarmed_minutes else 1.0) * (
            suppression if middle >= suppressed_minutes else 1.0)
        free_fire += multiplier * (math.exp(-a / flight_time) - math.exp(-b / flight_time))
    return attackers * kill_rate * flight_time * free_fire + siege_kill_rate * siege_minutes


@dataclass(frozen=True)
class _Scenario:
    """The per-site draws of docs/model.md section 3 (arrays over sites)."""

    site: np.ndarray
    start: np.ndarray
    report: np.ndarray
    attackers: np.ndarray
    static: np.ndarray
    mobile_duration: np.ndarray
    siege: np.ndarray
    assault: np.ndarray
    kill_rate: np.ndarray
    neighbourhood: np.ndarray | None = None  # absolute time of the first neighbourhood officer (docs 4.6)


def _draw_neighbourhood(rng: np.random.Generator, model: ModelLike, scenario: _Scenario) -> np.ndarray:
    """Report + tasking + detour x (distance to the nearest of a Poisson field: Rayleigh) / speed."""
    p = model.params
    density = density_per_km2(model)[scenario.site]
    with np.errstate(divide="ignore"):
        scale = 1.0 / np.sqrt(2.0 * math.pi * density)  # P(R > r) = exp(-r² / 2σ²) = exp(-ρπr²)
    km = np.where(np.isfinite(scale), rng.rayleigh(np.where(np.isfinite(scale), scale, 1.0)), math.inf)
    return (scenario.report + p["neighbourhood.tasking_min"]
            + km * p["neighbourhood.detour_factor"] / p["neighbourhood.speed_kmh"] * 60.0)


def _weapon_rates(model: ModelLike) -> tuple[list[str], np.ndarray, dict[str, float]]:
    """Weapon classes, their probabilities (``scenario.weapons``; firearms alone without a config) and their
    kill rates per attacker at a site of setting factor 1 (docs/model.md section 5)."""
    config = getattr(model, "config", None)
    mix = dict(config.scenario.weapons) if config is not None else {"firearm": 1.0}
    names = sorted(mix)
    weights = np.array([mix[name] for name in names], dtype=float)
    firearm = float(model.params["harm.kill_rate_per_attacker_min"])
    rates = {name: firearm * (1.0 if name == "firearm" else float(model.params[f"harm.weapon_ratio.{name}"]))
             for name in names}
    return names, weights / weights.sum(), rates


def _setting_factor(model: ModelLike) -> Callable[[np.random.Generator, int, int], float]:
    """``(rng, lsoa, hour) ->`` the kill-rate factor of a setting drawn from the exposure layer's mix there
    (docs/model.md section 5); people outside the layer's settings, and every site without a layer, are
    ``other_public`` (factor 1)."""
    layer = getattr(model, "exposure", None)
    mixes: dict[int, dict[str, np.ndarray]] = {}

    def draw(rng: np.random.Generator, lsoa: int, hour: int) -> float:
        if layer is None:
            return 1.0
        mix = mixes.setdefault(hour, layer.setting_mix_at(hour))
        names = list(mix)
        shares = np.array([mix[name][lsoa] for name in names])
        shares = np.append(shares, max(0.0, 1.0 - shares.sum()))
        choice = int(rng.choice(len(shares), p=shares / shares.sum()))
        return 1.0 if choice == len(names) else float(model.params[f"harm.setting_factor.{names[choice]}"])

    return draw


def _draw_scenario(rng: np.random.Generator, settings: _Settings, hourly_p: np.ndarray,
                   named: np.ndarray | None, sites: int, minute: int,
                   weapons: tuple[list[str], np.ndarray, dict[str, float]],
                   setting_factor: Callable[[np.random.Generator, int, int], float]) -> _Scenario:
    """Draw K sites independently (the first starts at 0), each from the weights of the hour it starts in;
    one weapon class for the whole attack, a setting per site.

    ``hourly_p[h]`` are the site-choice probabilities in hour ``h`` of the week; ``minute`` is the first
    shot's minute of the week.
    """
    start = np.concatenate([[0.0], rng.uniform(0.0, settings.window, size=sites - 1)])
    hours = (np.floor((minute + start) / 60.0).astype(np.int64)) % len(hourly_p)
    if named is not None:
        site = named[:sites].copy()
    else:
        site = np.array([rng.choice(hourly_p.shape[1], p=hourly_p[h]) for h in hours])
    notify = rng.lognormal(math.log(settings.notify_median), settings.notify_sigma, size=sites)
    weapon = str(rng.choice(weapons[0], p=weapons[1]))
    return _Scenario(
        site=site.astype(np.int64),
        start=start,
        report=start + notify,
        attackers=1 + rng.binomial(2, settings.extra_attacker_prob, size=sites),
        static=(rng.random(sites) < settings.static_share) & (weapon != "vehicle"),
        mobile_duration=rng.lognormal(math.log(settings.mobile_median), settings.mobile_sigma, size=sites),
        siege=rng.random(sites) < settings.siege_probability,
        assault=rng.lognormal(math.log(settings.assault_median), settings.assault_sigma, size=sites),
        kill_rate=np.array([weapons[2][weapon] * setting_factor(rng, int(i), int(h)) for i, h in zip(site, hours)]),
    )


@dataclass(eq=False)
class _Unit:
    """A unit during one replication; ``position`` is a row of the travel matrix or ``NO_BASE``."""

    index: int
    name: str
    kind: int
    officers: float
    position: int
    available: float = 0.0  # from when it can set off (inf: off duty for the whole attack)
    destination: int = -1  # move-up: the position it is driving to (-1: none), reached at ``moved_at``
    moved_at: float = math.inf


@dataclass(frozen=True)
class _MoveUp:
    """Move-up inputs (docs/model.md 4.8): the compliance table and normal road minutes at the attack's hour."""

    table: np.ndarray  # row p: the positions p free ARVs hold (-1 padding)
    normal: np.ndarray  # normal road minutes, position x LSOA
    congestion: float  # their factor at the attack's hour


@dataclass(eq=False)
class _Site:
    """One attack site: its draws and what has happened there so far (absolute times)."""

    index: int
    lsoa: int
    start: float
    report: float
    attackers: int
    static: bool
    mobile_duration: float
    siege: bool
    assault: float
    kill_rate: float
    needed: float
    horizon_end: float
    resolved: simpy.Event
    reported: bool = False
    assigned: float = 0.0  # armed officers assigned: on the way or on scene
    on_scene: float = 0.0
    first_armed: float = math.inf
    next_arrival: float = math.inf  # earliest arrival of a dispatched armed unit (ARV or mutual aid)
    first_unarmed: float = math.inf
    engaged: float = math.inf  # enough armed officers on scene (or a team): contain engages then
    shot_stop: float = math.inf  # shooting stopped: the engagement that stopped it, or a mobile attack's end
    engagements: int = 0
    suppressed: float = math.inf  # first failed engagement (confront)
    team_on_scene: float = math.inf
    stopped: float = math.inf
    resolved_at: float = math.inf
    siege_end_scheduled: bool = False


class _Replication:
    """One replication as SimPy processes: a process per site report, per unit trip and per team.

    The dispatcher's state is plain: lists of free armed and unarmed units, the sites in report order,
    and a ``FilterStore`` of reported static sites from which specialist teams take their next job.
    """

    def __init__(self, *, settings: _Settings, travel: np.ndarray, n_bases: int, scenario: _Scenario,
                 units: list[_Unit], team_delays: np.ndarray, aid_delays: np.ndarray, congestion: float,
                 confront: bool, rng: np.random.Generator, posts: list[_Unit] | None = None,
                 posts_respond: bool = False, move_up: _MoveUp | None = None) -> None:
        self.env = simpy.Environment()
        self.move_up = move_up
        self.settings = settings
        self.travel = travel  # blue-light minutes
        self.congestion = congestion
        self.confront = confront
        self.rng = rng
        self.n_bases = n_bases
        self.sites = [
            _Site(index=k, lsoa=int(scenario.site[k]), start=float(scenario.start[k]),
                  report=float(scenario.report[k]), attackers=int(scenario.attackers[k]),
                  static=bool(scenario.static[k]), mobile_duration=float(scenario.mobile_duration[k]),
                  siege=bool(scenario.siege[k]), assault=float(scenario.assault[k]),
                  kill_rate=float(scenario.kill_rate[k]),
                  needed=settings.officers_per_attacker * int(scenario.attackers[k]),
                  horizon_end=float(scenario.start[k]) + settings.horizon, resolved=self.env.event())
            for k in range(len(scenario.site))
        ]
        for site in self.sites:
            if scenario.neighbourhood is not None and scenario.neighbourhood[site.index] <= site.horizon_end:
                site.first_unarmed = float(scenario.neighbourhood[site.index])
        self.reported: list[_Site] = []
        on_duty = [u for u in units if u.available < math.inf]
        self.free_armed = [u for u in on_duty if u.kind in (ARMED, PATROL_TEAM)]
        self.posts_respond = posts_respond
        self._post(list(posts or []))
        self.free_unarmed = [u for u in on_duty if u.kind == UNARMED]
        self.static_sites = simpy.FilterStore(self.env)
        self.first_report = self.env.event()
        self.aid_requested = False
        self.aid_units = [_Unit(index=len(units) + len(posts or []) + j, name=f"mutual_aid#{j + 1}", kind=MUTUAL_AID,
                                officers=settings.arv_crew, position=NO_BASE) for j in range(len(aid_delays))]
        self.aid_delays = aid_delays
        for site in self.sites:
            self.env.process(self._report(site))
            if not site.static:
                self.env.process(self._stop_at(site, site.start + site.mobile_duration))
        teams = [u for u in units if u.kind == SPECIALIST]
        for team, delay in zip(teams, team_delays, strict=True):
            if team.available < math.inf:
                self.env.process(self._team(team, float(delay)))

    def _post(self, posts: list[_Unit]) -> None:
        """Section 4.7: a post on duty at an attacked place is on scene from the site's start (earliest start
        first, one site per post); posts that may leave join the free armed units, the others stay put."""
        free = [u for u in posts if u.available < math.inf]
        for site in sorted(self.sites, key=lambda s: (s.start, s.index)):
            unit = next((u for u in free if u.position == self.n_bases + site.lsoa), None)
            if unit is None:
                continue
            free.remove(unit)
            site.assigned += unit.officers
            site.next_arrival = min(site.next_arrival, site.start)
            trip = self._trip(unit, site, site.start) if self.posts_respond else self._guard(unit, site)
            self.env.process(trip)
        if self.posts_respond:
            self.free_armed.extend(free)

    def _guard(self, unit: _Unit, site: _Site) -> ProcessBody:
        """A post that stays: on scene at its place from the start, then back on guard there."""
        yield from self._travel(unit, site, site.start)
        yield from self._stay(unit, site, site.start)

    def run(self) -> list[_Site]:
        """Run until no event is left (trips to sites never resolved within the horizon just wait)."""
        self.env.run()
        return self.sites

    # --- processes -------------------------------------------------------------------------------

    def _report(self, site: _Site) -> ProcessBody:
        """Section 4.1: dispatch armed and unarmed units, request specialists and mutual aid."""
        if site.report > site.horizon_end:
            return  # not reported within the horizon: nothing is simulated for this site
        yield _At(self.env, site.report, Phase.REPORT)
        site.reported = True
        self.reported.append(site)
        free = self._settle() if self.move_up is not None else 0
        sent = []
        while site.assigned < site.needed and self.free_armed:
            sent.append(self._take_nearest(self.free_armed, site))
            self._dispatch(sent[-1], site)
        for _ in range(min(int(self.settings.unarmed_per_site), len(self.free_unarmed))):
            self._dispatch(self._take_nearest(self.free_unarmed, site), site)
        if self.move_up is not None and len(self._free_arvs()) < free:
            self._move_up(self.move_up, sent)
        if not self.first_report.triggered:
            self.first_report.succeed()
        if site.static:
            self.static_sites.put(site)
        active = sum(self._is_open(s) for s in self.reported)
        if not self.aid_requested and active > self.settings.aid_threshold:
            self.aid_requested = True
            for unit, delay in zip(self.aid_units, self.aid_delays, strict=True):
                self.env.process(self._mutual_aid(unit, float(delay)))

    def _trip(self, unit: _Unit, site: _Site, arrival: float) -> ProcessBody:
        """An armed unit's trip: travel, stay until released, then re-task (section 4.4)."""
        yield from self._travel(unit, site, arrival)
        yield from self._stay(unit, site, arrival)
        waiting = self._site_for_free_unit(unit)
        if waiting is None:
            self.free_armed.append(unit)
        else:
            self._dispatch(unit, waiting)

    def _travel(self, unit: _Unit, site: _Site, arrival: float) -> ProcessBody:
        """Drive (blue lights) to the site; units arriving directly join it at once."""
        if arrival > self.env.now:
            yield _At(self.env, arrival, Phase.ARRIVAL)
        self._arrive(unit, site)

    def _stay(self, unit: _Unit, site: _Site, arrival: float) -> ProcessBody:
        """Wait for the site's resolution, then clear the scene; the unit is then free at the site."""
        yield site.resolved
        yield _At(self.env, max(site.resolved_at, arrival) + self.settings.scene_clear, Phase.FREE)
        unit.position = self.n_bases + site.lsoa

    def _team(self, team: _Unit, delay: float) -> ProcessBody:
        """A specialist team: requested at the first report, ready after ``delay``, then site after site."""
        yield self.first_report
        yield _At(self.env, self.env.now + delay, Phase.READY)
        while True:
            site = yield self.static_sites.get(self._is_open)
            arrival = self._arrival(team, site)
            yield from self._travel(team, site, arrival)
            yield from self._stay(team, site, arrival)

    def _mutual_aid(self, unit: _Unit, delay: float) -> ProcessBody:
        """A neighbouring force's ARV: arrives directly where a freed unit would go (section 4.5), if anywhere."""
        yield _At(self.env, self.env.now + delay, Phase.READY)
        site = self._site_for_free_unit(unit)
        if site is not None:
            self._dispatch(unit, site)

    def _stop_at(self, site: _Site, when: float) -> ProcessBody:
        """The attack stops by itself: a mobile attack's end (the shooting stops too) or a siege's end."""
        yield _At(self.env, when, Phase.ARRIVAL)
        site.shot_stop = min(site.shot_stop, self.env.now)
        self._stop(site)

    def _engage(self, unit: _Unit, site: _Site) -> ProcessBody:
        """Confront (docs/model.md 4.2): ``unit`` engages after the delay with the officers then on scene."""
        yield _At(self.env, self.env.now + self.settings.engagement_delay, Phase.ENGAGE)
        if site.shot_stop < math.inf or site.resolved_at < math.inf or self.env.now > site.horizon_end:
            return
        site.engagements += 1
        stops = 1.0 - (1.0 - self.settings.stop_probability) ** (site.on_scene / site.attackers)
        if unit.kind in (SPECIALIST, PATROL_TEAM) or self.rng.random() < stops:
            self._stop_shooting(site)
            self._check_resolved(site)
        else:
            site.suppressed = min(site.suppressed, self.env.now)

    # --- rules -----------------------------------------------------------------------------------

    def _arrival(self, unit: _Unit, site: _Site) -> float:
        """When ``unit`` would reach ``site`` if sent now; units from outside arrive directly.

        A unit still busy on an everyday job (or coming on duty) sets off when it becomes available.
        """
        if unit.position == NO_BASE:
            return self.env.now
        setting_off = max(self.env.now, unit.available)
        return setting_off + self.congestion * float(self.travel[unit.position, site.lsoa])

    def _take_nearest(self, pool: list[_Unit], site: _Site) -> _Unit:
        """Remove and return the unit of ``pool`` with the earliest arrival (ties: lowest index)."""
        unit = min(pool, key=lambda u: (self._arrival(u, site), u.index))
        pool.remove(unit)
        return unit

    def _dispatch(self, unit: _Unit, site: _Site) -> None:
        """Commit ``unit`` to ``site``; unarmed units stay there for good, armed ones are re-tasked."""
        site.assigned += unit.officers
        arrival = self._arrival(unit, site)
        if unit.officers > 0:
            site.next_arrival = min(site.next_arrival, arrival)
        trip = self._travel(unit, site, arrival) if unit.kind == UNARMED else self._trip(unit, site, arrival)
        self.env.process(trip)

    def _free_arvs(self) -> list[_Unit]:
        """Fleet ARVs free now: not on a job and not still busy on an everyday one (what move-up moves)."""
        return [u for u in self.free_armed if u.kind == ARMED and u.available <= self.env.now]

    def _settle(self) -> int:
        """Moves that have ended put their ARVs at the new position; returns how many ARVs are free now."""
        for unit in self.free_armed:
            if unit.destination >= 0 and unit.moved_at <= self.env.now:
                unit.position, unit.destination = unit.destination, -1
        return len(self._free_arvs())

    def _move_up(self, move_up: _MoveUp, sent: list[_Unit]) -> None:
        """Section 4.8: the free ARVs hold the table's row for their number, nearest pairs first (greedy)."""
        for unit in sent:  # committed, perhaps while moving up: that move is over
            unit.destination = -1
        now, free = self.env.now, self._free_arvs()
        row = move_up.table[len(free)][:len(free)]

        def minutes(unit: _Unit, target: int) -> float:
            if target == unit.position:
                return 0.0
            if target == unit.destination:
                return unit.moved_at - now
            return move_up.congestion * float(move_up.normal[unit.position, target - self.n_bases])

        pairs = sorted((minutes(u, int(p)), u.index, s) for u in free for s, p in enumerate(row) if p >= 0)
        by_index = {u.index: u for u in free}
        placed: set[int] = set()
        held: set[int] = set()
        for cost, index, s in pairs:
            if index in placed or s in held:
                continue
            placed.add(index)
            held.add(s)
            unit, target = by_index[index], int(row[s])
            if target == unit.position:
                unit.destination = -1
            elif target != unit.destination:
                unit.destination, unit.moved_at = target, now + cost
        for unit in free:
            if unit.index not in placed:
                unit.destination = -1

    def _is_open(self, site: _Site) -> bool:
        """Reported, not resolved, and still within its horizon."""
        return site.reported and site.resolved_at == math.inf and self.env.now <= site.horizon_end

    def _site_for_free_unit(self, unit: _Unit) -> _Site | None:
        """Section 4.4: the earliest-reported open site short of officers, or with no armed officer on
        scene yet that ``unit`` would reach before every unit already on its way."""
        for site in self.reported:
            if not self._is_open(site):
                continue
            if site.assigned < site.needed:
                return site
            if site.first_armed == math.inf and self._arrival(unit, site) < site.next_arrival:
                return site
        return None

    def _arrive(self, unit: _Unit, site: _Site) -> None:
        """Section 4.2: officers join the site; engagement; a siege's end once a team is on scene."""
        now = self.env.now
        if now > site.horizon_end:
            return
        if unit.officers > 0:
            site.first_armed = min(site.first_armed, now)
            site.on_scene += unit.officers
        else:
            site.first_unarmed = min(site.first_unarmed, now)
        team = unit.kind in (SPECIALIST, PATROL_TEAM)
        if team:
            site.team_on_scene = min(site.team_on_scene, now)
        if site.engaged == math.inf and (site.on_scene >= site.needed or team):
            site.engaged = now
        shooting = site.shot_stop == math.inf and (site.static or now < site.start + site.mobile_duration)
        if unit.officers > 0 and shooting:
            if self.confront:
                self.env.process(self._engage(unit, site))
            elif site.engaged == now:
                self._stop_shooting(site)
        self._schedule_siege_end(site)
        self._check_resolved(site)

    def _stop_shooting(self, site: _Site) -> None:
        """An engagement stops the shooting now: the attack stops, or (static, siege) the siege begins."""
        site.shot_stop = self.env.now
        if site.static and site.siege:
            self._schedule_siege_end(site)
        else:
            self._stop(site)

    def _schedule_siege_end(self, site: _Site) -> None:
        """A siege ends an assault after the team is on scene and the shooting has stopped, whichever is later."""
        if (site.static and site.siege and not site.siege_end_scheduled
                and site.shot_stop < math.inf and site.team_on_scene < math.inf):
            site.siege_end_scheduled = True
            self.env.process(self._stop_at(site, max(site.team_on_scene, site.shot_stop) + site.assault))

    def _stop(self, site: _Site) -> None:
        """The attack at ``site`` stops now, unless it already has or the site is past its horizon."""
        if self.env.now <= site.horizon_end and site.stopped == math.inf:
            site.stopped = self.env.now
            self._check_resolved(site)

    def _check_resolved(self, site: _Site) -> None:
        """Resolved when the attack has stopped and an armed unit is on scene (section 4.3)."""
        if site.resolved_at == math.inf and site.stopped < math.inf and site.first_armed < math.inf:
            site.resolved_at = self.env.now
            site.resolved.succeed(self.env.now)


def _site_harm(site: _Site, settings: _Settings) -> float:
    """Expected deaths at a simulated site: shooting until it is stopped (or a mobile end), then any siege."""
    shooting_end = site.shot_stop
    siege_minutes = 0.0
    if site.static and site.siege and site.shot_stop <= site.horizon_end:
        siege_minutes = min(site.stopped, site.horizon_end) - site.shot_stop
    return expected_deaths(
        attackers=site.attackers, kill_rate=site.kill_rate, flight_time=settings.flight_time,
        plato_reduction=settings.plato_reduction,
        shooting_minutes=min(shooting_end - site.start, settings.horizon),
        unarmed_minutes=site.first_unarmed - site.start, siege_minutes=siege_minutes,
        siege_kill_rate=settings.siege_kill_rate, suppressed_minutes=site.suppressed - site.start,
        suppression=settings.suppression)


# --- everyday workload and shifts (docs/workload.md) -----------------------------------------------


@dataclass(frozen=True)
class _JobClass:
    """An everyday job class: mean arrivals per minute before the profile, lognormal service, priority."""

    name: str
    per_minute: float
    service_median: float
    service_sigma: float
    priority: int  # 1 most urgent
    divertible: bool


@dataclass(frozen=True)
class _ShiftTimes:
    """One shift of a pattern: start (minute of the day), length (minutes), the weekdays it starts on."""

    start: int
    length: float
    days: frozenset[int]  # 0 = Monday


@dataclass(frozen=True, eq=False)
class _Workload:
    """What the warm-up reads from the model, once per call: demand, profile, job classes and the roster.

    ``lines[u]`` lists the shifts crewing unit ``u``; units not in it are on duty all the time.
    """

    warmup: float
    profile: tuple[float, ...]  # relative rate by hour of the week (Monday 00:00 first), peak 1
    peak: float  # the profile's peak over its mean
    job_site_cumulative: np.ndarray  # cumulative incident weights, last 1
    classes: tuple[_JobClass, ...]
    release: float
    absence: float
    horizon: float
    lines: dict[int, tuple[_ShiftTimes, ...]]

    @classmethod
    def from_model(cls, model: ModelLike) -> _Workload:
        config, p = model.config.workload, model.params
        profile = load_profile(config.profile)
        weights = np.asarray(load_demand_weights(config.incidents, model.area).weights, dtype=float)
        firearms_per_day = (p["workload.firearms_ops_ew_year"] * p["workload.firearms_arv_share"]
                            * p["workload.force_share"] / 365.25)
        classes = tuple(
            _JobClass(name, per_day / MINUTES_PER_DAY, p[f"workload.{name}_service_median_min"],
                      p[f"workload.{name}_service_sigma"], priority, divertible)
            for name, per_day, priority, divertible in (
                ("firearms", firearms_per_day, 1, False),
                ("other", p["workload.other_jobs_per_day"], 2, True)))
        return cls(warmup=config.warmup_hours * 60.0, profile=tuple(profile / profile.max()), peak=profile.max(),
                   job_site_cumulative=np.cumsum(weights) / weights.sum(), classes=classes,
                   release=p["workload.release_delay_min"], absence=p["shifts.absence"], horizon=p["horizon_min"],
                   lines=_deal_lines(model))


def _deal_lines(model: ModelLike) -> dict[int, tuple[_ShiftTimes, ...]]:
    """Give each unit mapped to a pattern its line: by staffing order, round-robin over the lines.

    Staffing order is the first unit of every group (``type@base``) in fleet order, then the second of
    each, and so on; a group's own assignment wins over its type's.
    """
    shifts, fleet = model.config.workload.shifts, model.fleet
    groups = [str(name).rsplit("#", 1) for name in fleet.names]
    known = set(model.config.resources.unit_types) | {group for group, _ in groups}
    for key in shifts:
        if key not in known:
            raise ConfigError(f"{key!r} is neither a unit type nor a unit group (type@base) of the fleet",
                              field=f"workload.shifts.{key}")
    first_seen: dict[str, int] = {}
    for u, (group, _) in enumerate(groups):
        first_seen.setdefault(group, u)
    by_key: dict[str, list[int]] = {}
    for u, (group, _) in enumerate(groups):
        key = group if group in shifts else fleet.types[u]
        if key in shifts:
            by_key.setdefault(key, []).append(u)
    lines: dict[int, tuple[_ShiftTimes, ...]] = {}
    for key, units in by_key.items():
        pattern = load_pattern(shifts[key])
        times = {s.name: _ShiftTimes(parse_clock(s.start), s.hours * 60.0,
                                     frozenset(WEEKDAYS.index(d) for d in s.days)) for s in pattern.shifts}
        staffing = sorted(units, key=lambda u: (int(groups[u][1]), first_seen[groups[u][0]]))
        for rank, u in enumerate(staffing):
            lines[u] = tuple(times[name] for name in pattern.lines[rank % len(pattern.lines)])
    return lines


@dataclass(eq=False)
class _Job:
    """An everyday job: its class, LSOA and when the unit serving it is done (minutes from the first shot)."""

    job_class: _JobClass
    lsoa: int
    service: float
    end: float = math.inf


@dataclass(eq=False)
class _Callsign:
    """A unit during the warm-up: one car (a ``PreemptiveResource``), its crews on duty and its job."""

    unit: _Unit
    car: simpy.PreemptiveResource
    serves: bool  # armed units take everyday jobs; other rostered units only follow their shifts
    crews: int = 0  # crewed shifts now on (a unit without a pattern has one, always)
    job: _Job | None = None
    next_crew: float = math.inf  # earliest crewed shift start at or after the first shot


class _WarmUp:
    """The day before the attack in SimPy: shifts come and go, everyday jobs arrive and take units.

    The clock runs from ``-warmup`` to the first shot (time 0). Each crewed shift is a process that
    puts a crew on the unit for its length; each job class is an arrival process (a Poisson process
    with the hour-of-week profile, by thinning); each job holds its unit's car, and a firearms job
    pre-empts (interrupts) a lower-priority, divertible job, starting after the release delay.
    """

    def __init__(self, rng: np.random.Generator, workload: _Workload, units: list[_Unit], travel: np.ndarray,
                 n_bases: int, attack_minute: int, patrol_p: Mapping[int, np.ndarray]) -> None:
        self.env = simpy.Environment(initial_time=-workload.warmup)
        self.patrol_p = patrol_p
        self.rng = rng
        self.workload = workload
        self.travel = travel
        self.n_bases = n_bases
        self.minute = attack_minute
        self.callsigns = [
            _Callsign(unit=u, car=simpy.PreemptiveResource(self.env, capacity=1), serves=u.kind == ARMED,
                      crews=0 if u.index in workload.lines else 1)
            for u in units if u.kind == ARMED or u.index in workload.lines]
        for callsign in self.callsigns:
            for shift in workload.lines.get(callsign.unit.index, ()):
                self._roster(callsign, shift)
        for job_class in workload.classes:
            self.env.process(self._arrivals(job_class))

    def run(self) -> None:
        """Simulate to the first shot; set each unit's position and availability for the attack."""
        self.env.run(until=0.0)
        for callsign in self.callsigns:
            unit, job = callsign.unit, callsign.job
            if job is not None:
                unit.position = self.n_bases + job.lsoa
                unit.available = min(job.end, self.workload.release) if job.job_class.divertible else job.end
            elif callsign.crews == 0:
                starts = callsign.next_crew
                unit.available = starts if starts <= self.workload.horizon else math.inf

    def _roster(self, callsign: _Callsign, shift: _ShiftTimes) -> None:
        """Start a process for every crewed instance of ``shift`` that overlaps the warm-up.

        Each instance's crew is missing with probability ``shifts.absence``; instances starting at or
        after the first shot only say when the unit comes on duty.
        """
        first_day = (self.minute - int(self.workload.warmup)) // MINUTES_PER_DAY - 1
        last_day = (self.minute + int(self.workload.horizon)) // MINUTES_PER_DAY + 1
        for day in range(first_day, last_day + 1):
            begins = day * MINUTES_PER_DAY + shift.start - self.minute
            if day % 7 not in shift.days or begins + shift.length <= self.env.now:
                continue
            if self.rng.random() < self.workload.absence:
                continue
            if begins >= 0.0:
                callsign.next_crew = min(callsign.next_crew, begins)
            else:
                self.env.process(self._crew(callsign, begins, shift.length))

    def _crew(self, callsign: _Callsign, begins: float, length: float) -> ProcessBody:
        """One crewed shift: on duty from ``begins`` for ``length`` minutes (a job running over is finished)."""
        if begins > self.env.now:
            yield self.env.timeout(begins - self.env.now)
        callsign.crews += 1
        yield self.env.timeout(begins + length - self.env.now)
        callsign.crews -= 1

    def _arrivals(self, job_class: _JobClass) -> ProcessBody:
        """Jobs of one class: candidates at the profile's peak rate, kept with probability rate / peak."""
        peak = job_class.per_minute * self.workload.peak
        if peak <= 0.0:
            return
        while True:
            yield self.env.timeout(self.rng.exponential(1.0 / peak))
            hour = int((self.minute + self.env.now) // 60) % 168
            if self.rng.random() < self.workload.profile[hour]:
                cumulative = self.workload.job_site_cumulative
                lsoa = min(int(np.searchsorted(cumulative, self.rng.random(), side="right")), len(cumulative) - 1)
                service = job_class.service_median * math.exp(job_class.service_sigma * self.rng.standard_normal())
                self._dispatch(_Job(job_class, lsoa, service))

    def _dispatch(self, job: _Job) -> None:
        """The nearest free unit on duty; else pre-empt the nearest unit on a divertible, less urgent job;
        else the job is lost (handled without an ARV). Ties go to the unit first in the fleet."""
        free = [c for c in self.callsigns if c.serves and c.crews > 0 and c.job is None]
        if free:
            chosen = min(free, key=lambda c: (self.travel[c.unit.position, job.lsoa], c.unit.index))
            self._start(chosen, job, delay=0.0)
            return
        divertible = [c for c in self.callsigns if c.job is not None and c.job.job_class.divertible
                      and c.job.job_class.priority > job.job_class.priority]
        if divertible:
            chosen = min(divertible, key=lambda c: (self.travel[self.n_bases + c.job.lsoa, job.lsoa], c.unit.index))
            self._start(chosen, job, delay=self.workload.release)

    def _start(self, callsign: _Callsign, job: _Job, *, delay: float) -> None:
        """Commit ``callsign`` to ``job``, which starts after ``delay`` (the release delay when pre-empting)."""
        job.end = self.env.now + delay + job.service
        callsign.job = job
        self.env.process(self._serve(callsign, job))

    def _serve(self, callsign: _Callsign, job: _Job) -> ProcessBody:
        """Hold the car until the job ends; a pre-empted job is handed to others (its process just ends)."""
        with callsign.car.request(priority=job.job_class.priority, preempt=True) as request:
            yield request
            try:
                yield self.env.timeout(job.end - self.env.now)
            except simpy.Interrupt:
                return
            callsign.job = None
            unit = callsign.unit
            if unit.index in self.patrol_p:  # resume patrol at an LSOA of the layer at this hour
                p = self.patrol_p[unit.index][int((self.minute + self.env.now) // 60) % 168]
                unit.position = self.n_bases + int(self.rng.choice(len(p), p=p))


def _check_model(model: ModelLike, sites: int, replications: int) -> np.ndarray:
    """Validate the request; return the site-choice probabilities (``site_weights``, normalised)."""
    if sites < 1 or replications < 1:
        raise ConfigError(f"need at least one site and one replication, got sites={sites}, "
                          f"replications={replications}")
    named = model.named_sites
    if named is not None and sites > len(named):
        raise ConfigError(f"{sites} sites asked for but only {len(named)} named",
                          field="scenario.named_sites")
    fleet = model.fleet
    outside = [fleet.names[u] for u in range(len(fleet.kind))
               if fleet.position[u] == NO_BASE and not fleet.patrol[u] and fleet.kind[u] != SPECIALIST]
    if outside:
        raise ConfigError(f"only specialist teams can start outside the area, got {outside[:3]}",
                          field="resources.units")
    weights = np.asarray(model.site_weights, dtype=float)
    if weights.sum() <= 0 or np.any(weights < 0):
        raise ConfigError("site weights must be non-negative with a positive sum",
                          field="scenario.site_weights")
    return weights / weights.sum()


def _patrol_probabilities(model: ModelLike, site_p: np.ndarray) -> dict[int, np.ndarray]:
    """Per patrolling unit, ``(168, n)`` probabilities of where it patrols (docs/model.md, patrols).

    Armed units: ``patrol.demand_share`` of demand plus the rest of exposure (or the user's layer),
    unarmed units demand, each restricted to the LSOAs whose nearest patrol centre on blue lights is the
    unit's base. A model without patrol layers patrols by its site weights every hour.
    """
    fleet, patrols = model.fleet, getattr(model, "patrols", None)
    patrol = [u for u in range(len(fleet.kind)) if fleet.patrol[u]]
    if patrols is None:
        return {u: np.broadcast_to(site_p, (MINUTES_PER_WEEK // 60, len(site_p))) for u in patrol}
    share = model.params["patrol.demand_share"]
    user = getattr(getattr(model, "config", None), "resources", None)
    armed = (patrols.armed if user is not None and user.patrol_layer is not None
             else share * patrols.demand + (1.0 - share) * patrols.exposure)
    area = [int(fleet.patrol_area[u]) if fleet.patrol_area is not None else NO_BASE for u in range(len(fleet.kind))]
    centres = sorted({area[u] for u in patrol if area[u] >= 0 and fleet.kind[u] != PATROL_TEAM})
    blue = np.asarray(model.blue_light_minutes, dtype=float)
    nearest = np.array([min(centres, key=lambda b: (blue[b, i], b)) for i in range(blue.shape[1])]) if centres else None
    out = {}
    radius = model.params["patrol.team_radius_min"]
    for u in patrol:
        if fleet.kind[u] == PATROL_TEAM:  # section 4.7: crowded places within the radius of its base
            table = np.array(patrols.exposure, dtype=float)
            if area[u] >= 0:
                table = table * (blue[area[u]] <= radius)[None, :]
            out[u] = table / table.sum(axis=1, keepdims=True)
            continue
        table = np.array(armed if fleet.kind[u] == ARMED else patrols.demand, dtype=float)
        if area[u] >= 0:
            table = table * (nearest == area[u])[None, :]
        out[u] = table / table.sum(axis=1, keepdims=True)
    return out


def _draw_units(rng: np.random.Generator, model: ModelLike, patrol_p: dict[int, np.ndarray],
                minute: int) -> list[_Unit]:
    """The fleet at the start of a replication; patrolling units start at an LSOA of their layer's hour."""
    fleet = model.fleet
    position = np.asarray(fleet.position, dtype=np.int64).copy()
    hour = (minute // 60) % 168
    for u, p in patrol_p.items():
        position[u] = model.n_bases + rng.choice(p.shape[1], p=p[hour])
    return [_Unit(index=u, name=str(fleet.names[u]), kind=int(fleet.kind[u]),
                  officers=float(fleet.officers[u]), position=int(position[u]))
            for u in range(len(fleet.kind))]


def _posts(model: ModelLike, minute: int, first_index: int) -> list[_Unit]:
    """Section 4.7: one unit per post at its LSOA, on duty when the attack's first minute is in its hours."""
    posts = getattr(model, "posts", None)
    if posts is None:
        return []
    m = minute % MINUTES_PER_WEEK
    on = any(a <= m < b or a <= m + MINUTES_PER_WEEK < b for a, b in posts.ranges)
    return [_Unit(index=first_index + j, name=f"post#{j + 1}", kind=POSTED, officers=float(posts.officers),
                  position=model.n_bases + int(lsoa), available=0.0 if on else math.inf)
            for j, lsoa in enumerate(posts.lsoa)]


def _team_delays(rng: np.random.Generator, units: list[_Unit], settings: _Settings) -> np.ndarray:
    """Per specialist team: mobilisation if based in the area, arrival delay if it comes from outside."""
    external = np.array([u.position == NO_BASE for u in units if u.kind == SPECIALIST], dtype=bool)
    low = np.where(external, settings.external_low, settings.mobilise_low)
    high = np.where(external, settings.external_high, settings.mobilise_high)
    return rng.uniform(low, high)


def _hourly_probabilities(model: ModelLike, site_p: np.ndarray) -> np.ndarray:
    """``(168, n)`` site-choice probabilities by hour: ``model.site_table`` if it has one, else ``site_p``."""
    table = getattr(model, "site_table", None)
    if table is None:
        return np.broadcast_to(site_p, (MINUTES_PER_WEEK // 60, len(site_p)))
    table = np.asarray(table, dtype=float)
    return table / table.sum(axis=1, keepdims=True)


def _replicate(model: ModelLike, settings: _Settings, scenario: _Scenario, units: list[_Unit],
               team_delays: np.ndarray, aid_delays: np.ndarray, minute: int, rng: np.random.Generator) -> list[_Site]:
    """Run one attack from its draws: the dispatch, travel and doctrine of docs/model.md section 4."""
    config = getattr(model, "config", None)
    travel = np.asarray(model.travel_minutes, dtype=float)
    normal_congestion = np.asarray(getattr(model, "travel_congestion", np.ones(MINUTES_PER_WEEK // 60)), dtype=float)
    blue = getattr(model, "blue_light_minutes", None)
    blue = settings.emergency_factor * travel if blue is None else np.asarray(blue, dtype=float)
    congestion = np.asarray(getattr(model, "blue_light_congestion", np.ones(MINUTES_PER_WEEK // 60)), dtype=float)
    confront = (getattr(model, "doctrine", "contain") if config is None else config.dispatch.doctrine) == "confront"
    table = model.compliance_table.positions if config is not None and config.dispatch.move_up else None
    hour = (minute // 60) % len(congestion)
    move_up = None if table is None else _MoveUp(table, travel, float(normal_congestion[hour]))
    return _Replication(settings=settings, travel=blue, n_bases=model.n_bases, scenario=scenario,
                        units=units, team_delays=team_delays, aid_delays=aid_delays,
                        congestion=float(congestion[hour]), confront=confront,
                        rng=rng, posts=_posts(model, minute, len(units)),
                        posts_respond=config is not None and config.dispatch.posts == "respond",
                        move_up=move_up).run()


def simulate_reference(model: ModelLike, *, sites: int, replications: int, seed: int,
                       workload: bool | None = None) -> dict[str, np.ndarray]:
    """Simulate ``replications`` attacks on ``sites`` sites with SimPy, independently of the engine.

    Parameters
    ----------
    model
        The resolved model (:class:`readiness.model.Model` or anything with the same fields).
    sites
        Number of sites K; with named sites, the first K of them.
    replications
        Number of independent replications.
    seed
        Seed of the single ``numpy.random.Generator`` used; the draws differ from the engine's, so
        agreement with it is statistical.
    workload
        Whether units start the attack in the state a day of everyday jobs and shifts left them
        (docs/workload.md, simulated here in SimPy as well); ``None`` follows
        ``model.config.workload.enabled`` (off for a model without a ``config``).

    Returns
    -------
    dict of str to numpy.ndarray
        Arrays of shape ``(replications, sites)``: ``t_first_armed``, ``t_enough_armed``,
        ``t_resolved``, ``t_first_unarmed`` and ``t_stop`` (minutes since the site's start, ``inf`` when not
        within the horizon), ``deaths`` (Poisson draw) and ``expected_deaths`` (its mean), ``site``
        (LSOA index), ``static``, ``attackers``, ``start`` and ``report`` (minutes since the first
        start).
    """
    site_p = _check_model(model, sites, replications)
    hourly_p = _hourly_probabilities(model, site_p)
    patrol_p = _patrol_probabilities(model, site_p)
    settings = _Settings.from_params(model.params)
    weapons = _weapon_rates(model)
    setting_factor = _setting_factor(model)
    travel = np.asarray(model.travel_minutes, dtype=float)
    named = None if model.named_sites is None else np.asarray(model.named_sites, dtype=np.int64)
    rng = np.random.default_rng(seed)
    config = getattr(model, "config", None)
    enabled = workload if workload is not None else config is not None and config.workload.enabled
    everyday = _Workload.from_model(model) if enabled else None
    attack_time = "Mon 00:00" if config is None else config.scenario.attack_time  # None: drawn per replication
    fixed_minute = None if attack_time is None else parse_week_time(attack_time)
    since_start: dict[str, Callable[[_Site], float]] = {
        "t_first_armed": lambda s: s.first_armed - s.start,
        "t_enough_armed": lambda s: s.engaged - s.start,
        "t_resolved": lambda s: s.resolved_at - s.start,
        "t_first_unarmed": lambda s: s.first_unarmed - s.start,
        "t_stop": lambda s: s.shot_stop - s.start if s.shot_stop <= s.horizon_end else math.inf,
    }
    shape = (replications, sites)
    out: dict[str, np.ndarray] = {
        name: np.empty(shape, dtype=float)
        for name in (*since_start, "expected_deaths", "start", "report")
    }
    out.update(site=np.empty(shape, dtype=np.int64), static=np.empty(shape, dtype=bool),
               attackers=np.empty(shape, dtype=np.int64))
    for r in range(replications):
        minute = int(rng.integers(0, MINUTES_PER_WEEK)) if fixed_minute is None else fixed_minute
        scenario = _draw_scenario(rng, settings, hourly_p, named, sites, minute, weapons, setting_factor)
        if config is not None and config.resources.neighbourhood:
            scenario = replace(scenario, neighbourhood=_draw_neighbourhood(rng, model, scenario))
        units = _draw_units(rng, model, patrol_p, minute)
        team_delays = _team_delays(rng, units, settings)
        n_aid = rng.integers(int(settings.aid_units_low), int(settings.aid_units_high), endpoint=True)
        aid_delays = rng.uniform(settings.aid_delay_low, settings.aid_delay_high, size=n_aid)
        if everyday is not None:
            _WarmUp(rng, everyday, units, travel, model.n_bases, minute, patrol_p).run()
        done = _replicate(model, settings, scenario, units, team_delays, aid_delays, minute, rng)
        for name, measure in since_start.items():
            out[name][r] = [measure(s) for s in done]
        out["expected_deaths"][r] = [_site_harm(s, settings) for s in done]
        for name in ("site", "static", "attackers", "start", "report"):
            out[name][r] = getattr(scenario, name)
    out["deaths"] = rng.poisson(out["expected_deaths"])
    return out


def reference_on_draws(model: ModelLike, attacks: Any, units: Any, minute: np.ndarray, *,
                       seed: int) -> dict[str, np.ndarray]:
    """This module's dispatch on the engine's own draws (``scenario.Attacks``, ``scenario.UnitStarts``, the
    first shot's ``minute``), so that both run every attack on common inputs and any difference is the
    implementation's, not noise: ``t_first_armed``, ``t_enough_armed`` and ``t_first_unarmed`` ``(R, K)``
    as in :func:`simulate_reference`. Engagements still draw from ``seed`` (their own generator)."""
    fleet, settings = model.fleet, _Settings.from_params(model.params)
    config = getattr(model, "config", None)
    neighbourhood = config is not None and config.resources.neighbourhood
    specialist = [u for u in range(len(fleet.kind)) if fleet.kind[u] == SPECIALIST]
    rng = np.random.default_rng(seed)
    shape = np.shape(attacks.site)
    out = {name: np.empty(shape) for name in ("t_first_armed", "t_enough_armed", "t_first_unarmed")}
    for r in range(shape[0]):
        scenario = _Scenario(site=np.asarray(attacks.site[r], np.int64), start=attacks.start[r],
                             report=attacks.report[r], attackers=np.asarray(attacks.attackers[r], np.int64),
                             static=attacks.static[r], mobile_duration=attacks.mobile_duration[r],
                             siege=attacks.siege[r], assault=attacks.assault[r], kill_rate=attacks.kill_rate[r],
                             neighbourhood=attacks.first_neighbourhood[r] if neighbourhood else None)
        fleet_r = [_Unit(index=u, name=str(fleet.names[u]), kind=int(fleet.kind[u]),
                         officers=float(fleet.officers[u]), position=int(units.position[r, u]),
                         available=float(units.available[r, u])) for u in range(len(fleet.kind))]
        done = _replicate(model, settings, scenario, fleet_r, units.specialist_delay[r, specialist],
                          attacks.mutual_aid_delay[r, :int(attacks.mutual_aid_units[r])], int(minute[r]), rng)
        out["t_first_armed"][r] = [s.first_armed - s.start for s in done]
        out["t_enough_armed"][r] = [s.engaged - s.start for s in done]
        out["t_first_unarmed"][r] = [s.first_unarmed - s.start for s in done]
    return out


def reference_unit_states(model: ModelLike, *, replications: int, seed: int,
                          workload: bool = True) -> dict[str, np.ndarray]:
    """Every unit's state at the first shot after this module's SimPy warm-up of everyday jobs and shifts.

    The warm-up of :func:`simulate_reference` without the attack, so that its unit states can be compared
    with the engine's sampler on their own: ``minute`` ``(R,)`` of the week of the first shot, ``position``
    and ``available`` ``(R, units)`` as in ``scenario.UnitStarts``. ``workload=False``: no warm-up, every unit
    free where it starts (patrol units at their layer's draw), as :func:`simulate_reference` with it off.
    """
    site_p = _check_model(model, 1, replications)
    patrol_p = _patrol_probabilities(model, site_p)
    everyday = _Workload.from_model(model) if workload else None
    travel = np.asarray(model.travel_minutes, dtype=float)
    attack_time = model.config.scenario.attack_time
    rng = np.random.default_rng(seed)
    n_units = len(model.fleet.kind)
    out = {"minute": np.empty(replications, np.int64), "position": np.empty((replications, n_units), np.int64),
           "available": np.empty((replications, n_units))}
    for r in range(replications):
        minute = int(rng.integers(0, MINUTES_PER_WEEK)) if attack_time is None else parse_week_time(attack_time)
        units = _draw_units(rng, model, patrol_p, minute)
        if everyday is not None:
            _WarmUp(rng, everyday, units, travel, model.n_bases, minute, patrol_p).run()
        out["minute"][r] = minute
        out["position"][r] = [u.position for u in units]
        out["available"][r] = [u.available for u in units]
    return out

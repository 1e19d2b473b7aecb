"""Everyday workload and shifts: which armed units are on duty, busy or free when an attack starts.

The named steps are: build the roster (which shifts crew each unit, ``build_roster``), draw the everyday
jobs of the warm-up before the attack (``draw_job_list``), run the warm-up (the compiled loop ``_warmup``,
one replication per iteration, replications in parallel), and read the units' states at the first shot
(``WorkloadSampler``). ``coverage_results`` and ``coverage_by_lsoa`` sample the same model at every hour
of the week. The model and its validation are described in docs/workload.md.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numba
import numpy as np
from pydantic import ValidationError

from readiness.area import data_path
from readiness.config import (
    MINUTES_PER_DAY,
    WEEKDAYS,
    ShiftPattern,
    is_pattern_file,
    parse_clock,
    parse_week_time,
    read_yaml,
)
from readiness.demand import DemandWeights, load_demand_weights, load_profile
from readiness.errors import ConfigError, DataError, validation_error
from readiness.kinds import ARMED, JOB_STREAMS, Stream, job_stream
from readiness.model import Model
from readiness.nearest import keep_two_least, nearest_in_band, squared_distance
from readiness.patrol import pick_in_layer
from readiness.prefetch import prefetch
from readiness.resources import Fleet
from readiness.rng import guide_table, name_index, ndtri, pick_guided, replication_keys, uniform_at, uniforms
from readiness.scenario import UnitStarts, UnitStateSampler, attack_minutes, draw_unit_starts

INF = np.inf
PATTERN_FOLDER = "shift_patterns"
#: Reach thresholds of the coverage analytics (minutes of blue-light travel).
THRESHOLDS_MIN: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0)
_DAY_KEY_OFFSET = 512  # absence draws are keyed by the shift's day relative to the attack's (10 bits)


# --- shifts -------------------------------------------------------------------------------------------


def shipped_patterns() -> list[str]:
    """Names of the shift patterns shipped in ``readiness/data/shift_patterns``."""
    return sorted(p.stem for p in data_path(PATTERN_FOLDER).glob("*.yaml"))


def load_pattern(ref: str) -> ShiftPattern:
    """A shift pattern: the name of a shipped one (``arv_five_relief_10h``) or a YAML file."""
    if is_pattern_file(ref):
        path = Path(ref)
    elif ref in shipped_patterns():
        path = data_path(PATTERN_FOLDER) / f"{ref}.yaml"
    else:
        raise ConfigError(f"unknown shift pattern {ref!r}; expected one of {shipped_patterns()} or a .yaml file",
                          field="workload.shifts")
    data = read_yaml(path, what="the shift pattern")
    try:
        return ShiftPattern.model_validate(data)
    except ValidationError as error:
        raise validation_error(error, str(path), DataError) from None


@dataclass(frozen=True, eq=False)
class Roster:
    """Which shifts crew each unit; a unit without a pattern is on duty all the time.

    Shifts of every pattern in use form one table (``start``, ``length``, ``days``); ``unit_shifts[u]``
    lists the table rows that crew unit ``u`` (-1 pads), ``crew_key[u, j]`` keys its absence draws.
    """

    start: np.ndarray  # (G,) minute of the day the shift starts
    length: np.ndarray  # (G,) minutes
    days: np.ndarray  # (G, 7) bool: the weekdays on which it starts (Monday first)
    unit_shifts: np.ndarray  # (U, S) int64
    crew_key: np.ndarray  # (U, S) uint64
    rostered: np.ndarray  # (U,) bool
    assignment: dict[str, str]  # unit name -> "pattern line i" (rostered units only)

    def weekly_crew_hours(self) -> np.ndarray:
        """Hours a week each unit is crewed, counting overlapping shifts twice (168 when not rostered)."""
        hours = np.where(self.unit_shifts >= 0, (self.length * self.days.sum(axis=1) / 60.0)[self.unit_shifts], 0.0)
        return np.where(self.rostered, hours.sum(axis=1), 168.0)


def _group_label(name: str) -> tuple[str, int]:
    """The group (``type@base``) and the number within it of a unit name (``arv@Stechford#2``)."""
    label, number = name.rsplit("#", 1)
    return label, int(number)


def build_roster(fleet: Fleet, shifts: Mapping[str, str], patterns: Mapping[str, ShiftPattern], *,
                 unit_types: set[str]) -> Roster:
    """Deal each pattern's lines to the units assigned it.

    A unit takes the pattern of its group (``arv@Stechford``) if one is given, else that of its type
    (``arv``). The units sharing an assignment are put in *staffing order* (the first unit of every group
    in fleet order, then the second of each, ...) and take the pattern's lines round-robin, so appending
    a unit or a group never changes the lines of the units already there.
    """
    labels = [_group_label(name) for name in fleet.names]
    known = set(unit_types) | {label for label, _ in labels}
    for key in shifts:
        if key not in known:
            raise ConfigError(f"{key!r} is neither a unit type {sorted(unit_types)} nor a unit group "
                              f"(type@base) of the fleet", field=f"workload.shifts.{key}")
    group_order = {label: i for i, label in reversed(list(enumerate(label for label, _ in labels)))}
    members: dict[str, list[int]] = {}
    for u, (label, _) in enumerate(labels):
        key = label if label in shifts else fleet.types[u] if fleet.types[u] in shifts else None
        if key is not None:
            members.setdefault(key, []).append(u)
    table: dict[tuple[str, str], int] = {}
    rows: list[tuple[int, float, list[bool]]] = []
    lines: dict[int, list[int]] = {}
    keys: dict[int, list[int]] = {}
    assignment: dict[str, str] = {}
    for key, units in members.items():
        pattern = patterns[shifts[key]]
        for shift in pattern.shifts:
            if (shifts[key], shift.name) not in table:
                table[(shifts[key], shift.name)] = len(rows)
                rows.append((parse_clock(shift.start), shift.hours * 60.0, [d in shift.days for d in WEEKDAYS]))
        ordered = sorted(units, key=lambda u: (labels[u][1], group_order[labels[u][0]]))
        for position, u in enumerate(ordered):
            line = position % len(pattern.lines)
            lines[u] = [table[(shifts[key], s)] for s in pattern.lines[line]]
            keys[u] = [name_index(f"{fleet.names[u]}|{pattern.name}|{s}") for s in pattern.lines[line]]
            assignment[fleet.names[u]] = f"{pattern.name} line {line + 1}"
    width = max((len(v) for v in lines.values()), default=1)
    unit_shifts = np.full((fleet.n, width), -1, dtype=np.int64)
    crew_key = np.zeros((fleet.n, width), dtype=np.uint64)
    for u, line_rows in lines.items():
        unit_shifts[u, : len(line_rows)] = line_rows
        crew_key[u, : len(line_rows)] = keys[u]
    return Roster(start=np.array([r[0] for r in rows], dtype=np.int64).reshape(-1),
                  length=np.array([r[1] for r in rows], dtype=float).reshape(-1),
                  days=np.array([r[2] for r in rows], dtype=np.bool_).reshape(-1, 7),
                  unit_shifts=unit_shifts, crew_key=crew_key, rostered=unit_shifts[:, 0] >= 0,
                  assignment=assignment)


class Crews(NamedTuple):
    """The units the warm-up decides and their shifts (``Roster`` rows), as the compiled loops take them."""

    serves: np.ndarray  # (U,) bool: takes everyday jobs (armed units)
    unit_shifts: np.ndarray  # (U, S) rows of the shift table, -1 pads
    rostered: np.ndarray  # (U,) bool
    start: np.ndarray  # (G,) shift table: minute of the day the shift starts
    length: np.ndarray  # (G,) minutes
    days: np.ndarray  # (G, 7) bool

    @staticmethod
    def of(roster: Roster, units: np.ndarray, serves: np.ndarray) -> Crews:
        """The crews of fleet indices ``units`` (``serves``: of every fleet unit)."""
        return Crews(serves[units], roster.unit_shifts[units], roster.rostered[units], roster.start, roster.length,
                     roster.days)


@numba.njit(cache=True, _nrt=False)  # no reference counting: the warm-up calls it per unit and job
def _duty(u, t, minute, crews, absent, k_lo):
    """Whether unit ``u`` is crewed ``t`` minutes after an attack that starts at ``minute`` of the week, and
    until when that holds at least (the end of its covering shifts, or the next crewed shift start).

    Shift instances are indexed by their start day relative to the attack's day; days beyond the
    ``absent`` table count as crewed (they lie past the horizon, where only the bound is used).
    """
    if not crews.rostered[u]:
        return True, INF
    now = minute + t
    day0 = minute // MINUTES_PER_DAY
    n_days = absent.shape[2]
    on = False
    until_on = -INF
    next_begin = INF
    sh_start, sh_len, sh_days = crews.start, crews.length, crews.days
    for j in range(crews.unit_shifts.shape[1]):
        g = crews.unit_shifts[u, j]
        if g < 0:
            break
        day = int(np.floor((now - sh_start[g]) / MINUTES_PER_DAY))  # the latest start at or before now
        for d in range(day, day + 8):
            k = d - day0 - k_lo
            if not sh_days[g, d % 7] or (k < n_days and absent[u, j, k]):
                continue
            begins = d * MINUTES_PER_DAY + sh_start[g] - minute
            if d == day and t - begins < sh_len[g]:
                on = True
                until_on = max(until_on, begins + sh_len[g])
            elif d > day:
                next_begin = min(next_begin, begins)
                break
    return on, until_on if on else next_begin


def _day_range(warmup_min: float, horizon_min: float) -> tuple[int, int]:
    """First day offset (from the attack's day) and number of days whose shifts can matter."""
    k_lo = -int(np.ceil(warmup_min / MINUTES_PER_DAY)) - 2
    k_hi = int(np.ceil(horizon_min / MINUTES_PER_DAY)) + 2
    return k_lo, k_hi - k_lo + 1


def _absences(roster: Roster, units: np.ndarray, seed: int, reps: np.ndarray, probability: float,
              k_lo: int, n_days: int) -> np.ndarray:
    """``(R, U, S, K)``: whether the crew of each shift of each unit is missing, keyed by unit and shift."""
    shape = (len(reps), len(units), roster.unit_shifts.shape[1], n_days)
    absent = np.zeros(shape, dtype=np.bool_)
    if probability <= 0:
        return absent
    days = (np.arange(k_lo, k_lo + n_days) + _DAY_KEY_OFFSET).astype(np.uint64)
    for i, u in enumerate(units):
        if not roster.rostered[u]:
            continue
        keys = (roster.crew_key[u][:, None] << np.uint64(10)) | days[None, :]
        absent[:, i] = (uniforms(seed, Stream.ABSENCE, reps, keys.ravel()) < probability).reshape(len(reps), *keys.shape)
    return absent


def roster_for(model: Model, patterns: Mapping[str, ShiftPattern] | None = None) -> Roster:
    """The roster of a model's fleet under its ``workload.shifts`` (``patterns``: those already loaded)."""
    shifts = model.config.workload.shifts
    known = patterns or {}
    loaded = {ref: known[ref] if ref in known else load_pattern(ref) for ref in set(shifts.values())}
    return build_roster(model.fleet, shifts, loaded, unit_types=set(model.config.resources.unit_types))


def rostered_on_duty(model: Model, minutes: np.ndarray) -> np.ndarray:
    """``(len(minutes), n_units)``: which units the shift patterns crew at minutes of the week (no absences).

    Units without a pattern are always on duty. This is the roster as planned; ``shifts.absence``
    removes crews at random in the simulation.
    """
    roster = roster_for(model)
    absent = np.zeros((model.fleet.n, roster.unit_shifts.shape[1], 3), dtype=np.bool_)
    crews = Crews.of(roster, np.arange(model.fleet.n), model.fleet.kind == ARMED)
    out = np.empty((len(minutes), model.fleet.n), dtype=bool)
    for i, minute in enumerate(np.asarray(minutes, dtype=np.int64)):
        for u in range(model.fleet.n):
            out[i, u] = _duty(u, 0.0, minute, crews, absent, -1)[0]
    return out


# --- everyday jobs ------------------------------------------------------------------------------------

#: Replications per task of the parallel loops (job draws, warm-up, dispatch): a task's working arrays
#: serve each of its replications in turn.
CHUNK = 64
#: Standard deviations above its mean number of candidates for which a chunk's jobs are given room.
_ROOM_SDS = 10.0


@dataclass(frozen=True)
class JobClass:
    """A kind of everyday ARV job: its priority (1 most urgent) and whether an ARV on it can be diverted."""

    name: str
    priority: int
    divertible: bool


#: Rates in ``job_rates_per_day``; service times from ``workload.<name>_service_*`` parameters.
JOB_CLASSES: tuple[JobClass, ...] = (JobClass("firearms", 1, False), JobClass("other", 2, True))


def job_rates_per_day(params: Mapping[str, float]) -> np.ndarray:
    """Mean jobs a day of each class, force-wide (before the hour-of-week profile)."""
    firearms = (params["workload.firearms_ops_ew_year"] * params["workload.firearms_arv_share"]
                * params["workload.force_share"] / 365.25)
    return np.array([firearms, params["workload.other_jobs_per_day"]])


def _service(params: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    medians = np.array([params[f"workload.{c.name}_service_median_min"] for c in JOB_CLASSES])
    sigmas = np.array([params[f"workload.{c.name}_service_sigma"] for c in JOB_CLASSES])
    return medians, sigmas


@dataclass(frozen=True)
class Jobs:
    """Everyday jobs of a batch, ``(R, J)`` sorted by time (minutes relative to the first shot, ``inf`` pads;
    the other fields pad with 0)."""

    time: np.ndarray
    kind: np.ndarray  # index into JOB_CLASSES
    lsoa: np.ndarray
    service: np.ndarray  # minutes the ARV is committed


@dataclass(frozen=True)
class JobList:
    """The same jobs without padding: replication ``r``'s are ``offset[r]:offset[r + 1]`` of the flat arrays.

    The warm-up reads these: a padded batch is as wide as its busiest replication, a third of it padding.
    """

    offset: np.ndarray  # (R + 1,) int64
    time: np.ndarray
    kind: np.ndarray
    lsoa: np.ndarray
    service: np.ndarray

    def padded(self) -> Jobs:
        """The ``(R, J)`` view, ``J`` the most jobs of a replication."""
        counts = np.diff(self.offset)
        shape = (len(counts), max(int(counts.max(initial=0)), 1))
        inside = np.arange(shape[1]) < counts[:, None]
        time, service = np.full(shape, INF), np.zeros(shape)
        kind, lsoa = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
        for padded, flat in ((time, self.time), (kind, self.kind), (lsoa, self.lsoa), (service, self.service)):
            padded[inside] = flat
        return Jobs(time=time, kind=kind, lsoa=lsoa, service=service)


def draw_jobs(seed: int, reps: np.ndarray, attack_minute: np.ndarray, *, warmup_min: float,
              rates_per_day: np.ndarray, service_median: np.ndarray, service_sigma: np.ndarray,
              profile: np.ndarray, weights: np.ndarray) -> Jobs:
    """Jobs arriving in the ``warmup_min`` minutes before the attack (:func:`draw_job_list`), padded."""
    return draw_job_list(seed, reps, attack_minute, warmup_min=warmup_min, rates_per_day=rates_per_day,
                         service_median=service_median, service_sigma=service_sigma, profile=profile,
                         weights=weights).padded()


def draw_job_list(seed: int, reps: np.ndarray, attack_minute: np.ndarray, *, warmup_min: float,
                  rates_per_day: np.ndarray, service_median: np.ndarray, service_sigma: np.ndarray,
                  profile: np.ndarray, weights: np.ndarray) -> JobList:
    """Jobs arriving in the ``warmup_min`` minutes before the attack: a Poisson process per class.

    The rate of class ``c`` at minute ``t`` of the week is ``rates_per_day[c] / 1440 * profile[hour(t)]``;
    arrivals are drawn at the peak rate and thinned (Lewis and Shedler), located by ``weights`` and given
    lognormal service times. Job ``k`` of a class is keyed by ``k``, so its draws do not depend on the
    fleet, the batch or how many candidates another replication needed.
    """
    reps = np.asarray(reps, dtype=np.int64)
    peak = np.asarray(rates_per_day, dtype=float) / MINUTES_PER_DAY * profile.max()
    keys = np.stack([np.stack([replication_keys(seed, job_stream(stream, job_class.name), reps)
                               for job_class in JOB_CLASSES]) for stream in JOB_STREAMS])  # (4, C, R)
    cumulative = np.cumsum(weights)
    args = (np.asarray(attack_minute, dtype=np.int64), float(warmup_min), peak, profile / profile.max(), keys,
            cumulative, guide_table(cumulative), np.asarray(service_sigma, dtype=float))
    n_chunks = -(-len(reps) // CHUNK)
    mean = CHUNK * float(peak.sum()) * warmup_min  # candidates of a chunk: Poisson, at least as many as its jobs
    capacity = max(int(mean + _ROOM_SDS * np.sqrt(mean)), 1)
    while True:
        counts = np.empty(len(reps), np.int64)
        drawn = (np.empty(n_chunks * capacity), np.empty(n_chunks * capacity, np.int64),
                 np.empty(n_chunks * capacity, np.int64), np.empty(n_chunks * capacity))
        _draw_jobs(*args, capacity, counts, *drawn)
        busiest = int(np.add.reduceat(counts, np.arange(0, len(reps), CHUNK)).max(initial=0))
        if busiest <= capacity:
            break
        capacity = busiest  # drawn again: the busiest chunk's jobs did not all fit
    offset = np.zeros(len(reps) + 1, np.int64)
    np.cumsum(counts, out=offset[1:])
    n = int(offset[-1])
    time, kind, lsoa, service = np.empty(n), np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n)
    _close_gaps(offset, capacity, drawn, (time, kind, lsoa, service))
    # NumPy's exp, not the compiled one: they differ in the last bit for a few percent of arguments
    np.exp(service, out=service)
    service *= np.asarray(service_median, dtype=float)[kind]
    return JobList(offset=offset, time=time, kind=kind, lsoa=lsoa, service=service)


@numba.njit(cache=True)
def _next_kept(minute, warmup, peak, relative, gap_key, thin_key, k, elapsed):
    """The first kept candidate of one class from candidate ``k`` on (``elapsed``: the arrival of ``k - 1``
    after ``-warmup``): its time (``inf`` when none arrives before 0), index and arrival.

    Candidate ``k`` arrives ``Exp(peak)`` after candidate ``k-1`` (from ``-warmup``) and is kept with
    probability ``profile / peak`` at its hour of the week.
    """
    if peak <= 0.0:
        return INF, k, elapsed
    while True:
        elapsed += -np.log(uniform_at(gap_key, k)) / peak
        t = -warmup + elapsed
        if t >= 0.0:
            return INF, k, elapsed
        hour = np.int64(np.floor((minute + t) / 60.0)) % 168
        if uniform_at(thin_key, k) < relative[hour]:
            return t, k, elapsed
        k += 1


@numba.njit(parallel=True, cache=True)
def _draw_jobs(minute, warmup, peak, relative, keys, cumulative, guide, sigma, capacity, counts, time, kind, lsoa,
               log_ratio):
    """Each replication's jobs in time order (ties: class order): time, class, LSOA and ``sigma * z`` of its
    lognormal service time (``z`` by the compiled ``ndtri``; the caller takes the exponential).

    One pass: the classes' streams are merged as they are drawn, each a step ahead. Chunk ``b`` of
    replications writes its jobs one after another from ``b * capacity`` on while there is room; ``counts``
    counts them all, so the caller sees when a chunk needs more.
    """
    n_reps, n_classes = minute.shape[0], peak.shape[0]
    for chunk in numba.prange((n_reps + CHUNK - 1) // CHUNK):
        head_t = np.empty(n_classes)  # each class's next kept candidate: time, index, arrival
        head_k = np.empty(n_classes, np.int64)
        head_e = np.empty(n_classes)
        at, end = chunk * capacity, (chunk + 1) * capacity
        for r in range(chunk * CHUNK, min((chunk + 1) * CHUNK, n_reps)):
            for c in range(n_classes):
                head_t[c], head_k[c], head_e[c] = _next_kept(minute[r], warmup, peak[c], relative, keys[0, c, r],
                                                             keys[1, c, r], 0, 0.0)
            n = 0
            while True:
                c = 0  # the lower class first at equal times
                for other in range(1, n_classes):
                    if head_t[other] < head_t[c]:
                        c = other
                if head_t[c] == INF:
                    break
                k = head_k[c]
                if at < end:
                    time[at] = head_t[c]
                    kind[at] = c
                    lsoa[at] = pick_guided(cumulative, guide, uniform_at(keys[2, c, r], k))
                    log_ratio[at] = sigma[c] * ndtri(uniform_at(keys[3, c, r], k))
                    at += 1
                n += 1
                head_t[c], head_k[c], head_e[c] = _next_kept(minute[r], warmup, peak[c], relative, keys[0, c, r],
                                                             keys[1, c, r], k + 1, head_e[c])
            counts[r] = n


@numba.njit(parallel=True, cache=True)
def _close_gaps(offset, capacity, drawn, out):
    """Copy each chunk's jobs from ``chunk * capacity`` of the ``drawn`` arrays to ``offset`` in ``out``."""
    n_reps = offset.shape[0] - 1
    for chunk in numba.prange((n_reps + CHUNK - 1) // CHUNK):
        first, at = offset[chunk * CHUNK], chunk * capacity
        n = offset[min((chunk + 1) * CHUNK, n_reps)] - first
        out[0][first:first + n] = drawn[0][at:at + n]
        out[1][first:first + n] = drawn[1][at:at + n]
        out[2][first:first + n] = drawn[2][at:at + n]
        out[3][first:first + n] = drawn[3][at:at + n]


# --- the warm-up ----------------------------------------------------------------------------------------


class WarmupDraws(NamedTuple):
    """A batch's draws for the warm-up: ``(R, ...)`` arrays in a batch, one row per replication in the loop."""

    minute: np.ndarray  # (R,) minute of the week of the first shot
    job_time: np.ndarray  # ``JobList`` fields (flat: a replication's jobs in the loop)
    job_kind: np.ndarray
    job_lsoa: np.ndarray
    job_service: np.ndarray
    start_pos: np.ndarray  # (R, U) standby positions
    absent: np.ndarray  # (R, U, S, days) missing crews (``_absences``)
    patrol_key: np.ndarray  # (R,) uint64 keys of the return-to-patrol draws (``Stream.PATROL_RETURN``)


class PatrolArrays(NamedTuple):
    """Where a unit resumes patrol after a job: its layer (-1: back to its standby position) and draw key."""

    cumulative: np.ndarray  # (L, 168, n_lsoa) ``Patrols.cumulative``
    guide: np.ndarray  # (L, 168, n_lsoa + 3) ``Patrols.guide``
    layer: np.ndarray  # (U,) int64
    unit_key: np.ndarray  # (U,) int64 name index of the unit (``rng.name_index``)


class WarmupSettings(NamedTuple):
    """The job classes and numbers the warm-up reads, typed for Numba."""

    priority: np.ndarray  # (C,) int64, 1 most urgent
    divertible: np.ndarray  # (C,) bool
    release: float  # workload.release_delay_min
    horizon: float  # horizon_min
    stats_from: float  # jobs are counted from this minute on
    k_lo: int  # first day offset of ``absent`` (``_day_range``)
    n_bases: int  # positions from n_bases on are LSOA centroids


class WarmupOutputs(NamedTuple):
    """What the warm-up writes: per unit ``(R, U)``, then per job class ``(R, C)``."""

    busy_until: np.ndarray
    kind: np.ndarray
    lsoa: np.ndarray
    on_duty: np.ndarray
    next_start: np.ndarray
    served: np.ndarray
    offered: np.ndarray
    lost: np.ndarray
    preempted: np.ndarray
    home: np.ndarray  # (R, U) where a free unit is (standby position, or where it resumed patrol)


#: Bits of the job number in a return-to-patrol draw's index (``unit key << bits | job number``).
_JOB_BITS = 20
#: Jobs ahead whose travel look-ups the warm-up asks the cache for (2 measured best: 1 is too late, 3 no better).
_AHEAD = 2


class WarmupScratch(NamedTuple):
    """Per-unit working arrays of the warm-up loop, allocated once per chunk of replications, not per one."""

    jobs_taken: np.ndarray  # (U,) int64
    duty_on: np.ndarray  # (U,) bool
    duty_until: np.ndarray  # (U,) duty_on[u] holds until then
    travel: np.ndarray  # (U,) the job's travel minutes from each unit's position
    near: np.ndarray  # (U,) float64: a free unit's squared distance (or minutes) to the job, inf if not free


@numba.njit(cache=True, _nrt=False)  # allocates nothing; without counting references to the records' arrays
def _warmup(draws, crews, travel, settings, patrol, out, scratch):
    """One replication: assign the warm-up's jobs in time order, then read every unit's state at time 0.

    A job takes the nearest free unit on duty (normal road minutes from where it is; found by squared
    distance where ``travel``'s column is ordered by it, ``nearest.distance_order``); failing that, a job
    may pre-empt the nearest unit on a divertible job of lower priority, which starts it after the release
    delay; failing that, it is lost (handled without an ARV). A unit finishes a job after its shift ends.
    A patrolling unit then resumes patrol at an LSOA of its layer at the hour the job ends (draw keyed by
    unit and its job number), a unit with a post goes back to it.
    """
    minute, job_time, job_kind, job_lsoa, job_service, start_pos, absent, patrol_key = draws
    serves, priority, divertible = crews.serves, settings.priority, settings.divertible
    k_lo, n_bases = settings.k_lo, settings.n_bases
    busy_until, kind, lsoa, on_duty, next_start, served, offered, lost, preempted, home = out
    jobs_taken, duty_on, duty_until, job_tt, near = scratch
    minutes = travel.minutes
    n_units = serves.shape[0]
    for u in range(n_units):
        home[u] = start_pos[u]
        jobs_taken[u] = 0
        duty_until[u] = -INF  # jobs come in time order
        busy_until[u] = -INF
        kind[u] = -1
    n_jobs = job_time.shape[0]
    for j in range(n_jobs):
        t = job_time[j]
        c = job_kind[j]
        i = job_lsoa[j]
        counted = t >= settings.stats_from
        if counted:
            offered[c] += 1
        ahead = job_lsoa[j + _AHEAD] if j + _AHEAD < n_jobs else -1
        if ahead >= 0 and not travel.ordered[ahead]:  # from where the units are now; a unit that moves asks again
            for u in range(n_units):
                prefetch(minutes, home[u], ahead)
        ordered = travel.ordered[i]
        if not ordered:
            for u in range(n_units):  # every unit's look-up first, free or not: the cache misses overlap
                job_tt[u] = minutes[home[u], i]
        least_at, least, second = -1, INF, INF  # by squared distance (an ordered column) or by minutes
        for u in range(n_units):
            near[u] = INF
            if not serves[u] or busy_until[u] > t:
                continue
            if t >= duty_until[u]:
                duty_on[u], duty_until[u] = _duty(u, t, minute, crews, absent, k_lo)
            if duty_on[u]:
                near[u] = squared_distance(travel.xy, home[u], n_bases + i) if ordered else job_tt[u]
                least_at, least, second = keep_two_least(u, near[u], least_at, least, second)
        best = nearest_in_band(travel, home, near, least_at, least, second, i) if ordered else least_at
        best_tt = INF
        begin = t
        if best < 0:
            for u in range(n_units):
                k = kind[u]
                if serves[u] and busy_until[u] > t and divertible[k] and priority[k] > priority[c]:
                    tt = minutes[n_bases + lsoa[u], i]
                    if tt < best_tt:
                        best_tt, best = tt, u
            if best < 0:
                if counted:
                    lost[c] += 1
                continue
            if counted:
                preempted[kind[best]] += 1
            begin = t + settings.release
        busy_until[best] = begin + job_service[j]
        kind[best] = c
        lsoa[best] = i
        served[best] += 1
        if patrol.layer[best] >= 0:
            hour = np.int64(np.floor((minute + busy_until[best]) / 60.0)) % 168
            index = (patrol.unit_key[best] << _JOB_BITS) | jobs_taken[best]
            home[best] = n_bases + pick_in_layer(patrol.cumulative, patrol.guide, patrol.layer[best], hour,
                                                 uniform_at(patrol_key, index))
            for later in range(j + 1, min(j + _AHEAD + 1, n_jobs)):
                if not travel.ordered[job_lsoa[later]]:
                    prefetch(minutes, home[best], job_lsoa[later])
        jobs_taken[best] += 1
    for u in range(n_units):
        if busy_until[u] <= 0.0:
            kind[u] = -1
        on_duty[u], until = _duty(u, 0.0, minute, crews, absent, k_lo)
        next_start[u] = 0.0 if on_duty[u] else until if until <= settings.horizon else INF


@numba.njit(parallel=True, cache=True)
def _warmup_batch(draws, job_offset, crews, travel, settings, patrol, out):
    """Every replication of a batch, chunks in parallel: each runs on its own rows of the draws and outputs
    (its jobs: ``job_offset[r]:job_offset[r + 1]``, ``JobList.offset``)."""
    n_reps, n_units = draws.minute.shape[0], crews.serves.shape[0]
    for chunk in numba.prange((n_reps + CHUNK - 1) // CHUNK):
        scratch = WarmupScratch(np.empty(n_units, np.int64), np.empty(n_units, np.bool_), np.empty(n_units),
                                np.empty(n_units, travel.minutes.dtype), np.empty(n_units))
        for r in range(chunk * CHUNK, min((chunk + 1) * CHUNK, n_reps)):
            jobs = slice(job_offset[r], job_offset[r + 1])
            row = WarmupDraws(draws.minute[r], draws.job_time[jobs], draws.job_kind[jobs], draws.job_lsoa[jobs],
                              draws.job_service[jobs], draws.start_pos[r], draws.absent[r], draws.patrol_key[r])
            _warmup(row, crews, travel, settings, patrol,
                    WarmupOutputs(out.busy_until[r], out.kind[r], out.lsoa[r], out.on_duty[r], out.next_start[r],
                                  out.served[r], out.offered[r], out.lost[r], out.preempted[r], out.home[r]), scratch)


@dataclass(frozen=True, eq=False)
class WorkloadState:
    """States at the first shot of the units the workload decides (``units``: fleet indices), ``(R, U)``.

    ``position`` and ``available`` are what the engine takes (``scenario.UnitStarts``); ``busy_kind`` is
    the job class (index into ``JOB_CLASSES``) of a busy unit, -1 when free; ``offered``, ``lost`` and
    ``preempted`` count the warm-up's jobs per class, ``(R, C)``, from ``stats_from`` minutes on.
    """

    units: np.ndarray
    position: np.ndarray
    available: np.ndarray
    on_duty: np.ndarray
    busy: np.ndarray
    busy_kind: np.ndarray
    served: np.ndarray
    offered: np.ndarray
    lost: np.ndarray
    preempted: np.ndarray


def patrol_arrays(model: Model, units: np.ndarray) -> PatrolArrays:
    """The return-to-patrol inputs of fleet indices ``units`` (no layers: every unit goes back to its post)."""
    patrols = model.patrols
    keys = np.array([name_index(model.fleet.names[u]) for u in units], dtype=np.int64)
    if patrols is None or not len(patrols.cumulative):
        none = np.zeros((1, 168, model.area.n))
        layer = np.full(len(units), -1, np.int64) if patrols is None else np.ascontiguousarray(patrols.unit_layer[units])
        return PatrolArrays(none, guide_table(none), layer, keys)
    return PatrolArrays(patrols.cumulative, patrols.guide, np.ascontiguousarray(patrols.unit_layer[units]), keys)


#: Replications of unit states a sampler keeps (its latest batches): an assessment of up to this many
#: replications draws its warm-ups once for every K.
KEPT_REPLICATIONS = 20_000


class WorkloadSampler:
    """Unit states at the first shot from a warm-up of everyday jobs and shifts (a ``UnitStateSampler``).

    Built once per model (it reads the shift patterns, the incident data and the demand profile);
    calling it with a model that shares the area and workload config (an option's fleet) is allowed.
    """

    def __init__(self, model: Model) -> None:
        config = model.config.workload
        self.patterns = {ref: load_pattern(ref) for ref in set(config.shifts.values())}
        self.demand: DemandWeights = load_demand_weights(config.incidents, model.area)
        self.profile = load_profile(config.profile)
        self.attack_time = config.attack_time
        self.warmup_min = config.warmup_hours * 60.0
        self._kept: list[tuple[Model, int, np.ndarray, UnitStarts]] = []  # recent batches, newest last
        self.roster(model)  # check the shift assignments now, not in the middle of a run

    def at(self, attack_time: str | None) -> WorkloadSampler:
        """The same inputs with another attack time (``None``: drawn over the week), and an empty cache."""
        if attack_time is not None:
            parse_week_time(attack_time)  # a bad time is a user error now, not mid-run
        other = copy.copy(self)
        other.attack_time = attack_time
        other._kept = []
        return other

    def with_warmup(self, minutes: float) -> WorkloadSampler:
        """The same inputs with a warm-up of ``minutes`` (``readiness warmup`` tries several), and an empty cache."""
        other = self.at(self.attack_time)
        other.warmup_min = float(minutes)
        return other

    def roster(self, model: Model) -> Roster:
        """The roster of a model's fleet (an option's fleet may differ from the one the sampler was built for)."""
        return roster_for(model, self.patterns)

    def attack_minutes(self, seed: int, reps: np.ndarray) -> np.ndarray:
        """Minute of the week of each replication's first shot: the configured time, or uniform over the week."""
        return attack_minutes(self.attack_time, seed, reps)

    def state(self, model: Model, seed: int, reps: np.ndarray, attack_minute: np.ndarray, *,
              starts: UnitStarts | None = None, stats_from: float | None = None) -> WorkloadState:
        """Run the warm-up for replications ``reps`` with first shots at ``attack_minute`` (of the week).

        ``starts`` (default: ``scenario.draw_unit_starts``) gives the units' standby positions;
        ``stats_from`` the minute from which jobs are counted (default: the whole warm-up).
        """
        reps = np.asarray(reps, dtype=np.int64)
        attack_minute = np.asarray(attack_minute, dtype=np.int64)
        starts = draw_unit_starts(model, seed, reps, attack_minute) if starts is None else starts
        p, fleet = model.params, model.fleet
        roster = self.roster(model)
        serves = fleet.kind == ARMED
        units = np.flatnonzero(serves | roster.rostered)
        medians, sigmas = _service(p)
        jobs = draw_job_list(seed, reps, attack_minute, warmup_min=self.warmup_min,
                             rates_per_day=job_rates_per_day(p), service_median=medians, service_sigma=sigmas,
                             profile=self.profile, weights=self.demand.weights)
        horizon = p["horizon_min"]
        k_lo, n_days = _day_range(self.warmup_min, horizon)
        absent = _absences(roster, units, seed, reps, p["shifts.absence"], k_lo, n_days)
        start_pos = starts.position[:, units]
        shape, per_class = (len(reps), len(units)), (len(reps), len(JOB_CLASSES))
        out = WarmupOutputs(busy_until=np.empty(shape), kind=np.empty(shape, np.int64), lsoa=np.zeros(shape, np.int64),
                            on_duty=np.empty(shape, np.bool_), next_start=np.empty(shape),
                            served=np.zeros(shape, np.int64), offered=np.zeros(per_class, np.int64),
                            lost=np.zeros(per_class, np.int64), preempted=np.zeros(per_class, np.int64),
                            home=np.empty(shape, np.int64))
        divertible = np.array([c.divertible for c in JOB_CLASSES], dtype=np.bool_)
        release = float(p["workload.release_delay_min"])
        settings = WarmupSettings(priority=np.array([c.priority for c in JOB_CLASSES], dtype=np.int64),
                                  divertible=divertible, release=release, horizon=float(horizon),
                                  stats_from=float(-self.warmup_min if stats_from is None else stats_from),
                                  k_lo=int(k_lo), n_bases=int(model.n_bases))
        draws = WarmupDraws(attack_minute, jobs.time, jobs.kind, jobs.lsoa, jobs.service, start_pos, absent,
                            replication_keys(seed, Stream.PATROL_RETURN, reps))
        _warmup_batch(draws, jobs.offset, Crews.of(roster, units, serves), model.travel_order, settings,
                      patrol_arrays(model, units), out)
        busy_until, kind = out.busy_until, out.kind
        busy = busy_until > 0
        divert = divertible[np.maximum(kind, 0)] & busy
        available = np.where(busy, np.where(divert, np.minimum(busy_until, release), busy_until), out.next_start)
        position = np.where(busy, model.n_bases + out.lsoa, out.home)
        return WorkloadState(units=units, position=position, available=available, on_duty=out.on_duty, busy=busy,
                             busy_kind=kind, served=out.served, offered=out.offered, lost=out.lost,
                             preempted=out.preempted)

    def __call__(self, model: Model, seed: int, reps: np.ndarray) -> UnitStarts:
        """Unit states at the first shot (the engine's ``unit_states`` argument), as read-only arrays.

        The states do not depend on the number of sites, so the latest batches (up to ``KEPT_REPLICATIONS``
        replications) are kept: an assessment that runs every K on the same replications pays for the
        warm-up once. Every caller gets the kept arrays themselves, read-only (a copy per call cost 9 us a
        replication on the Metropolitan Police's 521 units).
        """
        reps = np.asarray(reps, dtype=np.int64)
        kept = next((entry[3] for entry in self._kept
                     if entry[0] is model and entry[1] == seed and np.array_equal(entry[2], reps)), None)
        if kept is None:
            minute = self.attack_minutes(seed, reps)
            kept = draw_unit_starts(model, seed, reps, minute)  # fresh arrays: the workload's units go in them
            state = self.state(model, seed, reps, minute, starts=kept)
            kept.position[:, state.units] = state.position
            kept.available[:, state.units] = state.available
            for array in (kept.position, kept.available, kept.specialist_delay):
                array.flags.writeable = False  # shared with every caller: none may change what later ones get
            self._kept.append((model, seed, reps.copy(), kept))
            while sum(len(entry[2]) for entry in self._kept) > max(KEPT_REPLICATIONS, len(reps)):
                self._kept.pop(0)
        return kept


#: A sampler per model, never called, whose inputs the model's samplers share (``unit_state_sampler``); it
#: holds no model, so an entry goes with its model.
_SAMPLER_INPUTS: weakref.WeakKeyDictionary[Model, WorkloadSampler] = weakref.WeakKeyDictionary()


def workload_sampler(model: Model) -> WorkloadSampler:
    """The workload model's sampler for ``model``, with an empty cache; its inputs (shift patterns, incident
    data, profile) are read once per model, as ``simulate`` asks for a sampler on every call."""
    if model not in _SAMPLER_INPUTS:
        _SAMPLER_INPUTS[model] = WorkloadSampler(model)
    return _SAMPLER_INPUTS[model].at(model.config.workload.attack_time)


def unit_state_sampler(model: Model) -> UnitStateSampler:
    """The sampler of unit states at the attack's start: the workload model, or all free when disabled."""
    return workload_sampler(model) if model.config.workload.enabled else draw_unit_starts


def resolve_unit_states(model: Model, unit_states: UnitStateSampler | None) -> UnitStateSampler:
    """The sampler to use: the one given, or, for ``None``, the configured one (:func:`unit_state_sampler`)."""
    return unit_state_sampler(model) if unit_states is None else unit_states


# --- coverage analytics ---------------------------------------------------------------------------------


def _week_label(minute: int) -> str:
    return f"{WEEKDAYS[minute // MINUTES_PER_DAY]} {minute % MINUTES_PER_DAY // 60:02d}:{minute % 60:02d}"


def _hourly(model: Model, sampler: WorkloadSampler, seed: int, replications: int,
            first: int = 0) -> Iterator[WorkloadState]:
    """The workload state at a uniformly drawn minute of each hour of the week, ``replications`` per hour.

    Replication ``r`` of hour ``h`` is stream index ``h + 168 r``: the first N replications of a run are the
    replications of a run of N, so ``--replications auto`` can stop at any N (``first`` starts later).
    """
    if replications < 1:
        raise ConfigError(f"replications must be at least 1, got {replications}", field="replications")
    for hour in range(168):
        reps = hour + 168 * np.arange(first, first + replications, dtype=np.int64)
        minute = hour * 60 + np.floor(uniforms(seed, Stream.COVERAGE_MINUTE, reps, 1)[:, 0] * 60).astype(np.int64)
        yield sampler.state(model, seed, reps, minute, stats_from=-60.0)


def _reach(model: Model, state: WorkloadState, hour: int) -> np.ndarray:
    """``(R, n_lsoa)`` blue-light minutes in hour ``hour`` of the week from the nearest armed unit free and
    on duty (inf if none)."""
    factor = model.blue_light_congestion[hour]
    armed = model.fleet.kind[state.units] == ARMED
    best = np.full((state.position.shape[0], model.area.n), INF, dtype=np.float32)
    for i in np.flatnonzero(armed):
        free = state.on_duty[:, i] & ~state.busy[:, i]
        minutes = model.blue_light_minutes[state.position[:, i]] * np.float32(factor)
        best = np.minimum(best, np.where(free[:, None], minutes, np.float32(INF)))
    return best


def _exposure_shares(model: Model) -> np.ndarray:
    """``(168, n)`` each hour's share of the people exposed by LSOA (the patrol layers' exposure, else residents)."""
    table = model.patrols.exposure if model.patrols is not None else np.broadcast_to(model.area.residents, (168, model.area.n))
    totals = table.sum(axis=1, keepdims=True)
    return np.divide(table, totals, out=np.zeros(table.shape), where=totals > 0)


def weekly_share_within(model: Model, *, seed: int, first: int, count: int,
                        threshold_min: float = 10.0) -> np.ndarray:
    """Per replication ``first .. first + count - 1``: the share of residents a free armed unit reaches within
    ``threshold_min``, averaged over the 168 hours (the weekly headline of ``coverage``, one value a week)."""
    residents = model.area.residents / model.area.residents.sum()
    sampler = workload_sampler(model)
    total = np.zeros(count)
    for hour, state in enumerate(_hourly(model, sampler, seed, count, first=first)):
        total += (_reach(model, state, hour) <= threshold_min) @ residents
    return total / 168.0


def coverage_results(model: Model, *, seed: int, replications: int) -> dict[str, object]:
    """Everyday armed coverage by hour of the week (see :func:`coverage_analysis`), ready for JSON."""
    return coverage_analysis(model, seed=seed, replications=replications)[0]


def coverage_analysis(model: Model, *, seed: int, replications: int,
                      threshold_min: float = 10.0) -> tuple[dict[str, object], np.ndarray]:
    """Everyday armed coverage by hour of the week, and per LSOA, from one simulated week.

    Returns the results (unit utilisation and job statistics included, ready for JSON) and, per LSOA, the
    probability over the week that a free armed unit reaches it within ``threshold_min``.

    For every hour of the week, ``replications`` instants are drawn uniformly within the hour and the
    workload model (warm-up, shifts, absences) gives the armed units' states there, patrolling units at
    positions drawn from their patrol layers at that hour. Coverage is the share of residents
    (``share_within_min``) and of the people exposed that hour (``exposure_within_min``, the exposure
    layer) whom a free, on-duty armed unit reaches within each threshold of blue-light travel, averaged
    over the drawn instants and patrol positions.

    Parameters
    ----------
    model
        The resolved model; coverage always uses the workload model, whatever ``workload.enabled`` says.
    seed, replications
        The random streams and the number of instants per hour (168 x replications in all).
    """
    residents = model.area.residents / model.area.residents.sum()
    exposed = _exposure_shares(model)
    armed = model.fleet.kind == ARMED
    by_hour = []
    served_jobs = np.zeros(len(JOB_CLASSES))
    lost_jobs = np.zeros(len(JOB_CLASSES))
    preempted_jobs = np.zeros(len(JOB_CLASSES))
    busy_time = np.zeros(model.fleet.n)
    hits = np.zeros(model.area.n)
    working_time = np.zeros(model.fleet.n)
    sampler = workload_sampler(model)
    for hour, state in enumerate(_hourly(model, sampler, seed, replications)):
        reach = _reach(model, state, hour)
        hits += (reach <= threshold_min).sum(axis=0)
        is_armed = armed[state.units]
        on, busy = state.on_duty[:, is_armed], state.busy[:, is_armed]
        free = on & ~busy
        working = on | busy
        by_hour.append({
            "hour_of_week": hour,
            "label": _week_label(hour * 60),
            "armed_on_duty": float(working.sum(axis=1).mean()),
            "armed_busy": float(busy.sum(axis=1).mean()),
            "armed_free": float(free.sum(axis=1).mean()),
            "none_free": float((free.sum(axis=1) == 0).mean()),
            "share_within_min": {f"{t:g}": float(((reach <= t) @ residents).mean()) for t in THRESHOLDS_MIN},
            "exposure_within_min": {f"{t:g}": float(((reach <= t) @ exposed[hour]).mean()) for t in THRESHOLDS_MIN},
        })
        busy_time[state.units[is_armed]] += busy.sum(axis=0)
        working_time[state.units[is_armed]] += working.sum(axis=0)
        served_jobs += state.offered.sum(axis=0) - state.lost.sum(axis=0)
        lost_jobs += state.lost.sum(axis=0)
        preempted_jobs += state.preempted.sum(axis=0)
    roster = sampler.roster(model)
    minutes = np.arange(168) * 60 + 30
    planned = rostered_on_duty(model, minutes)[:, armed].sum(axis=1)
    p = model.params
    crew_hours = roster.weekly_crew_hours()[armed] * model.fleet.officers[armed]
    afos = crew_hours.sum() / (p["shifts.officer_hours_week"] * (1.0 - p["shifts.abstraction"]))
    offered = served_jobs + lost_jobs
    weekly = {f"{t:g}": float(np.mean([h["share_within_min"][f"{t:g}"] for h in by_hour])) for t in THRESHOLDS_MIN}
    weekly_exposed = {f"{t:g}": float(np.mean([h["exposure_within_min"][f"{t:g}"] for h in by_hour]))
                      for t in THRESHOLDS_MIN}
    worst = min(by_hour, key=lambda h: h["share_within_min"]["10"])
    results = {
        "method": {"replications_per_hour": replications, "seed": seed, "warmup_hours": sampler.warmup_min / 60.0,
                   "thresholds_min": list(THRESHOLDS_MIN),
                   "travel": "blue-light minutes (travel.model) x the hour's congestion factor (travel.congestion)",
                   "instants": "uniform within each hour of the week"},
        "demand": {**sampler.demand.as_dict(),
                   "jobs_per_day": {c.name: float(r) for c, r in zip(JOB_CLASSES, job_rates_per_day(p))}},
        "share_within_min": weekly,
        "exposure_within_min": weekly_exposed,
        "worst_hour": {"label": worst["label"], "share_within_10_min": worst["share_within_min"]["10"]},
        "by_hour": by_hour,
        "utilisation": {
            "overall": float(busy_time[armed].sum() / max(working_time[armed].sum(), 1.0)),
            "by_unit": {model.fleet.names[u]: float(busy_time[u] / max(working_time[u], 1.0))
                        for u in np.flatnonzero(armed)},
        },
        "jobs": {c.name: {"offered": int(offered[i]), "lost_share": float(lost_jobs[i] / max(offered[i], 1.0)),
                          "preempted_share": float(preempted_jobs[i] / max(served_jobs[i], 1.0))}
                 for i, c in enumerate(JOB_CLASSES)},
        "shifts": {"assignment": roster.assignment,
                   "armed_rostered_by_hour": [int(n) for n in planned],
                   "afos_to_crew": float(afos)},
    }
    return results, hits / (168 * replications)


def coverage_by_lsoa(model: Model, *, seed: int, replications: int, threshold_min: float = 10.0) -> np.ndarray:
    """Probability, over the hours of the week, that a free armed unit reaches each LSOA within a threshold.

    Uses the same instants as :func:`coverage_results` (same seed and replications give the same draws).
    """
    return coverage_analysis(model, seed=seed, replications=replications, threshold_min=threshold_min)[1]

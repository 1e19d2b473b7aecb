"""Attack scenario: the random draws that make one replication's attack (sites, times, attackers, escalation)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import get_args

import numba
import numpy as np

from readiness.config import MINUTES_PER_WEEK, Weapon, parse_week_time
from readiness.exposure import SETTINGS as EXPOSURE_SETTINGS
from readiness.exposure import hour_of_week
from readiness.kinds import SPECIALIST, Stream
from readiness.model import Model
from readiness.neighbourhood import first_arrival
from readiness.patrol import place_patrols
from readiness.rng import name_index, normals, pick_in_row, replication_keys, uniforms

#: Most mutual-aid units one request can bring (the registry range of ``mutual_aid.units_high``).
MAX_MUTUAL_AID = 8
#: Weapon classes with a kill rate (``scenario.weapons``), and the setting classes of the exposure layer plus
#: ``other_public``, the fit's reference (factor 1) and the setting of a site the layer gives none for.
WEAPONS: tuple[str, ...] = get_args(Weapon)
SETTINGS: tuple[str, ...] = (*EXPOSURE_SETTINGS, "other_public")
OTHER_PUBLIC = SETTINGS.index("other_public")
#: A vehicle attack is mobile: it ends when the vehicle stops (its mobile duration), never waits for armed officers.
VEHICLE = WEAPONS.index("vehicle")


@dataclass(frozen=True)
class Attacks:
    """One batch of attacks: arrays of shape ``(replications, K)`` (per site) or ``(replications, ...)``."""

    site: np.ndarray  # LSOA index
    start: np.ndarray  # minutes after the first shot of the attack
    report: np.ndarray  # start + notification delay
    attackers: np.ndarray
    static: np.ndarray  # bool
    mobile_duration: np.ndarray
    siege: np.ndarray  # bool
    assault: np.ndarray  # minutes from a specialist team on scene to the end of a siege
    mutual_aid_units: np.ndarray  # (R,) number of units a mutual-aid request brings
    mutual_aid_delay: np.ndarray  # (R, MAX_MUTUAL_AID) minutes from request to arrival
    first_neighbourhood: np.ndarray  # first neighbourhood officer at the site (inf: none, or switched off)
    weapon: np.ndarray  # (R, K) index into WEAPONS: one class per attack, the same at all its sites
    setting: np.ndarray  # (R, K) index into SETTINGS
    kill_rate: np.ndarray  # (R, K) deaths per minute per attacker at the site (weapon and setting)


@dataclass(frozen=True)
class UnitStarts:
    """Where each unit is and from when it can be dispatched, at the moment the attack starts."""

    position: np.ndarray  # (R, U) position index (base, LSOA) or -1 outside the area
    available: np.ndarray  # (R, U) minutes from which it can be dispatched (inf: off duty)
    specialist_delay: np.ndarray  # (R, U) mobilisation (in-force) or arrival (outside) delay; inf otherwise


#: ``(model, seed, replications) -> UnitStarts``: the engine's ``unit_states`` (workload model or all free).
UnitStateSampler = Callable[[Model, int, np.ndarray], UnitStarts]


def _lognormal(median: float, sigma: float, z: np.ndarray) -> np.ndarray:
    return median * np.exp(sigma * z)


def _uniform_between(low: float, high: float, u: np.ndarray) -> np.ndarray:
    return low + (high - low) * u


@numba.njit(parallel=True, cache=True)
def _by_weight(cumulative, u, out):
    for r in numba.prange(u.shape[0]):
        for j in range(u.shape[1]):
            out[r, j] = pick_in_row(cumulative, u[r, j])


def pick_by_weight(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """LSOA indices drawn by weight from uniforms ``u`` of shape ``(R, n)`` (compiled: the patrol draws of
    every unit start were a costly NumPy ``searchsorted``)."""
    out = np.empty(u.shape, np.int64)
    _by_weight(np.cumsum(weights), np.ascontiguousarray(u), out)
    return out


@numba.njit(parallel=True, cache=True)
def _by_hour_weight(cumulative, hour, u, out):
    for r in numba.prange(u.shape[0]):
        for j in range(u.shape[1]):
            out[r, j] = pick_in_row(cumulative[hour[r, j]], u[r, j])


def attack_minutes(attack_time: str | None, seed: int, reps: np.ndarray) -> np.ndarray:
    """Minute of the week of each replication's first shot: the given time, or uniform over the week.

    The workload's warm-up and the site draws share this draw, so both see the same time.
    """
    if attack_time is not None:
        return np.full(len(reps), parse_week_time(attack_time), dtype=np.int64)
    return np.floor(uniforms(seed, Stream.ATTACK_TIME, reps, 1)[:, 0] * MINUTES_PER_WEEK).astype(np.int64)


def draw_sites(model: Model, seed: int, reps: np.ndarray, k: int, start: np.ndarray | None = None) -> np.ndarray:
    """LSOA index of each site, with replacement, or the named sites.

    Site ``j`` is picked from the weights of the hour of the week it starts in (attack time plus
    ``start[:, j]``), always by the same uniform: at another start time the same uniform picks from
    that hour's weights (common random numbers).
    """
    if model.named_sites is not None:
        return np.broadcast_to(model.named_sites[:k], (len(reps), k)).copy()
    start = np.zeros((len(reps), k)) if start is None else start
    minute = attack_minutes(model.config.scenario.attack_time, seed, reps)[:, None] + start
    out = np.empty((len(reps), k), np.int64)
    _by_hour_weight(model.site_cumulative, np.ascontiguousarray(hour_of_week(minute)),
                    np.ascontiguousarray(uniforms(seed, Stream.SITE, reps, k)), out)
    return out


def draw_weapons(model: Model, seed: int, reps: np.ndarray, k: int) -> np.ndarray:
    """Weapon class of each replication's attack by the ``scenario.weapons`` weights, repeated over its sites."""
    mix = model.config.scenario.weapons
    weights = np.array([mix.get(w, 0.0) for w in WEAPONS], float)
    weapon = pick_by_weight(weights, uniforms(seed, Stream.WEAPON, reps, 1))
    return np.broadcast_to(weapon, (len(reps), k)).copy()


def draw_settings(model: Model, seed: int, reps: np.ndarray, site: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Setting class of each site, drawn from the exposure layer's mix at its LSOA in the hour it starts.

    The people there not in a setting of the layer, or every site without a layer (residents or a user's
    weights), count as ``other_public``, the fit's reference setting.
    """
    out = np.full(site.shape, OTHER_PUBLIC, np.int64)
    layer = model.exposure
    if layer is None:
        return out
    u = uniforms(seed, Stream.SETTING, reps, site.shape[1])
    hour = hour_of_week(attack_minutes(model.config.scenario.attack_time, seed, reps)[:, None] + start)
    for h in np.unique(hour):
        mix = layer.setting_mix_at(int(h))
        here = hour == h
        cumulative = np.cumsum(np.stack([mix[s][site[here]] for s in EXPOSURE_SETTINGS]), axis=0)
        out[here] = np.sum(u[here][None, :] >= cumulative, axis=0)
    return out


def site_kill_rates(model: Model, weapon: np.ndarray, setting: np.ndarray) -> np.ndarray:
    """Kill rate per attacker at each site: the firearm rate times its weapon ratio and setting factor."""
    p = model.params
    ratio = np.array([1.0 if w == "firearm" else p[f"harm.weapon_ratio.{w}"] for w in WEAPONS])
    factor = np.array([1.0 if s == "other_public" else p[f"harm.setting_factor.{s}"] for s in SETTINGS])
    return p["harm.kill_rate_per_attacker_min"] * ratio[weapon] * factor[setting]


def fixed_by_named_sites(model: Model, k: int, name: str, drawn: np.ndarray,
                         codes: tuple[str, ...] | None = None) -> np.ndarray:
    """``drawn`` with the columns of the named sites that fix ``name`` (a ``NamedSite`` field) set to it.

    A replayed attack fixes what its rows record (start, attackers, weapon, setting); the draws are still
    made, so a fixed field leaves every other draw as it was.
    """
    if model.named_sites is None:
        return drawn
    out = drawn.copy()
    for j, site in enumerate(model.config.scenario.named_sites[:k]):
        value = getattr(site, name, None)
        if value is not None:
            out[:, j] = codes.index(value) if codes is not None else value
    return out


def draw_attacks(model: Model, seed: int, reps: np.ndarray, k: int) -> Attacks:
    """Draw the attacks of replications ``reps`` with ``k`` sites (docs/model.md, section 3)."""
    p = model.params
    start = _uniform_between(0.0, p["attack.window_min"], uniforms(seed, Stream.START, reps, k))
    start[:, 0] = 0.0
    start = fixed_by_named_sites(model, k, "start_min", start)
    delay = _lognormal(p["notify.median_min"], p["notify.sigma"], normals(seed, Stream.NOTIFY, reps, k))
    extra = uniforms(seed, Stream.ATTACKERS, reps, 2 * k).reshape(len(reps), k, 2)
    attackers = fixed_by_named_sites(model, k, "attackers", 1 + np.sum(extra < p["attack.extra_attacker_prob"], axis=2))
    low, high = int(p["mutual_aid.units_low"]), int(p["mutual_aid.units_high"])
    n_aid = low + np.floor(uniforms(seed, Stream.MUTUAL_AID_UNITS, reps, 1)[:, 0] * (high - low + 1)).astype(np.int64)
    site, report = draw_sites(model, seed, reps, k, start), start + delay
    weapon = fixed_by_named_sites(model, k, "weapon", draw_weapons(model, seed, reps, k), WEAPONS)
    setting = fixed_by_named_sites(model, k, "setting", draw_settings(model, seed, reps, site, start), SETTINGS)
    return Attacks(
        site=site,
        start=start,
        report=report,
        attackers=attackers,
        static=(uniforms(seed, Stream.MODE, reps, k) < p["attack.static_share"]) & (weapon != VEHICLE),
        mobile_duration=_lognormal(p["attack.mobile_duration_median_min"], p["attack.mobile_duration_sigma"],
                                   normals(seed, Stream.MOBILE_DURATION, reps, k)),
        siege=uniforms(seed, Stream.SIEGE, reps, k) < p["harm.siege_probability"],
        assault=_lognormal(p["ctsfo.assault_median_min"], p["ctsfo.assault_sigma"],
                           normals(seed, Stream.ASSAULT, reps, k)),
        mutual_aid_units=np.minimum(n_aid, MAX_MUTUAL_AID),
        mutual_aid_delay=_uniform_between(p["mutual_aid.delay_low_min"], p["mutual_aid.delay_high_min"],
                                          uniforms(seed, Stream.MUTUAL_AID_DELAY, reps, MAX_MUTUAL_AID)),
        first_neighbourhood=first_arrival(model, seed, reps, site, report),
        weapon=weapon,
        setting=setting,
        kill_rate=site_kill_rates(model, weapon, setting),
    )


def draw_unit_starts(model: Model, seed: int, reps: np.ndarray, minute: np.ndarray | None = None) -> UnitStarts:
    """Every unit free at its post, patrol units at an LSOA of their patrol layer, specialist delays drawn.

    ``minute``: the minute of the week of each replication's first shot (default: the scenario's attack
    time); a patrol unit's LSOA is drawn from its layer at that hour. Draws are keyed by unit name, so
    adding units leaves the other units' draws unchanged.
    """
    fleet, p = model.fleet, model.params
    keys = np.array([name_index(name) for name in fleet.names], dtype=np.uint64)
    position = np.broadcast_to(fleet.position, (len(reps), fleet.n)).copy()
    patrol = np.flatnonzero(fleet.patrol)
    if len(patrol) and model.patrols is None:  # a hand-built model: the site weights, as before patrol layers
        lsoa = pick_by_weight(model.site_weights, uniforms(seed, Stream.PATROL, reps, keys[patrol]))
        position[:, patrol] = model.lsoa_position(lsoa)
    elif len(patrol):
        minute = attack_minutes(model.config.scenario.attack_time, seed, reps) if minute is None else minute
        place_patrols(model.patrols, patrol, hour_of_week(np.asarray(minute)),
                      replication_keys(seed, Stream.PATROL, reps), keys[patrol], model.lsoa_position(0), position)
    specialist_delay = np.full((len(reps), fleet.n), np.inf)
    specialist = fleet.kind == SPECIALIST
    if specialist.any():
        u = uniforms(seed, Stream.SPECIALIST, reps, keys[specialist])
        outside = fleet.position[specialist] < 0
        low = np.where(outside, p["ctsfo.external_delay_low_min"], p["ctsfo.mobilise_low_min"])
        high = np.where(outside, p["ctsfo.external_delay_high_min"], p["ctsfo.mobilise_high_min"])
        specialist_delay[:, specialist] = low + (high - low) * u
    return UnitStarts(position=position, available=np.zeros((len(reps), fleet.n)),
                      specialist_delay=specialist_delay)

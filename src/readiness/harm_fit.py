"""Harm fitted on the attack table: a kill rate per attacker by weapon, a multiplier by setting, a flight time.

Penalised likelihood (a MAP estimate with normal priors on the log scale, stated in ``PRIORS``) with a
Laplace approximation for uncertainty (docs/model.md, "Harm fitted on real attacks"). Deaths at a site are
negative binomial with mean ``attackers * rate[weapon] * factor[setting] * flight * (1 - exp(-T / flight))``,
``T`` the recorded minutes start -> stop (else start -> first armed); where neither is recorded ``T`` is
integrated over the duration prior (Gauss-Hermite). Bombs are outside a shooting model and are excluded.
The FBI's active-shooter aggregates check the fit (``fbi_check``): at its own location mix, with a diagnosis
by refits, and a population factor fitted on 2000-2013 and held out on 2014-2019 (docs/model.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np
from scipy import optimize, special, stats

from readiness.attacks import SETTINGS, AttackRow, AttackTable
from readiness.errors import DataError
from readiness.kinds import Stream
from readiness.rng import normals, uniforms

#: Weapon classes the fit estimates (bombs excluded: no shooting duration, no armed response to model).
FIT_WEAPONS = ("firearm", "knife", "vehicle", "vehicle+knife")
#: The setting whose multiplier is 1 (open public places): the others are relative to it.
REFERENCE_SETTING = "other_public"
FACTOR_SETTINGS = tuple(s for s in SETTINGS if s != REFERENCE_SETTING)
PARAMETER_NAMES = (*(f"log_rate.{w}" for w in FIT_WEAPONS), *(f"log_factor.{s}" for s in FACTOR_SETTINGS),
                   "log_flight_min", "log_dispersion")

#: Normal priors (mean, sd) on the log scale, each an assumption: weak on rates (a factor of 4.5 either
#: way per sd), settings shrunk towards 1 (a factor of 1.65 per sd), flight time about 20 min (Paris,
#: Utoya), negative-binomial size about 2 (a spread between Poisson and geometric).
PRIORS: dict[str, tuple[float, float]] = {
    **{f"log_rate.{w}": (math.log(1.0), 1.5) for w in FIT_WEAPONS},
    **{f"log_factor.{s}": (0.0, 0.5) for s in FACTOR_SETTINGS},
    "log_flight_min": (math.log(20.0), 1.0),
    "log_dispersion": (math.log(2.0), 1.0),
}
#: FBI incidents' durations: lognormal, median 3 min, log-sd 1, so 69% are over within 5 minutes and 34%
#: within 2 (FBI: 44 and 23 of the 64 timed incidents, 69% and 36%; Blair & Schweit 2014).
FBI_DURATION_MEDIAN_MIN = 3.0
FBI_DURATION_SIGMA = 1.0
FBI_SHARE_WITHIN_2_MIN = 23 / 64
#: Incidents of the 160 with three or more killed (the federal definition of a mass killing).
FBI_MASS_KILLINGS = 64
#: Duration prior for the table's rows with no minutes recorded: the FBI's (an assumption; the table's own
#: timed rows are longer, but they are the inquiry-documented sieges; docs/model.md weighs both).
DURATION_MEDIAN_MIN = FBI_DURATION_MEDIAN_MIN
DURATION_SIGMA = FBI_DURATION_SIGMA
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(24)
_LOG_WEIGHTS = np.log(_WEIGHTS / _WEIGHTS.sum())

#: FBI, "A Study of Active Shooter Incidents in the United States Between 2000 and 2013" (Blair & Schweit
#: 2014): 160 incidents, 486 killed; 69% of the 64 incidents with a known duration ended within 5 minutes.
FBI_INCIDENTS = 160
FBI_KILLED = 486
FBI_SHARE_WITHIN_5_MIN = 0.69
#: Its location categories (incidents) mapped to the setting classes: shops, restaurants and malls to the
#: night-time economy (the exposure layer's street source, shopping hours included), homes to residential,
#: workplaces, schools, government sites, open spaces, churches and clinics to open public places.
FBI_LOCATIONS: tuple[tuple[str, int, str], ...] = (
    ("commerce: businesses open to pedestrian traffic", 44, "night_time_economy"),
    ("commerce: malls", 6, "night_time_economy"),
    ("commerce: businesses closed to pedestrian traffic", 23, "other_public"),
    ("education: schools and higher education", 39, "other_public"),
    ("government properties, military included", 16, "other_public"),
    ("open space", 15, "other_public"),
    ("residences", 7, "residential"),
    ("houses of worship", 6, "other_public"),
    ("health care facilities", 4, "other_public"),
)
#: The held-out FBI years 2014-2019 (FBI/ALERRT reports: 2014-15 40 incidents, 92 killed; 2016-17 50, 221;
#: 2018 27, 85; 2019 28, 97); Orlando (49) and Las Vegas (58) are among them and also rows of the table.
FBI_LATER_INCIDENTS = 145
FBI_LATER_KILLED = 495
FBI_LATER_IN_TABLE = (2, 49 + 58)
#: A parameter counts as identified by the data when its posterior sd is under this share of its prior sd.
IDENTIFIED_BELOW = 0.5
DRAWS = 4000


@dataclass(frozen=True)
class FitRows:
    """The fitted rows as arrays: attackers, weapon and setting indices, minutes (nan: not recorded), deaths."""

    ids: tuple[str, ...]
    attackers: np.ndarray
    weapon: np.ndarray
    setting: np.ndarray  # index into FACTOR_SETTINGS, -1 for the reference setting
    minutes: np.ndarray
    deaths: np.ndarray
    #: the lognormal duration prior (median, log-sd) over which unrecorded minutes are integrated
    duration_median_min: float = DURATION_MEDIAN_MIN
    duration_sigma: float = DURATION_SIGMA

    def subset(self, keep: np.ndarray) -> FitRows:
        """The rows where ``keep`` (a boolean mask) holds, with the same duration prior."""
        return replace(self, ids=tuple(x for j, x in enumerate(self.ids) if keep[j]), attackers=self.attackers[keep],
                       weapon=self.weapon[keep], setting=self.setting[keep], minutes=self.minutes[keep],
                       deaths=self.deaths[keep])

    def without(self, i: int) -> FitRows:
        """The rows less row ``i`` (leave-one-out)."""
        return self.subset(np.arange(len(self.ids)) != i)

    def row(self, i: int) -> FitRows:
        """Row ``i`` alone."""
        return self.subset(np.arange(len(self.ids)) == i)


def fit_minutes(row: AttackRow) -> float:
    """The row's attack minutes for the fit: start -> stop, else start -> first armed, else nan."""
    for value in (row.minutes_start_to_stop, row.minutes_start_to_first_armed):
        if value is not None:
            return float(value)
    return math.nan


def fit_rows(table: AttackTable) -> tuple[FitRows, list[tuple[str, str]]]:
    """The rows the fit uses, and (id, reason) for each row it leaves out (bombs, deaths not recorded)."""
    kept: list[AttackRow] = []
    excluded: list[tuple[str, str]] = []
    for row in table.rows:
        if row.weapon not in FIT_WEAPONS:
            excluded.append((row.id, f"{row.weapon}: outside the shooting model"))
        elif row.deaths is None:
            excluded.append((row.id, "deaths not recorded"))
        else:
            kept.append(row)
    rows = FitRows(
        ids=tuple(r.id for r in kept),
        attackers=np.array([r.attackers for r in kept], float),
        weapon=np.array([FIT_WEAPONS.index(r.weapon) for r in kept], np.int64),
        setting=np.array([_setting_index(r.setting) for r in kept], np.int64),
        minutes=np.array([fit_minutes(r) for r in kept], float),
        deaths=np.array([r.deaths for r in kept], float))
    return rows, excluded


def _unpack(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(log rates by weapon, log factors with the reference's 0 appended last, flight, dispersion)."""
    n_w, n_s = len(FIT_WEAPONS), len(FACTOR_SETTINGS)
    log_rate = theta[:n_w]
    log_factor = np.append(theta[n_w:n_w + n_s], 0.0)
    return log_rate, log_factor, math.exp(theta[-2]), math.exp(theta[-1])


def site_mean(attackers: np.ndarray, rate: np.ndarray, minutes: np.ndarray, flight: float) -> np.ndarray:
    """Expected deaths ``attackers * rate * flight * (1 - exp(-minutes / flight))`` (harm.expected_deaths
    without Plato or siege: the table records no unarmed arrival)."""
    return attackers * rate * flight * -np.expm1(-minutes / flight)


def _duration_nodes(rows: FitRows) -> np.ndarray:
    return rows.duration_median_min * np.exp(rows.duration_sigma * _NODES)


def _nb_logpmf(y: np.ndarray, mean: np.ndarray, size: float) -> np.ndarray:
    return (special.gammaln(y + size) - special.gammaln(size) - special.gammaln(y + 1.0)
            + size * np.log(size / (size + mean)) + y * np.log(mean / (size + mean)))


def log_likelihood_rows(theta: np.ndarray, rows: FitRows) -> np.ndarray:
    """Log-likelihood of each row; unrecorded minutes are integrated over the duration prior."""
    log_rate, log_factor, flight, size = _unpack(theta)
    rate = np.exp(log_rate[rows.weapon] + log_factor[rows.setting])
    known = np.isfinite(rows.minutes)
    minutes = np.where(known[:, None], np.nan_to_num(rows.minutes)[:, None], _duration_nodes(rows)[None, :])
    mean = np.maximum(site_mean(rows.attackers[:, None], rate[:, None], minutes, flight), 1e-12)
    logpmf = _nb_logpmf(rows.deaths[:, None], mean, size)
    return np.where(known, logpmf[:, 0], special.logsumexp(logpmf + _LOG_WEIGHTS[None, :], axis=1))


def _prior_arrays() -> tuple[np.ndarray, np.ndarray]:
    return (np.array([PRIORS[n][0] for n in PARAMETER_NAMES]), np.array([PRIORS[n][1] for n in PARAMETER_NAMES]))


def negative_log_posterior(theta: np.ndarray, rows: FitRows) -> float:
    """The penalised negative log-likelihood: minus the log-likelihood plus the normal priors' penalty."""
    mean, sd = _prior_arrays()
    return float(-np.sum(log_likelihood_rows(theta, rows)) + 0.5 * np.sum(((theta - mean) / sd) ** 2))


def _hessian(f, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a scalar function."""
    n = len(x)
    h = np.zeros((n, n))
    eye = np.eye(n) * step
    for i in range(n):
        for j in range(i, n):
            value = (f(x + eye[i] + eye[j]) - f(x + eye[i] - eye[j]) - f(x - eye[i] + eye[j])
                     + f(x - eye[i] - eye[j])) / (4 * step * step)
            h[i, j] = h[j, i] = value
    return h


@dataclass(frozen=True)
class Posterior:
    """The MAP estimate and its Laplace covariance, on the log scale (order ``PARAMETER_NAMES``)."""

    mode: np.ndarray
    covariance: np.ndarray

    def draws(self, seed: int, purpose: str, n: int = DRAWS) -> np.ndarray:
        """``n`` parameter draws from the normal approximation (counter-based streams)."""
        z = normals(seed, purpose, np.arange(n), len(self.mode))
        return self.mode + z @ np.linalg.cholesky(self.covariance).T


def fit_posterior(rows: FitRows, start: np.ndarray | None = None) -> Posterior:
    """MAP by L-BFGS, covariance the inverse Hessian of the negative log posterior at the mode."""
    x0 = _prior_arrays()[0] if start is None else start
    result = optimize.minimize(negative_log_posterior, x0, args=(rows,), method="L-BFGS-B",
                               options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-7})
    hessian = _hessian(lambda t: negative_log_posterior(t, rows), result.x)
    covariance = np.linalg.inv(hessian)
    covariance = 0.5 * (covariance + covariance.T)
    return Posterior(mode=result.x, covariance=covariance)


def _key(purpose: str, what: str) -> str:
    """A sub-stream of a purpose (``harm_fit:loo:3:deaths``), as ``kinds.job_stream`` does."""
    return f"{purpose}:{what}"


def _row_means(draws: np.ndarray, rows: FitRows, minutes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means ``(draws, rows)`` at the given minutes ``(draws, rows)``, and the negative-binomial size per draw."""
    n_w, n_s = len(FIT_WEAPONS), len(FACTOR_SETTINGS)
    log_factor = np.concatenate([draws[:, n_w:n_w + n_s], np.zeros((len(draws), 1))], axis=1)
    rate = np.exp(draws[:, rows.weapon] + log_factor[:, rows.setting])
    flight = np.exp(draws[:, -2])[:, None]
    return np.maximum(site_mean(rows.attackers[None, :], rate, minutes, flight), 1e-12), np.exp(draws[:, -1])


def _drawn_means(draws: np.ndarray, rows: FitRows, seed: int, purpose: str) -> tuple[np.ndarray, np.ndarray]:
    """Means ``(draws, rows)`` with unrecorded minutes drawn from the rows' duration prior, and the sizes."""
    z = normals(seed, _key(purpose, "minutes"), np.arange(draws.shape[0]), len(rows.ids))
    minutes = np.where(np.isfinite(rows.minutes)[None, :], np.nan_to_num(rows.minutes)[None, :],
                       rows.duration_median_min * np.exp(rows.duration_sigma * z))
    return _row_means(draws, rows, minutes)


def predictive(draws: np.ndarray, rows: FitRows, seed: int, purpose: str) -> np.ndarray:
    """Predicted deaths ``(draws, rows)``: parameters drawn, unrecorded minutes drawn, negative binomial."""
    mean, size = _drawn_means(draws, rows, seed, purpose)
    u = uniforms(seed, _key(purpose, "deaths"), np.arange(draws.shape[0]), len(rows.ids))
    return stats.nbinom.ppf(u, size[:, None], size[:, None] / (size[:, None] + mean))


def log_predictive_density(draws: np.ndarray, rows: FitRows) -> np.ndarray:
    """Log of the predictive probability of each row's recorded deaths, averaged over parameter draws."""
    known = np.isfinite(rows.minutes)
    nodes = _duration_nodes(rows)
    per_node = []
    for j in range(len(nodes)):
        minutes = np.where(known, np.nan_to_num(rows.minutes), nodes[j])[None, :].repeat(len(draws), axis=0)
        mean, size = _row_means(draws, rows, minutes)
        per_node.append(_nb_logpmf(rows.deaths[None, :], mean, size[:, None]) + _LOG_WEIGHTS[j])
    stacked = np.stack(per_node)  # (nodes, draws, rows)
    per_draw = np.where(known[None, :], stacked[0] - _LOG_WEIGHTS[0], special.logsumexp(stacked, axis=0))
    return special.logsumexp(per_draw, axis=0) - math.log(len(draws))


def _summary(samples: np.ndarray) -> dict[str, float]:
    return {"mean": float(np.mean(samples)), "p5": float(np.percentile(samples, 5)),
            "p95": float(np.percentile(samples, 95))}


@dataclass(frozen=True)
class HarmFitResult:
    """The fit of harm on an attack table: parameters, per-row predictions, checks, registry values."""

    source: str
    seed: int
    posterior: Posterior
    rows: list[dict[str, object]]
    excluded: list[dict[str, str]]
    estimates: list[dict[str, object]]
    checks: dict[str, object]
    parameters: dict[str, float]


def registry_values(theta: np.ndarray) -> dict[str, float]:
    """The registry entries a mode gives: the firearm rate, weapon ratios to it, setting factors, flight."""
    log_rate, log_factor, flight, _ = _unpack(theta)
    values = {"harm.kill_rate_per_attacker_min": float(math.exp(log_rate[0])),
              "harm.flight_time_min": flight}
    values.update({f"harm.weapon_ratio.{w}": float(math.exp(log_rate[i] - log_rate[0]))
                   for i, w in enumerate(FIT_WEAPONS) if i > 0})
    values.update({f"harm.setting_factor.{s}": float(math.exp(log_factor[i]))
                   for i, s in enumerate(FACTOR_SETTINGS)})
    return values


def _estimates(posterior: Posterior, seed: int) -> list[dict[str, object]]:
    """Per registry value: mode, 90% interval from the Laplace draws, and whether the data identify it."""
    draws = posterior.draws(seed, f"{Stream.HARM_FIT}:estimates")
    values = [registry_values(t) for t in draws]
    mode = registry_values(posterior.mode)
    prior_sd = _prior_arrays()[1]
    post_sd = np.sqrt(np.diag(posterior.covariance))
    ratio_by_param = dict(zip(PARAMETER_NAMES, post_sd / prior_sd, strict=True))
    which = {"harm.kill_rate_per_attacker_min": "log_rate.firearm", "harm.flight_time_min": "log_flight_min",
             **{f"harm.weapon_ratio.{w}": f"log_rate.{w}" for w in FIT_WEAPONS[1:]},
             **{f"harm.setting_factor.{s}": f"log_factor.{s}" for s in FACTOR_SETTINGS}}
    out = []
    for name, value in mode.items():
        samples = np.array([v[name] for v in values])
        ratio = float(ratio_by_param[which[name]])
        out.append({"name": name, "value": value, "low": float(np.percentile(samples, 5)),
                    "high": float(np.percentile(samples, 95)), "posterior_to_prior_sd": ratio,
                    "identified": ratio < IDENTIFIED_BELOW})
    return out


def _setting_index(setting: str) -> int:
    return FACTOR_SETTINGS.index(setting) if setting in FACTOR_SETTINGS else -1


def fbi_location_settings() -> np.ndarray:
    """The FBI's 160 incidents as setting indices, one per incident, by its location categories."""
    return np.concatenate([np.full(n, _setting_index(s), np.int64) for _, n, s in FBI_LOCATIONS])


def fbi_rows(settings: np.ndarray) -> FitRows:
    """Single-attacker firearm incidents at these settings, minutes unrecorded: drawn from the FBI's durations."""
    n = len(settings)
    return FitRows(tuple(f"fbi{i}" for i in range(n)), np.ones(n), np.zeros(n, np.int64),
                   np.asarray(settings, np.int64), np.full(n, np.nan), np.zeros(n),
                   FBI_DURATION_MEDIAN_MIN, FBI_DURATION_SIGMA)


def aggregate_predictive(draws: np.ndarray, rows: FitRows, seed: int, purpose: str) -> np.ndarray:
    """Predicted deaths per row averaged over all rows, one value per parameter draw (``predictive``'s mean).

    A negative binomial is a Poisson with a gamma-distributed mean, and independent Poissons sum to a
    Poisson, so the total is one Poisson draw given each row's gamma-scaled mean: exact, and fast.
    """
    n = draws.shape[0]
    mean, size = _drawn_means(draws, rows, seed, purpose)
    u = uniforms(seed, _key(purpose, "gamma"), np.arange(n), len(rows.ids))
    scaled = mean * special.gammaincinv(size[:, None], u) / size[:, None]
    total = stats.poisson.ppf(uniforms(seed, _key(purpose, "total"), np.arange(1), n)[0], scaled.sum(axis=1))
    return total / len(rows.ids)


def share_at_least(draws: np.ndarray, rows: FitRows, deaths: int, seed: int, purpose: str,
                   scale: np.ndarray | None = None) -> np.ndarray:
    """Share of the rows with at least ``deaths`` deaths, one value per parameter draw: each row's chance from
    the negative binomial at its drawn minutes (means times ``scale`` per draw if given), then one Bernoulli
    draw per row, so the value carries the sampling noise of a set of this size."""
    mean, size = _drawn_means(draws, rows, seed, purpose)
    if scale is not None:
        mean = mean * scale[:, None]
    chance = stats.nbinom.sf(deaths - 1, size[:, None], size[:, None] / (size[:, None] + mean))
    u = uniforms(seed, _key(purpose, "at_least"), np.arange(draws.shape[0]), len(rows.ids))
    return np.mean(u < chance, axis=1)


def fbi_predicted(posterior: Posterior, settings: np.ndarray, seed: int, what: str,
                  n_draws: int = 1000) -> np.ndarray:
    """Predicted deaths per incident over incidents at ``settings``, one value per parameter draw.

    Each value is the mean of one predictive draw of every incident, so it carries the sampling noise of a
    set of that size as well as the parameters' uncertainty: the distribution of an aggregate like the FBI's.
    """
    return aggregate_predictive(_fbi_draws(posterior, seed, n_draws), fbi_rows(settings), seed,
                                f"{Stream.HARM_FIT}:{what}")


def _fbi_draws(posterior: Posterior, seed: int, n_draws: int = 1000) -> np.ndarray:
    """The parameter draws every FBI comparison shares (so the comparisons are paired)."""
    return posterior.draws(seed, f"{Stream.HARM_FIT}:fbi_params", n_draws)


def _against(samples: np.ndarray, recorded: float) -> dict[str, object]:
    """A predictive summary beside a recorded value: inside the 90% interval, share of draws below it."""
    summary = _summary(samples)
    return {**summary, "recorded": recorded, "within_p5_p95": bool(summary["p5"] <= recorded <= summary["p95"]),
            "share_predicted_below_recorded": float(np.mean(samples < recorded))}


def _diagnosis(rows: FitRows, seed: int, start: np.ndarray) -> list[dict[str, object]]:
    """The check at the FBI's location mix under refits that remove each suspected cause of the gap in turn."""
    fbi = fbi_location_settings()
    variants: list[tuple[str, FitRows]] = []
    timed = np.isfinite(rows.minutes)
    if timed.sum() >= 3:
        log_minutes = np.log(np.maximum(rows.minutes[timed], 0.5))
        median, sigma = float(np.exp(log_minutes.mean())), float(log_minutes.std(ddof=1))
        name = (f"duration prior of the untimed rows fitted to the table's {int(timed.sum())} timed rows "
                f"(median {median:.1f} min, log-sd {sigma:.2f}) instead of the FBI's")
        variants.append((name, replace(rows, duration_median_min=median, duration_sigma=sigma)))
    firearm = np.flatnonzero(rows.weapon == 0)
    if len(firearm) > 8:
        deadliest = firearm[np.argsort(rows.deaths[firearm])[-4:]]
        variants.append(("without the four deadliest firearm rows (" + ", ".join(rows.ids[i] for i in deadliest) + ")",
                         rows.subset(~np.isin(np.arange(len(rows.ids)), deadliest))))
    multi = (rows.weapon == 0) & (rows.attackers > 1)
    if multi.any() and (~multi & (rows.weapon == 0)).sum() >= 3:
        variants.append((f"without the {int(multi.sum())} multi-attacker firearm rows", rows.subset(~multi)))
    return [{"variant": name, "predicted_deaths_per_incident": _against(
                fbi_predicted(fit_posterior(variant_rows, start=start), fbi, seed, "fbi_locations"), FBI_KILLED / FBI_INCIDENTS)}
            for name, variant_rows in variants]


def fbi_check(posterior: Posterior, table_rows: FitRows, seed: int, *, diagnosis: bool = True) -> dict[str, object]:
    """The FBI posterior predictive check, at the table's firearm settings and at the FBI's own location mix;
    the factor that would reconcile the FBI's incidents with the table's attacks, held out on 2014-2019.

    ``diagnosis``: also the three refits that remove each suspected cause of the gap (slow; the assess report
    does not show them)."""
    firearm = table_rows.weapon == 0
    settings = table_rows.setting[firearm]
    n = FBI_INCIDENTS
    idx = np.floor(uniforms(seed, _key(Stream.HARM_FIT, "fbi_setting"), np.arange(1), n)[0] * len(settings)).astype(int)
    recorded = FBI_KILLED / FBI_INCIDENTS
    at_table = fbi_predicted(posterior, settings[idx], seed, "fbi")
    fbi = fbi_location_settings()
    at_fbi = fbi_predicted(posterior, fbi, seed, "fbi_locations")
    factor = recorded / at_fbi
    later = np.floor(uniforms(seed, _key(Stream.HARM_FIT, "fbi_later_setting"), np.arange(1),
                              FBI_LATER_INCIDENTS)[0] * len(fbi)).astype(int)
    held_out = factor * fbi_predicted(posterior, fbi[later], seed, "fbi_later")
    in_table_incidents, in_table_killed = FBI_LATER_IN_TABLE
    mass_share = FBI_MASS_KILLINGS / FBI_INCIDENTS

    def three(scale: np.ndarray | None) -> np.ndarray:
        return share_at_least(_fbi_draws(posterior, seed), fbi_rows(fbi), 3, seed, f"{Stream.HARM_FIT}:fbi_three",
                              scale)

    timed = np.isfinite(table_rows.minutes)
    return {"fbi_deaths_per_incident": recorded,
            "predicted_deaths_per_incident": _summary(at_table),
            "fbi_share_within_5_min": FBI_SHARE_WITHIN_5_MIN,
            "duration_prior_share_within_5_min": float(stats.norm.cdf(
                math.log(5.0 / FBI_DURATION_MEDIAN_MIN) / FBI_DURATION_SIGMA)),
            "fbi_share_within_2_min": FBI_SHARE_WITHIN_2_MIN,
            "duration_prior_share_within_2_min": float(stats.norm.cdf(
                math.log(2.0 / FBI_DURATION_MEDIAN_MIN) / FBI_DURATION_SIGMA)),
            "table_timed_rows": int(timed.sum()),
            "table_share_within_5_min": float(np.mean(table_rows.minutes[timed] <= 5.0)) if timed.any() else None,
            "at_table_settings": _against(at_table, recorded),
            "fbi_locations": [{"category": c, "incidents": k, "setting": s} for c, k, s in FBI_LOCATIONS],
            "at_fbi_locations": _against(at_fbi, recorded),
            "share_three_or_more_killed": {
                "fbi": mass_share,
                "at_fbi_locations": _against(three(None), mass_share),
                "with_population_factor": _against(three(factor), mass_share),
                "table_firearm_rows": float(np.mean(table_rows.deaths[firearm] >= 3)) if firearm.any() else None,
                "note": "a check of the shape the population factor (fitted on the mean) did not use"},
            "diagnosis": _diagnosis(table_rows, seed, posterior.mode) if diagnosis else [],
            "population_factor": {**_summary(factor),
                                  "note": "FBI deaths per incident over the fit's prediction at the FBI's locations, "
                                          "one attacker and FBI durations: what the table's firearm rate would be "
                                          "multiplied by to describe the FBI's incidents (fitted on 2000-2013, so "
                                          "no longer a check there)"},
            "held_out_2014_2019": {
                "incidents": FBI_LATER_INCIDENTS, "killed": FBI_LATER_KILLED,
                "predicted_deaths_per_incident": _against(held_out, FBI_LATER_KILLED / FBI_LATER_INCIDENTS),
                "recorded_without_table_incidents": (FBI_LATER_KILLED - in_table_killed)
                                                    / (FBI_LATER_INCIDENTS - in_table_incidents),
                "note": "the population factor from 2000-2013 times the fit, at the FBI's 2000-2013 location mix and "
                        "durations, against the FBI's 2014-2019 incidents; without Orlando and Las Vegas (rows of "
                        "the table too) the recorded figure is recorded_without_table_incidents"},
            "note": "single-attacker firearm incidents with the FBI's durations, at the table's firearm settings "
                    "and at the FBI's own location mix, against 486 killed in 160 incidents; diagnosis: the same at "
                    "the FBI's mix after refits without each suspected cause; docs/model.md says what the gap means"}


def fit_harm(table: AttackTable, *, seed: int = 0, loo: bool = True, diagnosis: bool = True) -> HarmFitResult:
    """Fit harm on the table; with ``loo`` each row is also predicted from a fit without it; ``diagnosis``:
    the FBI check's refits too (:func:`fbi_check`)."""
    rows, excluded = fit_rows(table)
    if len(rows.ids) < 3:
        raise DataError(f"expected at least 3 rows with a weapon in {list(FIT_WEAPONS)} and recorded deaths, "
                        f"got {len(rows.ids)}", source=table.source)
    posterior = fit_posterior(rows)
    full = predictive(posterior.draws(seed, f"{Stream.HARM_FIT}:params"), rows, seed, f"{Stream.HARM_FIT}:predict")
    records: list[dict[str, object]] = []
    loo_hits, loo_log_score = 0, 0.0
    for i, row_id in enumerate(rows.ids):
        record: dict[str, object] = {
            "id": row_id, "weapon": FIT_WEAPONS[rows.weapon[i]],
            "setting": FACTOR_SETTINGS[rows.setting[i]] if rows.setting[i] >= 0 else REFERENCE_SETTING,
            "attackers": int(rows.attackers[i]),
            "minutes": float(rows.minutes[i]) if np.isfinite(rows.minutes[i]) else None,
            "recorded": int(rows.deaths[i]), "predicted": _summary(full[:, i])}
        if loo:
            held = fit_posterior(rows.without(i), start=posterior.mode)
            single = rows.row(i)
            draws = held.draws(seed, f"{Stream.HARM_FIT}:loo_params:{i}", 2000)
            samples = predictive(draws, single, seed, f"{Stream.HARM_FIT}:loo:{i}")[:, 0]
            record["loo"] = _summary(samples)
            inside = record["loo"]["p5"] <= rows.deaths[i] <= record["loo"]["p95"]
            loo_hits += int(inside)
            loo_log_score += float(log_predictive_density(draws, single)[0])
        records.append(record)
    checks: dict[str, object] = {"fbi": fbi_check(posterior, rows, seed, diagnosis=diagnosis)}
    if loo:
        checks["loo"] = {"rows": len(rows.ids), "within_p5_p95": loo_hits,
                         "share_within_p5_p95": loo_hits / len(rows.ids), "log_score": loo_log_score,
                         "note": "each row predicted by a fit without it; 90% intervals should hold about 90%"}
    estimates = _estimates(posterior, seed)
    return HarmFitResult(source=table.source, seed=seed, posterior=posterior, rows=records,
                         excluded=[{"id": i, "reason": r} for i, r in excluded], estimates=estimates, checks=checks,
                         parameters={e["name"]: float(e["value"]) for e in estimates})


RESULTS_FORMAT = "readiness.harm_fit/1"


def results_document(result: HarmFitResult) -> dict[str, object]:
    """The ``readiness.harm_fit/1`` results: method and priors, estimates, rows, exclusions, checks, parameters."""
    return {
        "format": RESULTS_FORMAT,
        "source": Path(result.source).name,
        "seed": result.seed,
        "method": {
            "likelihood": "negative binomial; mean attackers * rate[weapon] * factor[setting] * flight * "
                          "(1 - exp(-minutes / flight))",
            "estimate": "penalised likelihood (MAP) with the normal priors below as penalties; uncertainty "
                        "by the Laplace approximation (inverse Hessian at the mode)",
            "minutes": "start -> stop, else start -> first armed; where neither is recorded, integrated over "
                       f"a lognormal duration prior (median {DURATION_MEDIAN_MIN:g} min, log-sd {DURATION_SIGMA:g})",
            "priors": {name: {"log_mean": mean, "log_sd": sd} for name, (mean, sd) in PRIORS.items()},
            "reference_setting": REFERENCE_SETTING,
            "plato_reduction": "not identified: the table records no unarmed arrival; stays a prior (registry)",
            "excluded_weapons": "bomb: no shooting duration and no armed response to model",
            "draws": DRAWS,
        },
        "estimates": result.estimates,
        "rows": result.rows,
        "excluded": result.excluded,
        "checks": result.checks,
        "parameters": result.parameters,
    }


def parameters_yaml(result: HarmFitResult) -> str:
    """A config holding only the fitted ``parameters:`` (usable as is, or pasted into a config)."""
    lines = [f"# harm fitted on {Path(result.source).name} by `readiness harm fit` ({RESULTS_FORMAT})",
             "parameters:"]
    lines += [f"  {name}: {value:.4g}" for name, value in result.parameters.items()]
    return "\n".join(lines) + "\n"


@cache
def shipped_fit() -> HarmFitResult:
    """The fit on the shipped table without leave-one-out or the FBI diagnosis refits (what the assess report
    shows; cached per process)."""
    from readiness.attacks import load_attacks

    return fit_harm(load_attacks(), loo=False, diagnosis=False)

"""Tests for shifts, everyday tasking and the unit states the workload model gives the engine."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import model_from
from scipy import special, stats

from readiness import workload
from readiness.config import config_from_mapping, default_config, load_config, parse_week_time
from readiness.engine import simulate
from readiness.errors import ConfigError, DataError
from readiness.kinds import JOB_STREAMS, job_stream
from readiness.model import Model
from readiness.queueing import erlang_b
from readiness.rng import uniforms
from readiness.scenario import draw_unit_starts
from readiness.workload import (
    JOB_CLASSES,
    WorkloadSampler,
    coverage_by_lsoa,
    coverage_results,
    draw_job_list,
    draw_jobs,
    job_rates_per_day,
    rostered_on_duty,
    unit_state_sampler,
)

EVENING_HOURS = set(range(15, 24)) | {0}  # the default pattern's late shift, 15:00-01:00
QUIET = {"response.on_duty": 0, "shifts.absence": 0.0}


def _write_yaml(path: Path, data: dict) -> str:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def flat_profile(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("profile")
    return _write_yaml(folder / "flat.yaml", {"hour": [1.0] * 24, "day": {d: 1.0 for d in
                                                                           ("Mon", "Tue", "Wed", "Thu", "Fri",
                                                                            "Sat", "Sun")}})


def _model(*, units: list[dict] | None = None, workload: dict | None = None, parked: bool = False,
           **parameters: float) -> Model:
    """A model with quiet parameters; ``parked``: ARVs wait at their bases (``deployment: base``)."""
    mapping: dict = {"parameters": {**QUIET, **parameters}, "workload": workload or {}}
    if units is not None:
        mapping["resources"] = {"units": units}
    if parked:
        types = {name: t.model_dump() for name, t in default_config().resources.unit_types.items()}
        mapping.setdefault("resources", {})["unit_types"] = {**types, "arv": {"kind": "armed", "deployment": "base"}}
    return model_from(mapping)


def _by_name(model: Model, state_units: np.ndarray) -> dict[str, int]:
    return {model.fleet.names[u]: i for i, u in enumerate(state_units)}


# --- shifts -------------------------------------------------------------------------------------------


def test_default_pattern_gives_eight_arvs_in_the_evening_and_six_otherwise(default_model: Model) -> None:
    hours = np.arange(168)
    on = rostered_on_duty(default_model, hours * 60 + 30)[:, default_model.fleet.kind == 0]
    expected = np.where(np.isin(hours % 24, list(EVENING_HOURS)), 8, 6)
    np.testing.assert_array_equal(on.sum(axis=1), expected)
    evening_only = [default_model.fleet.names[u] for u in np.flatnonzero(default_model.fleet.kind == 0)
                    if not on[3 * 24 + 4, u]]  # Thursday 04:30
    assert evening_only == ["arv@Bournville Lane#1", "arv@Stechford#1"]


def test_group_pattern_with_days_overrides_the_type_pattern(tmp_path: Path) -> None:
    weekend = _write_yaml(tmp_path / "weekend_nights.yaml", {
        "name": "weekend_nights", "shifts": [{"name": "nte", "start": "20:00", "hours": 8, "days": ["Fri", "Sat"]}],
        "lines": [["nte"]]})
    model = _model(workload={"shifts": {"arv": "arv_five_relief_10h", "arv@Park Lane (Aston)": weekend}})
    hours = np.arange(168)
    on = rostered_on_duty(model, hours * 60 + 30)
    park_lane = model.fleet.names.index("arv@Park Lane (Aston)#1")
    day, hour = hours // 24, hours % 24
    expected_park_lane = ((day == 4) | (day == 5)) & (hour >= 20) | ((day == 5) | (day == 6)) & (hour < 4)
    np.testing.assert_array_equal(on[:, park_lane], expected_park_lane)
    # the other seven share the default pattern in staffing order: five round the clock, two evening cars
    others = np.delete(on[:, model.fleet.kind == 0], list(np.flatnonzero(model.fleet.kind == 0)).index(park_lane),
                       axis=1)
    np.testing.assert_array_equal(others.sum(axis=1), np.where(np.isin(hour, list(EVENING_HOURS)), 7, 5))


def test_sampler_follows_the_roster_and_gives_next_shift_starts() -> None:
    model = _model(**{"workload.force_share": 0.0, "workload.other_jobs_per_day": 0.0})
    sampler = WorkloadSampler(model)
    reps = np.arange(20)
    arv = np.flatnonzero(model.fleet.kind == 0)
    evening = [model.fleet.names.index(n) for n in ("arv@Bournville Lane#1", "arv@Stechford#1")]
    for when, evening_available in (("Mon 14:30", 30.0), ("Tue 21:20", 0.0), ("Wed 03:00", math.inf)):
        state = sampler.state(model, 0, reps, np.full(len(reps), parse_week_time(when)))
        index = _by_name(model, state.units)
        rostered = rostered_on_duty(model, np.array([parse_week_time(when)]))[0]
        for u in arv:
            column = state.available[:, index[model.fleet.names[u]]]
            if u in evening:
                np.testing.assert_array_equal(column, evening_available)
            else:
                assert rostered[u]
                np.testing.assert_array_equal(column, 0.0)


def test_absence_removes_crews_at_the_stated_rate() -> None:
    model = _model(**{"shifts.absence": 0.2, "workload.force_share": 0.0, "workload.other_jobs_per_day": 0.0})
    state = WorkloadSampler(model).state(model, 5, np.arange(4000), np.full(4000, parse_week_time("Tue 21:20")))
    share = 1.0 - state.on_duty.mean()
    assert abs(share - 0.2) < 4 * math.sqrt(0.2 * 0.8 / state.on_duty.size)
    # a core unit missing its late crew (15:00-01:00) comes on with the night shift at 22:00
    late_missing = ~state.on_duty
    assert set(np.unique(state.available[late_missing])) <= {40.0, math.inf}


# --- tasking and the warm-up ----------------------------------------------------------------------------


def _loss_model(profile: str, *, arvs: int, jobs_per_day: float, median: float, sigma: float) -> Model:
    return _model(units=[{"type": "arv", "base": "Bournville Lane", "count": arvs}],
                  workload={"shifts": {}, "profile": profile},
                  **{"workload.force_share": 0.0, "workload.other_jobs_per_day": jobs_per_day,
                     "workload.other_service_median_min": median, "workload.other_service_sigma": sigma})


def test_all_busy_probability_matches_erlang_b(flat_profile: str) -> None:
    # M/G/c/c: the number of busy servers is truncated Poisson whatever the service distribution
    arvs, jobs_per_day, median, sigma = 4, 60.0, 60.0, 0.5
    model = _loss_model(flat_profile, arvs=arvs, jobs_per_day=jobs_per_day, median=median, sigma=sigma)
    reps = 20_000
    state = WorkloadSampler(model).state(model, 11, np.arange(reps), np.full(reps, parse_week_time("Wed 12:00")))
    busy = state.busy.sum(axis=1)
    load = jobs_per_day / 1440.0 * median * math.exp(sigma**2 / 2)
    blocking = erlang_b(load, arvs)
    all_busy = float(np.mean(busy == arvs))
    assert abs(all_busy - blocking) < 4 * math.sqrt(blocking * (1 - blocking) / reps)
    truncated_poisson = stats.poisson.pmf(np.arange(arvs + 1), load) / stats.poisson.cdf(arvs, load)
    observed = np.bincount(busy, minlength=arvs + 1)
    assert stats.chisquare(observed, truncated_poisson * reps).pvalue > 1e-3
    # the jobs lost during the warm-up's last part also block at the Erlang B rate
    lost = state.lost[:, 1].sum() / state.offered[:, 1].sum()
    assert abs(lost - blocking) < 0.02


def test_preempted_unit_is_available_after_the_release_delay(flat_profile: str) -> None:
    release = 7.0
    busy_other = _model(units=[{"type": "arv", "base": "Bournville Lane", "count": 1}], parked=True,
                        workload={"shifts": {}, "profile": flat_profile},
                        **{"workload.force_share": 0.0, "workload.other_jobs_per_day": 300.0,
                           "workload.release_delay_min": release})
    starts = unit_state_sampler(busy_other)(busy_other, 2, np.arange(2000))
    available, position = starts.available[:, 0], starts.position[:, 0]
    busy = position >= busy_other.n_bases  # a busy unit is at its job's LSOA
    assert 0.5 < busy.mean() < 0.99
    np.testing.assert_array_equal(available[~busy], 0.0)
    assert np.all(available[busy] <= release) and np.mean(available[busy] == release) > 0.8
    # a firearms operation is not divertible: the unit comes when it ends
    firearms_per_day = 40.0
    busy_firearms = _model(units=[{"type": "arv", "base": "Bournville Lane", "count": 1}], parked=True,
                           workload={"shifts": {}, "profile": flat_profile},
                           **{"workload.other_jobs_per_day": 0.0, "workload.release_delay_min": release,
                              "workload.force_share": firearms_per_day * 365.25 / (14666 * 0.84)})
    assert job_rates_per_day(busy_firearms.params)[0] == pytest.approx(firearms_per_day)
    starts = unit_state_sampler(busy_firearms)(busy_firearms, 2, np.arange(2000))
    busy = starts.position[:, 0] >= busy_firearms.n_bases
    remaining = starts.available[busy, 0]
    assert np.mean(remaining > release) > 0.8 and not np.any(remaining == release)


def test_firearms_jobs_preempt_other_taskings_in_the_warm_up(flat_profile: str) -> None:
    lost_share = []
    for other_per_day in (0.0, 200.0):
        model = _model(units=[{"type": "arv", "base": "Bournville Lane", "count": 1}],
                       workload={"shifts": {}, "profile": flat_profile},
                       **{"workload.other_jobs_per_day": other_per_day, "workload.force_share": 0.2})
        state = WorkloadSampler(model).state(model, 4, np.arange(1000), np.full(1000, 0))
        offered, lost, preempted = (a.sum(axis=0) for a in (state.offered, state.lost, state.preempted))
        lost_share.append(lost[0] / offered[0])
        assert preempted[0] == 0  # firearms operations are never pre-empted
    assert preempted[1] > 0.3 * offered[0]  # most firearms jobs found the single ARV on another tasking
    # ... and took it: other taskings hardly block firearms jobs (only the release delay adds a little)
    assert lost_share[1] == pytest.approx(lost_share[0], abs=0.03)


def test_engine_uses_the_workload_positions_and_availability(flat_profile: str) -> None:
    config = {"resources": {"units": [{"type": "arv", "base": "Bournville Lane", "count": 1}]},
              "scenario": {"named_sites": ["E01009371"]},
              "workload": {"shifts": {}, "profile": flat_profile},
              "parameters": {**QUIET, "notify.sigma": 0.0, "attack.window_min": 0.0, "workload.force_share": 0.0,
                             "workload.other_jobs_per_day": 200.0, "workload.release_delay_min": 6.0}}
    model = model_from(config)
    sampler = unit_state_sampler(model)
    out = simulate(model, sites=1, replications=300, seed=9, unit_states=sampler)
    starts = sampler(model, 9, np.arange(300))
    site = int(model.named_sites[0])
    travel = model.attack_blue_light_factor() * model.blue_light_minutes[starts.position[:, 0], site]
    expected = np.maximum(model.params["notify.median_min"], starts.available[:, 0]) + travel
    np.testing.assert_allclose(out.t_first_armed[:, 0], expected, rtol=1e-5)
    assert np.any(starts.available[:, 0] == 6.0) and np.any(starts.available[:, 0] == 0.0)


def test_an_arv_off_duty_for_the_whole_horizon_never_arrives(tmp_path: Path) -> None:
    monday = _write_yaml(tmp_path / "monday.yaml", {
        "name": "monday", "shifts": [{"name": "m", "start": "03:00", "hours": 1, "days": ["Mon"]}], "lines": [["m"]]})
    config = {"resources": {"units": [{"type": "arv", "base": "Bournville Lane", "count": 1}]},
              "scenario": {"named_sites": ["E01009371"]}, "workload": {"shifts": {"arv": monday}},
              "parameters": QUIET}
    model = model_from(config)
    out = simulate(model, sites=1, replications=50, seed=1)  # as configured: the workload sampler
    assert np.all(np.isinf(out.t_first_armed))


# --- common random numbers, batches, attack time ------------------------------------------------------------


def test_adding_a_unit_leaves_other_units_states_unchanged(default_model: Model) -> None:
    groups = [g.model_dump() for g in default_model.config.resources.units]
    coventry = next(g for g in groups if g["base"].startswith("Coventry"))
    coventry["count"] = 2  # Coventry Central #2 is dealt the next line and takes jobs only when #1 is busy
    parameters = {"shifts.absence": 0.05}
    original = model_from({"parameters": parameters})
    grown = model_from({"resources": {"units": groups}, "parameters": parameters})
    reps = np.arange(3000)
    a = unit_state_sampler(original)(original, 21, reps)
    b = unit_state_sampler(grown)(grown, 21, reps)
    state = WorkloadSampler(grown).state(grown, 21, reps, np.full(len(reps), parse_week_time("Fri 21:20")))
    new = _by_name(grown, state.units)["arv@Coventry Central (Little Park Street)#2"]
    untouched = state.served[:, new] == 0  # replications where the new unit never took a job
    assert untouched.sum() >= 20 and untouched.mean() < 0.95  # patrolling, #2 is often the nearest
    for u, name in enumerate(original.fleet.names):
        v = grown.fleet.names.index(name)
        np.testing.assert_array_equal(a.position[untouched, u], b.position[untouched, v])
        np.testing.assert_array_equal(a.available[untouched, u], b.available[untouched, v])
    # where it did take jobs, the others can only be less busy: never busier in total
    busy_a = (a.available[:, original.fleet.kind == 0] > 0).sum(axis=1)
    others = [grown.fleet.names.index(n) for n in np.array(original.fleet.names)[original.fleet.kind == 0]]
    busy_b = (b.available[:, others] > 0).sum(axis=1)
    assert busy_b.mean() <= busy_a.mean()


def test_states_do_not_depend_on_the_batch(default_model: Model) -> None:
    sampler = unit_state_sampler(default_model)
    whole = sampler(default_model, 3, np.arange(200))
    part = sampler(default_model, 3, np.arange(150, 250))
    np.testing.assert_array_equal(whole.available[150:], part.available[:50])
    np.testing.assert_array_equal(whole.position[150:], part.position[:50])


def test_drawn_attack_times_are_uniform_over_the_week() -> None:
    model = _model(workload={"attack_time": None})
    minutes = WorkloadSampler(model).attack_minutes(8, np.arange(20_000))
    assert minutes.min() >= 0 and minutes.max() < 7 * 1440
    assert stats.kstest(minutes / (7 * 1440), "uniform").pvalue > 1e-3


@pytest.mark.slow
def test_a_longer_warm_up_changes_nothing() -> None:
    reps = np.arange(20_000)
    busy = []
    for hours in (24.0, 96.0):
        model = _model(workload={"warmup_hours": hours}, **{"workload.firearms_service_median_min": 180.0,
                                                            "workload.firearms_service_sigma": 1.0})
        state = WorkloadSampler(model).state(model, 6, reps, np.full(len(reps), parse_week_time("Sat 01:10")))
        busy.append(state.busy.mean(axis=1))
    difference = busy[0].mean() - busy[1].mean()
    spread = math.sqrt((busy[0].var() + busy[1].var()) / len(reps))
    assert abs(difference) < 4 * spread


# --- configuration ---------------------------------------------------------------------------------------


def test_disabled_workload_gives_the_all_free_sampler() -> None:
    assert unit_state_sampler(_model(workload={"enabled": False})) is draw_unit_starts


def test_a_models_samplers_read_its_inputs_once_and_start_empty(default_model: Model) -> None:
    """``simulate`` asks for a sampler on every call: it gets the inputs read before, never another call's batch."""
    first, second = unit_state_sampler(default_model), unit_state_sampler(default_model)
    assert first is not second and first.demand is second.demand and first.patterns is second.patterns
    reps = np.arange(50)
    first(default_model, 3, reps)
    assert first._kept and not second._kept
    other = default_model.at_time("Mon 03:10")  # another model: its own inputs, its own attack time
    assert unit_state_sampler(other).attack_time == "Mon 03:10"
    assert second.attack_time == default_model.config.workload.attack_time != "Mon 03:10"


@pytest.mark.parametrize("text", ["Someday 21:20", "Fri 25:00", "21:20", "Fri 9"])
def test_bad_attack_time_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match="attack_time"):
        config_from_mapping({"workload": {"attack_time": text}})


def test_unknown_shift_assignments_and_patterns_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="workload.shifts.lorry"):
        WorkloadSampler(_model(workload={"shifts": {"lorry": "arv_five_relief_10h"}}))
    with pytest.raises(ConfigError, match="unknown shift pattern 'four_relief'"):
        WorkloadSampler(_model(workload={"shifts": {"arv": "four_relief"}}))
    bad = _write_yaml(tmp_path / "bad.yaml", {"name": "bad", "shifts": [{"name": "a", "start": "07:00", "hours": 10}],
                                              "lines": [["a", "b"]]})
    with pytest.raises(DataError, match="bad.yaml") as caught:
        WorkloadSampler(_model(workload={"shifts": {"arv": bad}}))
    assert "lines[0]" in str(caught.value)


def test_relative_workload_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "patterns").mkdir()
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"workload": {"incidents": "data/incidents.csv", "profile": "profile.yaml",
                                                 "shifts": {"arv": "patterns/mine.yaml",
                                                            "response": "arv_five_relief_10h"}}}),
                    encoding="utf-8")
    workload = load_config(path).workload
    assert workload.incidents == tmp_path / "data" / "incidents.csv"
    assert workload.profile == tmp_path / "profile.yaml"
    assert workload.shifts == {"arv": str(tmp_path / "patterns" / "mine.yaml"), "response": "arv_five_relief_10h"}


# --- coverage --------------------------------------------------------------------------------------------


def test_coverage_results_are_json_ready_and_consistent(default_model: Model) -> None:
    model = model_from({"parameters": {"response.on_duty": 0}})
    results = coverage_results(model, seed=5, replications=3)
    text = json.dumps(results)
    assert '"/' not in text  # no machine paths
    assert len(results["by_hour"]) == 168 and results["by_hour"][0]["label"] == "Mon 00:00"
    shares = list(results["share_within_min"].values())
    assert list(results["share_within_min"]) == ["5", "10", "15", "20"]
    assert all(0 <= a <= b <= 1 for a, b in itertools.pairwise(shares))
    assert 0.1 < results["utilisation"]["overall"] < 0.6
    expected = np.where(np.isin(np.arange(168) % 24, list(EVENING_HOURS)), 8, 6)
    assert results["shifts"]["armed_rostered_by_hour"] == expected.tolist()
    # 6 round-the-clock cars (3 shifts x 10 h x 7 days) and 2 late-shift cars (70 h), crews of 2,
    # 40-hour weeks, 25% abstraction
    assert results["shifts"]["afos_to_crew"] == pytest.approx((6 * 210 + 2 * 70) * 2 / (40 * 0.75))
    by_lsoa = coverage_by_lsoa(model, seed=5, replications=3, threshold_min=10.0)
    assert by_lsoa.shape == (model.area.n,) and by_lsoa.min() >= 0 and by_lsoa.max() <= 1
    weighted = float(by_lsoa @ (model.area.residents / model.area.residents.sum()))
    assert weighted == pytest.approx(results["share_within_min"]["10"], rel=1e-9)


def test_drawn_jobs_are_the_thinned_poisson_process_of_their_streams() -> None:
    """``draw_jobs`` against the same process built in NumPy from ``rng.uniforms`` and SciPy's ``ndtri``."""
    seed, reps, warmup = 5, np.arange(40), 24 * 60.0
    minute = np.arange(40) * 251 % (7 * 1440)
    rates, medians, sigmas = np.array([3.0, 40.0]), np.array([90.0, 45.0]), np.array([0.6, 0.8])
    profile = 1.0 + 0.5 * np.sin(np.arange(168) / 168 * 2 * np.pi)
    weights = np.random.default_rng(0).random(300) ** 3
    jobs = draw_jobs(seed, reps, minute, warmup_min=warmup, rates_per_day=rates, service_median=medians,
                     service_sigma=sigmas, profile=profile, weights=weights)
    peak = rates / 1440 * profile.max()
    cumulative = np.cumsum(weights)
    for row, r in enumerate(reps):
        expected = []
        for c, job_class in enumerate(JOB_CLASSES):
            gap, thin, site, service = (uniforms(seed, job_stream(s, job_class.name), np.array([r]), 400)[0]
                                        for s in JOB_STREAMS)
            t = -warmup + np.cumsum(-np.log(gap) / peak[c])
            kept = (t < 0) & (thin < (profile / profile.max())[np.floor((minute[row] + t) / 60).astype(int) % 168])
            lsoa = np.searchsorted(cumulative, site * cumulative[-1], side="right")
            expected += [(t[k], c, lsoa[k], medians[c] * np.exp(sigmas[c] * special.ndtri(service[k])))
                         for k in np.flatnonzero(kept)]
            assert t[-1] > 0  # 400 candidates reach past the first shot
        expected.sort(key=lambda job: job[0])  # stable: the lower class first at equal times
        n = len(expected)
        assert np.isinf(jobs.time[row, n:]).all()
        np.testing.assert_allclose(jobs.time[row, :n], [job[0] for job in expected], rtol=0, atol=1e-9)
        np.testing.assert_array_equal(jobs.kind[row, :n], [job[1] for job in expected])
        np.testing.assert_array_equal(jobs.lsoa[row, :n], [job[2] for job in expected])
        np.testing.assert_allclose(jobs.service[row, :n], [job[3] for job in expected], rtol=1e-12)


def test_jobs_that_outgrow_their_room_are_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk of replications with more jobs than the room it was given is drawn again, to the same jobs."""
    args = dict(warmup_min=1440.0, rates_per_day=np.array([2.0, 30.0]), service_median=np.array([90.0, 45.0]),
                service_sigma=np.array([0.6, 0.8]), profile=np.ones(168), weights=np.ones(50))
    reps = np.arange(150)
    expected = draw_job_list(3, reps, reps * 67 % 10080, **args)
    monkeypatch.setattr(workload, "_ROOM_SDS", -10.0)  # room for a fraction of the mean
    again = draw_job_list(3, reps, reps * 67 % 10080, **args)
    for name in ("offset", "time", "kind", "lsoa", "service"):
        np.testing.assert_array_equal(getattr(again, name), getattr(expected, name))
    assert draw_job_list(3, reps[:0], reps[:0], **args).offset.tolist() == [0]


def test_a_sampler_shares_its_kept_states_read_only(default_model: Model) -> None:
    """The kept states are handed out without a copy, so no caller may change what the next one gets: a
    write is refused, and the next call gets the same arrays with the same values."""
    sampler = unit_state_sampler(default_model)
    reps = np.arange(50)
    starts = sampler(default_model, 4, reps)
    before = starts.available.copy()
    for array in (starts.position, starts.available, starts.specialist_delay):
        with pytest.raises(ValueError, match="read-only"):
            array[0, 0] = 0
    again = sampler(default_model, 4, reps)
    assert again.available is starts.available
    np.testing.assert_array_equal(again.available, before)


def test_a_sampler_draws_each_batch_once_for_every_k(default_model: Model, monkeypatch) -> None:
    """An assessment runs K = 1, 2, ... over the same batches: the warm-up of each batch is drawn once,
    while the batches kept stay within ``KEPT_REPLICATIONS``; the states are the same either way."""
    from readiness import workload
    from readiness.engine import simulate

    sampler = unit_state_sampler(default_model)
    calls = []
    state = sampler.state
    monkeypatch.setattr(sampler, "state", lambda *a, **k: calls.append(len(a[2])) or state(*a, **k))
    first = [simulate(default_model, sites=k, replications=300, seed=5, batch_size=100, unit_states=sampler)
             for k in (1, 2)]
    assert calls == [100, 100, 100]
    monkeypatch.setattr(workload, "KEPT_REPLICATIONS", 200)  # one batch too few: every K draws again
    again = unit_state_sampler(default_model)
    second = [simulate(default_model, sites=k, replications=300, seed=5, batch_size=100, unit_states=again)
              for k in (1, 2)]
    assert sum(len(entry[2]) for entry in again._kept) == 200
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.t_first_armed, b.t_first_armed)

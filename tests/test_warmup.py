"""MSER-5 finds a known transient; the end-state check tells a warm-up too short for the jobs in progress from
one that leaves the same states and results; ``readiness warmup`` writes its chart and recommendation."""

from __future__ import annotations

import json
from statistics import NormalDist

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from readiness.cli import app
from readiness.config import config_from_mapping, default_config
from readiness.engine import simulate
from readiness.errors import ReadinessError
from readiness.model import build_model, derive_model
from readiness.resources import ARMED
from readiness.warmup import TOST_Z, end_state_check, equivalence, mser, warmup_analysis
from readiness.workload import workload_sampler

runner = CliRunner()


def test_mser5_finds_a_step_transient():
    noise = np.random.default_rng(1).normal(0.0, 0.5, 1000)
    series = np.where(np.arange(1000) < 100, 0.0, 10.0) + noise
    assert 100 <= mser(series) <= 105  # the batch of five that holds the step's end


def test_mser5_cuts_an_exponential_transient_where_it_falls_below_the_noise():
    t = np.arange(2000)
    series = 10.0 * (1.0 - np.exp(-t / 30.0)) + np.random.default_rng(2).normal(0.0, 0.2, len(t))
    cut = mser(series)
    assert 30 < cut < 250  # bias 10 e^{-t/30} is below the noise (0.2) from t = 117


def test_mser5_needs_two_batches():
    with pytest.raises(ReadinessError, match="MSER-5"):
        mser(np.ones(9))


def test_equivalence_is_two_one_sided_tests_at_five_percent():
    rng = np.random.default_rng(3)
    reference, same, shifted = rng.normal(10.0, 1.0, 4000), rng.normal(10.0, 1.0, 3000), rng.normal(10.6, 1.0, 3000)
    assert TOST_Z == pytest.approx(NormalDist().inv_cdf(0.95), abs=1e-15)
    result = equivalence(same, reference, 0.05)
    se = np.sqrt(np.var(same, ddof=1) / 3000 + np.var(reference, ddof=1) / 4000)
    assert result["se"] == pytest.approx(se, abs=1e-6)
    assert result["bound_90"] == pytest.approx(abs(same.mean() - reference.mean()) + TOST_Z * se, abs=1e-6)
    assert result["allowed"] == pytest.approx(0.05 * reference.mean(), abs=1e-6) and result["equivalent"]
    assert not equivalence(shifted, reference, 0.05)["equivalent"]  # 6% off: outside a 5% margin
    assert equivalence(shifted, reference, 0.10)["equivalent"]


def test_end_state_check_rejects_a_warm_up_shorter_than_the_jobs_in_progress():
    """An hour from an empty start misses the jobs begun earlier that are still going at the first shot (a
    fifth of the busy ARVs on the default, which MSER-5's truncation at under an hour does not see); six
    hours do not."""
    check = end_state_check(build_model(default_config()), seed=11, replications=20_000, reference_hours=24.0,
                            candidate_hours=(1.0, 6.0))
    short, enough = check["candidates"]
    assert not short["equivalent"] and short["arvs_busy"]["difference"] < -0.3
    assert short["arv_minutes_committed"]["difference"] < 0
    assert enough["equivalent"] and check["recommended_hours"] == 6.0


def test_a_warm_up_the_check_passes_leaves_the_same_unit_states_and_results():
    """The opt-in shortcut (``workload.warmup_hours`` at the check's recommendation, 4 h on the default,
    against the configured 24 h): the same distribution of unit states at the first shot (each ARV busy, the
    number busy, the minutes until a busy ARV can be sent) on independent replications, and the same
    results at K = 5 on common random numbers (paired two one-sided tests): the time to first armed and the
    deaths within 2%, the share of sites over 10 minutes within a percentage point (the half-width
    ``--precision 0.01`` asks for; 4 h puts it about 0.2 points low)."""
    base = build_model(default_config())
    hours = end_state_check(base, seed=5, replications=20_000, reference_hours=24.0)["recommended_hours"]
    assert hours < 24.0
    short = derive_model(base, config_from_mapping({"workload": {"warmup_hours": hours}}))
    reps = np.arange(20_000)
    states = []
    for model, replications in ((base, reps), (short, reps + len(reps))):
        sampler = workload_sampler(model)
        states.append(sampler.state(model, 5, replications, sampler.attack_minutes(5, replications)))
    armed = base.fleet.kind[states[0].units] == ARMED
    busy = [state.busy[:, armed] for state in states]
    for unit in range(armed.sum()):  # each ARV busy as often (Bonferroni over the ARVs)
        table = [[b[:, unit].sum(), len(reps) - b[:, unit].sum()] for b in busy]
        assert stats.chi2_contingency(table).pvalue > 0.001 / armed.sum()
    counts = [np.bincount(b.sum(axis=1), minlength=armed.sum() + 1) for b in busy]
    table = np.array(counts)[:, np.array(counts).sum(axis=0) > 0]
    assert stats.chi2_contingency(table).pvalue > 0.001
    waits = [state.available[:, armed][b] for state, b in zip(states, busy)]
    assert stats.ks_2samp(*waits).pvalue > 0.001
    horizon = base.params["horizon_min"]
    outcomes = [simulate(model, sites=5, replications=20_000, seed=9) for model in (base, short)]
    for measure, allowed in ((lambda o: np.minimum(o.t_first_armed - o.report, horizon).mean(axis=1), "2%"),
                             (lambda o: (o.t_first_armed - o.report > 10.0).mean(axis=1), 0.01),
                             (lambda o: o.deaths.sum(axis=1), "2%")):
        reference, paired = measure(outcomes[0]), measure(outcomes[1]) - measure(outcomes[0])
        bound = abs(paired.mean()) + TOST_Z * paired.std(ddof=1) / np.sqrt(len(paired))
        assert bound <= (0.02 * reference.mean() if allowed == "2%" else allowed)


def test_warmup_needs_the_workload_model():
    model = build_model(config_from_mapping({"workload": {"enabled": False}}))
    with pytest.raises(ReadinessError, match="workload.enabled"):
        warmup_analysis(model, seed=1, replications=2, hours=1.0, step_min=5.0)


def test_warmup_command_writes_its_chart_and_recommendation(tmp_path):
    result = runner.invoke(app, ["warmup", "--out", str(tmp_path), "--replications", "4", "--hours", "4",
                                 "--step", "10", "--check-replications", "2000", "--quiet"])
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["format"] == "readiness.warmup/1"
    assert results["configured_warmup_hours"] == 24.0
    assert results["recommended_warmup_hours"] >= results["mser"]["arvs_busy"]["hours"]
    check = results["end_state"]
    assert [c["hours"] for c in check["candidates"]] == [1.0, 2.0, 3.0] and check["reference_hours"] == 4.0
    assert results["recommended_warmup_hours"] == max(results["mser_recommended_hours"], check["recommended_hours"])
    assert not check["candidates"][0]["equivalent"]  # an hour is too short (see above)
    checked = (tmp_path / "warmup_end_state.csv").read_text().splitlines()
    assert len(checked) == 1 + 3 and checked[0].startswith("warmup_hours,equivalent,arvs_busy_mean")
    assert results["configured_is_enough"] == (24.0 >= results["recommended_warmup_hours"])
    series = (tmp_path / "warmup_series.csv").read_text().splitlines()
    assert len(series) == 1 + 24 and series[0].startswith("hours_since_empty_start,arvs_busy_mean")
    first_busy = float(series[1].split(",")[1])
    assert first_busy < float(results["mser"]["arvs_busy"]["mean_after"])  # empty start: fewer busy at first
    assert (tmp_path / "figures" / "warmup.png").stat().st_size > 1000
    html = (tmp_path / "report.html").read_text()
    assert "Recommended warm-up" in html and "MSER-5" in html and "End-state check" in html
    assert json.loads((tmp_path / "run.json").read_text())["command"] == "warmup"


@pytest.mark.parametrize(("option", "value"), [("--step", "nan"), ("--margin", "nan"), ("--margin", "1.5"),
                                               ("--check-replications", "1")])
def test_warmup_bad_option_is_one_line_exit_2(tmp_path, option, value):
    result = runner.invoke(app, ["warmup", "--out", str(tmp_path), option, value, "--quiet"])
    assert result.exit_code == 2 and option in result.output and "Traceback" not in result.output

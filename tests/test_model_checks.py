"""validate-model: the fast subset passes through the command, a wrong model fails its check, skips say why."""

from __future__ import annotations

import importlib.util
import json
import sys
import types

import pytest
from typer.testing import CliRunner

from readiness import model_checks
from readiness.cli import app
from readiness.errors import ConfigError
from readiness.model_checks import CHECKS, Check, Context, Outcome, Skipped, close, markdown, run_model_checks

REPLAY_MERGED = importlib.util.find_spec("readiness.replay") is not None
CI_GROUPS = {"closed forms", "workload", "hypercube", "replay"}


def test_the_ci_subset_is_the_closed_forms_the_warm_up_the_hypercube_and_the_replay() -> None:
    assert {c.group for c in CHECKS if c.ci} == CI_GROUPS
    assert len({c.name for c in CHECKS}) == len(CHECKS)  # names key the report, the docs and --names
    assert all(c.compares and c.failure_means for c in CHECKS)


def test_fast_subset_through_the_command_passes_and_writes_report_results_and_docs(tmp_path) -> None:
    out, docs = tmp_path / "out", tmp_path / "docs" / "validation.md"
    result = CliRunner().invoke(app, ["validate-model", "--fast", "--out", str(out), "--docs", str(docs), "--quiet"])
    results = json.loads((out / "results.json").read_text())
    assert results["format"] == "readiness.validate_model/1" and results["subset"] == "ci"
    statuses = {c["name"]: c["status"] for c in results["checks"]}
    assert set(statuses) == {c.name for c in CHECKS if c.ci}
    replay = "replay of the shipped attack table"
    if not REPLAY_MERGED:  # built on another branch; until it is merged the check fails and names the import
        assert statuses.pop(replay) == "fail"
        assert "readiness.replay" in next(c["note"] for c in results["checks"] if c["name"] == replay)
    assert set(statuses.values()) == {"pass"}, results["checks"]
    assert result.exit_code == (0 if REPLAY_MERGED else 1), result.output
    for check in results["checks"]:
        assert check["status"] == "fail" or all(n["ok"] for n in check["numbers"])
    html, text = (out / "report.html").read_text(), docs.read_text()
    assert all(name in html and f"## {name} (" in text for name in statuses)
    assert "STRESS-DES" in html and "readiness.validate_model/1" in html
    assert results == json.loads((out / "results.json").read_text())  # nothing about the machine or time
    assert "seconds" not in (out / "results.json").read_text()


def test_a_wrong_model_fails_its_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Erlang check must see a solver whose blocking is 1% off (the checks are not vacuous)."""
    honest = model_checks.erlang_b
    monkeypatch.setattr(model_checks, "erlang_b", lambda load, servers: honest(load, servers) * 1.01)
    result = run_model_checks(subset="ci", names=["Erlang B and C: hypercube with one order"])
    assert [c["status"] for c in result.checks] == ["fail"]
    assert [n["ok"] for n in result.checks[0]["numbers"]][1] is False


def test_same_seed_gives_the_same_numbers() -> None:
    names = ["Erlang B: workload warm-up"]
    first, second = (run_model_checks(subset="ci", seed=5, names=names) for _ in range(2))
    other = run_model_checks(subset="ci", seed=6, names=names)
    assert first.results == second.results
    assert first.checks[0]["numbers"] != other.checks[0]["numbers"]


def test_a_skip_says_why_and_an_exception_is_a_named_failure() -> None:
    def missing(ctx: Context) -> Outcome:
        raise Skipped("spopt is not installed")

    def broken(ctx: Context) -> Outcome:
        raise ValueError("bad shape")

    ctx = Context(seed=1, subset="full")
    skip = model_checks._run_one(Check("a", "g", "means", missing, False), ctx)
    fail = model_checks._run_one(Check("b", "g", "means", broken, False), ctx)
    assert (skip["status"], skip["note"]) == ("skip", "spopt is not installed")
    assert (fail["status"], fail["note"]) == ("fail", "ValueError: bad shape")


def test_close_compares_within_the_tolerance_and_rejects_nan() -> None:
    assert close("x", 1.0, 1.0 + 1e-6, 1e-5)["ok"] and not close("x", 1.0, 1.1, 1e-5)["ok"]
    assert not close("x", float("nan"), 1.0, 1.0)["ok"]


def test_markdown_has_every_check_and_its_numbers() -> None:
    result = run_model_checks(subset="ci", names=["Larson and Odoni 5.4.3: three units, exact"])
    text = markdown(result.results)
    assert "| Larson and Odoni 5.4.3: three units, exact | hypercube | **pass** |" in text
    assert "| workload of unit 1 | 0.557" in text and "0.5574" in text


def test_unknown_subset_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="subset"):
        run_model_checks(subset="most")  # type: ignore[arg-type]
    result = CliRunner().invoke(app, ["validate-model", "--subset", "most", "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 2 and "subset" in result.output


@pytest.mark.slow
def test_full_run_passes_every_check_it_can_run() -> None:
    result = run_model_checks(subset="full")
    failed = [c for c in result.checks if c["status"] == "fail"
              and not (c["group"] == "replay" and not REPLAY_MERGED)]
    assert not failed, failed
    assert {c["name"] for c in result.checks} == {c.name for c in CHECKS}


def test_replay_check_scores_each_band_flag_of_the_incidents(monkeypatch: pytest.MonkeyPatch) -> None:
    """Against the replay interface (run_replay -> .summary, .incidents): one calibration row per metric."""
    calls = []

    replay = types.SimpleNamespace(summary={"share_inside_p5_p95": {"deaths": 0.1}, "mae_median": {"minutes": 2.5}},
                                   incidents=[{"id": str(i), "deaths": {"inside_p5_p95": i == 0}} for i in range(10)])

    def run_replay(table=None, *, replications=1000, seed=2015, ids=None):
        calls.append((replications, seed, ids))
        return replay

    monkeypatch.setitem(sys.modules, "readiness.replay", types.SimpleNamespace(run_replay=run_replay))
    result = run_model_checks(subset="ci", seed=3, names=["replay of the shipped attack table"])
    assert calls == [(model_checks.CI_REPLAY_REPLICATIONS, 3, list(model_checks.CI_REPLAY_IDS))]
    [check] = result.checks
    band = check["numbers"][0]
    assert band["model"] == 0.1 and not band["ok"] and check["status"] == "fail"  # 1 of 10 in a 90% band
    assert model_checks.calibration("x", 6, 10)["ok"] and not model_checks.calibration("x", 5, 10)["ok"]
    assert {n["quantity"] for n in check["numbers"][1:]} == {"summary: share_inside_p5_p95.deaths",
                                                            "summary: mae_median.minutes"}


def test_the_reference_on_the_engines_draws_gives_the_engines_single_site_arrivals(default_model) -> None:
    """Common draws leave nothing to chance at one site: the SimPy dispatch must give the engine's times exactly,
    and a 10% travel error in the engine alone must show in every attack with a trip."""
    pytest.importorskip("simpy")
    import dataclasses

    import numpy as np

    from readiness._validation.reference import reference_on_draws
    from readiness.engine import simulate_batch
    from readiness.scenario import attack_minutes, draw_attacks, draw_unit_starts

    reps = np.arange(150, dtype=np.int64)
    minute = attack_minutes(default_model.config.scenario.attack_time, 9, reps)
    reference = reference_on_draws(default_model, draw_attacks(default_model, 9, reps, 1),
                                   draw_unit_starts(default_model, 9, reps), minute, seed=9)
    engine = simulate_batch(default_model, sites=1, seed=9, replications=reps, unit_states=draw_unit_starts)
    for name in ("t_first_armed", "t_enough_armed", "t_first_unarmed"):
        np.testing.assert_allclose(getattr(engine, name), reference[name], rtol=0, atol=1e-9, err_msg=name)
    slower = dataclasses.replace(default_model, blue_light_minutes=default_model.blue_light_minutes * 1.1)
    planted = simulate_batch(slower, sites=1, seed=9, replications=reps, unit_states=draw_unit_starts)
    trip = reference["t_first_armed"][:, 0] > engine.report[:, 0]
    assert (planted.t_first_armed[:, 0][trip] > reference["t_first_armed"][:, 0][trip]).all()


def test_margin_rows_pass_a_ci_inside_the_margin_and_fail_one_across_it() -> None:
    """Paired: zero differences pass with a zero half-width; unpaired: the half-width is the two-sample one."""
    import numpy as np

    zero = {"mean": np.zeros(10), "share": np.zeros(10)}
    assert all(r["ok"] for r in model_checks.margin_rows("x", zero))
    a = {"mean": np.array([0.0, 1.0] * 50), "share": np.array([0.0, 1.0] * 50)}
    b = {"mean": np.array([0.0, 1.0] * 50), "share": np.array([0.0, 1.0] * 50)}
    mean, share = model_checks.margin_rows("x", a, b)
    half = 1.96 * np.sqrt(2 * np.var(a["share"], ddof=1) / 100)
    assert mean["ok"] and not share["ok"]  # half-width 0.139 > margin 0.01 on the share, < 0.25 on the mean
    assert share["tolerance"] == f"[{-0.01 + half:.4g}, {0.01 - half:.4g}]"
    shifted = {"mean": a["mean"] + 0.3, "share": a["share"]}
    assert not model_checks.margin_rows("x", shifted, b)[0]["ok"]


def test_the_reference_reach_is_computed_once_for_the_equivalence_and_the_planted_check(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(model_checks, "reach_given_states", lambda model, states: calls.append(states) or {"n": 1})
    ctx = Context(seed=1, subset="full", cache={"reference_states": {"minute": [0]}})
    ctx.__dict__["default_model"] = object()  # the cached_property, without building the model
    assert model_checks._reference_reach(ctx) is model_checks._reference_reach(ctx)
    assert calls == [{"minute": [0]}]


def test_the_leave_one_out_check_counts_the_rows_the_fit_counted() -> None:
    ctx = Context(seed=1, subset="full", cache={"harm": types.SimpleNamespace(checks={"loo": {
        "rows": 20, "within_p5_p95": 17, "share_within_p5_p95": 0.85, "log_score": -2.0}})})
    (number,) = model_checks.check_harm_loo(ctx).numbers
    assert number["model"] == 0.85 and "of 20" in number["expected"]


def test_each_check_compares_what_its_docstring_says() -> None:
    assert all(check.compares == check.run.__doc__ for check in CHECKS)

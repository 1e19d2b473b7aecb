"""Tests for summary.py: means, shares and 95% intervals against scipy/statistics and hand counts."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from scipy import stats

from readiness.engine import Outcomes
from readiness.summary import (
    Z95,
    StreamingSummary,
    by_district,
    censored,
    mean_ci,
    paired_difference,
    per_replication,
    rounded,
    share_ci,
    summarise_sites,
)


def _outcomes(first: np.ndarray, *, site: np.ndarray | None = None, deaths: np.ndarray | None = None,
              static: np.ndarray | None = None, start: int = 0) -> Outcomes:
    """Outcomes with the given first-armed times; enough-armed 5 minutes later, stopped 2 minutes later; the rest
    zeros."""
    r, k = first.shape
    zeros = np.zeros((r, k))
    return Outcomes(replication=np.arange(start, start + r), site=np.zeros((r, k), np.int64) if site is None else site,
                    start=zeros, report=zeros, attackers=np.ones((r, k), np.int64),
                    static=np.zeros((r, k), bool) if static is None else static,
                    t_first_armed=first, t_enough_armed=first + 5.0, t_resolved=zeros, t_first_unarmed=zeros,
                    t_stop=first + 2.0, expected_deaths=zeros, deaths=np.zeros((r, k), np.int64) if deaths is None else deaths)


def test_z95_is_the_normal_quantile() -> None:
    assert Z95 == pytest.approx(stats.norm.ppf(0.975), abs=1e-12)


def test_rounded_is_json_safe() -> None:
    assert rounded(1.23456789) == 1.234568
    assert rounded(np.float64(2.0)) == 2.0 and type(rounded(np.float64(2.0))) is float
    assert rounded(math.inf) is None and rounded(math.nan) is None


def test_mean_ci_against_statistics_and_scipy() -> None:
    values = np.array([3.1, 4.7, 2.2, 5.9, 4.4, 3.8, 6.1, 2.9])
    mean = statistics.fmean(values)
    half = stats.norm.ppf(0.975) * statistics.stdev(values) / math.sqrt(len(values))
    result = mean_ci(values)
    assert result["mean"] == pytest.approx(mean, abs=1e-6)
    assert result["ci95"] == pytest.approx([mean - half, mean + half], abs=1e-6)


def test_mean_ci_of_one_value_has_no_interval() -> None:
    assert mean_ci(np.array([2.5])) == {"mean": 2.5, "ci95": [None, None]}


def test_share_ci_is_clipped_to_zero_one() -> None:
    result = share_ci(np.array([1.0, 1.0, 1.0, 0.0]))
    assert result["value"] == 0.75
    assert result["ci95"][1] == 1.0 and 0.0 < result["ci95"][0] < 0.75
    assert share_ci(np.zeros(5))["ci95"] == [0.0, 0.0]


def test_paired_difference_is_the_mean_of_differences() -> None:
    rng = np.random.default_rng(1)
    common = rng.normal(10, 5, 400)
    baseline, option = common, common - 1.0 + rng.normal(0, 0.1, 400)
    diff = option - baseline
    result = paired_difference(option, baseline)
    assert result["mean"] == pytest.approx(diff.mean(), abs=1e-6)
    half = result["ci95"][1] - result["mean"]
    assert half == pytest.approx(Z95 * diff.std(ddof=1) / 20, abs=1e-6)
    unpaired = Z95 * math.sqrt((option.var(ddof=1) + baseline.var(ddof=1)) / 400)
    assert half < unpaired / 10  # pairing removes the common variation


def test_censored() -> None:
    assert censored(np.array([1.0, np.inf, 200.0]), 120.0).tolist() == [1.0, 120.0, 120.0]


FIRST = np.array([[5.0, 12.0, np.inf], [25.0, 8.0, 3.0], [11.0, 21.0, 9.0], [2.0, 4.0, 30.0]])


def test_summarise_sites_by_hand() -> None:
    deaths = np.array([[1, 0, 4], [0, 0, 2], [3, 1, 0], [0, 0, 0]])
    static = np.array([[False, False, True], [False, True, True], [True, False, False], [False] * 3])
    result = summarise_sites(_outcomes(FIRST, deaths=deaths, static=static), horizon=120.0)
    per_rep = np.minimum(FIRST, 120.0).mean(axis=1)
    assert result["sites"] == 3
    assert result["time_to_first_armed_min"]["mean"] == pytest.approx(per_rep.mean(), abs=1e-6)
    assert result["time_to_first_armed_min"]["p50"] == pytest.approx(np.median(np.minimum(FIRST, 120)), abs=1e-6)
    assert result["share_sites_waiting_over_10_min"]["value"] == pytest.approx((2 + 1 + 2 + 1) / 12, abs=1e-6)
    assert result["share_sites_waiting_over_20_min"]["value"] == pytest.approx((1 + 1 + 1 + 1) / 12, abs=1e-6)
    assert result["sites_not_reached"] == 1
    assert result["share_sites_not_reached"] == pytest.approx(1 / 12, abs=1e-6)
    assert result["time_to_enough_armed_min"]["mean"] == pytest.approx(np.minimum(FIRST + 5, 120).mean(), abs=1e-6)
    assert result["time_to_stop_min"]["mean"] == pytest.approx(np.minimum(FIRST + 2, 120).mean(), abs=1e-6)
    assert result["time_to_stop_min"]["p90"] == pytest.approx(np.percentile(np.minimum(FIRST + 2, 120), 90), abs=1e-6)
    assert result["victims"]["mean"] == pytest.approx(11 / 4)
    assert result["victims_static_share"] == pytest.approx((4 + 2 + 3) / 11, abs=1e-6)


def test_per_replication_metrics_by_hand_in_the_order_asked() -> None:
    deaths = np.array([[1, 0, 4], [0, 0, 2], [3, 1, 0], [0, 0, 0]])
    metrics = per_replication(_outcomes(FIRST, deaths=deaths), 120.0,
                              ("deaths_per_attack", "time_to_first_armed_min", "share_sites_waiting_over_10_min"))
    assert list(metrics) == ["deaths_per_attack", "time_to_first_armed_min", "share_sites_waiting_over_10_min"]
    assert metrics["deaths_per_attack"].tolist() == [5.0, 2.0, 4.0, 0.0]
    np.testing.assert_array_equal(metrics["time_to_first_armed_min"], np.minimum(FIRST, 120.0).mean(axis=1))
    np.testing.assert_array_equal(metrics["share_sites_waiting_over_10_min"], [2 / 3, 1 / 3, 2 / 3, 1 / 3])


def test_by_district_groups_sites() -> None:
    districts = np.array(["B", "A", "B"])
    site = np.array([[0, 1, 2], [1, 1, 0], [2, 2, 2], [0, 1, 1]])
    deaths = np.arange(12).reshape(4, 3)
    rows = by_district(_outcomes(FIRST, site=site, deaths=deaths), districts, horizon=120.0)
    assert [row["district"] for row in rows] == ["A", "B"]
    a = site.ravel() == 1
    assert rows[0]["sites"] == a.sum() == 5
    assert rows[0]["time_to_first_armed_min"] == pytest.approx(FIRST.ravel()[a].mean(), abs=1e-6)
    assert rows[0]["share_waiting_over_10_min"] == pytest.approx((FIRST.ravel()[a] > 10).mean(), abs=1e-6)
    assert rows[0]["deaths_per_site"] == pytest.approx(deaths.ravel()[a].mean(), abs=1e-6)
    assert rows[1]["sites"] == 7


def test_a_district_with_no_sites_is_left_out() -> None:
    rows = by_district(_outcomes(FIRST), np.array(["A", "Empty", "Empty"]), horizon=120.0)
    assert [row["district"] for row in rows] == ["A"]


def test_streaming_summary_matches_the_one_shot_summary() -> None:
    rng = np.random.default_rng(7)
    first = rng.exponential(12.0, (300, 4))
    first[rng.random((300, 4)) < 0.03] = np.inf
    deaths = rng.poisson(2.0, (300, 4))
    static = rng.random((300, 4)) < 0.4
    whole = summarise_sites(_outcomes(first, deaths=deaths, static=static), 120.0)
    streaming = StreamingSummary(4, 120.0)
    for lo in range(0, 300, 70):
        part = slice(lo, lo + 70)
        streaming.add(_outcomes(first[part], deaths=deaths[part], static=static[part], start=lo))
    result = streaming.result()
    assert result.keys() == whole.keys()
    for key in ("sites", "sites_not_reached", "share_sites_not_reached", "victims_static_share"):
        assert result[key] == whole[key]
    for key in ("time_to_first_armed_min", "time_to_enough_armed_min", "time_to_stop_min", "victims",
                "share_sites_waiting_over_10_min"):
        for stat in ("mean", "value", "ci95"):
            if stat in whole[key]:
                assert result[key][stat] == pytest.approx(whole[key][stat], abs=1e-5), (key, stat)
    for key, times, q in (("time_to_first_armed_min", first, 50), ("time_to_first_armed_min", first, 90),
                          ("time_to_enough_armed_min", first + 5.0, 90), ("time_to_stop_min", first + 2.0, 50)):
        exact = np.percentile(np.minimum(times, 120.0), q, method="inverted_cdf")
        assert result[key][f"p{q}"] <= exact + 1e-9 < result[key][f"p{q}"] + 0.01, (key, q)  # the bin's lower edge
    assert result["victims"]["p90"] == whole["victims"]["p90"]

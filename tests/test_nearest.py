"""The search by distance (``readiness.nearest``): the same unit as scanning the minutes, or no search."""

from __future__ import annotations

import dataclasses

import numba
import numpy as np
from conftest import model_from
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.model import Model
from readiness.nearest import (BAND, DistanceOrder, distance_order, keep_two_least, nearest_in_band,
                               nearest_positions, squared_distance)
from readiness.travel.emergency import EmergencyModel
from readiness.workload import workload_sampler

N_BASES = 2


def _positions(n_lsoa: int, seed: int, duplicates: int = 0) -> np.ndarray:
    """Bases then LSOA centroids (metres); the first ``duplicates`` bases sit on LSOA centroids."""
    rng = np.random.default_rng(seed)
    lsoas = rng.uniform(0, 20_000, size=(n_lsoa, 2)).round()
    bases = rng.uniform(0, 20_000, size=(N_BASES, 2)).round()
    bases[:duplicates] = lsoas[:duplicates]
    return np.vstack([bases, lsoas])


def _minutes(xy: np.ndarray) -> np.ndarray:
    """Blue-light minutes of the RAND curve from every position to every LSOA, float32 as models store them."""
    km = np.hypot(*(xy[:, None, :] - xy[None, N_BASES:, :]).transpose(2, 0, 1)) / 1000.0
    return EmergencyModel().minutes_at(km).astype(np.float32)


def test_the_shipped_travel_matrices_are_searched_by_distance(default_model: Model) -> None:
    """Every LSOA column of the default's normal and blue-light matrices passes the check (else the warm-up
    would scan, as correctly but more slowly)."""
    assert default_model.travel_order.ordered.all()
    blue = distance_order(default_model.blue_light_minutes, default_model.positions, default_model.n_bases)
    assert blue.ordered.all()


def test_a_column_out_of_distance_order_is_scanned() -> None:
    xy = _positions(40, seed=1)
    minutes = _minutes(xy)
    assert distance_order(minutes, xy, N_BASES).ordered.all()
    column = 7
    order = np.argsort(((xy - xy[N_BASES + column]) ** 2).sum(axis=1))
    swapped = minutes.copy()  # the nearest and the farthest position swap minutes: column 7 is out of order
    swapped[[order[0], order[-1]], column] = swapped[[order[-1], order[0]], column]
    checked = distance_order(swapped, xy, N_BASES).ordered
    assert not checked[column] and checked.sum() == len(checked) - 1


def test_equal_minutes_beyond_the_band_fail_the_check() -> None:
    """A flat column (a road network's or a file's minutes may tie): ties go to the lowest index, which a
    search by distance would not find, so the column is scanned."""
    xy = _positions(30, seed=2)
    minutes = _minutes(xy)
    minutes[:, 4] = 5.0
    assert not distance_order(minutes, xy, N_BASES).ordered[4]


def test_a_check_follows_its_matrix_and_positions() -> None:
    xy = _positions(20, seed=3)
    minutes = _minutes(xy)
    first = distance_order(minutes, xy, N_BASES)
    assert distance_order(minutes, xy.copy(), N_BASES).ordered is first.ordered  # checked once
    moved = xy.copy()
    moved[0] += 5_000.0  # a base moved: the same minutes no longer follow the distances
    assert distance_order(minutes, moved, N_BASES).xy is not first.xy


@numba.njit
def _scan(minutes, position, candidate, i):
    """The fewest minutes among the candidates, ties to the lowest index: what the warm-up did before."""
    best, best_tt = -1, np.inf
    for u in range(position.shape[0]):
        if candidate[u] and minutes[position[u], i] < best_tt:
            best_tt, best = minutes[position[u], i], u
    return best


@numba.njit
def _by_distance(order, position, candidate, i, d2):
    least_at, least, second = -1, np.inf, np.inf
    for u in range(position.shape[0]):
        d2[u] = np.inf
        if candidate[u]:
            d2[u] = squared_distance(order.xy, position[u], order.n_bases + i)
            least_at, least, second = keep_two_least(u, d2[u], least_at, least, second)
    return nearest_in_band(order, position, d2, least_at, least, second, i)


_XY = _positions(60, seed=4, duplicates=2)
_ORDER = distance_order(_minutes(_XY), _XY, N_BASES)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_search_by_distance_finds_the_unit_a_scan_finds(data: st.DataObject) -> None:
    """Units on the same position (ties in minutes), bases on centroids, no candidate, one candidate."""
    n_units = data.draw(st.integers(1, 12))
    n_positions = _XY.shape[0]
    position = np.array(data.draw(st.lists(st.integers(0, n_positions - 1), min_size=n_units, max_size=n_units)))
    candidate = np.array(data.draw(st.lists(st.booleans(), min_size=n_units, max_size=n_units)))
    i = data.draw(st.integers(0, n_positions - N_BASES - 1))
    assert _ORDER.ordered[i]
    found = _by_distance(_ORDER, position, candidate, i, np.empty(n_units))
    assert found == _scan(_ORDER.minutes, position, candidate, i)


def test_positions_too_close_in_distance_for_float32_are_compared_by_minutes() -> None:
    """Two bases a micrometre apart in distance to an LSOA have the same float32 minutes: the scan gives the
    job to the lower index, the farther one; the nearer by distance alone would be the other. The band makes
    the search compare their minutes, and the column still counts as ordered."""
    xy = _positions(20, seed=5)
    lsoa = 3
    centre = xy[N_BASES + lsoa]
    xy[0] = centre + [1_000.0 + 1e-6, 0.0]  # base 0: farther by a micrometre
    xy[1] = centre + [1_000.0, 0.0]
    minutes = _minutes(xy)
    assert minutes[0, lsoa] == minutes[1, lsoa]
    order = distance_order(minutes, xy, N_BASES)
    assert order.ordered[lsoa]
    position, candidate = np.array([0, 1]), np.array([True, True])
    assert _scan(minutes, position, candidate, lsoa) == 0
    assert _by_distance(order, position, candidate, lsoa, np.empty(2)) == 0
    assert BAND > 1.0 + 1e3 * np.finfo(np.float32).eps  # far wider than float32 resolves: ties stay rare


def test_the_warm_up_searching_by_distance_gives_the_states_of_the_scan() -> None:
    """Bit for bit, on a busy workload (pre-emption, lost jobs, units on the same LSOA) at every hour."""
    model = model_from({"parameters": {"workload.other_jobs_per_day": 150.0, "workload.force_share": 0.1}})
    reps = np.arange(3_000)
    minute = (reps * 47) % (7 * 1440)
    searched = workload_sampler(model).state(model, 11, reps, minute)
    order = model.travel_order
    assert order.ordered.all()
    model.__dict__["travel_order"] = DistanceOrder(order.minutes, order.xy, np.zeros_like(order.ordered),
                                                   order.n_bases)
    try:
        scanned = workload_sampler(model).state(model, 11, reps, minute)
    finally:
        model.__dict__["travel_order"] = order
    assert scanned.lost.sum() > 0 and scanned.preempted.sum() > 0  # the busy paths ran
    for field in dataclasses.fields(scanned):
        np.testing.assert_array_equal(getattr(searched, field.name), getattr(scanned, field.name), err_msg=field.name)


# --- the positions nearest each LSOA (the dispatch's walk for response cars) -------------------------

@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kept=st.integers(1, 12), n_positions=st.integers(1, 12))
def test_nearest_positions_are_the_fewest_minutes_first_and_the_rest_are_no_nearer(seed: int, kept: int,
                                                                                   n_positions: int) -> None:
    """Integer minutes (many ties) with some unreachable: the kept positions are distinct, their minutes are
    the matrix's, in order, and no position left out has fewer minutes than the last kept."""
    rng = np.random.default_rng(seed)
    to_sites = rng.integers(0, 4, size=(5, n_positions)).astype(np.float32)
    to_sites[to_sites == 3] = np.inf
    nearest = nearest_positions(to_sites, kept=kept)
    assert nearest.position.shape == (5, min(kept, n_positions)) and nearest.position.dtype == np.int32
    for i in range(5):
        row = nearest.position[i]
        assert len(set(row.tolist())) == len(row)
        np.testing.assert_array_equal(nearest.minutes[i], to_sites[i, row])
        assert (nearest.minutes[i, 1:] >= nearest.minutes[i, :-1]).all()
        left_out = np.setdiff1d(np.arange(n_positions), row)
        assert (to_sites[i, left_out] >= nearest.minutes[i, -1]).all()


def test_derived_models_share_the_nearest_positions(default_model: Model) -> None:
    """Made once per blue-light matrix: an option's model (the same travel arrays) reuses them."""
    from readiness.model import derive_model

    option = derive_model(default_model, default_model.config.model_copy())
    assert option.nearest_to_sites is default_model.nearest_to_sites
    assert option.blue_light_to_sites is default_model.blue_light_to_sites

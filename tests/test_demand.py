"""Tests for incident data import (both data.police.uk layouts), demand weights and the demand profile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from readiness.area import Area, data_path, load_area
from readiness.demand import (
    DEFAULT_INCIDENTS_FILE,
    hour_of_week,
    load_demand_weights,
    load_profile,
    read_incident_counts,
    read_street_csv,
)
from readiness.errors import DataError

DATA = Path(__file__).parent / "data"
OLD = DATA / "2011-02-west-midlands-street-sample.csv"
CURRENT = DATA / "2015-11-west-midlands-street-sample.csv"
SOURCE_2011 = Path(__file__).parents[1] / "scripts" / "sources" / "2011-02-west-midlands-street.csv"


@pytest.fixture(scope="module")
def area() -> Area:
    return load_area()


def test_old_layout_locates_every_row_by_point_or_edge(area: Area) -> None:
    incidents = read_street_csv(OLD, area)
    report = incidents.report
    assert (report.layout, report.rows) == ("bng", 495)
    assert (report.by_code, report.outside, report.bad_coordinates) == (0, 0, 0)
    assert report.by_point + report.near_edge == 495 == len(incidents.lsoa)
    assert report.near_edge == 4  # three rows picked from the 34 just outside the generalised shapes, one by chance
    # the first row (408811, 284398) lies in Birmingham 077D
    assert area.codes[incidents.lsoa[0]] == "E01009371"
    assert set(incidents.crime_type) <= {"Anti-social behaviour", "Other crime", "Violent crime", "Burglary",
                                         "Vehicle crime", "Robbery"}


def test_edge_tolerance_zero_drops_and_counts_rows_outside_the_shapes(area: Area) -> None:
    report = read_street_csv(OLD, area, edge_tolerance_m=0.0).report
    assert (report.by_point, report.near_edge, report.outside) == (491, 0, 4)
    assert report.kept + report.dropped == report.rows


def test_current_layout_falls_back_to_codes_and_counts_every_dropped_row(area: Area) -> None:
    incidents = read_street_csv(CURRENT, area)
    report = incidents.report
    assert report.layout == "lonlat"
    # 6 points in shapes (one of them with a wrong Stafford code: the point wins), 2 by code (no location;
    # a point outside every shape), 1 point just outside a shape without a code, 2 outside (a point in
    # Stafford; no location and a Stafford code), 2 without a usable point or any code ("No Location", "n/a")
    assert (report.rows, report.by_point, report.by_code, report.near_edge, report.outside,
            report.bad_coordinates) == (13, 6, 2, 1, 2, 2)
    codes = [area.codes[i] for i in incidents.lsoa]
    assert codes[:5] == ["E01009371", "E01010264", "E01009086", "E01009746", "E01010086"]
    assert codes[5] == "E01009505"  # Bristol Road point, listed with a Stafford code
    assert codes.count("E01009505") == 3
    assert incidents.counts(area.n).sum() == report.kept == 9


def test_shipped_counts_rebuild_from_the_source_file(area: Area) -> None:
    shipped = pd.read_csv(data_path(DEFAULT_INCIDENTS_FILE))
    assert list(shipped.columns) == ["lsoa11cd", "incidents"]
    assert len(shipped) == 1680 and shipped["lsoa11cd"].is_monotonic_increasing
    assert set(shipped["lsoa11cd"]) == set(area.codes)
    assert shipped["incidents"].sum() == 25_558
    incidents = read_street_csv(SOURCE_2011, area)
    assert (incidents.report.rows, incidents.report.dropped, incidents.report.near_edge) == (25_558, 0, 34)
    rebuilt = incidents.counts(area.n)
    aligned = shipped.set_index("lsoa11cd").loc[area.codes, "incidents"].to_numpy()
    np.testing.assert_array_equal(rebuilt, aligned)
    sample = read_street_csv(OLD, area).counts(area.n)
    assert (sample <= aligned).all()


def test_demand_weights_default_folder_and_other_areas(area: Area, tmp_path: Path) -> None:
    default = load_demand_weights(None, area)
    assert default.weights.sum() == 25_558 and "2011" in default.source
    folder = tmp_path / "downloads"
    (folder / "2015-11").mkdir(parents=True)
    (folder / "2011-02").mkdir()
    (folder / "2015-11" / CURRENT.name).write_bytes(CURRENT.read_bytes())
    (folder / "2011-02" / OLD.name).write_bytes(OLD.read_bytes())
    combined = load_demand_weights(folder, area)
    assert combined.weights.sum() == 9 + 495  # kept rows of the two files
    assert [r.layout for r in combined.reports] == ["bng", "lonlat"]
    assert all("/" not in str(r.as_dict()["source"]) for r in combined.reports)
    other = Area(name="elsewhere", codes=np.array(["W01000001", "W01000002"]), names=np.array(["a", "b"]),
                 districts=np.array(["x", "x"]), residents=np.array([1500.0, 1700.0]), x=np.zeros(2),
                 y=np.zeros(2), crs="EPSG:27700")
    fallback = load_demand_weights(None, other)
    np.testing.assert_array_equal(fallback.weights, [1500.0, 1700.0])
    assert fallback.source.startswith("residents")


def test_counts_table_drops_and_counts_unknown_codes(area: Area, tmp_path: Path) -> None:
    table = tmp_path / "counts.csv"
    table.write_text("lsoa11cd,incidents\nE01009371,5\nE01029681,7\nE01009371,2\n", encoding="utf-8")
    counts, report = read_incident_counts(table, area)
    assert counts[area.index_of["E01009371"]] == 7 and counts.sum() == 7
    assert (report.by_code, report.outside) == (2, 1)


@pytest.mark.parametrize(("text", "message", "field"), [
    ("Month,Location,Crime type\n2015-11,On or near X,Robbery\n", "missing coordinate columns", None),
    ("Month,Longitude,Latitude\n2015-11,abc,52.4\n2015-11,,\n", "no row has a usable", "Longitude"),
    ("", "cannot read as CSV", None),
])
def test_bad_street_files_name_file_and_column(area: Area, tmp_path: Path, text: str, message: str,
                                               field: str | None) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message) as caught:
        read_street_csv(path, area)
    assert "bad.csv" in str(caught.value)
    assert caught.value.field == field


def test_bad_counts_and_missing_files(area: Area, tmp_path: Path) -> None:
    bad = tmp_path / "counts.csv"
    bad.write_text("lsoa11cd,incidents\nE01009371,-3\n", encoding="utf-8")
    with pytest.raises(DataError, match="non-negative") as caught:
        read_incident_counts(bad, area)
    assert caught.value.field == "incidents"
    with pytest.raises(DataError, match="file not found"):
        read_street_csv(tmp_path / "missing.csv", area)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no CSV files"):
        load_demand_weights(tmp_path / "empty", area)


def test_shipped_profile_shape() -> None:
    profile = load_profile()
    assert profile.shape == (168,) and profile.mean() == pytest.approx(1.0)
    by_hour = profile.reshape(7, 24)
    assert (by_hour[:, 20] > 2.5 * by_hour[:, 5]).all()  # evening peak, early-morning trough
    # the police day starts at 06:00: Saturday 02:00 is Friday night, Monday 02:00 is Sunday night
    assert by_hour[5, 2] / by_hour[3, 2] == pytest.approx(1.10 / 0.94)  # Thursday 02:00 is Wednesday night
    assert by_hour[0, 2] / by_hour[1, 2] == pytest.approx(1.00 / 0.92)


def test_bad_profile_names_field(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text("hour: [1, 2]\nday: {Mon: 1}\n", encoding="utf-8")
    with pytest.raises(DataError, match="profile.yaml") as caught:
        load_profile(path)
    assert caught.value.field == "hour"


def test_hour_of_week_wraps_negative_minutes() -> None:
    np.testing.assert_array_equal(hour_of_week(np.array([0, 59, 60, -1, 10_080, 10_140])), [0, 0, 1, 167, 0, 1])

"""Tests for the supplied-matrix travel model and the travel-model factory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from readiness.errors import ConfigError, DataError
from readiness.travel import CalibratedModel, TravelModel
from readiness.travel.factory import build_travel_model
from readiness.travel.matrix import MatrixModel

BASES = {"hub_north": (400_000.0, 290_000.0), "hub_south": (402_500.5, 281_000.25)}
LSOAS = {
    "E01000001": (401_000.0, 288_000.0),
    "E01000002": (399_000.0, 285_500.0),
    "E01000003": (405_000.0, 284_000.0),
}
MINUTES = np.array([[4.5, 9.0, 12.25], [11.0, 7.5, 6.0]])  # bases x LSOAs


def xy(points: dict[str, tuple[float, float]], *names: str) -> np.ndarray:
    return np.array([points[n] for n in names])


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def points_frame() -> pd.DataFrame:
    rows = [(name, x, y) for name, (x, y) in {**BASES, **LSOAS}.items()]
    return pd.DataFrame(rows, columns=["name", "x", "y"])


def long_frame() -> pd.DataFrame:
    rows = [(b, s, MINUTES[i, j]) for i, b in enumerate(BASES) for j, s in enumerate(LSOAS)]
    return pd.DataFrame(rows, columns=["origin", "destination", "minutes"])


def wide_frame() -> pd.DataFrame:
    frame = pd.DataFrame(MINUTES, columns=list(LSOAS))
    frame.insert(0, "base", list(BASES))
    return frame


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("form", [long_frame, wide_frame])
def test_round_trip(tmp_path: Path, suffix: str, form: object) -> None:
    matrix = write(form(), tmp_path / f"minutes{suffix}")
    points = write(points_frame(), tmp_path / f"points{suffix}")
    model = MatrixModel.from_files(matrix, points)
    assert isinstance(model, TravelModel)
    np.testing.assert_array_equal(model.minutes(xy(BASES, *BASES), xy(LSOAS, *LSOAS)), MINUTES)
    # any order, repeats, and coordinates a little off (within the 1 m tolerance)
    origins = xy(BASES, "hub_south", "hub_north", "hub_south") + [0.4, -0.3]
    destinations = xy(LSOAS, "E01000003", "E01000001")
    np.testing.assert_array_equal(model.minutes(origins, destinations), MINUTES[[1, 0, 1]][:, [2, 0]])


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return write(long_frame(), tmp_path / "m.csv"), write(points_frame(), tmp_path / "p.csv")


def test_unknown_coordinate_is_named(files: tuple[Path, Path]) -> None:
    model = MatrixModel.from_files(*files)
    with pytest.raises(
        DataError, match=r"origin coordinate \(400003\.0, 290000\.0\).*'hub_north', is 3\.0 m"
    ) as e:
        model.minutes(xy(BASES, "hub_north") + [3.0, 0.0], xy(LSOAS, "E01000001"))
    assert "m.csv" in str(e.value)
    with pytest.raises(DataError, match="destination coordinate"):
        model.minutes(xy(BASES, "hub_north"), xy(BASES, "hub_south"))  # a base is not a destination here
    wider = MatrixModel.from_files(*files, tolerance_m=5.0)
    assert wider.minutes(xy(BASES, "hub_north") + [3.0, 0.0], xy(LSOAS, "E01000001"))[0, 0] == 4.5


def test_missing_pair_is_named(tmp_path: Path) -> None:
    matrix = write(long_frame().drop(index=4), tmp_path / "m.csv")  # hub_south -> E01000002
    model = MatrixModel.from_files(matrix, write(points_frame(), tmp_path / "p.csv"))
    assert model.minutes(xy(BASES, "hub_north"), xy(LSOAS, *LSOAS)).tolist() == [MINUTES[0].tolist()]
    with pytest.raises(DataError, match="no minutes for 'hub_south' -> 'E01000002'") as e:
        model.minutes(xy(BASES, *BASES), xy(LSOAS, *LSOAS))
    assert "m.csv" in str(e.value)


def test_empty_wide_cell_is_a_missing_pair(tmp_path: Path) -> None:
    frame = wide_frame()
    frame.loc[0, "E01000003"] = np.nan
    model = MatrixModel.from_files(
        write(frame, tmp_path / "m.csv"), write(points_frame(), tmp_path / "p.csv")
    )
    with pytest.raises(DataError, match="no minutes for 'hub_north' -> 'E01000003'"):
        model.minutes(xy(BASES, *BASES), xy(LSOAS, *LSOAS))


def bad_matrix_cases() -> list[tuple[str, str, str]]:
    header = "origin,destination,minutes\n"
    return [
        (
            "m.csv",
            header + "hub_north,E01000001,4.5\nhub_north,E01000002,fast\n",
            r"line 3, column 'minutes': 'fast'",
        ),
        (
            "m.csv",
            header + "hub_north,E01000001,-2\n",
            r"line 2, column 'minutes': '-2' is not a finite number of minutes >= 0",
        ),
        (
            "m.csv",
            header + "hub_north,E01000001,4\nhub_north,E01000001,5\n",
            r"pair 'hub_north' -> 'E01000001' appears more than once \(line 2, line 3\)",
        ),
        ("m.csv", header + ",E01000001,4\n", r"line 2, column 'origin': empty name"),
        (
            "m.csv",
            "base,E01000001,E01000002\nhub_north,1,2\nhub_north,3,4\n",
            r"origin name 'hub_north' appears more than once \(line 2, line 3\)",
        ),
        (
            "m.csv",
            "base,E01000001,E01000001\nhub_north,1,2\n",
            r"destination column 'E01000001' appears more than once \(columns 2, 3\)",
        ),
        ("m.csv", "base,E01000001,E01000002\nhub_north,1,x\n", r"line 2, column 'E01000002': 'x'"),
        ("m.csv", "base\nhub_north\n", "needs an origin column and one column per destination"),
        (
            "m.csv",
            "origin,destination,minutes\nunknown_base,E01000001,3\n",
            r"origin name\(s\) have no point in .*p.csv.*unknown_base",
        ),
        ("m.xlsx", header, r"unknown file type '.xlsx'"),
        ("m.parquet", "not parquet at all", "cannot read as Parquet"),
        ("m.csv", "", "cannot read as CSV"),
    ]


@pytest.mark.parametrize(("name", "content", "expected"), bad_matrix_cases())
def test_bad_matrix_files(tmp_path: Path, name: str, content: str, expected: str) -> None:
    matrix = tmp_path / name
    matrix.write_text(content)
    points = write(points_frame(), tmp_path / "p.csv")
    with pytest.raises(DataError, match=expected) as e:
        MatrixModel.from_files(matrix, points)
    assert name in str(e.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "name,x,y\nhub_north,1,2\nE01000001,3,4\nhub_north,5,6\n",
            r"point name 'hub_north' appears more than once \(line 2, line 4\)",
        ),
        ("name,x,y\nhub_north,1,north\n", r"line 2, column 'y': 'north' is not a finite number"),
        ("name,easting\nhub_north,1\n", r"missing column\(s\) \['x', 'y'\]"),
    ],
)
def test_bad_points_files(tmp_path: Path, content: str, expected: str) -> None:
    points = tmp_path / "points.csv"
    points.write_text(content)
    with pytest.raises(DataError, match=expected) as e:
        MatrixModel.from_files(write(long_frame(), tmp_path / "m.csv"), points)
    assert "points.csv" in str(e.value)


def test_points_closer_than_the_tolerance_are_ambiguous(tmp_path: Path) -> None:
    frame = points_frame()
    frame.loc[frame.name == "hub_south", ["x", "y"]] = [400_000.5, 290_000.0]
    with pytest.raises(DataError, match=r"origins 'hub_north' and 'hub_south' are within 1\.0 m"):
        MatrixModel.from_files(write(long_frame(), tmp_path / "m.csv"), write(frame, tmp_path / "p.csv"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found") as e:
        MatrixModel.from_files(tmp_path / "none.csv", tmp_path / "p.csv")
    assert "none.csv" in str(e.value)


def test_factory_builds_each_model(files: tuple[Path, Path]) -> None:
    assert build_travel_model({}) == CalibratedModel()
    assert build_travel_model({"model": "calibrated", "intercept": 1}).intercept == 1.0
    matrix = build_travel_model(
        {"model": "matrix", "file": str(files[0]), "points": files[1], "tolerance_m": 2}
    )
    assert isinstance(matrix, MatrixModel)
    assert matrix.minutes(xy(BASES, "hub_south"), xy(LSOAS, "E01000002"))[0, 0] == 7.5


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"model": "teleport"}, "travel.model"),
        ({"model": "matrix", "file": "m.csv"}, "travel.points"),
        ({"model": "network"}, "travel.osm"),
        ({"model": "calibrated", "speed": 3}, "travel.speed"),
        ({"model": "matrix", "file": "m.csv", "points": "p.csv", "tolerance_m": "close"}, "tolerance_m"),
    ],
)
def test_factory_rejects_bad_specs(spec: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        build_travel_model(spec)

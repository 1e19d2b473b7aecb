"""Travel minutes looked up in a matrix the user supplies (CSV or Parquet) between named points."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from readiness.errors import ConfigError, DataError
from readiness.travel.calibrated import _as_points

#: Default distance (metres) within which a coordinate counts as a named point.
DEFAULT_TOLERANCE_M = 1.0
_LONG_COLUMNS = ("origin", "destination", "minutes")
_POINT_COLUMNS = ("name", "x", "y")
_SUFFIXES = {".csv": "CSV", ".parquet": "Parquet", ".pq": "Parquet"}


def _read_cells(path: Path, what: str) -> tuple[list[str], pd.DataFrame]:
    """Read a CSV or Parquet table as its header and its cells as stripped text ("" where empty).

    Reading text rather than letting pandas guess types keeps duplicate column names (which pandas
    would rename) and lets each bad cell be reported with its row and column.
    """
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"unknown file type {path.suffix!r}; expected {what} as .csv or .parquet", source=str(path)
        )
    if not path.is_file():
        raise DataError(f"file not found; expected {what}", source=str(path))
    try:
        if kind == "CSV":
            raw = pd.read_csv(
                path,
                header=None,
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                encoding="utf-8-sig",
            ).fillna("")  # a short row's missing cells
            header, cells = [str(h) for h in raw.iloc[0]], raw.iloc[1:].reset_index(drop=True)
        else:
            frame = pd.read_parquet(path)
            header = [str(h) for h in frame.columns]
            cells = frame.map(lambda value: "" if pd.isna(value) else str(value))
    except (OSError, ValueError, IndexError, pd.errors.ParserError) as e:
        msg = f"cannot read as {kind} ({type(e).__name__}: {e}); expected {what}"
        raise DataError(msg, source=str(path)) from e
    cells.columns = range(cells.shape[1])
    return [h.strip() for h in header], cells.apply(lambda column: column.str.strip())


def _row(path: Path, index: int) -> str:
    """Name a data row as the user sees it: its line in a CSV (header is line 1), its number in Parquet."""
    return f"line {index + 2}" if path.suffix.lower() == ".csv" else f"row {index + 1}"


def _numbers(cells: pd.Series, path: Path, column: str, *, empty_ok: bool, negative_ok: bool) -> np.ndarray:
    """Parse a column of numbers, naming the first cell that is not a finite number (or is negative)."""
    values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) & ~(empty_ok & (cells == "").to_numpy())
    if not negative_ok:
        bad |= values < 0
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        expected = "a finite number" if negative_ok else "a finite number of minutes >= 0"
        msg = f"{_row(path, index)}, column {column!r}: {cells.iloc[index]!r} is not {expected}"
        raise DataError(msg, source=str(path))
    return values


def _first_repeat(keys: pd.DataFrame) -> list[int]:
    """Positions of the first group of repeated rows of ``keys``; empty when all rows are distinct."""
    repeated = keys.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return []
    first = keys.iloc[int(np.flatnonzero(repeated)[0])]
    return np.flatnonzero((keys == first).all(axis=1).to_numpy()).tolist()


def _filled(cells: pd.Series, path: Path, column: str) -> None:
    """Check that every cell of a name column has a name, naming the first empty one."""
    empty = np.flatnonzero((cells == "").to_numpy())
    if len(empty):
        raise DataError(f"{_row(path, int(empty[0]))}, column {column!r}: empty name", source=str(path))


def _names(cells: pd.Series, path: Path, column: str, what: str) -> list[str]:
    """Check that a column of names is filled and distinct, naming the rows of the first duplicate."""
    _filled(cells, path, column)
    repeat = _first_repeat(cells.to_frame())
    if repeat:
        rows = ", ".join(_row(path, i) for i in repeat)
        raise DataError(
            f"{what} name {cells.iloc[repeat[0]]!r} appears more than once ({rows})", source=str(path)
        )
    return cells.tolist()


def read_points(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Read a points file (columns ``name, x, y`` in the area's projected CRS).

    Returns
    -------
    names, xy
        Distinct point names and their ``(n, 2)`` coordinates.
    """
    path = Path(path).expanduser()
    header, cells = _read_cells(path, "a points table with columns name, x, y")
    columns = {h.lower(): i for i, h in enumerate(header)}
    missing = [c for c in _POINT_COLUMNS if c not in columns]
    if missing:
        raise DataError(
            f"missing column(s) {missing}; expected name, x, y (found {header})", source=str(path)
        )
    names = _names(cells[columns["name"]], path, header[columns["name"]], "point")
    xy = [
        _numbers(cells[columns[a]], path, header[columns[a]], empty_ok=False, negative_ok=True) for a in "xy"
    ]
    return names, np.column_stack(xy).reshape(-1, 2)


def read_matrix(path: str | Path) -> tuple[list[str], list[str], np.ndarray]:
    """Read minutes in long form (``origin, destination, minutes``) or wide form (first column = origins).

    Returns
    -------
    origins, destinations, table
        Distinct origin and destination names and the ``(n_origins, n_destinations)`` minutes, NaN for
        pairs the file does not give (an empty wide cell, an absent long row).

    Raises
    ------
    DataError
        For duplicate names or pairs, non-numeric or negative minutes, naming the row and column.
    """
    path = Path(path).expanduser()
    header, cells = _read_cells(path, "a travel matrix (long: origin, destination, minutes; or wide)")
    lowered = [h.lower() for h in header]
    if set(_LONG_COLUMNS) <= set(lowered):
        o, d, m = (lowered.index(c) for c in _LONG_COLUMNS)
        minutes = _numbers(cells[m], path, header[m], empty_ok=False, negative_ok=False)
        for column in (o, d):
            _filled(cells[column], path, header[column])
        repeat = _first_repeat(cells[[o, d]])
        if repeat:
            pair = f"{cells[o].iloc[repeat[0]]!r} -> {cells[d].iloc[repeat[0]]!r}"
            rows = ", ".join(_row(path, i) for i in repeat)
            raise DataError(f"pair {pair} appears more than once ({rows})", source=str(path))
        origins, destinations = sorted(set(cells[o])), sorted(set(cells[d]))
        table = np.full((len(origins), len(destinations)), np.nan)
        table[np.searchsorted(origins, cells[o]), np.searchsorted(destinations, cells[d])] = minutes
        return origins, destinations, table
    if len(header) < 2:
        raise DataError(
            "a wide matrix needs an origin column and one column per destination", source=str(path)
        )
    repeat = _first_repeat(pd.DataFrame({"name": header[1:]}))
    if repeat:
        columns = ", ".join(str(j + 2) for j in repeat)
        raise DataError(
            f"destination column {header[repeat[0] + 1]!r} appears more than once (columns {columns})",
            source=str(path),
        )
    if "" in header[1:]:
        raise DataError(f"column {header.index('', 1) + 1} has no destination name", source=str(path))
    origins = _names(cells[0], path, header[0], "origin")
    table = np.column_stack(
        [_numbers(cells[j], path, header[j], empty_ok=True, negative_ok=False) for j in range(1, len(header))]
    )
    return origins, header[1:], table.reshape(len(origins), len(header) - 1)


@dataclass(frozen=True, eq=False)
class MatrixModel:
    """Minutes from a supplied matrix, looked up by matching each coordinate to a named point.

    Build it with :meth:`from_files`. A coordinate matches an origin (destination) of the matrix when it
    lies within ``tolerance_m`` of that name's point; anything else is an error, never a guess.

    Attributes
    ----------
    origins, destinations
        Names of the matrix's rows and columns.
    table
        ``(len(origins), len(destinations))`` minutes; NaN where the file gives no value.
    origin_xy, destination_xy
        Coordinates of those names, in the area's projected CRS.
    tolerance_m
        Largest distance (metres) at which a coordinate counts as a named point.
    source
        The matrix file, for error messages.
    """

    origins: tuple[str, ...]
    destinations: tuple[str, ...]
    table: np.ndarray
    origin_xy: np.ndarray
    destination_xy: np.ndarray
    tolerance_m: float = DEFAULT_TOLERANCE_M
    source: str = "travel matrix"

    @classmethod
    def from_files(
        cls, matrix: str | Path, points: str | Path, *, tolerance_m: float = DEFAULT_TOLERANCE_M
    ) -> MatrixModel:
        """Read a matrix file and the points file that places its names.

        Parameters
        ----------
        matrix
            CSV or Parquet minutes, long (``origin, destination, minutes``) or wide (first column = origins,
            one column per destination).
        points
            CSV or Parquet with ``name, x, y`` for every name the matrix uses (e.g. LSOA centroids, bases).
        tolerance_m
            Largest distance at which a coordinate matches a point (default 1 m).

        Returns
        -------
        MatrixModel

        Raises
        ------
        DataError
            If either file is malformed, a matrix name has no point, or two origins (or two destinations)
            lie within ``tolerance_m`` of each other, so that a coordinate would be ambiguous.
        """
        try:
            tolerance = float(tolerance_m)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"must be a number of metres, got {tolerance_m!r}", field="tolerance_m") from e
        if not (np.isfinite(tolerance) and tolerance >= 0):
            raise ConfigError(f"must be a number of metres >= 0, got {tolerance_m!r}", field="tolerance_m")
        origins, destinations, table = read_matrix(matrix)
        if table.size == 0:
            raise DataError(
                "the matrix has no minutes (no origin rows or no destination columns)", source=str(matrix)
            )
        names, xy = read_points(points)
        position = {name: i for i, name in enumerate(names)}
        located = []
        for role, wanted in (("origin", origins), ("destination", destinations)):
            unknown = [name for name in wanted if name not in position]
            if unknown:
                msg = f"{len(unknown)} {role} name(s) have no point in {points}, e.g. {unknown[:3]}"
                raise DataError(msg, source=str(matrix))
            where = xy[[position[name] for name in wanted]].reshape(-1, 2)
            close = sorted(cKDTree(where).query_pairs(tolerance))
            if close:
                i, j = close[0]
                msg = f"{role}s {wanted[i]!r} and {wanted[j]!r} are within {tolerance} m of each other"
                msg += f" in {points}, so a coordinate could match either"
                raise DataError(msg, source=str(matrix))
            located.append(where)
        return cls(
            origins=tuple(origins),
            destinations=tuple(destinations),
            table=table,
            origin_xy=located[0],
            destination_xy=located[1],
            tolerance_m=tolerance,
            source=str(matrix),
        )

    @cached_property
    def _trees(self) -> tuple[cKDTree, cKDTree]:
        return cKDTree(self.origin_xy), cKDTree(self.destination_xy)

    def _match(self, points: np.ndarray, tree: cKDTree, names: tuple[str, ...], role: str) -> np.ndarray:
        """Return the matrix index of each point's name, or raise naming the first unknown coordinate."""
        distance, index = tree.query(points)
        far = np.flatnonzero(distance > self.tolerance_m)
        if len(far):
            k = int(far[0])
            x, y = points[k]
            msg = (
                f"{role} coordinate ({x:.1f}, {y:.1f}) is not a named {role} of the matrix: the nearest, "
                f"{names[index[k]]!r}, is {distance[k]:.1f} m away (tolerance {self.tolerance_m} m)"
            )
            raise DataError(msg, source=self.source)
        return np.asarray(index, dtype=np.int64)

    def minutes(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """Minutes from every origin to every destination, as the matrix gives them.

        Raises
        ------
        DataError
            If a coordinate is not one of the matrix's named points, or the matrix lacks a requested pair.
        """
        origin_tree, destination_tree = self._trees
        rows = self._match(_as_points(origins, "origins"), origin_tree, self.origins, "origin")
        columns = self._match(
            _as_points(destinations, "destinations"), destination_tree, self.destinations, "destination"
        )
        result = self.table[np.ix_(rows, columns)]
        missing = np.argwhere(np.isnan(result))
        if len(missing):
            i, j = missing[0]
            pair = f"{self.origins[rows[i]]!r} -> {self.destinations[columns[j]]!r}"
            raise DataError(
                f"no minutes for {pair} ({len(missing)} requested pair(s) missing)", source=self.source
            )
        return result

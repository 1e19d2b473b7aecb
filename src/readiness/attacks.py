"""The table of real attacks (one row per site), shipped or a user's CSV, checked row by row.

The harm fit and the replay read the same table (docs/data.md, "Attack table"): each row is one site of
one attack, with what happened there (times, deaths) beside what a simulation needs (force, position,
setting class, weapon class, attackers). A user's file needs only the columns a replay needs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import pandas as pd

from readiness.area import data_path
from readiness.errors import DataError
from readiness.forces import match_force

DEFAULT_ATTACKS_FILE = "attacks.csv"

#: Weapon classes of the harm model; ``vehicle+knife`` is a vehicle attack continued on foot with knives.
WEAPONS = ("firearm", "knife", "vehicle", "vehicle+knife", "bomb")
#: Setting classes of the exposure layer, plus ``other_public`` for open public places outside them.
SETTINGS = ("transport_hub", "venue", "night_time_economy", "residential", "other_public")

#: Columns every file needs (what a replay needs to simulate a row).
REQUIRED_COLUMNS = ("id", "force", "lat", "lon", "start_local", "attackers", "weapon", "setting")
TIME_COLUMNS = ("start_local", "first_call_local", "first_armed_local", "stop_local")
#: Derived minutes: (column, from time, to time).
MINUTE_COLUMNS = (
    ("minutes_start_to_first_armed", "start_local", "first_armed_local"),
    ("minutes_call_to_first_armed", "first_call_local", "first_armed_local"),
    ("minutes_start_to_stop", "start_local", "stop_local"),
)
#: A first call can come after armed officers already there engaged (Orlando), so only that one may be negative.
MAY_BE_NEGATIVE = frozenset({"minutes_call_to_first_armed"})
#: Issue 18's names for recorded minutes in a user's file, read as the table's own columns.
MINUTE_ALIASES = {"start_to_first_armed_min": "minutes_start_to_first_armed",
                  "call_to_first_armed_min": "minutes_call_to_first_armed"}
COLUMNS = ("attack_id", "id", "date", "country", "force", "place", "lat", "lon", "setting", "weapon",
           "attackers", *TIME_COLUMNS, *(column for column, _, _ in MINUTE_COLUMNS), "deaths", "injured",
           "armed_on_site", "scored", "scored_reason", "source_1", "source_2", "notes")
#: Given minutes and minutes recomputed from the times may differ by rounding to 0.1 min only.
MINUTES_TOLERANCE = 0.051

#: Why a row is reported but not scored by the replay.
UNSCORED_BOMB = "bomb: outside the shooting and armed-response model"
UNSCORED_ABROAD = "outside England and Wales: no force model"
UNSCORED_ARMED_ON_SITE = "armed officers already on site: no dispatched response to predict"
UNSCORED_NO_START = "no start time: cannot be run at its hour"


@dataclass(frozen=True)
class AttackRow:
    """One site of one attack; times are local and naive, ``None`` where not known."""

    attack_id: str
    id: str
    date: date | None
    country: str
    force: str
    place: str
    lat: float
    lon: float
    setting: str
    weapon: str
    attackers: int
    start_local: datetime | None
    first_call_local: datetime | None
    first_armed_local: datetime | None
    stop_local: datetime | None
    minutes_start_to_first_armed: float | None
    minutes_call_to_first_armed: float | None
    minutes_start_to_stop: float | None
    deaths: int | None
    injured: int | None
    armed_on_site: bool | None
    scored: bool
    scored_reason: str
    source_1: str
    source_2: str
    notes: str


@dataclass(frozen=True)
class AttackTable:
    """The checked rows of one attack file, in file order, and where they came from."""

    rows: tuple[AttackRow, ...]
    source: str

    def attacks(self) -> dict[str, tuple[AttackRow, ...]]:
        """The sites of each attack, by ``attack_id`` in order of first appearance."""
        grouped: dict[str, list[AttackRow]] = {}
        for row in self.rows:
            grouped.setdefault(row.attack_id, []).append(row)
        return {key: tuple(rows) for key, rows in grouped.items()}

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame with the table's columns (for reports and fits)."""
        return pd.DataFrame([{column: getattr(row, column) for column in COLUMNS} for row in self.rows],
                            columns=list(COLUMNS))


def load_attacks(path: Path | None = None) -> AttackTable:
    """The shipped attack table, or a user's CSV, every row checked; a bad row raises one-line DataError."""
    source = Path(path) if path is not None else data_path(DEFAULT_ATTACKS_FILE)
    try:
        raw = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError("file not found; expected an attack table CSV (docs/data.md)", source=str(source)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read as CSV ({error})", source=str(source)) from None
    raw = raw.rename(columns={alias: name for alias, name in MINUTE_ALIASES.items() if name not in raw.columns})
    missing = [column for column in REQUIRED_COLUMNS if column not in raw.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; an attack table needs {list(REQUIRED_COLUMNS)}",
                        source=str(source))
    if raw.empty:
        raise DataError("no rows", source=str(source))
    forces = england_and_wales_forces()
    rows: list[AttackRow] = []
    seen: set[str] = set()
    for number, record in enumerate(raw.to_dict("records"), start=1):
        cells = {str(key): str(value).strip() for key, value in record.items()}
        try:
            row = _parse_row(cells, forces)
            if row.id in seen:
                raise _CellError("id", f"expected a unique id, got {row.id!r} again")
        except _CellError as error:
            label = f"row {number}" + (f" (id {cells['id']!r})" if cells.get("id") else "")
            raise DataError(f"{label}, column {error.column!r}: {error.message}", source=str(source)) from None
        seen.add(row.id)
        rows.append(row)
    return AttackTable(rows=tuple(rows), source=str(source))


@cache
def england_and_wales_forces() -> frozenset[str]:
    """Names and codes of the 43 police force areas of England and Wales (the shipped ONS boundaries)."""
    features = json.loads(data_path("police_force_areas.geojson").read_text(encoding="utf-8"))["features"]
    return frozenset(name for feature in features for name in (feature["properties"]["PFA20NM"],
                                                                 feature["properties"]["PFA20CD"]))


def _names_a_force(text: str, country: str) -> bool:
    """Whether a force cell names a force of England and Wales as ``readiness.forces`` reads it (any spelling);
    in a ``UK`` row a name it cannot read is a mistake (the nearest names), not an attack abroad."""
    try:
        match_force(text)
    except ValueError as error:
        if country == "UK":
            raise _CellError("force", f"expected a force of England and Wales for country UK: {error}") from None
        return False
    return True


class _CellError(Exception):
    """A bad value in one column of the row being parsed."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def _parse_row(cells: Mapping[str, str], forces: frozenset[str]) -> AttackRow:
    """One row from its text cells (empty = not known)."""
    row_id = _text(cells, "id", required=True)
    lat = _number(cells, "lat", low=-90.0, high=90.0, required=True)
    lon = _number(cells, "lon", low=-180.0, high=180.0, required=True)
    weapon = _choice(cells, "weapon", WEAPONS)
    setting = _choice(cells, "setting", SETTINGS)
    times = {column: _time(cells, column) for column in TIME_COLUMNS}
    start = times["start_local"]
    day = _date(cells, "date")
    if day is not None and start is not None and start.date() != day:
        raise _CellError("date", f"expected the date of start_local ({start.date()}), got {day}")
    for column in ("first_armed_local", "stop_local"):
        if start is not None and times[column] is not None and times[column] < start:
            raise _CellError(column, f"expected a time at or after start_local ({start.isoformat()}), "
                                     f"got {times[column].isoformat()}")
    minutes = {column: _minutes(cells, column, times[begin], times[end])
               for column, begin, end in MINUTE_COLUMNS}
    force = _text(cells, "force", required=True)
    armed_on_site = _yes_no(cells, "armed_on_site")
    scored, reason = _scored(cells, weapon=weapon, in_england_and_wales=force in forces or _names_a_force(force, _text(cells, "country")),
                             armed_on_site=armed_on_site, has_start=start is not None)
    return AttackRow(
        attack_id=_text(cells, "attack_id") or row_id, id=row_id, date=day or (start.date() if start else None),
        country=_text(cells, "country"), force=force, place=_text(cells, "place"), lat=lat, lon=lon,
        setting=setting, weapon=weapon, attackers=_count(cells, "attackers", minimum=1, required=True),
        **times, **minutes, deaths=_count(cells, "deaths"), injured=_count(cells, "injured"),
        armed_on_site=armed_on_site, scored=scored, scored_reason=reason,
        source_1=_text(cells, "source_1"), source_2=_text(cells, "source_2"), notes=_text(cells, "notes"))


def _text(cells: Mapping[str, str], column: str, *, required: bool = False) -> str:
    value = cells.get(column, "")
    if required and not value:
        raise _CellError(column, "expected a value, got an empty cell")
    return value


def _number(cells: Mapping[str, str], column: str, *, low: float, high: float, required: bool = False) -> float:
    text = _text(cells, column, required=required)
    try:
        value = float(text)
    except ValueError:
        raise _CellError(column, f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise _CellError(column, f"expected a finite number, got {text!r}")
    if not low <= value <= high:
        raise _CellError(column, f"expected a number in [{low:g}, {high:g}], got {text}")
    return value


def _count(cells: Mapping[str, str], column: str, *, minimum: int = 0, required: bool = False) -> int | None:
    text = _text(cells, column, required=required)
    if not text:
        return None
    try:
        number = float(text)  # "3.0" as spreadsheets write it is a whole number; "nan" and "2.5" are not
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number.is_integer()):
        raise _CellError(column, f"expected a whole number >= {minimum}, got {text!r}")
    if number < minimum:
        raise _CellError(column, f"expected a whole number >= {minimum}, got {text}")
    return int(number)


def _choice(cells: Mapping[str, str], column: str, choices: tuple[str, ...]) -> str:
    value = _text(cells, column, required=True)
    if value not in choices:
        raise _CellError(column, f"expected one of {list(choices)}, got {value!r}")
    return value


def _yes_no(cells: Mapping[str, str], column: str) -> bool | None:
    value = _text(cells, column).lower()
    if value not in ("", "yes", "no"):
        raise _CellError(column, f"expected yes or no, got {cells[column]!r}")
    return None if not value else value == "yes"


def _time(cells: Mapping[str, str], column: str) -> datetime | None:
    text = _text(cells, column)
    if not text:
        return None
    expected = f"expected an ISO local date and time (2017-06-03T22:06:53), got {text!r}"
    if len(text) <= len("2017-06-03"):  # a date alone would silently mean midnight
        raise _CellError(column, expected)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _CellError(column, expected) from None
    if value.tzinfo is not None:
        raise _CellError(column, f"expected a local time without a UTC offset, got {text!r}")
    return value


def _date(cells: Mapping[str, str], column: str) -> date | None:
    text = _text(cells, column)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _CellError(column, f"expected an ISO date (2017-06-03), got {text!r}") from None


def _minutes(cells: Mapping[str, str], column: str, begin: datetime | None, end: datetime | None) -> float | None:
    """Minutes between two times; a given value must agree with the times (or stands alone without them)."""
    low = -math.inf if column in MAY_BE_NEGATIVE else 0.0
    given = _number(cells, column, low=low, high=math.inf) if _text(cells, column) else None
    if begin is None or end is None:
        return given
    derived = round((end - begin).total_seconds() / 60.0, 1)
    if given is not None and abs(given - derived) > MINUTES_TOLERANCE:
        raise _CellError(column, f"expected {derived} (from the times), got {given:g}")
    return derived


def _scored(cells: Mapping[str, str], *, weapon: str, in_england_and_wales: bool, armed_on_site: bool | None,
            has_start: bool) -> tuple[bool, str]:
    """Whether the replay scores the row, and why not; derived where the file leaves ``scored`` empty."""
    reasons = [reason for reason, applies in ((UNSCORED_BOMB, weapon == "bomb"),
                                              (UNSCORED_ABROAD, not in_england_and_wales),
                                              (UNSCORED_ARMED_ON_SITE, bool(armed_on_site)),
                                              (UNSCORED_NO_START, not has_start)) if applies]
    scored = _yes_no(cells, "scored")
    if scored is None:
        return not reasons, "; ".join(reasons)
    reason = _text(cells, "scored_reason")
    if scored and reasons:
        raise _CellError("scored", f"expected no ({reasons[0]}), got yes")
    if not scored and not reason:
        raise _CellError("scored_reason", "expected a reason when scored is no, got an empty cell")
    return scored, reason


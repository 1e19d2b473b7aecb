"""The one exception family for mistakes a user can fix (bad config, bad file, bad request)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class ReadinessError(Exception):
    """A user-facing error: the CLI prints its message on one line and exits with status 2.

    Anything that is not a ``ReadinessError`` is a bug and keeps its traceback.
    """

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None) -> None:
        self.source = source
        self.field = field
        where = ", ".join(part for part in (source, f"field {field!r}" if field else None) if part)
        super().__init__(f"{where}: {message}" if where else message)

    def located(self, source: str) -> ReadinessError:
        """The same error naming the file it came from (when it does not already name one)."""
        if self.source is not None:
            return self
        return type(self)(str(self), source=source)


class ConfigError(ReadinessError):
    """A configuration file or value is invalid."""


class DataError(ReadinessError):
    """An input data file (area, incidents, travel matrix, OSM extract) is unreadable or malformed."""


class InfeasibleError(ReadinessError):
    """An optimisation or planning request has no solution (e.g. a demand point no site can reach)."""


class StoreError(ReadinessError):
    """The run store (a DuckDB file) is unreadable, unwritable, busy, or written by a newer version."""


def field_path(loc: Iterable[str | int]) -> str:
    """A pydantic location as the user writes it: ``resources.bases[0].x`` (``(top level)`` when empty)."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def validation_error(error: ValidationError, source: str,
                     kind: type[ReadinessError] = ConfigError) -> ReadinessError:
    """The one-line user error for a pydantic failure: its first problem's field path and what was expected.

    Unknown keys read "unknown key"; a scalar input is quoted ("got nan"). Every pydantic load goes
    through here, so all report alike.
    """
    problems = error.errors()
    # a value that fits no member of a union fails once per member: report the deepest, most specific one
    parent = problems[0]["loc"][:-1]
    first = max((p for p in problems if p["loc"][:len(parent)] == parent), key=lambda p: len(p["loc"]))
    where = field_path(first["loc"])
    detail = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
    value = first.get("input")
    if first["type"] not in ("extra_forbidden", "missing") and _is_scalar(value):
        detail += f", got {value!r}"
    more = f" (and {error.error_count() - 1} more problem(s))" if error.error_count() > 1 else ""
    return kind(detail + more, source=source, field=where)


def _is_scalar(value: object) -> bool:
    """Whether a value is short enough to quote in a one-line message."""
    return isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= 60)


def check_finite(value: float, *, field: str, source: str | None = None,
                 kind: type[ReadinessError] = ConfigError) -> float:
    """``value`` as a float, or a user error naming ``field`` when it is not a finite number (NaN, inf)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise kind(f"expected a number, got {value!r}", source=source, field=field) from None
    if not math.isfinite(number):
        raise kind(f"expected a finite number, got {value!r}", source=source, field=field)
    return number

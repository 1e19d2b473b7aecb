"""The one exception family for mistakes a user can fix (bad config, bad file, bad request)."""

from __future__ import annotations


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

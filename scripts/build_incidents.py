"""Build the default spatial demand, incidents per LSOA, from the February 2011 West Midlands street-level file.

Run with ``python scripts/build_incidents.py`` (after ``scripts/build_area.py``: it locates points against
the shipped LSOA shapes). Deterministic; provenance and licence are in ``docs/data.md``.
"""

from __future__ import annotations

from pathlib import Path

from readiness.area import load_area
from readiness.demand import DEFAULT_INCIDENTS_FILE, counts_table, read_street_csv

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "scripts" / "sources" / "2011-02-west-midlands-street.csv"
OUT = REPO / "src" / "readiness" / "data" / DEFAULT_INCIDENTS_FILE
EXPECTED_ROWS = 25_558


def main() -> None:
    """Locate every row, check none is lost, write ``lsoa11cd, incidents`` for all 1,680 LSOAs."""
    area = load_area()
    incidents = read_street_csv(SOURCE, area)
    report = incidents.report
    if report.rows != EXPECTED_ROWS:
        raise SystemExit(f"{SOURCE.name}: expected {EXPECTED_ROWS} rows, found {report.rows}")
    counts_table(incidents.counts(area.n), area).to_csv(OUT, index=False, lineterminator="\n")
    print(f"{OUT.name}: {report.kept} of {report.rows} rows located ({report.by_point} in an LSOA shape, "
          f"{report.near_edge} within the edge tolerance), {report.dropped} dropped")


if __name__ == "__main__":
    main()

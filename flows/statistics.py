"""Weekly cross-border statistics: pure functions from counted records to cells.

A *measured record* is one agency person record that counts towards a measure (a referral, a
positive decision, a suspect, a charge, a prosecution, a conviction), with the day it happened
and the attributes the breakdowns use. Each country's figure is what its agencies report:
distinct agency records. The reconciled figure counts distinct persons after de-duplication
across both countries (a record matching found no person for counts as its own person).

Every figure is a :class:`Cell`, identified by measure, view, period, ISO week, dimension and
category; tables and charts are views over cells, and disclosure control works on cells and on
the linear relations between them (:func:`relations`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

# Measures, in the order tables show them.
MEASURES = (
    "potential_victims",
    "positive_reasonable_grounds",
    "positive_conclusive",
    "suspects",
    "suspects_charged",
    "prosecuted",
    "convicted",
)
MEASURE_LABELS = {
    "potential_victims": "Potential victims referred",
    "positive_reasonable_grounds": "Positive reasonable-grounds decisions (UK)",
    "positive_conclusive": "Positive conclusive decisions (UK CG, RO formal identification)",
    "suspects": "Suspects recorded",
    "suspects_charged": "Suspects charged",
    "prosecuted": "Persons prosecuted",
    "convicted": "Persons convicted",
}
COUNTRY_VIEWS = {"GB": "uk", "RO": "ro"}
RECONCILED = "reconciled"
DOUBLE_COUNTED = "double_counted"
VIEWS = ("uk", "ro", RECONCILED, DOUBLE_COUNTED)
OVERLAP_VIEWS = ("both", "uk_only", "ro_only")
OVERLAP_MEASURES = ("potential_victims", "suspects")
WEEK, CUMULATIVE = "week", "cumulative"
TOTAL, ALL = "total", "all"
# Breakdowns of the report week's cumulative figures; agency splits only the reported views
# (a person known to two agencies would count under both).
DIMENSIONS = ("exploitation", "sex", "age_group", "nationality", "agency")
UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class MeasuredRecord:
    """One agency record counted by a measure: who (record key), where, when, and attributes."""

    measure: str
    agency: str
    country: str  # GB or RO
    record: str  # "<agency>:<person ref>"
    day: date
    sex: str = UNKNOWN
    age_group: str = UNKNOWN
    nationality: str = UNKNOWN
    exploitation: str = UNKNOWN
    # False when the record or its fact is H2 (no onward dissemination): not in public figures.
    onward: bool = True


class CellKey(NamedTuple):
    """What a figure is: measure, view, period, ISO week, and a breakdown category."""

    measure: str
    view: str
    period: str
    week: str
    dimension: str = TOTAL
    category: str = ALL

    def label(self) -> str:
        """One readable line, e.g. ``suspects/uk/week/2026-W48/total=all``."""
        return (
            f"{self.measure}/{self.view}/{self.period}/{self.week}/{self.dimension}={self.category}"
        )


@dataclass(frozen=True)
class Relation:
    """A linear relation that holds between published cells: the sum of coefficient * value is 0."""

    terms: tuple[tuple[CellKey, int], ...]


def iso_week(day: date) -> str:
    """The ISO week of a day, e.g. ``2026-W48``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_iso_week(text: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week written ``YYYY-Www``; ValueError names the input."""
    try:
        year_text, week_text = text.split("-W")
        monday = date.fromisocalendar(int(year_text), int(week_text), 1)
    except ValueError as exc:
        raise ValueError(f"not an ISO week (YYYY-Www, e.g. 2026-W48): {text!r}") from exc
    return monday, monday + timedelta(days=6)


def weeks_between(first: str, last: str) -> list[str]:
    """Every ISO week from ``first`` to ``last``, inclusive."""
    monday, _ = parse_iso_week(first)
    end, _ = parse_iso_week(last)
    weeks = []
    while monday <= end:
        weeks.append(iso_week(monday))
        monday += timedelta(days=7)
    return weeks


def previous_week(today: date) -> str:
    """The last complete ISO week before ``today`` (what Monday's run reports)."""
    return iso_week(today - timedelta(days=today.isoweekday()))


# The columns of a records table (pyarrow), one row per counted record: what
# `flows.weekly.load_stats_input` builds from the view and `records_table` from MeasuredRecords.
RECORD_COLUMNS = (
    "measure",
    "agency",
    "country",
    "record",
    "day",
    "sex",
    "age_group",
    "nationality",
    "exploitation",
    "onward",
    "person",
)
_COLUMN_TYPES = {"day": pa.date32(), "onward": pa.bool_()}
RECORD_SCHEMA = pa.schema([(name, _COLUMN_TYPES.get(name, pa.string())) for name in RECORD_COLUMNS])


def onward_records(records: pa.Table) -> pa.Table:
    """The records the public figures count: none marked H2 (no onward dissemination)."""
    return records.filter(pc.field("onward"))


def records_table(records: Sequence[MeasuredRecord], person_of: Mapping[str, str]) -> pa.Table:
    """A records table from MeasuredRecords and matching's record -> person mapping."""
    columns: dict[str, list[Any]] = {name: [] for name in RECORD_COLUMNS}
    for record in records:
        for name in RECORD_COLUMNS[:-1]:
            columns[name].append(getattr(record, name))
        columns["person"].append(person_of.get(record.record))
    return pa.table(columns, schema=RECORD_SCHEMA)


# Units: a reported unit is an agency record, a reconciled unit a person (or a record matching
# left alone). A unit's category per dimension is its records' most frequent known value
# (ties: alphabetical), else UNKNOWN; its day is its earliest record's. The SQL names the
# DIMENSIONS and UNKNOWN literally.
_UNITS_SQL = """
CREATE TEMP TABLE units_raw AS
SELECT 'reported' AS kind, measure, record AS unit, country, day,
       exploitation, sex, age_group, nationality, agency
FROM records WHERE day <= $report_end
UNION ALL
SELECT 'reconciled', measure, coalesce(person, record), country, day,
       exploitation, sex, age_group, nationality, agency
FROM records WHERE day <= $report_end
"""
_UNIT_HEADS_SQL = """
CREATE TEMP TABLE units AS
SELECT kind, measure, unit, min(day) AS first_day, count(*) AS records,
       CASE WHEN kind = 'reconciled' THEN 'reconciled'
            WHEN bool_or(country = 'GB') THEN 'uk' ELSE 'ro' END AS view,
       CASE WHEN bool_or(country = 'GB') AND bool_or(country = 'RO') THEN 'both'
            WHEN bool_or(country = 'GB') THEN 'uk_only' ELSE 'ro_only' END AS side
FROM units_raw GROUP BY kind, measure, unit
"""
# Each row with its unit's view, split by whether the unit has one record (it takes that
# record's values) or several (the most frequent known value wins).
_UNIT_ROWS_SQL = (
    """
CREATE TEMP TABLE unit_rows AS
SELECT r.*, u.view, u.records FROM units_raw r JOIN units u USING (kind, measure, unit)
""",
    "CREATE TEMP TABLE single_rows AS SELECT * FROM unit_rows WHERE records = 1",
    "CREATE TEMP TABLE shared_rows AS SELECT * FROM unit_rows WHERE records > 1",
)
_WEEKS_SQL = """
SELECT measure, view, CASE WHEN first_day < $first_monday THEN 'before'
                           ELSE strftime(first_day, '%G-W%V') END AS week, count(*)
FROM units GROUP BY ALL
"""
# One dimension's breakdown (the column name comes from DIMENSIONS, never from data): units of
# one record counted by its value; units of several by their most frequent known value.
_BREAKDOWN_SQL = """
WITH single AS (
    SELECT measure, view, {dimension} AS category FROM single_rows
), counted AS (
    SELECT kind, measure, unit, {dimension} AS category, count(*) AS n
    FROM shared_rows WHERE {dimension} <> 'UNKNOWN' GROUP BY ALL
), ranked AS (
    SELECT kind, measure, unit, category,
           row_number() OVER (PARTITION BY kind, measure, unit ORDER BY n DESC, category) AS rank
    FROM counted
), shared AS (
    SELECT u.measure, u.view, coalesce(p.category, 'UNKNOWN') AS category
    FROM units u
    LEFT JOIN ranked p ON p.kind = u.kind AND p.measure = u.measure AND p.unit = u.unit
                      AND p.rank = 1
    WHERE u.records > 1
)
SELECT measure, view, category, count(*) FROM (
    SELECT * FROM single UNION ALL SELECT * FROM shared
) GROUP BY ALL
"""
_OVERLAP_SQL = """
SELECT measure, side, count(*) FROM units WHERE kind = 'reconciled' GROUP BY ALL
"""


def compute_cells(records: pa.Table, *, first_week: str, report_week: str) -> dict[CellKey, int]:
    """Every figure of a report: weekly and cumulative totals per view for each week from
    ``first_week`` to ``report_week``, the report week's breakdowns, and its overlap.

    ``records`` is a records table (RECORD_COLUMNS); DuckDB, in process, does the counting.
    """
    weeks = weeks_between(first_week, report_week)
    first_monday, _ = parse_iso_week(first_week)
    _, report_end = parse_iso_week(report_week)
    connection = duckdb.connect()
    try:
        connection.register("records", records)
        connection.execute(_UNITS_SQL, {"report_end": report_end})
        connection.execute(_UNIT_HEADS_SQL)
        for statement in _UNIT_ROWS_SQL:
            connection.execute(statement)
        counts = connection.execute(_WEEKS_SQL, {"first_monday": first_monday}).fetchall()
        breakdowns = [
            (measure, view, dimension, category, count)
            for dimension in DIMENSIONS
            for measure, view, category, count in connection.execute(
                _BREAKDOWN_SQL.format(dimension=dimension)
            ).fetchall()
        ]
        sides = connection.execute(_OVERLAP_SQL).fetchall()
    finally:
        connection.close()
    per_week: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for measure, view, week, count in counts:
        per_week[(measure, view)][week] += count
    cells: dict[CellKey, int] = {}
    for measure in MEASURES:
        series = {view: per_week[(measure, view)] for view in (*COUNTRY_VIEWS.values(), RECONCILED)}
        series[DOUBLE_COUNTED] = Counter(
            {
                week: series["uk"][week] + series["ro"][week] - series[RECONCILED][week]
                for week in {*series["uk"], *series["ro"]}
            }
        )
        for view in VIEWS:
            running = series[view]["before"]
            for name in weeks:
                running += series[view][name]
                cells[CellKey(measure, view, WEEK, name)] = series[view][name]
                cells[CellKey(measure, view, CUMULATIVE, name)] = running
    for measure, view, dimension, category, count in breakdowns:
        if dimension == "agency" and view == RECONCILED:
            continue  # a person known to two agencies would count under both
        cells[CellKey(measure, view, CUMULATIVE, report_week, dimension, category)] = count
    for view in OVERLAP_VIEWS:
        for measure in OVERLAP_MEASURES:
            cells[CellKey(measure, view, CUMULATIVE, report_week)] = 0
    for measure, side, count in sides:
        if measure in OVERLAP_MEASURES:
            cells[CellKey(measure, side, CUMULATIVE, report_week)] = count
    return cells


def complete_breakdowns(cells: Mapping[CellKey, int]) -> dict[CellKey, int]:
    """Cells plus a zero for every category a breakdown shows in another view (aligned tables)."""
    categories: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for key in cells:
        if key.dimension != TOTAL:
            categories[(key.measure, key.week, key.dimension)].add(key.category)
    completed = dict(cells)
    for (measure, week, dimension), names in categories.items():
        views = ("uk", "ro") if dimension == "agency" else ("uk", "ro", RECONCILED)
        for view in views:
            for name in names:
                key = CellKey(measure, view, CUMULATIVE, week, dimension, name)
                completed.setdefault(key, 0)
    return completed


def relations(cells: Mapping[CellKey, int]) -> list[Relation]:
    """The linear relations a reader can use to recover one cell from others.

    - each breakdown's categories sum to its view's cumulative total;
    - UK + RO = reconciled + double counted, per period and week;
    - cumulative(week) = cumulative(previous week) + week, per view (first week: equal);
    - both + UK only + RO only = the reconciled cumulative total (overlap).
    """
    return [
        *_breakdown_relations(cells),
        *_discrepancy_relations(cells),
        *_running_total_relations(cells),
        *_overlap_relations(cells),
    ]


def _breakdown_relations(cells: Mapping[CellKey, int]) -> list[Relation]:
    groups: dict[tuple[str, str, str, str, str], list[CellKey]] = defaultdict(list)
    for key in cells:
        if key.dimension != TOTAL:
            groups[(key.measure, key.view, key.period, key.week, key.dimension)].append(key)
    return [
        Relation(((CellKey(measure, view, period, week), -1), *((m, 1) for m in sorted(members))))
        for (measure, view, period, week, _), members in sorted(groups.items())
    ]


def _discrepancy_relations(cells: Mapping[CellKey, int]) -> list[Relation]:
    found = []
    for key in sorted(cells):
        if key.dimension == TOTAL and key.view == DOUBLE_COUNTED:
            found.append(
                Relation(
                    (
                        (CellKey(key.measure, "uk", key.period, key.week), 1),
                        (CellKey(key.measure, "ro", key.period, key.week), 1),
                        (CellKey(key.measure, RECONCILED, key.period, key.week), -1),
                        (key, -1),
                    )
                )
            )
    return found


def _running_total_relations(cells: Mapping[CellKey, int]) -> list[Relation]:
    series: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key in cells:
        if key.dimension == TOTAL and key.view in VIEWS and key.period == WEEK:
            series[(key.measure, key.view)].append(key.week)
    found = []
    for (measure, view), weeks in sorted(series.items()):
        ordered = sorted(weeks)
        for index, week in enumerate(ordered):
            cumulative = CellKey(measure, view, CUMULATIVE, week)
            weekly = CellKey(measure, view, WEEK, week)
            terms = [(cumulative, 1), (weekly, -1)]
            if index > 0:
                terms.append((CellKey(measure, view, CUMULATIVE, ordered[index - 1]), -1))
            elif cells[cumulative] != cells[weekly]:
                continue  # the first week's cumulative also holds records from before it
            found.append(Relation(tuple(terms)))
    return found


def _overlap_relations(cells: Mapping[CellKey, int]) -> list[Relation]:
    found = []
    for key in sorted(cells):
        if key.view == "both":
            total = CellKey(key.measure, RECONCILED, CUMULATIVE, key.week)
            parts = [(CellKey(key.measure, v, CUMULATIVE, key.week), 1) for v in OVERLAP_VIEWS]
            found.append(Relation(((total, -1), *parts)))
    return found

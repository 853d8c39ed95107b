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
from typing import NamedTuple

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


def _prevailing(values: Sequence[str]) -> str:
    """The most frequent known value (ties: alphabetical), else UNKNOWN."""
    if len(values) == 1:  # most units are one record
        return values[0] or UNKNOWN
    known = Counter(value for value in values if value and value != UNKNOWN)
    if not known:
        return UNKNOWN
    top = max(known.values())
    return min(value for value, count in known.items() if count == top)


class _Unit(NamedTuple):
    """A counted thing of one view: a reported record or a reconciled person."""

    countries: frozenset[str]
    first_day: date
    attributes: tuple[str, ...]  # in DIMENSIONS order


def _attributes(record: MeasuredRecord) -> tuple[str, ...]:
    return (
        record.exploitation,
        record.sex,
        record.age_group,
        record.nationality,
        record.agency,
    )


_ONE_COUNTRY = {country: frozenset((country,)) for country in COUNTRY_VIEWS}


def _units(
    records: Sequence[MeasuredRecord], group_of: Mapping[str, str]
) -> dict[str, dict[str, _Unit]]:
    """Per measure, the units keyed by ``group_of[record]`` (record itself if absent)."""
    first: dict[tuple[str, str], MeasuredRecord] = {}
    more: dict[tuple[str, str], list[MeasuredRecord]] = {}
    for record in records:
        group = (record.measure, group_of.get(record.record, record.record))
        seen = first.get(group)
        if seen is None:
            first[group] = record
        else:
            more.setdefault(group, [seen]).append(record)
    units: dict[str, dict[str, _Unit]] = defaultdict(dict)
    for (measure, key), record in first.items():
        members = more.get((measure, key))
        if members is None:  # most units are one record: no counting needed
            unit = _Unit(_ONE_COUNTRY[record.country], record.day, _attributes(record))
        else:
            values = list(zip(*(_attributes(m) for m in members), strict=True))
            unit = _Unit(
                frozenset(m.country for m in members),
                min(m.day for m in members),
                tuple(_prevailing(column) for column in values),
            )
        units[measure][key] = unit
    return units


def compute_cells(
    records: Sequence[MeasuredRecord],
    person_of: Mapping[str, str],
    *,
    first_week: str,
    report_week: str,
) -> dict[CellKey, int]:
    """Every figure of a report: weekly and cumulative totals per view for each week from
    ``first_week`` to ``report_week``, the report week's breakdowns, and its overlap.

    ``person_of`` maps a record key to its person id (matching's result).
    """
    weeks = weeks_between(first_week, report_week)
    _, report_end = parse_iso_week(report_week)
    first_monday, _ = parse_iso_week(first_week)
    counted = [r for r in records if r.day <= report_end]
    week_of: dict[date, str] = {}  # a few hundred distinct days: compute each week once

    def week(day: date) -> str:
        known = week_of.get(day)
        if known is None:
            known = week_of[day] = iso_week(day)
        return known

    reported = _units(counted, {})  # a reported unit is the agency record itself
    persons = _units(counted, person_of)
    cells: dict[CellKey, int] = {}
    for measure in MEASURES:
        per_view: dict[str, Counter[str]] = {view: Counter() for view in VIEWS}
        before: Counter[str] = Counter()  # records and persons first seen before first_week
        for unit in reported.get(measure, {}).values():
            (country,) = unit.countries
            view = COUNTRY_VIEWS[country]
            if unit.first_day < first_monday:
                before[view] += 1
            else:
                per_view[view][week(unit.first_day)] += 1
        for unit in persons.get(measure, {}).values():
            if unit.first_day < first_monday:
                before[RECONCILED] += 1
            else:
                per_view[RECONCILED][week(unit.first_day)] += 1
        for key in (*per_view["uk"], *per_view["ro"]):
            per_view[DOUBLE_COUNTED][key] = (
                per_view["uk"][key] + per_view["ro"][key] - per_view[RECONCILED][key]
            )
        before[DOUBLE_COUNTED] = before["uk"] + before["ro"] - before[RECONCILED]
        for view in VIEWS:
            running = before[view]
            for name in weeks:
                running += per_view[view][name]
                cells[CellKey(measure, view, WEEK, name)] = per_view[view][name]
                cells[CellKey(measure, view, CUMULATIVE, name)] = running
        cells.update(_breakdowns(measure, reported.get(measure, {}), "reported", report_week))
        cells.update(_breakdowns(measure, persons.get(measure, {}), RECONCILED, report_week))
        if measure in OVERLAP_MEASURES:
            sides = Counter(_side(unit.countries) for unit in persons.get(measure, {}).values())
            for view in OVERLAP_VIEWS:
                cells[CellKey(measure, view, CUMULATIVE, report_week)] = sides[view]
    return cells


def _side(countries: frozenset[str]) -> str:
    if countries == {"GB"}:
        return "uk_only"
    if countries == {"RO"}:
        return "ro_only"
    return "both"


def _breakdowns(
    measure: str, units: Mapping[str, _Unit], kind: str, report_week: str
) -> dict[CellKey, int]:
    """The report week's cumulative figures split by each dimension (every category listed)."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for unit in units.values():
        if kind == "reported":
            (country,) = unit.countries
            view = COUNTRY_VIEWS[country]
        else:
            view = RECONCILED
        for dimension, category in zip(DIMENSIONS, unit.attributes, strict=True):
            if dimension == "agency" and view == RECONCILED:
                continue
            counts[(view, dimension, category)] += 1
    return {
        CellKey(measure, view, CUMULATIVE, report_week, dimension, category): count
        for (view, dimension, category), count in counts.items()
    }


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

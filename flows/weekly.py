"""The weekly statistics' edges: read measured records from the view, store snapshots, compare
them (revisions), and turn public cells into downstream records. Computing is in
`flows.statistics` and `flows.disclosure`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from consumers.view import (
    AgencyCase,
    AgencyPerson,
    CaseFact,
    MatchRun,
    PersonRecordLink,
    StatsCell,
    StatsSnapshot,
    TimelineEntry,
)
from flows.disclosure import Suppression, disclosure_rule
from flows.records import record_id
from flows.statistics import UNKNOWN, CellKey, MeasuredRecord, iso_week
from schemas.vocabulary import Agency

FACT_KINDS = (
    "ReferralMade",
    "IdentificationDecided",
    "SuspectCharged",
    "ProsecutionStarted",
    "CourtOutcomeRecorded",
)


@dataclass(frozen=True)
class StatsInput:
    """What the statistics are computed from: counted records and matching's persons."""

    records: list[MeasuredRecord]
    person_of: dict[str, str]
    match_run_id: int | None

    def first_week(self, report_week: str) -> str:
        """The week of the earliest counted record (the report week if there is none)."""
        if not self.records:
            return report_week
        return min(iso_week(min(r.day for r in self.records)), report_week)


@dataclass(frozen=True)
class _Attributes:
    sex: str
    age_group: str
    nationality: str
    exploitation: str | None


def _first(values: Sequence[Any] | None) -> str | None:
    return str(values[0]) if values else None


# (event type, stage or outcome) -> measure; None as the second part: any.
_MEASURE_OF_FACT = {
    ("ReferralMade", None): "potential_victims",
    ("IdentificationDecided", "REASONABLE_GROUNDS"): "positive_reasonable_grounds",
    ("IdentificationDecided", "CONCLUSIVE_GROUNDS"): "positive_conclusive",
    ("IdentificationDecided", "RO_FORMAL_IDENTIFICATION"): "positive_conclusive",
    ("SuspectCharged", None): "suspects_charged",
    ("ProsecutionStarted", None): "prosecuted",
    ("CourtOutcomeRecorded", "CONVICTED"): "convicted",
}


def measure_of_fact(kind: str, details: Mapping[str, Any]) -> str | None:
    """Which measure a fact counts towards (None: not a counted fact)."""
    if kind == "IdentificationDecided":
        if details.get("outcome") != "POSITIVE":
            return None
        return _MEASURE_OF_FACT.get((kind, details.get("stage")))
    if kind == "CourtOutcomeRecorded":
        return _MEASURE_OF_FACT.get((kind, details.get("outcome")))
    return _MEASURE_OF_FACT.get((kind, None))


def load_stats_input(engine: Engine) -> StatsInput:
    """Counted records from the view's facts and person records, and the latest persons."""
    with Session(engine) as session:
        people: dict[tuple[str, str], _Attributes] = {}
        records: list[MeasuredRecord] = []
        suspects = session.execute(
            select(
                AgencyPerson.agency,
                AgencyPerson.person_ref,
                AgencyPerson.role,
                AgencyPerson.sex,
                AgencyPerson.age_group,
                AgencyPerson.nationalities,
                AgencyPerson.exploitation_types,
                AgencyPerson.retracted,
                TimelineEntry.occurred_at,
            ).outerjoin(TimelineEntry, TimelineEntry.event_id == AgencyPerson.event_id)
        )
        for row in suspects:
            attributes = _Attributes(
                row.sex or UNKNOWN,
                row.age_group or UNKNOWN,
                _first(row.nationalities) or UNKNOWN,
                _first(row.exploitation_types),
            )
            people[(row.agency, row.person_ref)] = attributes
            if row.role == "SUSPECT" and not row.retracted and row.occurred_at is not None:
                records.append(
                    _measured("suspects", row.agency, row.person_ref, row.occurred_at, attributes)
                )
        case_types = {
            (row.agency, row.case_ref): _first(row.exploitation_types)
            for row in session.execute(
                select(AgencyCase.agency, AgencyCase.case_ref, AgencyCase.exploitation_types)
            )
        }
        facts = session.execute(
            select(
                CaseFact.agency,
                CaseFact.case_ref,
                CaseFact.kind,
                CaseFact.person_ref,
                CaseFact.fact_date,
                CaseFact.details,
            ).where(CaseFact.kind.in_(FACT_KINDS))
        )
        for fact in facts:
            measure = measure_of_fact(fact.kind, fact.details)
            if measure is None or fact.fact_date is None:
                continue
            if fact.person_ref is not None:
                refs = [fact.person_ref]
            else:  # a prosecution names its defendants
                refs = list(fact.details.get("defendant_refs") or [])
            for ref in refs:
                known = people.get((fact.agency, ref))
                exploitation = (
                    _first(fact.details.get("exploitation_types"))
                    or (known.exploitation if known else None)
                    or case_types.get((fact.agency, fact.case_ref))
                )
                age_group = fact.details.get("age_group") or UNKNOWN
                attributes = _Attributes(
                    known.sex if known else UNKNOWN,
                    known.age_group if known and known.age_group != UNKNOWN else age_group,
                    known.nationality if known else UNKNOWN,
                    exploitation,
                )
                records.append(_measured(measure, fact.agency, ref, fact.fact_date, attributes))
        person_of = {
            record_id(Agency(link.agency).code, link.person_ref): link.person_id
            for link in session.scalars(select(PersonRecordLink))
        }
        match_run_id = session.scalar(
            select(func.max(MatchRun.id)).where(MatchRun.finished_at.is_not(None))
        )
    return StatsInput(records, person_of, match_run_id)


def _measured(
    measure: str, agency: str, person_ref: str, when: date | datetime, attributes: _Attributes
) -> MeasuredRecord:
    member = Agency(agency)
    return MeasuredRecord(
        measure=measure,
        agency=member.code,
        country=member.country,
        record=record_id(member.code, person_ref),
        day=when.date() if isinstance(when, datetime) else when,
        sex=attributes.sex,
        age_group=attributes.age_group,
        nationality=attributes.nationality,
        exploitation=attributes.exploitation or UNKNOWN,
    )


@dataclass(frozen=True)
class Snapshot:
    """A stored run of the statistics."""

    id: int
    report_week: str
    first_week: str
    created_at: datetime
    k: int
    cells: dict[CellKey, int]
    hidden: dict[CellKey, str]


def store_snapshot(  # noqa: PLR0917 (one snapshot's parts)
    engine: Engine,
    report_week: str,
    first_week: str,
    cells: Mapping[CellKey, int],
    suppression: Suppression,
    stats_input: StatsInput,
    now: datetime,
) -> int:
    """Write the snapshot and all its cells in one transaction; its id."""
    with Session(engine) as session, session.begin():
        snapshot = StatsSnapshot(
            report_week=report_week,
            first_week=first_week,
            created_at=now,
            k=suppression.k,
            match_run_id=stats_input.match_run_id,
            records=len(stats_input.records),
            cells=len(cells),
            suppressed=len(suppression.hidden),
        )
        session.add(snapshot)
        session.flush()
        rows = [
            {
                "snapshot_id": snapshot.id,
                "measure": key.measure,
                "view": key.view,
                "period": key.period,
                "week": key.week,
                "dimension": key.dimension,
                "category": key.category,
                "value": value,
                "suppression": suppression.hidden.get(key),
            }
            for key, value in cells.items()
        ]
        for start in range(0, len(rows), 5000):
            session.execute(insert(StatsCell), rows[start : start + 5000])
        return snapshot.id


def read_snapshot(engine: Engine, snapshot_id: int) -> Snapshot:
    """One stored snapshot with its cells."""
    with Session(engine) as session:
        head = session.get(StatsSnapshot, snapshot_id)
        if head is None:
            raise LookupError(f"no statistics snapshot {snapshot_id}")
        cells: dict[CellKey, int] = {}
        hidden: dict[CellKey, str] = {}
        for row in session.scalars(select(StatsCell).where(StatsCell.snapshot_id == snapshot_id)):
            key = CellKey(row.measure, row.view, row.period, row.week, row.dimension, row.category)
            cells[key] = row.value
            if row.suppression is not None:
                hidden[key] = row.suppression
        return Snapshot(
            head.id, head.report_week, head.first_week, head.created_at, head.k, cells, hidden
        )


def previous_snapshot_id(engine: Engine, before: int) -> int | None:
    """The latest snapshot stored before snapshot ``before``."""
    with Session(engine) as session:
        return session.scalar(select(func.max(StatsSnapshot.id)).where(StatsSnapshot.id < before))


@dataclass(frozen=True)
class Revision:
    """A figure of an earlier week that changed between two snapshots."""

    key: CellKey
    before: int
    after: int


def revisions(previous: Snapshot, cells: Mapping[CellKey, int]) -> list[Revision]:
    """Weekly totals up to the previous snapshot's report week whose value changed since it."""
    changed = []
    for key in sorted(set(previous.cells) | set(cells)):
        if key.dimension != "total" or key.period != "week" or key.week > previous.report_week:
            continue
        if key.view not in ("uk", "ro", "reconciled"):
            continue
        before, after = previous.cells.get(key, 0), cells.get(key, 0)
        if before != after:
            changed.append(Revision(key, before, after))
    return changed


def public_records(
    snapshot_id: int,
    report_week: str,
    cells: Mapping[CellKey, int],
    suppression: Suppression,
    published_at: datetime,
) -> Iterable[tuple[str, dict[str, Any]]]:
    """(Kafka key, WeeklyStatistic value) per cell, suppressed values as null."""
    rule = disclosure_rule(suppression.k)
    for key, value in sorted(cells.items()):
        yield (
            key.label(),
            {
                "snapshot_id": snapshot_id,
                "report_week": report_week,
                "measure": key.measure,
                "view": key.view,
                "period": key.period,
                "week": key.week,
                "dimension": key.dimension,
                "category": key.category,
                "value": suppression.public_value(key, value),
                "suppressed": key in suppression.hidden,
                "disclosure_rule": rule,
                "published_at": published_at,
            },
        )

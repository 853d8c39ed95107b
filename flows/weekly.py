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


def measure_of_fact(kind: str, stage: str | None, outcome: str | None) -> str | None:
    """Which measure a fact counts towards (None: not a counted fact)."""
    if kind == "IdentificationDecided":
        return _MEASURE_OF_FACT.get((kind, stage)) if outcome == "POSITIVE" else None
    if kind == "CourtOutcomeRecorded":
        return _MEASURE_OF_FACT.get((kind, outcome))
    return _MEASURE_OF_FACT.get((kind, None))


_AGENCIES = {member.value: (member.code, member.country) for member in Agency}


def _record(  # noqa: PLR0917 (one row's columns)
    measure: str,
    agency: str,
    person_ref: str,
    when: date | datetime,
    sex: str | None,
    age_group: str | None,
    nationality: str | None,
    exploitation: str | None,
) -> MeasuredRecord:
    code, country = _AGENCIES[agency]
    return MeasuredRecord(
        measure,
        code,
        country,
        record_id(code, person_ref),
        when.date() if isinstance(when, datetime) else when,
        sex or UNKNOWN,
        age_group or UNKNOWN,
        nationality or UNKNOWN,
        exploitation or UNKNOWN,
    )


def load_stats_input(engine: Engine) -> StatsInput:
    """Counted records from the view's facts and person records, and the latest persons.

    The joins and the JSON fields the figures need are done by the database (one row per
    counted fact, never whole ``details`` documents), so this scales to millions of facts.
    """
    person, link = AgencyPerson, PersonRecordLink
    on_person = (person.agency == CaseFact.agency) & (person.person_ref == CaseFact.person_ref)
    on_case = (AgencyCase.agency == CaseFact.agency) & (AgencyCase.case_ref == CaseFact.case_ref)
    on_link = (link.agency == CaseFact.agency) & (link.person_ref == CaseFact.person_ref)
    on_own_link = (link.agency == person.agency) & (link.person_ref == person.person_ref)
    details = CaseFact.details
    records: list[MeasuredRecord] = []
    person_of: dict[str, str] = {}
    with Session(engine) as session:
        facts = session.execute(
            select(
                CaseFact.kind,
                CaseFact.agency,
                CaseFact.person_ref,
                CaseFact.fact_date,
                details["stage"].as_string(),
                details["outcome"].as_string(),
                details["age_group"].as_string(),
                details[("exploitation_types", 0)].as_string(),
                person.sex,
                person.age_group,
                person.nationalities[0].as_string(),
                person.exploitation_types[0].as_string(),
                AgencyCase.exploitation_types[0].as_string(),
                link.person_id,
            )
            .outerjoin(person, on_person)
            .outerjoin(AgencyCase, on_case)
            .outerjoin(link, on_link)
            .where(
                CaseFact.kind.in_(FACT_KINDS),
                CaseFact.person_ref.is_not(None),
                CaseFact.fact_date.is_not(None),
            )
        )
        for (kind, agency, ref, day, stage, outcome, referred_age, referred_type, sex, age,
             nationality, person_type, case_type, person_id) in facts:  # fmt: skip
            measure = measure_of_fact(kind, stage, outcome)
            if measure is None:
                continue
            age_group = age if age and age != UNKNOWN else referred_age
            exploitation = referred_type or person_type or case_type
            record = _record(measure, agency, ref, day, sex, age_group, nationality, exploitation)
            records.append(record)
            if person_id is not None:
                person_of[record.record] = person_id
        suspects = session.execute(
            select(
                person.agency,
                person.person_ref,
                TimelineEntry.occurred_at,
                person.sex,
                person.age_group,
                person.nationalities[0].as_string(),
                person.exploitation_types[0].as_string(),
                link.person_id,
            )
            .join(TimelineEntry, TimelineEntry.event_id == person.event_id)
            .outerjoin(link, on_own_link)
            .where(person.role == "SUSPECT", person.retracted.is_(False))
        )
        for agency, ref, when, sex, age, nationality, exploitation, person_id in suspects:
            record = _record("suspects", agency, ref, when, sex, age, nationality, exploitation)
            records.append(record)
            if person_id is not None:
                person_of[record.record] = person_id
        records.extend(_defendants(session))
        defendants = {r.record for r in records if r.measure == "prosecuted"}
        person_of.update(_persons_of(session, defendants))
        match_run_id = session.scalar(
            select(func.max(MatchRun.id)).where(MatchRun.finished_at.is_not(None))
        )
    return StatsInput(records, person_of, match_run_id)


def _defendants(session: Session) -> list[MeasuredRecord]:
    """One record per defendant of each prosecution (its person refs are a JSON list)."""
    prosecutions = session.execute(
        select(CaseFact.agency, CaseFact.case_ref, CaseFact.fact_date, CaseFact.details).where(
            CaseFact.kind == "ProsecutionStarted", CaseFact.fact_date.is_not(None)
        )
    ).all()
    wanted = {(agency, ref) for agency, _, _, details in prosecutions for ref in _refs(details)}
    cases = {(agency, case_ref) for agency, case_ref, _, _ in prosecutions}
    attributes: dict[tuple[str, str], tuple[Any, ...]] = {}
    for agency in {agency for agency, _ in wanted}:
        rows = session.execute(
            select(
                AgencyPerson.person_ref,
                AgencyPerson.sex,
                AgencyPerson.age_group,
                AgencyPerson.nationalities[0].as_string(),
                AgencyPerson.exploitation_types[0].as_string(),
            ).where(AgencyPerson.agency == agency, AgencyPerson.role == "SUSPECT")
        )
        for ref, *values in rows:
            if (agency, ref) in wanted:
                attributes[(agency, ref)] = tuple(values)
    case_types = {}
    for agency in {agency for agency, _ in cases}:
        rows = session.execute(
            select(AgencyCase.case_ref, AgencyCase.exploitation_types).where(
                AgencyCase.agency == agency
            )
        )
        for case_ref, types in rows:
            if (agency, case_ref) in cases:
                case_types[(agency, case_ref)] = _first(types)
    records = []
    for agency, case_ref, day, details in prosecutions:
        for ref in _refs(details):
            sex, age, nationality, exploitation = attributes.get((agency, ref), (None,) * 4)
            exploitation = exploitation or case_types.get((agency, case_ref))
            records.append(
                _record("prosecuted", agency, ref, day, sex, age, nationality, exploitation)
            )
    return records


def _refs(details: Mapping[str, Any]) -> list[str]:
    return [str(ref) for ref in details.get("defendant_refs") or []]


def _persons_of(session: Session, record_ids: set[str]) -> dict[str, str]:
    """Person ids of the given record ids (``<agency code>:<person ref>``)."""
    found = {}
    for code in {record.split(":", 1)[0] for record in record_ids}:
        rows = session.execute(
            select(PersonRecordLink.person_ref, PersonRecordLink.person_id).where(
                PersonRecordLink.agency == Agency.from_code(code).value
            )
        )
        for ref, person_id in rows:
            key = record_id(code, ref)
            if key in record_ids:
                found[key] = person_id
    return found


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

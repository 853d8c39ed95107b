"""Event handlers: plain functions of (session, applied event), registered in EVENT_HANDLERS."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from consumers.view import (
    AgencyCase,
    AgencyPerson,
    CaseFact,
    CaseLink,
    JointCase,
    Retraction,
    TimelineEntry,
)
from schemas.events import (
    CaseClosed,
    CaseOpened,
    CourtOutcomeRecorded,
    CrossBorderLinkAsserted,
    Envelope,
    IdentificationDecided,
    InvestigationOpened,
    PersonRecorded,
    ProsecutionStarted,
    RecordRetracted,
    ReferralMade,
    SuspectCharged,
)
from schemas.vocabulary import Agency

# Personal fields of a person record: what a retraction erases.
ERASED_PERSON_FIELDS: dict[str, Any] = {
    "given_names": [],
    "family_name": None,
    "aliases": [],
    "name_as_written": None,
    "date_of_birth": None,
    "sex": "UNKNOWN",
    "nationalities": [],
    "identifiers": [],
    "phones": [],
}


@dataclass(frozen=True)
class AppliedEvent:
    """An event being applied, and where it was read."""

    event: Envelope
    topic: str
    partition: int
    offset: int
    applied_at: datetime

    def provenance(self) -> dict[str, Any]:
        """The provenance columns every view row carries."""
        return {
            "event_id": str(self.event.event_id),
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "applied_at": self.applied_at,
        }


Handler = Callable[[Session, AppliedEvent], None]
CaseKey = tuple[str, str]
LinkKey = tuple[str, str, str, str]


@dataclass
class BatchCache:
    """Rows a batch needs, loaded in a few queries up front (no round trip per event)."""

    cases: dict[CaseKey, AgencyCase]
    persons: dict[CaseKey, AgencyPerson]
    retracted: set[str]
    # True when loaded for the batch: then a miss means "not in the database either".
    complete: bool = False
    # Person records a retraction named: (agency, person ref) -> the highest such sequence.
    withdrawn_persons: dict[CaseKey, int] = field(default_factory=dict)
    # Append-only rows, inserted in one executemany per table when the batch is flushed.
    timeline: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    # Cases a merge moved to another joint case (their change-stream keys point elsewhere now).
    rehomed: list[CaseKey] = field(default_factory=list)
    # Cross-border links already stored (natural keys), and new ones to insert with the batch.
    links: set[LinkKey] = field(default_factory=set)
    new_links: list[dict[str, Any]] = field(default_factory=list)

    def write_pending(self, session: Session) -> None:
        """Insert the collected append-only rows (Core executemany, no per-row round trip)."""
        if self.timeline:
            session.execute(insert(TimelineEntry), self.timeline)
        if self.facts:
            session.execute(insert(CaseFact), self.facts)
        if self.new_links:
            session.execute(insert(CaseLink), self.new_links)
        self.timeline, self.facts, self.new_links = [], [], []

    @classmethod
    def load(
        cls, session: Session, events: Sequence[Envelope], more_cases: Iterable[CaseKey] = ()
    ) -> BatchCache:
        """Every agency case, person record and retraction the batch's events can touch."""
        case_keys = {(e.agency.value, e.case_ref) for e in events} | set(more_cases)
        case_keys |= {
            (e.counterpart_agency.value, e.counterpart_case_ref)
            for e in events
            if isinstance(e, CrossBorderLinkAsserted)
        }
        person_keys = {
            (e.agency.value, e.person_ref)
            for e in events
            if isinstance(e, PersonRecorded | RecordRetracted) and e.person_ref
        }
        cases = _load(session, AgencyCase, AgencyCase.case_ref, case_keys)
        persons = _load(session, AgencyPerson, AgencyPerson.person_ref, person_keys)
        link_keys = {_link_key(e) for e in events if isinstance(e, CrossBorderLinkAsserted)}
        links = {_link_key(link) for link in _load_links(session, link_keys)}
        ids = [str(e.event_id) for e in events]
        retracted = set(
            session.scalars(
                select(Retraction.retracted_event_id).where(Retraction.retracted_event_id.in_(ids))
            )
        )
        return cls(
            {(c.agency, c.case_ref): c for c in cases},
            {(p.agency, p.person_ref): p for p in persons},
            retracted,
            complete=True,
            links=links,
            withdrawn_persons=_withdrawn_persons(session, person_keys),
        )


def _withdrawn_persons(session: Session, keys: set[CaseKey]) -> dict[CaseKey, int]:
    """For each person key, the highest sequence of a retraction that named it."""
    if not keys:
        return {}
    rows = session.execute(
        select(Retraction.agency, Retraction.person_ref, func.max(TimelineEntry.sequence))
        .join(TimelineEntry, TimelineEntry.event_id == Retraction.event_id)
        .where(tuple_(Retraction.agency, Retraction.person_ref).in_(sorted(keys)))
        .group_by(Retraction.agency, Retraction.person_ref)
    ).all()
    return {(row[0], str(row[1])): int(row[2]) for row in rows}


def _load(session: Session, model: Any, ref_column: Any, keys: set[CaseKey]) -> list[Any]:
    if not keys:
        return []
    return list(
        session.scalars(select(model).where(tuple_(model.agency, ref_column).in_(sorted(keys))))
    )


def _link_key(link: CrossBorderLinkAsserted | CaseLink) -> LinkKey:
    """A link's natural key (agency values as stored in the view)."""
    if isinstance(link, CaseLink):
        return (link.agency, link.case_ref, link.counterpart_agency, link.counterpart_case_ref)
    return (
        link.agency.value,
        link.case_ref,
        link.counterpart_agency.value,
        link.counterpart_case_ref,
    )


def _load_links(session: Session, keys: set[LinkKey]) -> list[CaseLink]:
    if not keys:
        return []
    columns = tuple_(
        CaseLink.agency,
        CaseLink.case_ref,
        CaseLink.counterpart_agency,
        CaseLink.counterpart_case_ref,
    )
    return list(session.scalars(select(CaseLink).where(columns.in_(sorted(keys)))))


def _cache(session: Session) -> BatchCache:
    cache = session.info.get("batch_cache")
    if not isinstance(cache, BatchCache):
        cache = BatchCache({}, {}, set())
        session.info["batch_cache"] = cache
    return cache


E = TypeVar("E", bound=Envelope)


def _expect(applied: AppliedEvent, event_type: type[E]) -> E:
    """The applied event as the type its handler was registered for."""
    if not isinstance(applied.event, event_type):
        raise TypeError(f"{event_type.__name__} handler got {applied.event.event_type()}")
    return applied.event


def _agency_case(session: Session, applied: AppliedEvent, agency: str, case_ref: str) -> AgencyCase:
    cache = _cache(session)
    case = cache.cases.get((agency, case_ref))
    if case is None:
        case = AgencyCase(
            agency=agency,
            case_ref=case_ref,
            country=Agency(agency).country,
            exploitation_types=[],
            # Set here, not left to column defaults: the row is read before it is flushed.
            status="referenced",
            max_sequence=0,
            opened_sequence=0,
            status_sequence=0,
            **applied.provenance(),
        )
        session.add(case)
    cache.cases[(agency, case_ref)] = case
    return case


def _own_case(session: Session, applied: AppliedEvent) -> AgencyCase:
    return _agency_case(session, applied, applied.event.agency.value, applied.event.case_ref)


def _is_retracted(session: Session, event_id: str) -> bool:
    cache = _cache(session)
    if event_id in cache.retracted:
        return True
    return not cache.complete and session.get(Retraction, event_id) is not None


def record_on_timeline(session: Session, applied: AppliedEvent) -> None:
    """Every event: one timeline row; a jump in sequence is recorded as a gap, not refused."""
    event = applied.event
    case = _own_case(session, applied)
    gap = max(event.sequence - case.max_sequence - 1, 0)
    outcome = "late" if event.sequence < case.max_sequence else "applied"
    if _is_retracted(session, str(event.event_id)):
        outcome = "retracted"
    case.max_sequence = max(case.max_sequence, event.sequence)
    _cache(session).timeline.append(
        {
            "agency": event.agency.value,
            "case_ref": event.case_ref,
            "sequence": event.sequence,
            "event_type": event.event_type(),
            "occurred_at": event.occurred_at,
            "recorded_at": event.recorded_at,
            "handling_code": event.handling_code.value,
            "handling_restriction": event.handling_restriction,
            "outcome": outcome,
            "gap_before": gap,
            **applied.provenance(),
        }
    )


def open_case(session: Session, applied: AppliedEvent) -> None:
    """CaseOpened: the case's details, unless a later opening already set them."""
    event = _expect(applied, CaseOpened)
    case = _own_case(session, applied)
    if event.sequence <= case.opened_sequence:
        return
    case.opened_sequence = event.sequence
    case.case_type = event.case_type.value
    case.opened_at = event.occurred_at
    case.recruitment_country, case.recruitment_locality = (
        event.recruitment_country,
        event.recruitment_locality,
    )
    case.exploitation_country, case.exploitation_locality = (
        event.exploitation_country,
        event.exploitation_locality,
    )
    case.exploitation_types = [t.value for t in event.exploitation_types]
    case.handling_code, case.handling_restriction = (
        event.handling_code.value,
        event.handling_restriction,
    )
    if event.sequence > case.status_sequence:
        case.status, case.status_sequence = "open", event.sequence
    _set_provenance(case, applied)


def close_case(session: Session, applied: AppliedEvent) -> None:
    """CaseClosed: the status, unless a later status change already happened."""
    event = _expect(applied, CaseClosed)
    case = _own_case(session, applied)
    if event.sequence <= case.status_sequence:
        return
    case.status = "closed_referred" if event.status.value == "CLOSED_REFERRED" else "closed"
    case.status_sequence = event.sequence
    case.closed_at, case.closure_reason, case.referred_to = (
        event.occurred_at,
        event.reason.value,
        event.referred_to,
    )
    _set_provenance(case, applied)


def record_person(session: Session, applied: AppliedEvent) -> None:
    """PersonRecorded: the latest full state of the agency's person record (older never wins)."""
    event = _expect(applied, PersonRecorded)
    cache = _cache(session)
    key = (event.agency.value, event.person_ref)
    person = cache.persons.get(key)
    if person is None and not cache.complete:
        person = session.scalars(
            select(AgencyPerson).filter_by(agency=event.agency.value, person_ref=event.person_ref)
        ).one_or_none()
    if person is not None and event.sequence <= person.source_sequence:
        return
    if not cache.complete and key not in cache.withdrawn_persons:
        cache.withdrawn_persons.update(_withdrawn_persons(session, {key}))
    withdrawn_at = cache.withdrawn_persons.get(key, 0)
    # Withdrawn before it arrived: stored erased, as if it had come first and then been retracted.
    withdrawn = _is_retracted(session, str(event.event_id)) or event.sequence < withdrawn_at
    values = {
        "case_ref": event.case_ref,
        "country": event.country,
        "role": event.role.value,
        "given_names": list(event.given_names),
        "family_name": event.family_name,
        "aliases": list(event.aliases),
        "name_as_written": event.name_as_written,
        "date_of_birth": event.date_of_birth.model_dump() if event.date_of_birth else None,
        "sex": event.sex.value,
        "nationalities": list(event.nationalities),
        "identifiers": [i.model_dump(mode="json") for i in event.identifiers],
        "phones": list(event.phones),
        "age_group": event.age_group.value,
        "exploitation_types": [t.value for t in event.exploitation_types],
        "consent_to_share": event.consent_to_share,
        "handling_code": event.handling_code.value,
        "handling_restriction": event.handling_restriction,
        "source_sequence": event.sequence,
        "retracted": False,
        **applied.provenance(),
    }
    if withdrawn:
        values |= {
            **ERASED_PERSON_FIELDS,
            "retracted": True,
            "source_sequence": max(event.sequence, withdrawn_at),
        }
    if person is None:
        person = AgencyPerson(agency=event.agency.value, person_ref=event.person_ref, **values)
        session.add(person)
        cache.persons[(event.agency.value, event.person_ref)] = person
    else:
        for name, value in values.items():
            setattr(person, name, value)


def record_fact(session: Session, applied: AppliedEvent) -> None:
    """Referrals, decisions, investigations, charges, prosecutions, outcomes: one row each."""
    event = applied.event
    if _is_retracted(session, str(event.event_id)):
        return
    details = event.model_dump(mode="json", exclude=set(Envelope.model_fields))
    person_ref = details.get("person_ref")
    fact_date = next((getattr(event, name) for name in _FACT_DATES if hasattr(event, name)), None)
    _cache(session).facts.append(
        {
            "agency": event.agency.value,
            "case_ref": event.case_ref,
            "kind": event.event_type(),
            "person_ref": person_ref,
            "fact_date": fact_date,
            "details": details,
            "sequence": event.sequence,
            "handling_code": event.handling_code.value,
            **applied.provenance(),
        }
    )


_FACT_DATES = ("referred_on", "decided_on", "opened_on", "charged_on", "started_on")


def link_cases(session: Session, applied: AppliedEvent) -> None:
    """CrossBorderLinkAsserted: store the link and put both cases in one joint case."""
    event = _expect(applied, CrossBorderLinkAsserted)
    if _is_retracted(session, str(event.event_id)):
        return
    cache = _cache(session)
    key = _link_key(event)
    known = key in cache.links
    if not known and not cache.complete:
        known = bool(_load_links(session, {key}))
    if not known:
        cache.links.add(key)
        cache.new_links.append(
            {
                "agency": event.agency.value,
                "case_ref": event.case_ref,
                "counterpart_agency": event.counterpart_agency.value,
                "counterpart_case_ref": event.counterpart_case_ref,
                "basis": event.basis.value,
                **applied.provenance(),
            }
        )
    ours = _own_case(session, applied)
    theirs = _agency_case(
        session, applied, event.counterpart_agency.value, event.counterpart_case_ref
    )
    join_cases(session, applied.applied_at, str(applied.event.event_id), ours, theirs)


def join_cases(
    session: Session, at: datetime, created_by: str, first: AgencyCase, second: AgencyCase
) -> None:
    """Union two agency cases' joint cases; a merge keeps the older (lower) joint case id.

    ``created_by`` names what joined them: an event id, or ``person:<person_id>``.
    """
    if first.joint_case_id is None and second.joint_case_id is None:
        # Core insert without autoflush: only the new id is needed, not the batch's pending rows.
        with session.no_autoflush:
            joint_id = session.scalar(
                insert(JointCase)
                .values(created_at=at, created_by_event=created_by)
                .returning(JointCase.id)
            )
        first.joint_case_id = second.joint_case_id = joint_id
    elif first.joint_case_id is None:
        first.joint_case_id = second.joint_case_id
    elif second.joint_case_id is None:
        second.joint_case_id = first.joint_case_id
    elif first.joint_case_id != second.joint_case_id:
        keep, gone = sorted((first.joint_case_id, second.joint_case_id))
        moved = session.execute(
            select(AgencyCase.agency, AgencyCase.case_ref).where(AgencyCase.joint_case_id == gone)
        ).all()
        _cache(session).rehomed.extend((row.agency, row.case_ref) for row in moved)
        session.execute(
            update(AgencyCase).where(AgencyCase.joint_case_id == gone).values(joint_case_id=keep)
        )
        session.execute(update(JointCase).where(JointCase.id == gone).values(merged_into=keep))
        # The ORM update synchronises the cases loaded in this session (no reload needed).


def retract(session: Session, applied: AppliedEvent) -> None:
    """RecordRetracted: erase what the withdrawn event put in the view; keep the audit fact."""
    event = _expect(applied, RecordRetracted)
    withdrawn = str(event.retracted_event_id)
    cache = _cache(session)
    if withdrawn not in cache.retracted and session.get(Retraction, withdrawn) is None:
        session.add(
            Retraction(
                retracted_event_id=withdrawn,
                agency=event.agency.value,
                case_ref=event.case_ref,
                person_ref=event.person_ref,
                reason=event.reason.value,
                **applied.provenance(),
            )
        )
        cache.retracted.add(withdrawn)
        session.flush()
    if event.person_ref:
        key = (event.agency.value, event.person_ref)
        cache.withdrawn_persons[key] = max(cache.withdrawn_persons.get(key, 0), event.sequence)
    erased = session.scalars(
        select(AgencyPerson).where(
            AgencyPerson.agency == event.agency.value,
            (AgencyPerson.event_id == withdrawn)
            | (AgencyPerson.person_ref == (event.person_ref or "")),
        )
    ).all()
    for person in erased:
        if person.source_sequence < event.sequence:
            for name, value in ERASED_PERSON_FIELDS.items():
                setattr(person, name, value)
            person.retracted = True
            person.source_sequence = event.sequence
            _set_provenance(person, applied)
    # The withdrawn event may be in this very batch, not yet written.
    cache.facts = [f for f in cache.facts if f["event_id"] != withdrawn]
    cache.new_links = [link for link in cache.new_links if link["event_id"] != withdrawn]
    for entry in cache.timeline:
        if entry["event_id"] == withdrawn:
            entry["outcome"] = "retracted"
    session.execute(delete(CaseFact).where(CaseFact.event_id == withdrawn))
    session.execute(delete(CaseLink).where(CaseLink.event_id == withdrawn))
    session.execute(
        update(TimelineEntry).where(TimelineEntry.event_id == withdrawn).values(outcome="retracted")
    )


@dataclass(frozen=True)
class PersonLinks:
    """A person-links record (from the dedup flow), and where it was read."""

    record: dict[str, Any]
    topic: str
    partition: int
    offset: int
    applied_at: datetime

    def cases(self) -> list[CaseKey]:
        """The distinct agency cases of the person's records (none unless the person is active)."""
        if self.record.get("status") != "active":
            return []
        found = {
            (Agency.from_code(r["agency"]).value, r["case_ref"])
            for r in self.record.get("records", [])
            if r.get("case_ref")
        }
        return sorted(found)


def join_cases_of_person(session: Session, links: PersonLinks) -> list[CaseKey]:
    """Joint cases from shared persons: one person's agency cases become one joint case.

    Cases the view does not hold are skipped; the cases joined are returned.
    """
    cache = _cache(session)
    cases = [cache.cases[key] for key in links.cases() if key in cache.cases]
    by = f"person:{links.record['person_id']}"
    for first, second in itertools.pairwise(cases):
        join_cases(session, links.applied_at, by, first, second)
    return [(c.agency, c.case_ref) for c in cases]


def _set_provenance(row: AgencyCase | AgencyPerson, applied: AppliedEvent) -> None:
    for name, value in applied.provenance().items():
        setattr(row, name, value)


# Every event type and what applying it does, in order: the one place to wire a handler.
EVENT_HANDLERS: dict[type[Envelope], list[Handler]] = {
    CaseOpened: [record_on_timeline, open_case],
    PersonRecorded: [record_on_timeline, record_person],
    ReferralMade: [record_on_timeline, record_fact],
    IdentificationDecided: [record_on_timeline, record_fact],
    InvestigationOpened: [record_on_timeline, record_fact],
    SuspectCharged: [record_on_timeline, record_fact],
    ProsecutionStarted: [record_on_timeline, record_fact],
    CourtOutcomeRecorded: [record_on_timeline, record_fact],
    CrossBorderLinkAsserted: [record_on_timeline, link_cases],
    RecordRetracted: [record_on_timeline, retract],
    CaseClosed: [record_on_timeline, close_case],
}

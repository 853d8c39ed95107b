"""The joint operational view: SQLAlchemy 2 models (the schema changes only through migrations)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Metadata of every view table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class Provenance:
    """Which event last changed a row, and where it was read."""

    event_id: Mapped[str] = mapped_column(String(36))
    topic: Mapped[str] = mapped_column(String(200))
    partition: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime]


class Tracking(Base):
    """Tracking: one row per applied event id, written in the same transaction as its change."""

    __tablename__ = "applied_events"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    topic: Mapped[str] = mapped_column(String(200))
    partition: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime]


class JointCase(Base):
    """A group of agency cases, across countries, that are the same real case."""

    __tablename__ = "joint_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime]
    created_by_event: Mapped[str] = mapped_column(String(36))
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("joint_cases.id"), default=None)


class AgencyCase(Provenance, Base):
    """One agency's case; a row exists from the first event that names it (even a link to it)."""

    __tablename__ = "agency_cases"
    __table_args__ = (UniqueConstraint("agency", "case_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20))
    case_ref: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    case_type: Mapped[str | None] = mapped_column(String(40), default=None)
    status: Mapped[str] = mapped_column(String(20), default="referenced")
    opened_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    closure_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    referred_to: Mapped[str | None] = mapped_column(Text, default=None)
    recruitment_country: Mapped[str | None] = mapped_column(String(2), default=None)
    recruitment_locality: Mapped[str | None] = mapped_column(Text, default=None)
    exploitation_country: Mapped[str | None] = mapped_column(String(2), default=None)
    exploitation_locality: Mapped[str | None] = mapped_column(Text, default=None)
    exploitation_types: Mapped[list[Any]] = mapped_column(default=list)
    handling_code: Mapped[str | None] = mapped_column(String(2), default=None)
    handling_restriction: Mapped[str | None] = mapped_column(Text, default=None)
    joint_case_id: Mapped[int | None] = mapped_column(ForeignKey("joint_cases.id"), default=None)
    # Ordering per agency case: the highest sequence seen, and the sequences behind each part.
    max_sequence: Mapped[int] = mapped_column(Integer, default=0)
    opened_sequence: Mapped[int] = mapped_column(Integer, default=0)
    status_sequence: Mapped[int] = mapped_column(Integer, default=0)


class AgencyPerson(Provenance, Base):
    """Latest state of one agency person record (personal data: erased on retraction)."""

    __tablename__ = "agency_persons"
    __table_args__ = (
        UniqueConstraint("agency", "person_ref"),
        Index("ix_persons_case", "agency", "case_ref"),
        Index("ix_persons_event", "event_id"),  # a retraction finds what its event wrote
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20))
    person_ref: Mapped[str] = mapped_column(String(200))
    case_ref: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    role: Mapped[str] = mapped_column(String(20))
    given_names: Mapped[list[Any]] = mapped_column(default=list)
    family_name: Mapped[str | None] = mapped_column(Text, default=None)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    name_as_written: Mapped[str | None] = mapped_column(Text, default=None)
    date_of_birth: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    sex: Mapped[str] = mapped_column(String(30), default="UNKNOWN")
    nationalities: Mapped[list[Any]] = mapped_column(default=list)
    identifiers: Mapped[list[Any]] = mapped_column(default=list)
    phones: Mapped[list[Any]] = mapped_column(default=list)
    age_group: Mapped[str] = mapped_column(String(10), default="UNKNOWN")
    exploitation_types: Mapped[list[Any]] = mapped_column(default=list)
    consent_to_share: Mapped[bool | None] = mapped_column(default=None)
    handling_code: Mapped[str] = mapped_column(String(2))
    handling_restriction: Mapped[str | None] = mapped_column(Text, default=None)
    source_sequence: Mapped[int] = mapped_column(Integer)
    retracted: Mapped[bool] = mapped_column(default=False)


class CaseFact(Provenance, Base):
    """Referrals, decisions, investigations, charges, prosecutions and court outcomes.

    One row per event; ``kind`` is the event type and ``details`` its non-personal fields.
    """

    __tablename__ = "case_facts"
    __table_args__ = (
        UniqueConstraint("event_id"),
        Index("ix_facts_case", "agency", "case_ref"),
        Index("ix_facts_kind", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20))
    case_ref: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    person_ref: Mapped[str | None] = mapped_column(String(200), default=None)
    fact_date: Mapped[date | None] = mapped_column(default=None)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sequence: Mapped[int] = mapped_column(Integer)
    # The event's handling code (null only for facts of an unknown, pre-0005 event).
    handling_code: Mapped[str | None] = mapped_column(String(2), default=None)


class CaseLink(Provenance, Base):
    """An agency's assertion that its case is a counterpart's case in the other country."""

    __tablename__ = "case_links"
    __table_args__ = (
        UniqueConstraint("agency", "case_ref", "counterpart_agency", "counterpart_case_ref"),
        Index("ix_links_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20))
    case_ref: Mapped[str] = mapped_column(String(200))
    counterpart_agency: Mapped[str] = mapped_column(String(20))
    counterpart_case_ref: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(String(40))


class Retraction(Provenance, Base):
    """The audit fact that a record was withdrawn (what was withdrawn is erased elsewhere)."""

    __tablename__ = "retractions"

    retracted_event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agency: Mapped[str] = mapped_column(String(20))
    case_ref: Mapped[str] = mapped_column(String(200))
    person_ref: Mapped[str | None] = mapped_column(String(200), default=None)
    reason: Mapped[str] = mapped_column(String(30))


class TimelineEntry(Provenance, Base):
    """Every applied event of every agency case, in the agency's order (no personal data)."""

    __tablename__ = "timeline"
    __table_args__ = (
        UniqueConstraint("event_id"),
        Index("ix_timeline_case", "agency", "case_ref", "sequence"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20))
    case_ref: Mapped[str] = mapped_column(String(200))
    sequence: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    handling_code: Mapped[str] = mapped_column(String(2))
    handling_restriction: Mapped[str | None] = mapped_column(Text, default=None)
    # How the event stood against the case's order when it was applied.
    outcome: Mapped[str] = mapped_column(String(20))  # applied | superseded | late | retracted
    gap_before: Mapped[int] = mapped_column(Integer, default=0)


class ViewChange(Base):
    """Outbox: a joint-view key changed, written in the same transaction as the change.

    The relay publishes the key's state to the change stream after commit, then deletes the row;
    a rolled-back batch leaves no row, and a row is kept until the broker has acknowledged it.
    """

    __tablename__ = "view_changes_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_key: Mapped[str] = mapped_column(String(220))
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class ApiKey(Base):
    """A read-API user: one agency practitioner, identified by the hash of their key."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(20))  # agency code, e.g. ro-anitp
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256, hex
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class ReadAudit(Base):
    """One read of one record's personal data through the API: who, what, when, which fields."""

    __tablename__ = "read_audit"
    __table_args__ = (Index("ix_read_audit_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    user_name: Mapped[str] = mapped_column(String(200))
    user_agency: Mapped[str] = mapped_column(String(20))
    endpoint: Mapped[str] = mapped_column(Text)
    record: Mapped[str] = mapped_column(String(220))  # <agency code>:<person ref>
    fields: Mapped[list[Any]] = mapped_column(default=list)


class ChangeStreamKey(Base):
    """A key whose state the change stream carries (so withdrawing it needs a tombstone)."""

    __tablename__ = "change_stream_keys"

    change_key: Mapped[str] = mapped_column(String(220), primary_key=True)


class OutboxRelay(Base):
    """One row per relay; updating it first serialises relays, so a key's order is kept."""

    __tablename__ = "outbox_relays"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    published: Mapped[int] = mapped_column(BigInteger, default=0)
    last_published_at: Mapped[datetime | None] = mapped_column(default=None)


class MatchRun(Base):
    """One run of person matching (the dedup flow): what it saw and the model it used."""

    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(20))  # full | incremental
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    records: Mapped[int] = mapped_column(Integer, default=0)
    candidate_pairs: Mapped[int] = mapped_column(Integer, default=0)
    persons: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Person(Base):
    """A real person, as matching sees them across agencies (no personal data here)."""

    __tablename__ = "persons"

    person_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime]
    created_by_run: Mapped[int] = mapped_column(ForeignKey("match_runs.id"))
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | merged | split
    merged_into: Mapped[str | None] = mapped_column(String(20), default=None)
    updated_at: Mapped[datetime]


class PersonRecordLink(Base):
    """Which person an agency person record belongs to (one row per record)."""

    __tablename__ = "person_records"
    __table_args__ = (Index("ix_person_records_person", "person_id"),)

    agency: Mapped[str] = mapped_column(String(20), primary_key=True)
    person_ref: Mapped[str] = mapped_column(String(200), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.person_id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id"))


class PersonMatch(Base):
    """A scored pair of records from the latest run that scored it: why records were joined."""

    __tablename__ = "person_matches"
    __table_args__ = (Index("ix_person_matches_person", "person_id"),)

    left_record: Mapped[str] = mapped_column(String(230), primary_key=True)
    right_record: Mapped[str] = mapped_column(String(230), primary_key=True)
    person_id: Mapped[str | None] = mapped_column(String(20), default=None)
    match_probability: Mapped[float]
    match_weight: Mapped[float]
    # Per comparison, the match weight it contributed (Splink's mw_<comparison> columns).
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    linked: Mapped[bool] = mapped_column(default=False)
    review: Mapped[str | None] = mapped_column(
        String(10), default=None
    )  # pending | same | not_same
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id"))


class PersonChangeEntry(Base):
    """History of person ids: created, grew, shrank, merged (others absorbed), split."""

    __tablename__ = "person_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[str] = mapped_column(String(20))
    others: Mapped[list[Any]] = mapped_column(default=list)


class StatsSnapshot(Base):
    """One run of the weekly statistics: the report week, when, and under which rule."""

    __tablename__ = "stats_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_week: Mapped[str] = mapped_column(String(8))
    first_week: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    k: Mapped[int] = mapped_column(Integer)
    match_run_id: Mapped[int | None] = mapped_column(Integer, default=None)
    records: Mapped[int] = mapped_column(Integer, default=0)
    cells: Mapped[int] = mapped_column(Integer, default=0)
    suppressed: Mapped[int] = mapped_column(Integer, default=0)


class StatsCell(Base):
    """One figure of a snapshot: its full (restricted) value and whether public output hides it."""

    __tablename__ = "stats_cells"

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("stats_snapshots.id"), primary_key=True)
    measure: Mapped[str] = mapped_column(String(40), primary_key=True)
    view: Mapped[str] = mapped_column(String(20), primary_key=True)
    period: Mapped[str] = mapped_column(String(12), primary_key=True)
    week: Mapped[str] = mapped_column(String(8), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    # The public edition's value before suppression (without H2 records); null: not public.
    public_value: Mapped[int | None] = mapped_column(Integer, default=None)
    suppression: Mapped[str | None] = mapped_column(String(10), default=None)  # primary|secondary

"""The view's semantics against real SQLite and PostgreSQL: migrations, idempotence, order,
gaps, retraction and joint cases."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from consumers.apply import apply_batch
from consumers.database import current_revision, head_revision, upgrade
from consumers.queries import case_view
from consumers.view import (
    AgencyCase,
    AgencyPerson,
    Base,
    CaseFact,
    Retraction,
    TimelineEntry,
    Tracking,
)
from infra.database import make_engine
from infra.settings import Settings
from schemas.events import Envelope
from schemas.examples import all_examples, example_event
from schemas.vocabulary import NO_ONWARD_DISSEMINATION, NOT_FOR_JUDICIAL_USE
from tests.integration.consumers.factories import applied, link_event

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(database_settings: Settings) -> Engine:
    engine = make_engine(database_settings)
    upgrade(engine)
    return engine


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _person(**overrides: Any) -> Envelope:
    return example_event("PersonRecorded", event_id=uuid.uuid4(), **overrides)


def test_migrations_create_exactly_the_models_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)

    assert differences == []
    assert current_revision(engine) == head_revision()
    upgrade(engine)  # idempotent
    assert current_revision(engine) == head_revision()


def test_applying_the_same_events_twice_changes_nothing(engine: Engine) -> None:
    batch = [applied(e, i) for i, e in enumerate(all_examples())]

    first = apply_batch(engine, batch)
    counts = {
        m.__tablename__: _count(engine, m)
        for m in (AgencyCase, AgencyPerson, CaseFact, TimelineEntry)
    }
    second = apply_batch(engine, batch)

    assert (first.applied, first.duplicates) == (len(batch), 0)
    assert (second.applied, second.duplicates) == (0, len(batch))
    assert counts == {
        m.__tablename__: _count(engine, m)
        for m in (AgencyCase, AgencyPerson, CaseFact, TimelineEntry)
    }
    assert _count(engine, Tracking) == len(batch)


def test_a_repeat_inside_one_batch_is_applied_once(engine: Engine) -> None:
    event = _person(sequence=2)

    result = apply_batch(engine, [applied(event, 1), applied(event, 2)])

    assert (result.applied, result.duplicates) == (1, 1)


def test_an_older_sequence_never_overwrites_newer_state(engine: Engine) -> None:
    newer = _person(sequence=5, family_name="Popescu-Newer")
    older = _person(sequence=3, family_name="Popescu-Older")

    apply_batch(engine, [applied(newer)])
    apply_batch(engine, [applied(older)])

    with Session(engine) as session:
        person = session.scalars(select(AgencyPerson)).one()
        outcomes = dict(
            session.execute(select(TimelineEntry.sequence, TimelineEntry.outcome)).all()
        )
    assert person.family_name == "Popescu-Newer"
    assert person.source_sequence == 5
    assert outcomes == {5: "applied", 3: "late"}


def test_a_gap_in_sequence_is_tolerated_and_recorded(engine: Engine) -> None:
    apply_batch(engine, [applied(example_event("CaseOpened", sequence=1))])
    apply_batch(
        engine,
        [
            applied(
                example_event(
                    "CaseClosed",
                    sequence=4,
                    case_ref="EX-uk-sca-CaseOpened",
                    agency="UK_SCA",
                    country="GB",
                )
            )
        ],
    )

    with Session(engine) as session:
        gaps = dict(session.execute(select(TimelineEntry.sequence, TimelineEntry.gap_before)).all())
        case = session.scalars(select(AgencyCase)).one()
    assert gaps == {1: 0, 4: 2}
    assert case.status == "closed_referred"


def test_a_retraction_erases_personal_fields_and_keeps_the_audit_fact(engine: Engine) -> None:
    person = _person(sequence=2)
    retraction = example_event(
        "RecordRetracted",
        sequence=3,
        case_ref=person.case_ref,
        retracted_event_id=person.event_id,
        person_ref=person.person_ref,  # type: ignore[attr-defined]
    )

    apply_batch(engine, [applied(person), applied(retraction, 1)])

    with Session(engine) as session:
        erased = session.scalars(select(AgencyPerson)).one()
        audit = session.get(Retraction, str(person.event_id))
        outcome = session.scalar(
            select(TimelineEntry.outcome).where(TimelineEntry.event_id == str(person.event_id))
        )
    assert erased.retracted
    assert (erased.family_name, erased.given_names, erased.identifiers, erased.phones) == (
        None,
        [],
        [],
        [],
    )
    assert erased.date_of_birth is None
    assert audit is not None
    assert audit.reason == "ERASURE_REQUEST"
    assert outcome == "retracted"


def test_a_withdrawn_fact_that_arrives_after_its_retraction_is_notapplied(engine: Engine) -> None:
    decision = example_event("IdentificationDecided", event_id=uuid.uuid4(), sequence=2)
    retraction = example_event(
        "RecordRetracted",
        sequence=3,
        agency="UK_SCA",
        country="GB",
        case_ref=decision.case_ref,
        retracted_event_id=decision.event_id,
        person_ref=None,
    )

    apply_batch(engine, [applied(retraction)])
    apply_batch(engine, [applied(decision, 1)])

    assert _count(engine, CaseFact) == 0


LINKS = [
    (("UK_POLICE", "GB", "UKP-1"), ("RO_POLICE", "RO", "ROP-1")),
    (("UK_SCA", "GB", "NRM-1"), ("RO_ANITP", "RO", "ANITP-1")),
    (("RO_POLICE", "RO", "ROP-1"), ("UK_SCA", "GB", "NRM-1")),  # merges the two joint cases
]


def test_links_put_cases_of_both_countries_in_one_joint_case_and_merges_keep_the_older(
    engine: Engine,
) -> None:
    for ours, theirs in LINKS:
        apply_batch(engine, [applied(link_event(ours, theirs))])

    with Session(engine) as session:
        groups = {row.case_ref: row.joint_case_id for row in session.scalars(select(AgencyCase))}
    assert len(set(groups.values())) == 1
    assert set(groups) == {"UKP-1", "ROP-1", "NRM-1", "ANITP-1"}
    assert min(groups.values()) == next(iter(set(groups.values())))


def test_every_record_keeps_its_handling_code_and_shows_its_notice(engine: Engine) -> None:
    case_ref, where = "NRM-H-1", {"agency": "UK_SCA", "country": "GB"}
    opened = example_event(
        "CaseOpened",
        event_id=uuid.uuid4(),
        **where,
        case_ref=case_ref,
        handling_code="H3",
        handling_restriction="Only for the Bucharest and London units",
    )
    person = _person(**where, case_ref=case_ref, sequence=2, handling_code="H1")
    referral = example_event(
        "ReferralMade",
        3,
        event_id=uuid.uuid4(),
        **where,
        case_ref=case_ref,
        person_ref=person.person_ref,
        handling_code="H2",
    )
    apply_batch(engine, [applied(e, n) for n, e in enumerate([opened, person, referral])])

    shown = case_view(engine, "UK_SCA", case_ref)

    assert shown is not None
    assert shown["case"]["handling_notice"] == "H3: Only for the Bucharest and London units"
    (record,) = shown["persons"]
    assert record["handling_notice"] == NOT_FOR_JUDICIAL_USE
    notices = {t["event_type"]: t["handling_notice"] for t in shown["timeline"]}
    assert notices["ReferralMade"] == NO_ONWARD_DISSEMINATION
    with Session(engine) as session:
        fact = session.scalars(select(CaseFact).where(CaseFact.case_ref == case_ref)).one()
    assert fact.handling_code == "H2"

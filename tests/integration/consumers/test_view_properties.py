"""Property (hypothesis): however a case's events are interleaved, duplicated, reordered and cut
into batches, the view ends in the same state (against real SQLite files)."""

from __future__ import annotations

import os
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from consumers.apply import apply_batch
from consumers.view import AgencyCase, AgencyPerson, Base, CaseFact, Retraction, TimelineEntry
from schemas.events import Envelope
from schemas.examples import example_event
from tests.integration.consumers.factories import applied

pytestmark = pytest.mark.integration

CASE = {"agency": "UK_SCA", "country": "GB", "case_ref": "NRM-PROP-1"}
PERSON = "NRM-PROP-1/PV"
# Case-level columns that do not depend on the order events arrived in.
CASE_STATE = ("case_type", "status", "opened_at", "closed_at", "exploitation_types")
PERSON_STATE = ("given_names", "family_name", "date_of_birth", "sex", "retracted")


def _event(event_type: str, sequence: int, **fields: Any) -> Envelope:
    return example_event(event_type, sequence, event_id=uuid.uuid4(), **CASE, **fields)


@cache
def case_events() -> tuple[Envelope, ...]:
    """One case's history: opened, a person recorded and corrected, referred, a decision, a
    second person recorded then withdrawn, closed."""
    opened = _event("CaseOpened", 1)
    first = _event("PersonRecorded", 2, person_ref=PERSON, given_names=["Ana"], family_name="Pop")
    corrected = _event(
        "PersonRecorded", 3, person_ref=PERSON, given_names=["Ana", "Maria"], family_name="Popa"
    )
    referral = _event("ReferralMade", 4, person_ref=PERSON)
    decision = _event("IdentificationDecided", 5, person_ref=PERSON)
    other = _event("PersonRecorded", 6, person_ref=f"{PERSON}2", family_name="Ion")
    withdrawn = _event(
        "RecordRetracted",
        7,
        retracted_event_id=other.event_id,
        person_ref=f"{PERSON}2",
        reason="ERROR",
    )
    closed = _event("CaseClosed", 8)
    return (opened, first, corrected, referral, decision, other, withdrawn, closed)


def _engine(folder: Path) -> Engine:
    engine = create_engine(f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}")
    Base.metadata.create_all(engine)  # the migrations equal the models (test_view.py)
    return engine


def _state(engine: Engine) -> dict[str, Any]:
    """What the view says about the case, without order-dependent bookkeeping."""
    with Session(engine) as session:
        case = session.scalars(select(AgencyCase)).one()
        persons = {
            p.person_ref: tuple(getattr(p, name) for name in PERSON_STATE)
            for p in session.scalars(select(AgencyPerson))
        }
        return {
            "case": tuple(getattr(case, name) for name in CASE_STATE),
            "persons": persons,
            "facts": sorted((f.kind, f.event_id) for f in session.scalars(select(CaseFact))),
            "retractions": sorted(
                r.retracted_event_id for r in session.scalars(select(Retraction))
            ),
            "timeline": sorted(t.event_id for t in session.scalars(select(TimelineEntry))),
        }


@cache
def in_order_state(folder: Path) -> dict[str, Any]:
    engine = _engine(folder)
    apply_batch(engine, [applied(e, n) for n, e in enumerate(case_events())])
    return _state(engine)


@settings(
    max_examples=int(os.environ.get("CASESYNC_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_order_duplication_and_batching_gives_the_same_view(
    tmp_path: Path, data: st.DataObject
) -> None:
    events = list(case_events())
    repeated = data.draw(st.lists(st.sampled_from(events), max_size=6))
    arrival = data.draw(st.permutations(events + repeated))
    cuts = sorted(data.draw(st.sets(st.integers(1, len(arrival) - 1), max_size=5)))
    engine = _engine(tmp_path)

    for start, end in zip([0, *cuts], [*cuts, len(arrival)], strict=True):
        apply_batch(engine, [applied(e, start + n) for n, e in enumerate(arrival[start:end])])

    assert _state(engine) == in_order_state(tmp_path.parent)

"""The change stream against the real broker, registry and databases: outbox in the batch's
transaction, relayed after commit, readable by a plain Confluent deserializer, never lost."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from confluent_kafka.admin import ConfigResource, ResourceType
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from consumers.apply import apply_in_session
from consumers.changes import ChangeRelay
from consumers.database import upgrade
from consumers.view import Tracking, ViewChange
from infra.clients import make_admin, make_producer, make_registry_client
from infra.database import make_engine
from infra.errors import PublishError
from infra.security import JOINT_VIEW_ROLE
from infra.settings import Settings
from schemas.codec import DownstreamSerializer
from schemas.examples import example_event
from schemas.topics import joint_view_changes_topic
from tests.integration.consumers.change_stream import latest_changes, stream_problems
from tests.integration.consumers.factories import applied, link_event

pytestmark = pytest.mark.integration

# Two joint cases, then a third link that merges them (joint ids 1 and 2 → 1).
LINKS = [
    (("UK_POLICE", "GB", "UKP-1"), ("RO_POLICE", "RO", "ROP-1")),
    (("UK_SCA", "GB", "NRM-1"), ("RO_ANITP", "RO", "ANITP-1")),
    (("RO_POLICE", "RO", "ROP-1"), ("UK_SCA", "GB", "NRM-1")),
]
PERSONAL = {"given_names", "family_name", "name_as_written", "date_of_birth", "phones"}


@pytest.fixture
def engine(database_settings: Settings) -> Engine:
    engine = make_engine(database_settings)
    upgrade(engine)
    return engine


def _relay(engine: Engine, settings: Settings, prefix: str, **producer: str) -> ChangeRelay:
    topic = joint_view_changes_topic(prefix)
    serializer = DownstreamSerializer(make_registry_client(settings), topic, "JointViewChanged")
    return ChangeRelay(
        engine,
        make_producer(settings, JOINT_VIEW_ROLE, **producer),
        serializer,
        topic,
        flush_timeout_s=5,
    )


def _outbox(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(ViewChange)) or 0)


def _apply(engine: Engine, *links: int) -> None:
    with Session(engine) as session, session.begin():
        apply_in_session(session, [applied(link_event(*LINKS[i])) for i in links])


def test_a_rolled_back_batch_leaves_no_change_to_publish(engine: Engine) -> None:
    with Session(engine) as session:
        session.begin()
        apply_in_session(session, [applied(link_event(*LINKS[0]))])
        written = session.scalar(select(func.count()).select_from(ViewChange))
        session.rollback()

    assert written == 3  # the joint case and the two cases' own keys, in the batch's transaction
    assert _outbox(engine) == 0
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Tracking)) == 0


def test_changes_reach_a_plain_deserializer_and_the_last_per_key_is_the_view(
    engine: Engine, service_settings: Settings, prefix: str
) -> None:
    relay = _relay(engine, service_settings, prefix)
    _apply(engine, 0)
    _apply(engine, 1)
    first = relay.relay()
    _apply(engine, 2)  # the merge
    second = relay.relay()

    read, latest = latest_changes(service_settings, prefix)

    assert _outbox(engine) == 0
    # Then the merge: both joint cases, and the own keys of the cases the merge moved.
    assert (first, second) == (6, 4)
    assert read == first + second
    assert stream_problems(engine, latest) == []
    survivor = latest["joint:1"]
    assert survivor["countries"] == ["GB", "RO"]
    assert {c["case_ref"] for c in survivor["cases"]} == {"UKP-1", "ROP-1", "NRM-1", "ANITP-1"}
    assert latest["joint:2"]["merged_into"] == "joint:1"
    assert latest["joint:2"]["cases"] == []
    assert latest["case:uk-police:UKP-1"]["merged_into"] == "joint:1"
    case_fields = set(survivor["cases"][0])
    assert not case_fields & PERSONAL
    assert not set(survivor) & PERSONAL


def test_an_unreachable_broker_keeps_the_changes_in_the_outbox(
    engine: Engine, service_settings: Settings, prefix: str
) -> None:
    _apply(engine, 0)
    broken = _relay(
        engine,
        service_settings,
        prefix,
        **{"bootstrap.servers": "127.0.0.1:9", "message.timeout.ms": "3000"},
    )

    with pytest.raises(PublishError, match="did not take the changes"):
        broken.relay()

    assert _outbox(engine) == 3  # nothing lost
    assert _relay(engine, service_settings, prefix).relay() == 3
    assert _outbox(engine) == 0
    _, latest = latest_changes(service_settings, prefix)
    assert stream_problems(engine, latest) == []


def test_the_change_stream_topic_is_compacted(service_settings: Settings, prefix: str) -> None:
    resource = ConfigResource(ResourceType.TOPIC, joint_view_changes_topic(prefix))
    admin = make_admin(service_settings)  # kept alive until the answer arrives

    configs = admin.describe_configs([resource])[resource].result(timeout=30)

    assert configs["cleanup.policy"].value == "compact"


def _case_event(event_type: str, agency: str, case_ref: str, sequence: int, **fields: Any) -> Any:
    country = "GB" if agency.startswith("UK") else "RO"
    return example_event(
        event_type,
        sequence,
        event_id=uuid.uuid4(),
        agency=agency,
        country=country,
        case_ref=case_ref,
        **fields,
    )


def test_h2_cases_never_reach_the_stream_and_a_withdrawn_case_is_a_tombstone(
    engine: Engine, service_settings: Settings, prefix: str
) -> None:
    relay = _relay(engine, service_settings, prefix)
    opened = _case_event("CaseOpened", "UK_POLICE", "UKP-9", 1)
    withheld = _case_event("CaseOpened", "RO_POLICE", "ROP-9", 1, handling_code="H2")
    h2_person = _case_event(
        "PersonRecorded", "UK_POLICE", "UKP-9", 2, person_ref="UKP-9/P1", handling_code="H2"
    )
    with Session(engine) as session, session.begin():
        apply_in_session(
            session, [applied(e, n) for n, e in enumerate([opened, withheld, h2_person])]
        )
    relay.relay()
    _, before = latest_changes(service_settings, prefix)

    retractions = [
        _case_event(
            "RecordRetracted",
            "UK_POLICE",
            "UKP-9",
            sequence,
            retracted_event_id=event.event_id,
            person_ref=person_ref,
            reason="ERROR",
        )
        for sequence, event, person_ref in ((3, opened, None), (4, h2_person, "UKP-9/P1"))
    ]
    with Session(engine) as session, session.begin():
        apply_in_session(session, [applied(e, 3 + n) for n, e in enumerate(retractions)])
    relay.relay()
    read, after = latest_changes(service_settings, prefix)

    shown = before["case:uk-police:UKP-9"]
    assert shown is not None
    assert shown["cases"][0]["victims"] == 0  # the H2 person record is not counted
    assert "case:ro-police:ROP-9" not in after  # never published, not even as a tombstone
    assert after["case:uk-police:UKP-9"] is None  # each of its events retracted: withdrawn
    assert read == 2
    assert stream_problems(engine, after) == []

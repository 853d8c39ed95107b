"""Reading the change stream as a downstream subscriber would: plain Confluent Avro deserializer."""

from __future__ import annotations

import uuid
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from consumers.changes import case_key, joint_key, key_states
from consumers.reader import read_raw_to_end
from consumers.view import AgencyCase, JointCase
from infra.clients import make_consumer
from infra.security import DOWNSTREAM_ROLE
from infra.settings import Settings
from schemas.topics import joint_view_changes_topic

EVENT_FIELDS = ("last_event_id", "last_event_type", "published_at")


Latest = dict[str, dict[str, Any] | None]  # the last record per key; None: a tombstone


def latest_changes(settings: Settings, prefix: str) -> tuple[int, Latest]:
    """(records read, the last record per key) from the change stream, nothing casesync-made."""
    return latest_per_key(settings, joint_view_changes_topic(prefix), "key")


def latest_per_key(settings: Settings, topic: str, key_field: str | None) -> tuple[int, Latest]:
    """(records read, the last record per key) of a downstream topic, as a subscriber reads it.

    ``key_field``: the record field the Kafka key must equal (None: the key is not a field).
    """
    consumer = make_consumer(
        settings, DOWNSTREAM_ROLE, group_id=f"downstream-{uuid.uuid4().hex[:8]}"
    )
    # A fresh client and no reader schema: what any Confluent-compatible subscriber does.
    deserializer = AvroDeserializer(
        SchemaRegistryClient({"url": settings.effective_schema_registry_url})
    )
    try:
        messages = read_raw_to_end(consumer, [topic], 120)
    finally:
        consumer.close()
    latest: Latest = {}
    for message in messages:
        key = (message.key() or b"").decode()
        if message.value() is None:  # a tombstone: compaction will delete the key
            latest[key] = None
            continue
        record = deserializer(message.value(), SerializationContext(topic, MessageField.VALUE))
        assert isinstance(record, dict)
        assert key_field is None or key == record[key_field]
        latest[key] = record
    return len(messages), latest


def without_event_fields(record: dict[str, Any]) -> dict[str, Any]:
    """A change record's state only."""
    return {name: value for name, value in record.items() if name not in EVENT_FIELDS}


def stream_problems(engine: Engine, latest: Latest) -> list[str]:
    """How the stream's last record per key disagrees with the view (empty: it agrees).

    A key the view withholds (H2, or withdrawn) must be a tombstone or never have appeared.
    """
    problems = []
    with Session(engine) as session:
        states = key_states(session, sorted(latest))
        for key, record in latest.items():
            state = None if record is None else without_event_fields(record)
            if state != states.get(key):
                problems.append(f"{key}: stream {state} view {states.get(key)}")
        live = set(session.scalars(select(JointCase.id).where(JointCase.merged_into.is_(None))))
        expected = {
            (
                joint_key(case.joint_case_id)
                if case.joint_case_id in live
                else case_key(case.agency, case.case_ref)
            ): case
            for case in session.scalars(select(AgencyCase))
        }
        shown = key_states(session, sorted(expected))
        for key, case in expected.items():
            if key not in latest and shown.get(key) is not None:
                problems.append(f"{case.agency}:{case.case_ref}: no record under {key}")
    return problems

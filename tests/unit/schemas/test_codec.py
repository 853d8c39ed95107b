"""The codec against the in-process mock registry (the real registry is in integration tests)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from infra.errors import CodecError, UnknownEventTypeError
from producers.sample import sample_case_opened
from schemas.codec import RegistryCodec

TOPIC = "casesync.events.uk-police"


@pytest.fixture
def codec() -> RegistryCodec:
    return RegistryCodec(SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"}))


def test_encode_then_decode_round_trips_in_confluent_wire_format(codec: RegistryCodec) -> None:
    record = sample_case_opened(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))

    data = codec.encode(TOPIC, "CaseOpened", record)
    decoded = codec.decode(TOPIC, data)

    assert data[0] == 0  # magic byte
    assert int.from_bytes(data[1:5], "big") == decoded.schema_id
    assert decoded.event_type == "CaseOpened"
    assert str(decoded.record["event_id"]) == record["event_id"]
    assert decoded.record["occurred_at"] == record["occurred_at"]
    assert decoded.record["exploitation_country"] == "GB"


def test_unknown_event_type_is_refused_by_name(codec: RegistryCodec) -> None:
    with pytest.raises(UnknownEventTypeError, match="'CaseTeleported'"):
        codec.encode(TOPIC, "CaseTeleported", {})


def test_a_record_missing_a_field_names_the_event_and_topic(codec: RegistryCodec) -> None:
    record = sample_case_opened(datetime(2026, 11, 30, tzinfo=UTC))
    del record["case_ref"]

    with pytest.raises(CodecError, match=f"cannot encode CaseOpened for topic {TOPIC}"):
        codec.encode(TOPIC, "CaseOpened", record)


@pytest.mark.parametrize("garbage", [b"", b"\x07abc", b'{"json": true}'])
def test_bytes_not_in_wire_format_are_refused(codec: RegistryCodec, garbage: bytes) -> None:
    with pytest.raises(CodecError, match=TOPIC):
        codec.decode(TOPIC, garbage)


def test_a_schema_id_the_registry_does_not_know_is_refused(codec: RegistryCodec) -> None:
    with pytest.raises(UnknownEventTypeError, match="schema id 4242"):
        codec.decode(TOPIC, b"\x00" + (4242).to_bytes(4, "big") + b"\x02")


def test_truncated_body_is_refused(codec: RegistryCodec) -> None:
    data = codec.encode(TOPIC, "CaseOpened", sample_case_opened(datetime(2026, 11, 30, tzinfo=UTC)))

    with pytest.raises(CodecError, match="cannot decode CaseOpened"):
        codec.decode(TOPIC, data[:20])

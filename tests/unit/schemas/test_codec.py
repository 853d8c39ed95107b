"""The codec against the in-process mock registry (the real registry is in integration tests)."""

from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from infra.errors import CodecError, EventValidationError, UnknownEventTypeError
from schemas.catalog import event_schemas
from schemas.codec import RegistryCodec
from schemas.events import EVENT_TYPES
from schemas.examples import all_examples, example_data, example_event
from schemas.registry import register_contract

TOPIC = "casesync.events.uk-police"


@pytest.fixture
def client() -> SchemaRegistryClient:
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    register_contract(client, [TOPIC])
    return client


@pytest.fixture
def codec(client: SchemaRegistryClient) -> RegistryCodec:
    return RegistryCodec(client)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_round_trips(codec: RegistryCodec, event_type: str) -> None:
    event = example_event(event_type)

    data = codec.encode(TOPIC, event)

    assert data[0] == 0  # Confluent magic byte, then a 4-byte schema id
    assert codec.decode(TOPIC, data) == event


def test_each_event_type_has_its_own_subject_and_schema_id(
    codec: RegistryCodec, client: SchemaRegistryClient
) -> None:
    ids = {int.from_bytes(codec.encode(TOPIC, e)[1:5], "big") for e in all_examples()}

    assert len(ids) == len(EVENT_TYPES)
    assert f"{TOPIC}-casesync.events.PersonRecorded" in client.get_subjects()


def test_producers_cannot_write_an_unregistered_subject(codec: RegistryCodec) -> None:
    with pytest.raises(CodecError, match="cannot encode CaseOpened for topic unregistered"):
        codec.encode("unregistered", example_event("CaseOpened"))


def test_unknown_event_type_is_refused_by_name(codec: RegistryCodec) -> None:
    with pytest.raises(UnknownEventTypeError, match="'CaseTeleported'"):
        codec.encode_record(TOPIC, "CaseTeleported", {})


def test_decoding_validates_the_domain_rules(codec: RegistryCodec) -> None:
    # Plain records skip validation on the way in; the consumer's entry point still refuses them.
    bad = example_data("CaseOpened", sequence=0)
    data = codec.encode_record(TOPIC, "CaseOpened", bad)

    with pytest.raises(EventValidationError, match="field 'sequence'"):
        codec.decode(TOPIC, data)


@pytest.mark.parametrize("garbage", [b"", b"\x07abc", b'{"json": true}'])
def test_bytes_not_in_wire_format_are_refused(codec: RegistryCodec, garbage: bytes) -> None:
    with pytest.raises(CodecError, match=TOPIC):
        codec.decode(TOPIC, garbage)


def test_a_schema_id_the_registry_does_not_know_is_refused(codec: RegistryCodec) -> None:
    with pytest.raises(UnknownEventTypeError, match="schema id 4242"):
        codec.decode(TOPIC, b"\x00" + (4242).to_bytes(4, "big") + b"\x02")


def test_a_record_that_is_not_a_casesync_event_is_refused(
    codec: RegistryCodec, client: SchemaRegistryClient
) -> None:
    stranger = {"type": "record", "name": "Invoice", "namespace": "acme", "fields": []}
    foreign = RegistryCodec(client, {"Invoice": json.dumps(stranger)}, auto_register=True)
    data = foreign.encode_record(TOPIC, "Invoice", {})

    with pytest.raises(UnknownEventTypeError, match="'Invoice', not a casesync event"):
        codec.decode(TOPIC, data)


def test_truncated_body_is_refused(codec: RegistryCodec) -> None:
    data = codec.encode(TOPIC, example_event("PersonRecorded"))

    with pytest.raises(CodecError, match="cannot decode PersonRecorded"):
        codec.decode(TOPIC, data[:30])


def test_an_unknown_enum_symbol_from_a_newer_writer_reads_as_the_default(
    client: SchemaRegistryClient,
) -> None:
    newer = json.loads(event_schemas()["ReferralMade"])
    responder = next(f for f in newer["fields"] if f["name"] == "first_responder_type")
    responder["type"]["symbols"].append("LABOUR_INSPECTORATE")
    writer = RegistryCodec(client, {"ReferralMade": json.dumps(newer)}, auto_register=True)
    record = example_data("ReferralMade", first_responder_type="LABOUR_INSPECTORATE")

    event = RegistryCodec(client).decode(TOPIC, writer.encode_record(TOPIC, "ReferralMade", record))

    assert event.first_responder_type == "OTHER"  # type: ignore[attr-defined]

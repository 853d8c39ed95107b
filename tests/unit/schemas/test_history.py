"""Schema evolution inside one process (across processes: tests/integration/schemas)."""

from __future__ import annotations

import uuid

from confluent_kafka.schema_registry import SchemaRegistryClient

from schemas.catalog import event_schemas, historical_schemas, schemas_as_of
from schemas.codec import RegistryCodec
from schemas.contract import to_record
from schemas.examples import example_event
from schemas.registry import register_contract

TOPIC = "casesync.events.uk-sca"


def test_case_opened_v1_is_kept_and_differs_from_the_current_schema() -> None:
    assert "CaseOpened" in historical_schemas(1)
    assert historical_schemas(1)["CaseOpened"] != event_schemas()["CaseOpened"]


def test_v1_writer_to_current_reader_fills_the_new_fields_with_defaults() -> None:
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    register_contract(client, [TOPIC], schemas_as_of(1))
    register_contract(client, [TOPIC])
    event = example_event("CaseOpened")

    data = RegistryCodec(client, schemas_as_of(1)).encode_record(
        TOPIC, "CaseOpened", to_record(event)
    )
    read = RegistryCodec(client).decode(TOPIC, data)

    assert read.model_dump(
        exclude={"recruitment_locality", "exploitation_types", "handling_restriction"}
    ) == (
        event.model_dump(
            exclude={"recruitment_locality", "exploitation_types", "handling_restriction"}
        )
    )
    assert read.recruitment_locality is None  # type: ignore[attr-defined]
    assert read.exploitation_types == ()  # type: ignore[attr-defined]


def test_current_writer_to_v1_reader_ignores_the_new_fields() -> None:
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    register_contract(client, [TOPIC])
    event = example_event("CaseOpened")

    record = (
        RegistryCodec(client, schemas_as_of(1))
        .decode_record(TOPIC, RegistryCodec(client).encode(TOPIC, event))
        .record
    )

    assert "exploitation_types" not in record
    assert record["exploitation_locality"] == "Leicester"

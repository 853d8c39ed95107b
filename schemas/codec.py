"""Confluent wire format through the schema registry: one entry point to encode, one to decode."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from confluent_kafka.schema_registry import (
    Schema,
    SchemaRegistryClient,
    topic_record_subject_name_strategy,
)
from confluent_kafka.schema_registry.avro import AvroSerializer

# The HTTP library the registry client itself uses (httpx or httpx2, by Python version).
from confluent_kafka.schema_registry.common._httpx_compat import httpx as registry_http
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.serde import SchemaId
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError
from fastavro import parse_schema, schemaless_reader
from fastavro.read import SchemaResolutionError

from infra.errors import CodecError, RegistryUnavailableError, UnknownEventTypeError
from schemas.catalog import downstream_schema, event_schemas
from schemas.contract import to_record, validate_event
from schemas.events import Envelope


@contextmanager
def _registry_outage(doing: str) -> Iterator[None]:
    """Turn "the registry did not answer" (no connection, a 5xx) into RegistryUnavailableError,
    which callers retry, unlike a refusal (unknown id, incompatible schema) they must not."""
    try:
        yield
    except registry_http.TransportError as exc:
        raise RegistryUnavailableError(f"schema registry unreachable while {doing}: {exc}") from exc
    except SchemaRegistryError as exc:
        if exc.http_status_code >= 500:
            raise RegistryUnavailableError(
                f"schema registry failed ({exc.http_status_code}) while {doing}: {exc}"
            ) from exc
        raise


@dataclass(frozen=True)
class DecodedRecord:
    """A message value read with the current reader schema of its event type."""

    event_type: str
    record: dict[str, Any]
    schema_id: int


# What fastavro raises on bytes that are not a valid datum of the writer schema (found by
# tests/unit/schemas/test_codec_fuzz.py: a mutated timestamp overflows a C int).
_READ_ERRORS = (SchemaResolutionError, ValueError, TypeError, EOFError, IndexError, OverflowError)


class RegistryCodec:
    """Encodes and decodes casesync events; subjects are ``<topic>-casesync.events.<Event>``.

    Producers write only schemas already registered (``casesync schemas register``, which
    ``casesync infra up`` runs); ``auto_register`` is for tests of unregistered subjects.
    """

    def __init__(
        self,
        client: SchemaRegistryClient,
        schemas: Mapping[str, str] | None = None,
        auto_register: bool = False,
    ) -> None:
        self._client = client
        self._schemas = dict(schemas if schemas is not None else event_schemas())
        conf = {
            "subject.name.strategy": topic_record_subject_name_strategy,
            "auto.register.schemas": auto_register,
        }
        # Schema objects, not strings: the serializer would rewrite a string, and lookups of
        # registered schemas compare the exact text `casesync schemas register` sent.
        self._serializers = {
            name: AvroSerializer(client, Schema(text, "AVRO"), conf=conf)
            for name, text in self._schemas.items()
        }
        # Each reader schema parsed on its own: records share named types (the Agency enum ...).
        self._readers = {
            name: parse_schema(json.loads(text)) for name, text in self._schemas.items()
        }
        self._writers: dict[int, tuple[str, dict[str, Any]]] = {}
        self._downstream_readers: dict[str, Any] = {}
        self._downstream_writers: dict[int, Any] = {}

    def encode(self, topic: str, event: Envelope) -> bytes:
        """The producers' entry point: a validated event as Confluent wire-format bytes."""
        return self.encode_record(topic, event.event_type(), to_record(event))

    def decode(self, topic: str, data: bytes) -> Envelope:
        """The consumers' entry point: bytes → the validated event (reader schema resolution)."""
        decoded = self.decode_record(topic, data)
        return validate_event(decoded.event_type, decoded.record)

    def encode_record(self, topic: str, event_type: str, record: Mapping[str, Any]) -> bytes:
        """Serialize a plain Avro datum as ``event_type`` (no domain validation)."""
        serializer = self._serializers.get(event_type)
        if serializer is None:
            raise UnknownEventTypeError(f"unknown event type {event_type!r} for topic {topic}")
        context = SerializationContext(topic, MessageField.VALUE)
        try:
            with _registry_outage(f"encoding {event_type} for topic {topic}"):
                data = serializer(dict(record), context)
        except (
            SerializationError,
            SchemaRegistryError,
            ValueError,
            TypeError,
            OverflowError,
        ) as exc:
            raise CodecError(f"cannot encode {event_type} for topic {topic}: {exc}") from exc
        if data is None:
            raise CodecError(f"cannot encode {event_type} for topic {topic}: empty record")
        return bytes(data)

    def decode_record(self, topic: str, data: bytes) -> DecodedRecord:
        """Deserialize to a plain datum with the current reader schema of its event type.

        fastavro reads the Avro body directly (writer schema from the registry by the id in the
        header, resolved against our reader schema), which is what confluent-kafka's
        AvroDeserializer does underneath, minus its per-message rule and tag machinery.
        """
        schema_id, body = self._writer_schema_id(topic, data)
        event_type, writer = self._writer(topic, schema_id)
        try:
            record = schemaless_reader(body, writer, self._readers[event_type])
        except _READ_ERRORS as exc:
            raise CodecError(
                f"cannot decode {event_type} (schema id {schema_id}) from topic {topic}: {exc}"
            ) from exc
        if not isinstance(record, dict):
            raise CodecError(f"cannot decode {event_type} from topic {topic}: not a record")
        return DecodedRecord(event_type, record, schema_id)

    def decode_downstream(self, topic: str, data: bytes, record_name: str) -> dict[str, Any]:
        """A downstream topic's record (``schemas/downstream/``), read with our reader schema."""
        schema_id, body = self._writer_schema_id(topic, data)
        reader = self._downstream_readers.get(record_name)
        if reader is None:
            reader = parse_schema(json.loads(downstream_schema(record_name)))
            self._downstream_readers[record_name] = reader
        writer = self._downstream_writers.get(schema_id)
        if writer is None:
            try:
                with _registry_outage(f"schema id {schema_id} on topic {topic}"):
                    text = self._client.get_schema(schema_id).schema_str or "{}"
            except SchemaRegistryError as exc:
                raise UnknownEventTypeError(
                    f"schema id {schema_id} on topic {topic} is not in the registry: {exc}"
                ) from exc
            writer = parse_schema(json.loads(text))
            self._downstream_writers[schema_id] = writer
        try:
            record = schemaless_reader(body, writer, reader)
        except _READ_ERRORS as exc:
            raise CodecError(
                f"cannot decode {record_name} (schema id {schema_id}) from topic {topic}: {exc}"
            ) from exc
        if not isinstance(record, dict):
            raise CodecError(f"cannot decode {record_name} from topic {topic}: not a record")
        return record

    def _writer_schema_id(self, topic: str, data: bytes) -> tuple[int, io.BytesIO]:
        schema_id = SchemaId("AVRO")
        try:
            body = schema_id.from_bytes(io.BytesIO(data))
        except Exception as exc:  # struct.error on short input, SerializationError on bad magic
            raise CodecError(
                f"message on topic {topic} is not in Confluent wire format: {exc}"
            ) from exc
        if schema_id.id is None:
            raise CodecError(f"message on topic {topic} carries no schema id")
        return int(schema_id.id), body

    def _writer(self, topic: str, schema_id: int) -> tuple[str, dict[str, Any]]:
        """The event type and parsed writer schema of a registry id (asked once per id)."""
        known = self._writers.get(schema_id)
        if known is not None:
            return known
        try:
            with _registry_outage(f"schema id {schema_id} on topic {topic}"):
                writer = self._client.get_schema(schema_id)
        except SchemaRegistryError as exc:
            raise UnknownEventTypeError(
                f"schema id {schema_id} on topic {topic} is not in the registry: {exc}"
            ) from exc
        parsed_json = json.loads(writer.schema_str or "{}")
        name = str(parsed_json.get("name", "")) if isinstance(parsed_json, dict) else ""
        if name not in self._schemas:
            raise UnknownEventTypeError(
                f"schema id {schema_id} on topic {topic} is record {name!r}, not a casesync event"
            )
        parsed = parse_schema(parsed_json)
        if not isinstance(parsed, dict):
            raise UnknownEventTypeError(f"schema id {schema_id} on topic {topic} is not a record")
        self._writers[schema_id] = (name, parsed)
        return name, parsed


class DownstreamSerializer:
    """A downstream topic's records (``schemas/downstream/``) in Confluent wire format.

    Subject ``<topic>-value`` (TopicNameStrategy), registered by `casesync schemas register`;
    never auto-registered here.
    """

    def __init__(self, client: SchemaRegistryClient, topic: str, record_name: str) -> None:
        self.topic, self._name = topic, record_name
        self._serializer = AvroSerializer(
            client,
            Schema(downstream_schema(record_name), "AVRO"),
            conf={"auto.register.schemas": False},
        )
        self._context = SerializationContext(topic, MessageField.VALUE)

    def __call__(self, record: Mapping[str, Any]) -> bytes:
        """One record as wire-format bytes."""
        try:
            with _registry_outage(f"encoding {self._name} for {self.topic}"):
                data = self._serializer(dict(record), self._context)
        except (SerializationError, SchemaRegistryError, ValueError, TypeError) as exc:
            raise CodecError(f"cannot encode {self._name} for {self.topic}: {exc}") from exc
        return bytes(data or b"")

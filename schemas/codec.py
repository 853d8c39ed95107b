"""Confluent wire format through the schema registry: one entry point to encode, one to decode."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient, topic_record_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.serde import SchemaId
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

from infra.errors import CodecError, UnknownEventTypeError
from schemas.catalog import event_schemas


@dataclass(frozen=True)
class DecodedEvent:
    """An event read off a topic: its type, its fields (reader schema) and its writer schema id."""

    event_type: str
    record: dict[str, Any]
    schema_id: int


class RegistryCodec:
    """Encodes and decodes casesync events, registering schemas under ``<topic>-<record name>``."""

    def __init__(
        self,
        client: SchemaRegistryClient,
        schemas: Mapping[str, str] | None = None,
        auto_register: bool = True,
    ) -> None:
        self._client = client
        self._schemas = dict(schemas if schemas is not None else event_schemas())
        conf = {
            "subject.name.strategy": topic_record_subject_name_strategy,
            "auto.register.schemas": auto_register,
        }
        self._serializers = {
            name: AvroSerializer(client, text, conf=conf) for name, text in self._schemas.items()
        }
        self._deserializers = {
            name: AvroDeserializer(client, text) for name, text in self._schemas.items()
        }
        self._type_by_schema_id: dict[int, str] = {}

    def encode(self, topic: str, event_type: str, record: Mapping[str, Any]) -> bytes:
        """Serialize ``record`` as ``event_type`` for ``topic`` (magic byte, schema id, body)."""
        serializer = self._serializers.get(event_type)
        if serializer is None:
            raise UnknownEventTypeError(f"unknown event type {event_type!r} for topic {topic}")
        context = SerializationContext(topic, MessageField.VALUE)
        try:
            data = serializer(dict(record), context)
        except (SerializationError, SchemaRegistryError, ValueError, TypeError) as exc:
            raise CodecError(f"cannot encode {event_type} for topic {topic}: {exc}") from exc
        if data is None:
            raise CodecError(f"cannot encode {event_type} for topic {topic}: empty record")
        return bytes(data)

    def decode(self, topic: str, data: bytes) -> DecodedEvent:
        """Deserialize a message value with the current reader schema of its event type."""
        schema_id = self._writer_schema_id(topic, data)
        event_type = self._event_type(topic, schema_id)
        context = SerializationContext(topic, MessageField.VALUE)
        try:
            record = self._deserializers[event_type](data, context)
        except (SerializationError, SchemaRegistryError, ValueError, TypeError, EOFError) as exc:
            raise CodecError(
                f"cannot decode {event_type} (schema id {schema_id}) from topic {topic}: {exc}"
            ) from exc
        if not isinstance(record, dict):
            raise CodecError(f"cannot decode {event_type} from topic {topic}: not a record")
        return DecodedEvent(event_type, record, schema_id)

    def _writer_schema_id(self, topic: str, data: bytes) -> int:
        try:
            schema_id = SchemaId("AVRO")
            schema_id.from_bytes(io.BytesIO(data))
        except (SerializationError, Exception) as exc:
            raise CodecError(
                f"message on topic {topic} is not in Confluent wire format: {exc}"
            ) from exc
        if schema_id.id is None:
            raise CodecError(f"message on topic {topic} carries no schema id")
        return int(schema_id.id)

    def _event_type(self, topic: str, schema_id: int) -> str:
        known = self._type_by_schema_id.get(schema_id)
        if known is not None:
            return known
        try:
            writer = self._client.get_schema(schema_id)
        except SchemaRegistryError as exc:
            raise UnknownEventTypeError(
                f"schema id {schema_id} on topic {topic} is not in the registry: {exc}"
            ) from exc
        name = json.loads(writer.schema_str or "{}").get("name", "")
        if name not in self._schemas:
            raise UnknownEventTypeError(
                f"schema id {schema_id} on topic {topic} is record {name!r}, not a casesync event"
            )
        self._type_by_schema_id[schema_id] = name
        return str(name)

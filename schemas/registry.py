"""Registering the contract: BACKWARD compatibility per subject, then each schema."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import (
    ConfigCompatibilityLevel,
    Schema,
    SchemaRegistryClient,
    ServerConfig,
)
from confluent_kafka.schema_registry.error import SchemaRegistryError

from infra.errors import RegistryError, SchemaCompatibilityError
from infra.security import apply_grants
from infra.topics import ensure_topics
from schemas.access import pipeline_grants
from schemas.catalog import downstream_schema, event_schemas
from schemas.topics import (
    agency_topics,
    contract_topics,
    downstream_topics,
)

COMPATIBILITY = ConfigCompatibilityLevel.BACKWARD
NAMESPACE = "casesync.events"
HTTP_CONFLICT = 409
HTTP_UNPROCESSABLE = 422
HTTP_NOT_FOUND = 404


def subject_name(topic: str, event_type: str) -> str:
    """TopicRecordNameStrategy: several event types share one agency topic."""
    return f"{topic}-{NAMESPACE}.{event_type}"


class SubjectState(StrEnum):
    """How a local schema stands against the registry."""

    NEW = "new"
    REGISTERED = "registered"
    COMPATIBLE = "compatible"
    INCOMPATIBLE = "incompatible"


@dataclass(frozen=True)
class SubjectCheck:
    """One subject's result."""

    subject: str
    state: SubjectState
    version: int | None = None
    schema_id: int | None = None


def register_contract(
    client: SchemaRegistryClient,
    topics: Iterable[str],
    schemas: Mapping[str, str] | None = None,
) -> list[SubjectCheck]:
    """Set BACKWARD on, and register, every event schema under every topic's subject."""
    results = []
    for subject, event_type, text in _subjects(topics, schemas):
        try:
            # set_config rather than set_compatibility: the in-process mock has only this.
            client.set_config(subject, ServerConfig(compatibility=COMPATIBILITY))
            registered = client.register_schema_full_response(subject, Schema(text, "AVRO"))
        except SchemaRegistryError as exc:
            raise _wrap(subject, event_type, exc) from exc
        state, version = SubjectState.REGISTERED, registered.version
        results.append(SubjectCheck(subject, state, version, registered.schema_id))
    return results


def value_subject(topic: str) -> str:
    """TopicNameStrategy, the Confluent default: one record type per downstream topic."""
    return f"{topic}-value"


def register_downstream(client: SchemaRegistryClient, topic: str, text: str) -> SubjectCheck:
    """Register a downstream topic's value schema (BACKWARD), so plain deserializers read it."""
    subject = value_subject(topic)
    try:
        client.set_config(subject, ServerConfig(compatibility=COMPATIBILITY))
        registered = client.register_schema_full_response(subject, Schema(text, "AVRO"))
    except SchemaRegistryError as exc:
        raise _wrap(subject, json.loads(text)["name"], exc) from exc
    return SubjectCheck(subject, SubjectState.REGISTERED, registered.version, registered.schema_id)


def register_pipeline(client: SchemaRegistryClient, prefix: str) -> list[SubjectCheck]:
    """Every subject a pipeline needs: the contract per agency topic, and downstream topics."""
    checks = register_contract(client, agency_topics(prefix))
    for topic, record_name in downstream_topics(prefix).items():
        checks.append(register_downstream(client, topic, downstream_schema(record_name)))
    return checks


def install_pipeline(admin: AdminClient, client: SchemaRegistryClient, prefix: str) -> None:
    """Everything a pipeline with ``prefix`` needs on the broker and registry (idempotent)."""
    ensure_topics(admin, contract_topics(prefix))
    apply_grants(admin, pipeline_grants(prefix))
    register_pipeline(client, prefix)


def check_contract(
    client: SchemaRegistryClient,
    topics: Iterable[str],
    schemas: Mapping[str, str] | None = None,
) -> list[SubjectCheck]:
    """Compare each local schema with the latest registered version of its subject."""
    return [_check_subject(client, *subject) for subject in _subjects(topics, schemas)]


def _subjects(
    topics: Iterable[str], schemas: Mapping[str, str] | None
) -> Iterator[tuple[str, str, str]]:
    """(subject, event type, schema text) for every topic and event of the contract."""
    for topic in topics:
        for event_type, text in sorted((schemas or event_schemas()).items()):
            yield subject_name(topic, event_type), event_type, text


def _check_subject(
    client: SchemaRegistryClient, subject: str, event_type: str, text: str
) -> SubjectCheck:
    try:
        latest = client.get_latest_version(subject)
    except SchemaRegistryError as exc:
        if exc.http_status_code == HTTP_NOT_FOUND:
            return SubjectCheck(subject, SubjectState.NEW)
        raise _wrap(subject, event_type, exc) from exc
    if json.loads(latest.schema.schema_str or "{}") == json.loads(text):
        return SubjectCheck(subject, SubjectState.REGISTERED, latest.version, latest.schema_id)
    try:
        compatible = client.test_compatibility(subject, Schema(text, "AVRO"))
    except SchemaRegistryError as exc:
        raise _wrap(subject, event_type, exc) from exc
    state = SubjectState.COMPATIBLE if compatible else SubjectState.INCOMPATIBLE
    return SubjectCheck(subject, state, latest.version)


def _wrap(subject: str, event_type: str, exc: SchemaRegistryError) -> Exception:
    if exc.http_status_code in (HTTP_CONFLICT, HTTP_UNPROCESSABLE):
        return SchemaCompatibilityError(
            f"subject {subject} refused {event_type} under {COMPATIBILITY.value} compatibility: "
            f"{exc.error_message}"
        )
    return RegistryError(f"registry error for subject {subject}: {exc}")

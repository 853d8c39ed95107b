"""Factories for Kafka and schema-registry clients; nothing connects until a factory is called."""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

from infra.errors import KafkaAccessError, KafkaAuthError
from infra.security import ADMIN_ROLE, credentials_for, sasl_config
from infra.settings import Settings

_librdkafka_log = logging.getLogger("casesync.librdkafka")


def quiet_client_config(bootstrap: str) -> dict[str, Any]:
    """Config for a short-lived probe client: its connection errors go to logging, not stderr."""
    return {
        "bootstrap.servers": bootstrap,
        "socket.timeout.ms": 1000,
        "logger": _librdkafka_log,
        "log_level": 0,
    }


def _raise_on_auth_error(username: str | None) -> Any:
    """error_cb that turns a refused login into KafkaAuthError (raised from poll/flush)."""

    def on_error(error: KafkaError) -> None:
        if error.code() == KafkaError._AUTHENTICATION:
            who = f"user {username}" if username else "a client without credentials"
            raise KafkaAuthError(f"the broker refused {who}: {error.str()}")
        _librdkafka_log.warning("kafka client error: %s", error.str())

    return on_error


_REFUSALS = frozenset(
    {
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.GROUP_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
        KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    }
)


def raise_if_refused(error: KafkaError | None, topic: str | None) -> None:
    """Raise KafkaAccessError if ``error`` is the broker refusing this principal an operation."""
    if error is None or error.code() not in _REFUSALS:
        return
    if error.code() == KafkaError.GROUP_AUTHORIZATION_FAILED:
        what = "the consumer group"
    else:
        what = topic or "the cluster"
    raise KafkaAccessError(f"the broker refused access to {what}: {error.str()}")


def _client_config(settings: Settings, role: str) -> dict[str, Any]:
    """bootstrap.servers, the role's SASL login, and our logging for one client."""
    credentials = credentials_for(settings, role)
    return {
        "bootstrap.servers": settings.effective_kafka_bootstrap,
        "logger": _librdkafka_log,
        "error_cb": _raise_on_auth_error(credentials.username if credentials else None),
        **sasl_config(credentials),
    }


def make_admin(settings: Settings, role: str = ADMIN_ROLE) -> AdminClient:
    """An AdminClient for the configured broker (the super user unless told otherwise)."""
    return AdminClient(_client_config(settings, role))


def make_producer(settings: Settings, role: str, **overrides: Any) -> Producer:
    """A producer with the project's safety defaults: idempotent (acks=all), compressed, batched.

    ``role`` picks the broker principal (see infra.security), which decides what it may write.
    """
    config: dict[str, Any] = {
        **_client_config(settings, role),
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": "zstd",
        "linger.ms": 20,
    }
    config.update(overrides)
    return Producer(config)


def make_consumer(settings: Settings, role: str, group_id: str, **overrides: Any) -> Consumer:
    """A consumer that stores offsets only when told to (after the work they cover is durable)."""
    config: dict[str, Any] = {
        **_client_config(settings, role),
        "group.id": group_id,
        "enable.auto.offset.store": False,
        "enable.auto.commit": True,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
    }
    config.update(overrides)
    return Consumer(config)


def group_membership(settings: Settings) -> dict[str, int]:
    """The consumer-group timing of `casesync consume`: how soon a dead member is replaced."""
    session_ms = settings.consumer_session_timeout_ms
    # Heartbeats well inside the session (librdkafka's default interval is 3 s).
    return {"session.timeout.ms": session_ms, "heartbeat.interval.ms": min(3_000, session_ms // 3)}


def make_registry_client(settings: Settings) -> SchemaRegistryClient:
    """A Confluent Schema Registry client for the configured (or local Apicurio) registry."""
    return SchemaRegistryClient({"url": settings.effective_schema_registry_url})

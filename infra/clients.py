"""Factories for Kafka and schema-registry clients; nothing connects until a factory is called."""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

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


def make_admin(settings: Settings) -> AdminClient:
    """An AdminClient for the configured broker."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.effective_kafka_bootstrap,
        "logger": _librdkafka_log,
    }
    return AdminClient(config)


def make_producer(settings: Settings, **overrides: Any) -> Producer:
    """A producer with the project's safety defaults: idempotent (acks=all), compressed, batched."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.effective_kafka_bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": "zstd",
        "linger.ms": 20,
        "logger": _librdkafka_log,
    }
    config.update(overrides)
    return Producer(config)


def make_consumer(settings: Settings, group_id: str, **overrides: Any) -> Consumer:
    """A consumer that stores offsets only when told to (after the work they cover is durable)."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.effective_kafka_bootstrap,
        "group.id": group_id,
        "enable.auto.offset.store": False,
        "enable.auto.commit": True,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "logger": _librdkafka_log,
    }
    config.update(overrides)
    return Consumer(config)


def make_registry_client(settings: Settings) -> SchemaRegistryClient:
    """A Confluent Schema Registry client for the configured (or local Apicurio) registry."""
    return SchemaRegistryClient({"url": settings.effective_schema_registry_url})

"""Explicit topic creation (the broker never auto-creates topics)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from infra.errors import InfraError


@dataclass(frozen=True)
class TopicSpec:
    """A topic casesync owns: name, partitions and topic-level config."""

    name: str
    partitions: int = 6
    config: dict[str, str] = field(default_factory=dict)


def ensure_topics(
    admin: AdminClient, specs: Iterable[TopicSpec], timeout_s: float = 30.0
) -> list[str]:
    """Create the topics that do not exist yet; return the names created. Idempotent."""
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    wanted = [spec for spec in specs if spec.name not in existing]
    if not wanted:
        return []
    futures = admin.create_topics(
        [
            NewTopic(s.name, num_partitions=s.partitions, replication_factor=1, config=s.config)
            for s in wanted
        ],
        operation_timeout=timeout_s,
    )
    created: list[str] = []
    for name, future in futures.items():
        try:
            future.result()
        except KafkaException as exc:
            error = exc.args[0]
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise InfraError(f"could not create topic {name}: {error}") from exc
        created.append(name)
    return created

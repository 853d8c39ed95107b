"""Reading decoded events off topics (the demo's and tests' view of a topic; no side effects)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError

from infra.errors import CasesyncError
from schemas.codec import RegistryCodec
from schemas.events import Envelope


@dataclass(frozen=True)
class ConsumedEvent:
    """A decoded event and where it was read."""

    topic: str
    partition: int
    offset: int
    key: str
    event: Envelope


def read_events(
    consumer: Consumer, codec: RegistryCodec, max_events: int, timeout_s: float
) -> list[ConsumedEvent]:
    """Poll ``consumer`` until ``max_events`` arrive or ``timeout_s`` passes."""
    events: list[ConsumedEvent] = []
    deadline = time.monotonic() + timeout_s
    while len(events) < max_events and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                continue
            raise CasesyncError(f"consume error on {message.topic()}: {error}")
        topic = str(message.topic())
        events.append(
            ConsumedEvent(
                topic,
                int(message.partition() or 0),
                int(message.offset() or 0),
                (message.key() or b"").decode(errors="replace"),
                codec.decode(topic, message.value() or b""),
            )
        )
    return events

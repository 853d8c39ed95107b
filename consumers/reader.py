"""Reading decoded events off topics (the demo's and tests' view of a topic; no side effects)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition

from infra.clients import raise_if_refused
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
            raise_if_refused(error, message.topic())
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


def read_raw_to_end(consumer: Consumer, topics: list[str], timeout_s: float) -> list[Message]:
    """Every message on ``topics`` from the beginning up to their current end, undecoded."""
    partitions = []
    for topic in topics:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        raise_if_refused(metadata.error, topic)  # unauthorized topics come back without partitions
        partitions += [TopicPartition(topic, p, OFFSET_BEGINNING) for p in metadata.partitions]
    ends = {
        (tp.topic, tp.partition): consumer.get_watermark_offsets(tp, timeout=10)[1]
        for tp in partitions
    }
    remaining = {key for key, end in ends.items() if end > 0}
    consumer.assign(partitions)
    messages: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while remaining and time.monotonic() < deadline:
        for message in consumer.consume(500, timeout=1.0):
            if message.error() is not None:
                raise_if_refused(message.error(), message.topic())
                continue
            messages.append(message)
            key = (str(message.topic()), int(message.partition() or 0))
            if int(message.offset() or 0) + 1 >= ends[key]:
                remaining.discard(key)
    if remaining:
        raise CasesyncError(f"did not reach the end of {sorted(remaining)} within {timeout_s:.0f}s")
    return messages


def read_to_end(
    consumer: Consumer, codec: RegistryCodec, topics: list[str], timeout_s: float
) -> list[ConsumedEvent]:
    """Every event on ``topics`` from the beginning up to their current end, decoded."""
    return [
        ConsumedEvent(
            str(m.topic()),
            int(m.partition() or 0),
            int(m.offset() or 0),
            (m.key() or b"").decode(errors="replace"),
            codec.decode(str(m.topic()), m.value() or b""),
        )
        for m in read_raw_to_end(consumer, topics, timeout_s)
    ]

"""Operators' tools on the broker side: consumer lag and dead-letter replay."""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import Consumer, Message, Producer, TopicPartition

from infra.errors import CasesyncError

REPLAYED_HEADER = "dlq.replayed_from_offset"


@dataclass(frozen=True)
class TopicLag:
    """How far a consumer group is behind on one topic."""

    topic: str
    committed: int
    end: int

    @property
    def lag(self) -> int:
        """Messages not yet committed by the group."""
        return max(self.end - self.committed, 0)


def group_lag(consumer: Consumer, topics: list[str]) -> list[TopicLag]:
    """The group's committed position against the end of each topic (all partitions)."""
    metadata = consumer.list_topics(timeout=10)
    result = []
    for topic in topics:
        if topic not in metadata.topics:
            continue
        partitions = [TopicPartition(topic, p) for p in metadata.topics[topic].partitions]
        committed = consumer.committed(partitions, timeout=10)
        done = end = 0
        for partition, position in zip(partitions, committed, strict=True):
            low, high = consumer.get_watermark_offsets(partition, timeout=10, cached=False)
            end += high
            done += position.offset if position.offset >= 0 else low
        result.append(TopicLag(topic, done, end))
    return result


def dead_letter_headers(message: Message) -> dict[str, str]:
    """A dead letter's headers as text."""
    headers = {}
    for header in message.headers() or []:
        name, value = header[0], header[1]
        headers[str(name)] = (
            value.decode(errors="replace") if isinstance(value, bytes) else str(value or "")
        )
    return headers


def replay(
    producer: Producer, letters: list[Message], error_type: str | None = None, dry_run: bool = False
) -> list[Message]:
    """Send dead letters' original bytes back to their source topic; return those chosen.

    Safe to repeat: the consumer skips event ids it has applied; what is still bad returns to
    the dead-letter topic with a fresh reason.
    """
    chosen = [
        m
        for m in letters
        if error_type is None or dead_letter_headers(m).get("dlq.error_type") == error_type
    ]
    if dry_run:
        return chosen
    for message in chosen:
        headers = dead_letter_headers(message)
        source = headers.get("dlq.source.topic")
        if not source:
            raise CasesyncError(f"dead letter at offset {message.offset()} names no source topic")
        kept: list[tuple[str, str | bytes | None]] = [
            (k, v.encode()) for k, v in headers.items() if not k.startswith("dlq.")
        ]
        kept.append((REPLAYED_HEADER, str(message.offset()).encode()))
        producer.produce(source, value=message.value(), key=message.key(), headers=kept)
        producer.poll(0)
    if producer.flush(30) > 0:
        raise CasesyncError("not every replayed dead letter was acknowledged")
    return chosen

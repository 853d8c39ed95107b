"""Producing keyed records and waiting until the broker has acknowledged every one."""

from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from infra.errors import PublishError


def produce_confirmed(
    producer: Producer,
    topic: str,
    messages: Iterable[tuple[bytes, bytes | None]],
    *,
    what: str,
    timeout_s: float = 60.0,
) -> int:
    """Produce (key, value) pairs, flush, and raise PublishError unless all were acknowledged.

    A None value is a tombstone: on a compacted topic it deletes the key.

    ``what`` names the records in the error (e.g. "the person links"); a full local queue is
    waited out, a client-side refusal names the key.
    """
    failures: list[str] = []

    def delivered(error: KafkaError | None, message: Message) -> None:
        if error is not None:
            failures.append(f"{message.key()!r}: {error}")

    count = 0
    for key, value in messages:
        while True:
            try:
                producer.produce(topic, key=key, value=value, on_delivery=delivered)
                break
            except BufferError:  # the local queue is full: let it drain
                producer.poll(0.1)
            except (KafkaException, ValueError) as exc:
                raise PublishError(f"{key!r} not queued for {topic}") from exc
        producer.poll(0)
        count += 1
    undelivered = producer.flush(timeout_s)
    if undelivered or failures:
        detail = "; ".join(failures[:3]) or f"{undelivered} not acknowledged in time"
        raise PublishError(f"{topic} did not take {what}: {detail}")
    return count

"""The shared publisher: encodes events, produces them keyed by case, reports every delivery."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from infra.errors import PublishError
from schemas.codec import RegistryCodec
from schemas.events import Envelope

# How long `publish` waits for room in librdkafka's queue before giving up.
QUEUE_FULL_WAIT_S = 30.0


@dataclass(frozen=True)
class Delivery:
    """Where the broker stored one event."""

    topic: str
    key: str
    partition: int
    offset: int
    event_id: str


class Publisher:
    """One producer per process; `flush()` returns what was delivered or raises PublishError."""

    def __init__(self, producer: Producer, codec: RegistryCodec) -> None:
        self._producer = producer
        self._codec = codec
        self._delivered: list[Delivery] = []
        self._failed: list[str] = []

    def publish(self, topic: str, event: Envelope) -> None:
        """Encode ``event``, key it by case, hand it to the producer (`flush` confirms delivery)."""
        value = self._codec.encode(topic, event)
        key = event.case_ref
        event_id = str(event.event_id)
        waited = 0.0
        while True:
            try:
                self._producer.produce(
                    topic,
                    value=value,
                    key=key.encode(),
                    headers={"event_id": event_id, "event_type": event.event_type()},
                    # The id travels with the callback: a report's headers can be missing.
                    on_delivery=partial(self._on_delivery, event_id),
                )
                break
            except BufferError as exc:
                # Queue full: serve delivery reports until there is room, then retry.
                if waited >= QUEUE_FULL_WAIT_S:
                    raise PublishError(
                        f"producer queue full for {waited:.0f}s: topic {topic} key {key}"
                    ) from exc
                self._producer.poll(0.5)
                waited += 0.5
            except KafkaException as exc:
                raise PublishError(f"cannot produce to {topic} key {key}: {exc}") from exc
        self._producer.poll(0)

    def flush(self, timeout_s: float = 60.0) -> list[Delivery]:
        """Wait for every pending event; return the deliveries, or raise naming what failed."""
        remaining = self._producer.flush(timeout_s)
        delivered, failed = self._delivered, self._failed
        self._delivered, self._failed = [], []
        if failed or remaining:
            detail = "; ".join(failed[:10])
            raise PublishError(
                f"{len(failed)} event(s) failed and {remaining} still pending after "
                f"{timeout_s:.0f}s ({len(delivered)} delivered): {detail}",
                delivered=delivered,
            )
        return delivered

    def _on_delivery(self, event_id: str, error: KafkaError | None, message: Message) -> None:
        key = (message.key() or b"").decode(errors="replace")
        if error is not None:
            self._failed.append(
                f"topic {message.topic()} key {key} event {event_id}: {error.str()}"
            )
            return
        self._delivered.append(
            Delivery(
                str(message.topic()),
                key,
                int(message.partition() or 0),
                int(message.offset() or 0),
                event_id,
            )
        )

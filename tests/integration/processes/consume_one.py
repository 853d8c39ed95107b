"""Child process: read one event at topic argv[1], partition argv[2], offset argv[3]; print JSON."""

from __future__ import annotations

import json
import sys
import uuid

from confluent_kafka import TopicPartition

from consumers.reader import read_events
from infra.clients import make_consumer, make_registry_client
from infra.settings import Settings
from schemas.codec import RegistryCodec


def main(topic: str, partition: int, offset: int) -> None:
    """Decode with a fresh registry client: the schema must come from the registry, not memory."""
    settings = Settings()
    consumer = make_consumer(settings, group_id=f"test-consume-one-{uuid.uuid4().hex[:8]}")
    consumer.assign([TopicPartition(topic, partition, offset)])
    try:
        events = read_events(consumer, RegistryCodec(make_registry_client(settings)), 1, 30.0)
    finally:
        consumer.close()
    (event,) = events
    print(json.dumps({"event_type": event.event.event_type, **event.event.record}, default=str))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))

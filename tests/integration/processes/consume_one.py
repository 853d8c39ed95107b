"""Child process: read one event at topic argv[1], partition argv[2], offset argv[3]; print JSON.

argv[4], optional: the contract version to read with ("1" or "current").
"""

from __future__ import annotations

import json
import sys
import uuid

from confluent_kafka import TopicPartition

from consumers.reader import read_events
from infra.clients import make_consumer, make_registry_client
from infra.security import ADMIN_ROLE
from infra.settings import Settings
from schemas.catalog import event_schemas, schemas_as_of
from schemas.codec import RegistryCodec


def main(topic: str, partition: int, offset: int, version: str) -> None:
    """Decode with a fresh registry client: the writer schema must come from the registry."""
    settings = Settings()
    schemas = event_schemas() if version == "current" else schemas_as_of(int(version))
    consumer = make_consumer(
        settings, ADMIN_ROLE, group_id=f"test-consume-one-{uuid.uuid4().hex[:8]}"
    )
    consumer.assign([TopicPartition(topic, partition, offset)])
    try:
        events = read_events(
            consumer, RegistryCodec(make_registry_client(settings), schemas), 1, 30.0
        )
    finally:
        consumer.close()
    (consumed,) = events
    print(
        json.dumps(
            {"event_type": consumed.event.event_type(), **consumed.event.model_dump(mode="json")}
        )
    )


if __name__ == "__main__":
    main(
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        sys.argv[4] if len(sys.argv) > 4 else "current",
    )

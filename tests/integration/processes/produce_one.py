"""Child process: publish one CaseOpened to argv[1]; print its delivery and fields as JSON.

argv: topic, case_ref, and optionally the contract version to write with ("1" or "current").
"""

from __future__ import annotations

import json
import sys

from infra.clients import make_producer, make_registry_client
from infra.security import ADMIN_ROLE
from infra.settings import Settings
from producers.publisher import Publisher
from producers.sample import sample_case_opened
from schemas.catalog import event_schemas, schemas_as_of
from schemas.codec import RegistryCodec
from schemas.contract import to_record
from schemas.events import utc_now


def main(topic: str, case_ref: str, version: str) -> None:
    """Publish through the registry configured by CASESYNC_* variables."""
    settings = Settings()
    schemas = event_schemas() if version == "current" else schemas_as_of(int(version))
    codec = RegistryCodec(make_registry_client(settings), schemas)
    event = sample_case_opened(utc_now(), case_ref)
    if version == "current":
        publisher = Publisher(make_producer(settings, ADMIN_ROLE), codec)
        publisher.publish(topic, event)
        (delivery,) = publisher.flush()
        where = {"partition": delivery.partition, "offset": delivery.offset}
    else:
        # An old writer knows only the old fields: encode exactly those.
        producer = make_producer(settings, ADMIN_ROLE)
        value = codec.encode_record(topic, "CaseOpened", to_record(event))
        deliveries: list[tuple[int, int]] = []
        producer.produce(
            topic,
            value=value,
            key=case_ref.encode(),
            on_delivery=lambda err, msg: deliveries.append((msg.partition(), msg.offset())),
        )
        producer.flush(30)
        where = {"partition": deliveries[0][0], "offset": deliveries[0][1]}
    print(json.dumps({**where, **to_record(event)}, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "current")

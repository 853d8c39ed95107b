"""Child process: publish one CaseOpened to the topic in argv[1]; print its delivery as JSON."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from infra.clients import make_producer, make_registry_client
from infra.settings import Settings
from producers.publisher import Publisher
from producers.sample import sample_case_opened
from schemas.codec import RegistryCodec


def main(topic: str, case_ref: str) -> None:
    """Publish through the registry configured by CASESYNC_* variables."""
    settings = Settings()
    record = sample_case_opened(datetime.now(UTC).replace(microsecond=0), case_ref)
    publisher = Publisher(make_producer(settings), RegistryCodec(make_registry_client(settings)))
    publisher.publish(topic, case_ref, "CaseOpened", record)
    (delivery,) = publisher.flush()
    print(
        json.dumps(
            {"partition": delivery.partition, "offset": delivery.offset, **record}, default=str
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

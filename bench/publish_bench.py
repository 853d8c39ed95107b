"""Publish benchmark: casesync's adapter path vs raw fastavro encode + produce, same records.

Run: `make bench` or `.venv/bin/python bench/publish_bench.py [--victims N]`. Needs the local
services: starts them like `casesync infra up` if they are not running (and leaves them up).
Both sides produce with the same producer settings (idempotent, acks=all, zstd, linger 20 ms)
to fresh bench topics of 6 partitions, one after the other, each timed to its final flush.
"""

from __future__ import annotations

import argparse
import io
import struct
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka import Producer
from fastavro import schemaless_writer
from report import print_rates

from infra import services
from infra.clients import make_admin, make_producer, make_registry_client
from infra.security import ADMIN_ROLE
from infra.settings import Settings
from infra.topics import TopicSpec, ensure_topics
from producers.agencies import adapter_for
from producers.generate import EXPORT_FILES, generate
from producers.pipeline import map_rows, publish_caseload
from producers.publisher import Publisher
from schemas.catalog import parsed_schema
from schemas.codec import RegistryCodec
from schemas.contract import to_record
from schemas.registry import register_contract


def raw_publish(
    producer: Producer, topic: str, items: list[tuple[str, int, dict[str, object], str]]
) -> None:
    """The floor: frame (magic byte + known schema id) and fastavro-encode, produce, flush."""
    for event_type, schema_id, datum, key in items:
        buffer = io.BytesIO()
        buffer.write(struct.pack(">bI", 0, schema_id))
        schemaless_writer(buffer, parsed_schema(event_type), datum)
        while True:
            try:
                producer.produce(topic, buffer.getvalue(), key.encode())
                break
            except BufferError:
                producer.poll(0.5)
        producer.poll(0)
    producer.flush(120)


def main() -> None:
    """Measure both sides and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--victims", type=int, default=3000)
    args = parser.parse_args()
    settings = Settings()
    services.up(settings)
    admin, registry = make_admin(settings), make_registry_client(settings)
    ours_topic, raw_topic = (
        f"bench.publish.{uuid.uuid4().hex[:8]}.{side}" for side in ("ours", "raw")
    )
    ensure_topics(admin, [TopicSpec(ours_topic, 6), TopicSpec(raw_topic, 6)])
    register_contract(registry, [ours_topic, raw_topic])

    with tempfile.TemporaryDirectory() as folder:
        caseload = Path(folder)
        generate(caseload, weeks=12, victims=args.victims, seed=7)
        codec = RegistryCodec(registry)
        # The raw side gets the same datums, already validated, with the ids our codec registered.
        items = []
        for agency, name in EXPORT_FILES.items():
            for _n, outcome in map_rows(adapter_for(agency), caseload / name):
                if isinstance(outcome, list):
                    for event in outcome:
                        data = codec.encode(raw_topic, event)
                        schema_id = struct.unpack(">I", data[1:5])[0]
                        items.append(
                            (event.event_type(), schema_id, to_record(event), event.case_ref)
                        )

        publisher = Publisher(make_producer(settings, ADMIN_ROLE), RegistryCodec(registry))
        began = time.perf_counter()
        published = publish_caseload(caseload, publisher, topic=ours_topic)
        ours_s = time.perf_counter() - began

        began = time.perf_counter()
        raw_publish(make_producer(settings, ADMIN_ROLE), raw_topic, items)
        raw_s = time.perf_counter() - began

    ours_rate, raw_rate = published / ours_s, len(items) / raw_s
    print_rates(
        f"Publish ({published} events from {args.victims} victims' caseload, acks=all)",
        [("casesync: read export → validate → encode → produce → flush", ours_rate)],
        ("raw fastavro encode → produce → flush (same datums)", raw_rate),
    )


if __name__ == "__main__":
    main()

"""Codec benchmark: casesync validate + encode + decode vs raw fastavro on the same records.

Run: `make bench` or `.venv/bin/python bench/codec_bench.py [--events N] [--rounds R]`.
Prints a Markdown table. Both sides run in this one process, interleaved round by round; the
best round of each is reported. The registry is confluent-kafka's in-process mock: schema ids
are looked up once and then cached, as with a real registry, so no HTTP is timed.
"""

from __future__ import annotations

import argparse
import io
import time
import uuid
from collections.abc import Callable
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from fastavro import schemaless_reader, schemaless_writer
from report import print_rates

from schemas.catalog import parsed_schema
from schemas.codec import RegistryCodec
from schemas.contract import to_record, validate_event
from schemas.events import EVENT_TYPES
from schemas.examples import example_data
from schemas.registry import register_contract

TOPIC = "casesync.events.bench"


def build_inputs(count: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` events cycling through every event type, each with its own id and sequence."""
    types = list(EVENT_TYPES)
    inputs = []
    for index in range(count):
        event_type = types[index % len(types)]
        data = example_data(event_type, sequence=index + 1, event_id=uuid.uuid4())
        inputs.append((event_type, data))
    return inputs


def codec_round(codec: RegistryCodec, inputs: list[tuple[str, dict[str, Any]]]) -> None:
    """The issue's measure: validate, encode, decode (to the Avro datum)."""
    for event_type, data in inputs:
        event = validate_event(event_type, data)
        codec.decode_record(TOPIC, codec.encode(TOPIC, event))


def pipeline_round(codec: RegistryCodec, inputs: list[tuple[str, dict[str, Any]]]) -> None:
    """Producer and consumer entry points: validate, encode; decode and validate again."""
    for event_type, data in inputs:
        event = validate_event(event_type, data)
        codec.decode(TOPIC, codec.encode(TOPIC, event))


def raw_round(datums: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """The floor: fastavro schemaless write then read of the same datums, nothing else."""
    for schema, datum in datums:
        buffer = io.BytesIO()
        schemaless_writer(buffer, schema, datum)
        buffer.seek(0)
        schemaless_reader(buffer, schema, schema)


def seconds(run: Callable[[], None]) -> float:
    """Wall time of one call."""
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def main() -> None:
    """Measure both sides and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=22_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    register_contract(client, [TOPIC])
    codec = RegistryCodec(client)
    inputs = build_inputs(args.events)
    datums = [(parsed_schema(t), to_record(validate_event(t, d))) for t, d in inputs]
    pipeline_round(codec, inputs[:100])  # warm caches (schema ids, parsed schemas)

    codec_times: list[float] = []
    pipeline_times: list[float] = []
    raw_times: list[float] = []
    for _ in range(args.rounds):  # interleaved so all see the same machine state
        codec_times.append(seconds(lambda: codec_round(codec, inputs)))
        pipeline_times.append(seconds(lambda: pipeline_round(codec, inputs)))
        raw_times.append(seconds(lambda: raw_round(datums)))
    codec_rate = args.events / min(codec_times)
    pipeline_rate = args.events / min(pipeline_times)
    raw_rate = args.events / min(raw_times)

    print_rates(
        f"Codec ({args.events} events, all {len(EVENT_TYPES)} types, best of {args.rounds})",
        [
            ("casesync codec: validate + encode + decode", codec_rate),
            ("casesync entry points: validate + encode + decode + validate", pipeline_rate),
        ],
        ("raw fastavro schemaless write + read", raw_rate),
    )


if __name__ == "__main__":
    main()

"""Kafka → view benchmark: casesync's consumer vs raw consume + decode of the same topics.

Run: `make bench` or `.venv/bin/python bench/consume_bench.py [--victims N]`. Needs the local
services (started if not running). The view goes to CASESYNC_BENCH_DATABASE_URL (PostgreSQL for
the issue's figure; a fresh database is created on that server), else a SQLite file.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

from report import print_rates
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from consumers.database import upgrade
from consumers.reader import read_raw_to_end
from infra import services
from infra.cli import joint_view_consumer
from infra.clients import make_admin, make_consumer, make_producer, make_registry_client
from infra.database import make_engine, normalise_database_url
from infra.security import ADMIN_ROLE, JOINT_VIEW_ROLE
from infra.settings import Settings
from producers.generate import generate
from producers.pipeline import publish_caseload
from producers.publisher import Publisher
from schemas.codec import RegistryCodec
from schemas.registry import install_pipeline
from schemas.topics import agency_topics


def bench_database(folder: Path) -> str:
    """A fresh database on CASESYNC_BENCH_DATABASE_URL's server, else SQLite in ``folder``."""
    server = os.environ.get("CASESYNC_BENCH_DATABASE_URL")
    if not server:
        return f"sqlite:///{folder / 'bench-view.db'}"
    url = normalise_database_url(server)
    name = f"casesync_bench_{uuid.uuid4().hex[:8]}"
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False)


def bench_settings(folder: Path, label: str) -> Settings:
    """Settings of a fresh pipeline (own prefix, own database), services up and installed."""
    prefix = f"{label}{uuid.uuid4().hex[:6]}."
    settings = Settings(topic_prefix=prefix, database_url=bench_database(folder), metrics_port=0)
    services.up(settings)
    install_pipeline(make_admin(settings), make_registry_client(settings), prefix)
    return settings


def publish_generated(settings: Settings, folder: Path, victims: int) -> int:
    """Generate a caseload in ``folder`` and publish it to the pipeline; how many events."""
    generate(folder, weeks=12, victims=victims, seed=7, bad_row_rate=0.0)
    publisher = Publisher(
        make_producer(settings, ADMIN_ROLE), RegistryCodec(make_registry_client(settings))
    )
    return publish_caseload(folder, publisher, topic_prefix=settings.topic_prefix)


def raw_consume_rate(settings: Settings) -> tuple[float, int]:
    """The raw baseline: events/s of one consumer reading and decoding the agency topics to
    their end, and how many it read."""
    codec = RegistryCodec(make_registry_client(settings))
    consumer = make_consumer(settings, JOINT_VIEW_ROLE, group_id=f"raw-{uuid.uuid4().hex[:6]}")
    began = time.perf_counter()
    messages = read_raw_to_end(consumer, agency_topics(settings.topic_prefix), 600)
    for message in messages:
        codec.decode_record(str(message.topic()), message.value() or b"")
    seconds = time.perf_counter() - began
    consumer.close()
    return len(messages) / seconds, len(messages)


def main() -> None:
    """Publish a caseload, then time both sides reading it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--victims", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = bench_settings(Path(folder), "bench")
        published = publish_generated(settings, Path(folder), args.victims)
        raw_rate, _read = raw_consume_rate(settings)

        engine = make_engine(settings)
        upgrade(engine)
        # The consumer `casesync consume` builds, change-stream relay included.
        view_settings = settings.model_copy(
            update={"consumer_group": f"bench-view-{uuid.uuid4().hex[:6]}"}
        )
        runner = joint_view_consumer(view_settings, engine)
        began = time.perf_counter()
        stats = runner.run(lambda: False, exit_when_caught_up=True)
        ours_s = time.perf_counter() - began
        backend = make_url(settings.effective_database_url).get_backend_name()
        engine.dispose()

    ours_rate = stats.applied / ours_s
    batch = settings.consumer_batch_size
    print_rates(
        f"Kafka → view ({stats.applied} of {published} events applied, {backend}, batch {batch})",
        [
            (
                "casesync consume: decode → validate → apply + track + outbox → commit → "
                "store offsets → relay changes",
                ours_rate,
            )
        ],
        ("raw consume + decode of the same topics", raw_rate),
    )


if __name__ == "__main__":
    main()

"""A broker stopped and restarted while an adapter publishes (a private broker, real processes):
every event the publisher reported delivered reaches the view, and what it could not deliver
is reported, never dropped in silence."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from infra.clients import make_admin, make_producer, make_registry_client
from infra.errors import PublishError
from infra.kafka import KafkaService
from infra.security import agency_role
from infra.settings import Settings
from producers.pipeline import caseload_events
from producers.publisher import Delivery, Publisher
from schemas.access import install_principals
from schemas.codec import RegistryCodec
from schemas.registry import install_pipeline
from schemas.topics import agency_topic
from tests.integration.consumers.test_consume import _consume, _pipeline_env, _upgrade
from tests.integration.helpers import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PREFIX = "restart."
AGENCY = "ro-police"


@pytest.fixture
def private_broker(service_settings: Settings, tmp_path: Path) -> Iterator[KafkaService]:
    """A broker of this test's own (stopping it touches no other test), on free ports."""
    settings = Settings(
        state_dir=tmp_path / "state",
        kafka_credentials_file=tmp_path / "state" / "kafka" / "credentials.json",
        cache_dir=service_settings.resolved_cache_dir,
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        schema_registry_url=service_settings.effective_schema_registry_url,
    )
    kafka = KafkaService(settings)
    kafka.up()
    admin = make_admin(settings)
    install_principals(admin, settings)
    install_pipeline(admin, make_registry_client(settings), PREFIX)
    yield kafka
    kafka.down()


def test_events_reported_delivered_across_a_broker_restart_are_all_in_the_view(
    private_broker: KafkaService, service_env: dict[str, str], caseload: Path, tmp_path: Path
) -> None:
    settings = private_broker.settings
    events = list({e.event_id: e for e in caseload_events(caseload, [AGENCY])}.values())
    topic = agency_topic(AGENCY, PREFIX)
    codec = RegistryCodec(make_registry_client(settings))
    # A short delivery timeout: events still queued when it expires must be reported as failed.
    producer = make_producer(settings, agency_role(AGENCY), **{"message.timeout.ms": 20000})
    publisher = Publisher(producer, codec)
    delivered: list[Delivery] = []
    failed: list[str] = []

    def flush() -> None:
        """What the broker confirmed, and the report of what it did not."""
        try:
            delivered.extend(publisher.flush(timeout_s=60))
        except PublishError as exc:
            delivered.extend(exc.delivered)
            failed.append(str(exc))

    def publish() -> None:
        for n, event in enumerate(events):
            publisher.publish(topic, event)
            time.sleep(0.02)  # an adapter's pace: the publication spans the restart
            if n % 50 == 49:
                flush()
        flush()

    worker = threading.Thread(target=publish)
    worker.start()
    time.sleep(1.5)
    assert private_broker.down()  # SIGTERM mid-publication
    assert worker.is_alive()
    time.sleep(5)
    private_broker.up()
    worker.join(timeout=300)
    assert not worker.is_alive()

    env = {
        **_pipeline_env(service_env, tmp_path, "restart"),
        "CASESYNC_TOPIC_PREFIX": PREFIX,
        "CASESYNC_KAFKA_BOOTSTRAP": settings.effective_kafka_bootstrap,
        "CASESYNC_KAFKA_CREDENTIALS_FILE": str(settings.resolved_kafka_credentials_file),
    }
    _upgrade(env)
    done = _consume(env, "--exit-when-caught-up", timeout=300)

    assert done.returncode == 0, done.stdout + done.stderr
    ids = {d.event_id for d in delivered}
    engine = create_engine(env["CASESYNC_DATABASE_URL"])
    with engine.connect() as connection:
        applied = set(connection.execute(text("SELECT event_id FROM applied_events")).scalars())
    assert ids <= applied  # every reported delivery is in the view
    assert len(ids) + sum(_unconfirmed(f) for f in failed) >= len(events)  # the rest reported
    assert len(ids) > 0


def _unconfirmed(message: str) -> int:
    """How many events a PublishError message reports as failed or still pending."""
    found = re.search(r"(\d+) event\(s\) failed and (\d+) still pending", message)
    assert found, message
    return int(found[1]) + int(found[2])

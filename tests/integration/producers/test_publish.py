"""`casesync publish` against the real broker and registry, as an agency's operator runs it."""

from __future__ import annotations

import csv
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition

from consumers.reader import read_to_end
from infra.clients import make_consumer, make_producer, make_registry_client
from infra.errors import PublishError
from infra.security import ADMIN_ROLE
from infra.settings import Settings
from producers.agencies import adapter_for
from producers.generate import generate
from producers.pipeline import map_rows
from producers.publisher import Publisher
from producers.sample import sample_case_opened
from schemas.codec import RegistryCodec
from schemas.events import Envelope, utc_now
from schemas.topics import agency_topic

pytestmark = pytest.mark.integration

CASESYNC = str(Path(sys.executable).with_name("casesync"))


@pytest.fixture(scope="module")
def caseload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A fixed seed whose ANITP export has rows broken on purpose; each test has its own topics.
    out = tmp_path_factory.mktemp("publish")
    generate(out, weeks=6, victims=150, seed=42, bad_row_rate=0.02)
    return out


def _publish(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CASESYNC, "publish", *args],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _expected_ids(agency: str, path: Path) -> set[str]:
    return {
        str(e.event_id)
        for _n, outcome in map_rows(adapter_for(agency), path)
        if isinstance(outcome, list)
        for e in outcome
    }


def _ids_on_topic(settings: Settings, topic: str) -> list[str]:
    consumer = make_consumer(settings, ADMIN_ROLE, group_id=f"test-{uuid.uuid4().hex[:8]}")
    try:
        events = read_to_end(consumer, RegistryCodec(make_registry_client(settings)), [topic], 120)
    finally:
        consumer.close()
    return [str(e.event.event_id) for e in events]


def _end_offsets(settings: Settings, topic: str) -> int:
    consumer = make_consumer(settings, ADMIN_ROLE, group_id=f"test-{uuid.uuid4().hex[:8]}")
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in partitions
        )
    finally:
        consumer.close()


def test_publish_delivers_every_valid_row_and_reports_the_rejects(
    service_settings: Settings, service_env: dict[str, str], caseload: Path, prefix: str
) -> None:
    export = caseload / "ro-anitp.csv"
    topic = agency_topic("ro-anitp", prefix)
    before = _end_offsets(service_settings, topic)

    done = _publish(
        {**service_env, "CASESYNC_TOPIC_PREFIX": prefix}, "--agency", "ro-anitp", str(export)
    )

    expected = _expected_ids("ro-anitp", export)
    assert done.returncode == 1, done.stdout + done.stderr  # some rows were broken on purpose
    assert f"{len(expected)} " in done.stdout
    assert _end_offsets(service_settings, topic) - before == len(expected)
    assert expected <= set(_ids_on_topic(service_settings, topic))
    with (caseload / "ground_truth" / "bad_rows.csv").open() as handle:
        bad: set[tuple[int, str]] = {
            (int(r["row"]), r["field"]) for r in csv.DictReader(handle) if r["agency"] == "ro-anitp"
        }
    assert bad, "the fixture must break some ANITP rows on purpose"
    with (caseload / "ro-anitp.csv.rejects.csv").open() as handle:
        rejects = {(int(r["row"]), r["field"]) for r in csv.DictReader(handle)}
    assert rejects == bad


def test_republishing_the_same_export_repeats_the_same_event_ids(
    service_settings: Settings, service_env: dict[str, str], caseload: Path, prefix: str
) -> None:
    export = caseload / "uk-sca.json"
    topic = agency_topic("uk-sca", prefix)
    before = _end_offsets(service_settings, topic)
    env = {**service_env, "CASESYNC_TOPIC_PREFIX": prefix}

    first = _publish(env, "--agency", "uk-sca", str(export))
    second = _publish(env, "--agency", "uk-sca", str(export))

    assert first.returncode == 0, first.stdout + first.stderr
    assert second.returncode == 0, second.stdout + second.stderr
    expected = _expected_ids("uk-sca", export)
    # Both runs delivered every event; the ids are the same, so the consumer skips the repeats.
    assert _end_offsets(service_settings, topic) - before == 2 * len(expected)
    assert expected <= set(_ids_on_topic(service_settings, topic))


def test_dry_run_validates_everything_and_publishes_nothing(
    service_settings: Settings, service_env: dict[str, str], caseload: Path, prefix: str
) -> None:
    topic = agency_topic("ro-diicot", prefix)
    before = _end_offsets(service_settings, topic)

    done = _publish(
        {**service_env, "CASESYNC_TOPIC_PREFIX": prefix},
        "--agency",
        "ro-diicot",
        "--dry-run",
        str(caseload / "ro-diicot.csv"),
    )

    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "(dry run)" in done.stdout
    assert _end_offsets(service_settings, topic) == before


def test_undeliverable_events_raise_publish_error_naming_topic_and_key(
    service_settings: Settings, make_topic: Callable[..., str]
) -> None:
    registered = make_topic(1)
    codec = RegistryCodec(make_registry_client(service_settings))
    # A topic that does not exist (the broker never auto-creates) with a short delivery timeout.
    producer = make_producer(service_settings, ADMIN_ROLE, **{"message.timeout.ms": 3000})
    publisher = Publisher(producer, codec)
    event: Envelope = sample_case_opened(utc_now(), "UNDELIVERABLE-1")
    encoded_for = registered
    publisher.publish(encoded_for, event)
    publisher.flush()  # the registered topic works

    missing = f"{registered}.missing"
    from schemas.registry import register_contract  # noqa: PLC0415

    register_contract(make_registry_client(service_settings), [missing])
    publisher.publish(missing, event)
    with pytest.raises(PublishError) as failed:
        publisher.flush(timeout_s=15)

    assert f"topic {missing} key UNDELIVERABLE-1" in str(failed.value)
    assert failed.value.delivered == []


def test_publish_without_a_broker_fails_fast_with_a_hint(tmp_path: Path, caseload: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "CASESYNC_KAFKA_BOOTSTRAP": "127.0.0.1:9",
        "CASESYNC_STATE_DIR": str(tmp_path),
    }

    done = _publish(env, "--agency", "ro-diicot", str(caseload / "ro-diicot.csv"))

    assert done.returncode == 1
    assert "run `casesync infra up`" in done.stdout

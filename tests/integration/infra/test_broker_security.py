"""The real broker's SASL/SCRAM logins and per-role ACLs, seen from each kind of client."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

from consumers.reader import read_raw_to_end
from infra.clients import make_consumer, make_producer, make_registry_client
from infra.errors import KafkaAccessError, KafkaAuthError, PublishError
from infra.kafka import KafkaService, kafka_answers
from infra.security import (
    DOWNSTREAM_ROLE,
    FLOWS_ROLE,
    JOINT_VIEW_ROLE,
    agency_role,
    credentials_for,
)
from infra.settings import Settings
from producers.publisher import Publisher
from producers.sample import sample_case_opened
from schemas.codec import RegistryCodec
from schemas.events import utc_now
from schemas.topics import agency_topic, joint_view_changes_topic

pytestmark = pytest.mark.integration

CASESYNC = str(Path(sys.executable).with_name("casesync"))
FAST_FAIL = {"message.timeout.ms": 5000}


def _publish_one(settings: Settings, role: str, topic: str) -> None:
    """Publish one sample event as ``role`` and wait for the broker's answer."""
    codec = RegistryCodec(make_registry_client(settings))
    publisher = Publisher(make_producer(settings, role, **FAST_FAIL), codec)
    publisher.publish(topic, sample_case_opened(utc_now(), f"SEC-{uuid.uuid4().hex[:8]}"))
    publisher.flush(timeout_s=20)


def _read_all(settings: Settings, role: str, topic: str) -> int:
    consumer = make_consumer(settings, role, group_id=f"test-sec-{uuid.uuid4().hex[:8]}")
    try:
        return len(read_raw_to_end(consumer, [topic], timeout_s=30))
    finally:
        consumer.close()


def test_a_client_without_credentials_is_refused(service_settings: Settings, prefix: str) -> None:
    bootstrap = service_settings.effective_kafka_bootstrap
    admin = credentials_for(service_settings, "admin")

    assert kafka_answers(bootstrap, admin)
    assert not kafka_answers(bootstrap)  # no SASL login: the broker closes the connection

    anonymous = service_settings.model_copy(
        update={"kafka_credentials_file": Path("/nonexistent/credentials.json")}
    )
    with pytest.raises(PublishError, match="failed"):
        _publish_one(anonymous, agency_role("uk-police"), agency_topic("uk-police", prefix))


def test_a_wrong_password_is_refused_as_our_own_error(
    service_settings: Settings, prefix: str
) -> None:
    wrong = service_settings.model_copy(
        update={
            "kafka_username": "casesync-agency-uk-police",
            "kafka_password": SecretStr("not-the-password"),
        }
    )

    with pytest.raises(KafkaAuthError, match="refused user casesync-agency-uk-police") as caught:
        _publish_one(wrong, agency_role("uk-police"), agency_topic("uk-police", prefix))
    assert "not-the-password" not in str(caught.value)


def test_an_agency_writes_its_own_topic_only_and_reads_none(
    service_settings: Settings, prefix: str
) -> None:
    police = agency_role("uk-police")
    _publish_one(service_settings, police, agency_topic("uk-police", prefix))

    with pytest.raises(PublishError, match="authorization failed") as caught:
        _publish_one(service_settings, police, agency_topic("ro-anitp", prefix))
    assert agency_topic("ro-anitp", prefix) in str(caught.value)
    with pytest.raises(KafkaAccessError, match="authorization failed"):
        _read_all(service_settings, police, agency_topic("uk-police", prefix))


def test_the_downstream_reader_cannot_read_agency_topics(
    service_settings: Settings, prefix: str
) -> None:
    _publish_one(service_settings, agency_role("ro-police"), agency_topic("ro-police", prefix))

    with pytest.raises(KafkaAccessError, match="authorization failed"):
        _read_all(service_settings, DOWNSTREAM_ROLE, agency_topic("ro-police", prefix))
    assert _read_all(service_settings, JOINT_VIEW_ROLE, agency_topic("ro-police", prefix)) == 1
    assert _read_all(service_settings, DOWNSTREAM_ROLE, joint_view_changes_topic(prefix)) == 0


def test_the_consumer_and_the_flows_cannot_write_agency_topics(
    service_settings: Settings, prefix: str
) -> None:
    for role in (JOINT_VIEW_ROLE, FLOWS_ROLE, DOWNSTREAM_ROLE):
        with pytest.raises(PublishError, match="authorization failed"):
            _publish_one(service_settings, role, agency_topic("uk-sca", prefix))


def test_the_publish_command_names_the_refused_topic(
    service_env: dict[str, str], service_settings: Settings, prefix: str, tmp_path: Path
) -> None:
    """An adapter configured with another agency's login gets exit 2 and the topic's name."""
    from producers.generate import generate  # noqa: PLC0415  (only this test needs it)

    generate(tmp_path, weeks=2, victims=10, seed=3)
    anitp = credentials_for(service_settings, agency_role("ro-anitp"))
    assert anitp is not None
    env = {
        **service_env,
        "CASESYNC_TOPIC_PREFIX": prefix,
        "CASESYNC_KAFKA_USERNAME": anitp.username,
        "CASESYNC_KAFKA_PASSWORD": anitp.password.get_secret_value(),
    }

    done = subprocess.run(
        [CASESYNC, "publish", "--agency", "uk-police", str(tmp_path / "uk-police.csv")],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    output = done.stdout + done.stderr
    assert done.returncode == 2, output  # a publish failure, as for an unreachable broker
    assert agency_topic("uk-police", prefix) in output
    assert "Topic authorization" in output
    assert anitp.password.get_secret_value() not in output


def test_secrets_are_private_files_and_never_printed(
    service_settings: Settings, service_env: dict[str, str]
) -> None:
    kafka = KafkaService(service_settings)
    secrets_files = [service_settings.resolved_kafka_credentials_file, kafka.properties_file]
    passwords = json.loads(service_settings.resolved_kafka_credentials_file.read_text()).values()

    shown = subprocess.run(
        [CASESYNC, "infra", "up"],
        env=service_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    for path in secrets_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    output = shown.stdout + shown.stderr
    assert shown.returncode == 0, output
    assert not [p for p in passwords if p in output]
    assert not [p for p in passwords if p in repr(service_settings)]

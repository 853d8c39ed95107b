"""The jar launcher against real processes: idempotent up, down by pid, storage formatted once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from infra.kafka import KafkaService, kafka_answers
from infra.registry import RegistryService
from infra.service import ServiceState
from infra.settings import Settings
from tests.integration.helpers import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def private_settings(service_settings: Settings, tmp_path: Path) -> Settings:
    """A second set of services on free ports, sharing the session's download cache."""
    return Settings(
        state_dir=tmp_path / "state",
        kafka_credentials_file=tmp_path / "state" / "kafka" / "credentials.json",
        cache_dir=service_settings.resolved_cache_dir,
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        registry_port=free_port(),
    )


def test_kafka_up_is_idempotent_and_down_stops_it_by_pid(private_settings: Settings) -> None:
    kafka = KafkaService(private_settings)
    try:
        first = kafka.up()
        second = kafka.up()
        cluster_id = (kafka.data_dir / "meta.properties").read_text()

        assert first.state == ServiceState.STARTED
        assert first.seconds_to_ready is not None
        assert first.seconds_to_ready < private_settings.startup_timeout_s
        assert second.state == ServiceState.RUNNING
        assert second.pid == first.pid
        assert kafka_answers(private_settings.local_kafka_bootstrap, kafka.admin_credentials)
        assert not kafka_answers(private_settings.local_kafka_bootstrap)  # no login, no answer

        assert kafka.down() is True
        assert kafka.status().state == ServiceState.STOPPED
        assert not kafka_answers(private_settings.local_kafka_bootstrap, kafka.admin_credentials)
        assert kafka.down() is False

        restarted = kafka.up()
        assert restarted.state == ServiceState.STARTED
        assert restarted.pid != first.pid
        # Storage is formatted once: a restart keeps the same cluster.
        assert (kafka.data_dir / "meta.properties").read_text() == cluster_id
    finally:
        kafka.down()


def test_registry_keeps_schemas_across_restart(private_settings: Settings) -> None:
    registry = RegistryService(private_settings)
    schema = '{"type": "record", "name": "Probe", "namespace": "casesync.test", "fields": []}'
    try:
        registry.up()
        url = private_settings.local_schema_registry_url
        registered = httpx.post(
            f"{url}/subjects/probe-value/versions", json={"schema": schema}, timeout=10
        )
        assert registered.status_code == 200, registered.text
        schema_id = registered.json()["id"]

        registry.down()
        registry.up()

        fetched = httpx.get(f"{url}/schemas/ids/{schema_id}", timeout=10)
        assert fetched.status_code == 200
        assert "Probe" in fetched.json()["schema"]
    finally:
        registry.down()

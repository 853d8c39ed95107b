from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.clients import group_membership
from infra.settings import Settings


def test_defaults_point_at_the_local_services(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)

    assert settings.effective_kafka_bootstrap == "127.0.0.1:19092"
    assert settings.effective_schema_registry_url == "http://127.0.0.1:18081/apis/ccompat/v7"
    assert settings.effective_database_url == f"sqlite:///{tmp_path}/casesync.db"
    assert settings.resolved_cache_dir == tmp_path / "cache"
    assert settings.prefect_home == tmp_path / "prefect"


def test_environment_variables_use_the_casesync_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASESYNC_KAFKA_BOOTSTRAP", "broker.example:9092")
    monkeypatch.setenv("CASESYNC_SCHEMA_REGISTRY_URL", "http://registry.example/apis/ccompat/v7")
    monkeypatch.setenv("CASESYNC_DATABASE_URL", "postgresql://u@db/casesync")
    monkeypatch.setenv("CASESYNC_KAFKA_PORT", "29092")

    settings = Settings()

    assert settings.effective_kafka_bootstrap == "broker.example:9092"
    assert settings.local_kafka_bootstrap == "127.0.0.1:29092"
    assert settings.effective_schema_registry_url == "http://registry.example/apis/ccompat/v7"
    assert settings.effective_database_url == "postgresql://u@db/casesync"


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)

    with pytest.raises(ValidationError):
        settings.kafka_port = 1  # type: ignore[misc]


def test_the_consumer_session_timeout_sets_the_heartbeat_inside_it(tmp_path: Path) -> None:
    default = group_membership(Settings(state_dir=tmp_path))
    fastest = group_membership(Settings(state_dir=tmp_path, consumer_session_timeout_ms=6_000))

    assert default == {"session.timeout.ms": 45_000, "heartbeat.interval.ms": 3_000}
    assert fastest == {"session.timeout.ms": 6_000, "heartbeat.interval.ms": 2_000}


def test_a_session_timeout_the_broker_would_refuse_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="consumer_session_timeout_ms"):
        Settings(state_dir=tmp_path, consumer_session_timeout_ms=5_000)

"""Credentials and the client config they imply (no broker: the broker tests are integration)."""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import SecretStr

from infra.security import (
    ADMIN_ROLE,
    Credentials,
    agency_role,
    credentials_for,
    ensure_credentials_file,
    principal,
    read_credentials_file,
    sasl_config,
)
from infra.settings import Settings


def test_a_credentials_file_is_private_and_keeps_its_passwords(tmp_path: Path) -> None:
    path = tmp_path / "kafka" / "credentials.json"

    first = ensure_credentials_file(path, ["admin", "flows"])
    again = ensure_credentials_file(path, ["admin", "flows", "downstream"])

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first["admin"].get_secret_value() == again["admin"].get_secret_value()
    assert first["flows"].get_secret_value() != first["admin"].get_secret_value()
    assert len(again["downstream"].get_secret_value()) >= 24
    assert set(read_credentials_file(path)) == {"admin", "flows", "downstream"}


def test_each_role_logs_in_as_its_own_principal(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    passwords = ensure_credentials_file(path, [ADMIN_ROLE, agency_role("uk-police")])
    settings = Settings(state_dir=tmp_path, kafka_credentials_file=path)

    police = credentials_for(settings, agency_role("uk-police"))

    assert police is not None
    assert police.username == "casesync-agency-uk-police"
    assert police.password.get_secret_value() == (passwords["agency-uk-police"].get_secret_value())
    assert principal(agency_role("uk-police")) == "User:casesync-agency-uk-police"
    assert credentials_for(settings, "flows") is None  # not in the file: no login at all


def test_a_configured_user_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    ensure_credentials_file(path, [ADMIN_ROLE])
    settings = Settings(
        state_dir=tmp_path,
        kafka_credentials_file=path,
        kafka_username="ro-anitp-adapter",
        kafka_password=SecretStr("from-the-vault"),
    )

    chosen = credentials_for(settings, ADMIN_ROLE)

    assert chosen == Credentials("ro-anitp-adapter", SecretStr("from-the-vault"))
    assert "from-the-vault" not in repr(settings)
    assert "from-the-vault" not in repr(chosen)


def test_sasl_config_is_scram_over_plaintext_or_nothing() -> None:
    config = sasl_config(Credentials("u", SecretStr("p")))

    assert config == {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "u",
        "sasl.password": "p",
    }
    assert sasl_config(None) == {}

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from infra.kafka import server_properties
from infra.security import Credentials
from infra.settings import Settings

ADMIN = Credentials("casesync-admin", SecretStr("admin-secret"))
CONTROLLER = Credentials("casesync-controller", SecretStr("controller-secret"))


def _parse(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def _properties(settings: Settings, data: Path) -> dict[str, str]:
    return _parse(server_properties(settings, data, ADMIN, CONTROLLER))


def test_single_node_kraft_essentials(tmp_path: Path) -> None:
    props = _properties(
        Settings(state_dir=tmp_path, kafka_port=1111, kafka_controller_port=2222), tmp_path / "data"
    )

    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:2222"
    assert props["listeners"] == "CLIENT://127.0.0.1:1111,CONTROLLER://127.0.0.1:2222"
    assert props["log.dirs"] == str(tmp_path / "data")
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.replication.factor",
        "share.coordinator.state.topic.min.isr",
    ):
        assert props[key] == "1"


def test_every_listener_authenticates_and_acls_decide(tmp_path: Path) -> None:
    props = _properties(Settings(state_dir=tmp_path), tmp_path)

    assert props["listener.security.protocol.map"] == (
        "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
    )
    assert "PLAINTEXT://" not in props["listeners"]
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:casesync-admin;User:casesync-controller"
    assert (
        'username="casesync-admin" password="admin-secret"'
        in (props["listener.name.client.scram-sha-512.sasl.jaas.config"])
    )
    controller = props["listener.name.controller.plain.sasl.jaas.config"]
    assert 'user_casesync-controller="controller-secret"' in controller


def test_topics_are_never_auto_created_and_events_never_expire(tmp_path: Path) -> None:
    props = _properties(Settings(state_dir=tmp_path), tmp_path)

    assert props["auto.create.topics.enable"] == "false"
    assert props["log.retention.ms"] == "-1"


def test_listeners_bind_to_loopback_only(tmp_path: Path) -> None:
    props = _properties(Settings(state_dir=tmp_path), tmp_path)

    for listener in props["listeners"].split(","):
        assert "//127.0.0.1:" in listener

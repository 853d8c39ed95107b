from __future__ import annotations

from pathlib import Path

from infra.kafka import server_properties
from infra.settings import Settings


def _parse(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_single_node_kraft_essentials(tmp_path: Path) -> None:
    props = _parse(
        server_properties(
            Settings(state_dir=tmp_path, kafka_port=1111, kafka_controller_port=2222),
            tmp_path / "data",
        )
    )

    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:2222"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:1111,CONTROLLER://127.0.0.1:2222"
    assert props["log.dirs"] == str(tmp_path / "data")
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.replication.factor",
        "share.coordinator.state.topic.min.isr",
    ):
        assert props[key] == "1"


def test_topics_are_never_auto_created_and_events_never_expire(tmp_path: Path) -> None:
    props = _parse(server_properties(Settings(state_dir=tmp_path), tmp_path))

    assert props["auto.create.topics.enable"] == "false"
    assert props["log.retention.ms"] == "-1"


def test_listeners_bind_to_loopback_only(tmp_path: Path) -> None:
    props = _parse(server_properties(Settings(state_dir=tmp_path), tmp_path))

    for listener in props["listeners"].split(","):
        assert "//127.0.0.1:" in listener

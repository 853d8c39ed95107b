"""Consumers in one group, and a 30 s database outage, with real processes and PostgreSQL."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from confluent_kafka import ConsumerGroupState, TopicPartition
from confluent_kafka.admin import AdminClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from infra.clients import make_admin, make_consumer
from infra.security import JOINT_VIEW_ROLE
from infra.settings import Settings
from tests.integration.consumers.test_consume import (
    CASESYNC,
    _applied,
    _pipeline_env,
    _publish_all,
    _until,
    _upgrade,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OUTAGE_S = 30


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0, out
    return out


def _start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CASESYNC, "consume"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _applied_by(output: str) -> int:
    return int(output.split("applied ", 1)[1].split(",", 1)[0])


def _partitions_per_member(admin: AdminClient, group: str) -> list[int]:
    """How many partitions each member of a stable group holds ([] while it rebalances)."""
    description = admin.describe_consumer_groups([group])[group].result()
    if description.state != ConsumerGroupState.STABLE:
        return []
    return [len(m.assignment.topic_partitions) for m in description.members]


@pytest.mark.parametrize("members", [2, 4])
def test_consumers_in_one_group_split_partitions_and_apply_everything_once(
    members: int,
    service_settings: Settings,
    service_env: dict[str, str],
    caseload: Path,
    prefix: str,
    postgres_url: str,
    tmp_path: Path,
) -> None:
    env = {
        **_pipeline_env(service_env, tmp_path, "group"),
        "CASESYNC_TOPIC_PREFIX": prefix,
        "CASESYNC_DATABASE_URL": postgres_url,
        "CASESYNC_CONSUMER_BATCH_SIZE": "100",
    }
    _upgrade(env)
    processes = [_start(env) for _ in range(members)]
    group, admin = env["CASESYNC_CONSUMER_GROUP"], make_admin(service_settings)

    # Publish once every member holds partitions: a member that joins after the work is done
    # would (rightly) apply nothing.
    def formed() -> bool:
        held = _partitions_per_member(admin, group)
        return len(held) == members and all(held)

    assert _until(formed, 120), _partitions_per_member(admin, group)
    expected = _publish_all(env, caseload)
    done = _until(lambda: _applied(postgres_url)[0] >= expected, 240)
    outputs = [_stop(process) for process in processes]

    assert done, f"applied {_applied(postgres_url)} of {expected}"
    assert _applied(postgres_url) == (expected, expected)
    per_process = [_applied_by(out) for out in outputs]
    assert sum(per_process) == expected
    assert all(n > 0 for n in per_process), per_process  # every member had partitions


def _committed(settings: Settings, group: str, prefix: str) -> dict[tuple[str, int], int]:
    consumer = make_consumer(settings, JOINT_VIEW_ROLE, group_id=group)
    try:
        metadata = consumer.list_topics(timeout=10)
        partitions = [
            TopicPartition(name, p)
            for name, t in metadata.topics.items()
            if name.startswith(f"{prefix}events.")
            for p in t.partitions
        ]
        return {
            (c.topic, c.partition): c.offset for c in consumer.committed(partitions, timeout=10)
        }
    finally:
        consumer.close()


def test_a_database_outage_pauses_consumption_and_it_resumes_after(
    service_settings: Settings,
    service_env: dict[str, str],
    caseload: Path,
    prefix: str,
    postgres_url: str,
    postgres_server: Engine,
    tmp_path: Path,
) -> None:
    env = {
        **_pipeline_env(service_env, tmp_path, "outage"),
        "CASESYNC_TOPIC_PREFIX": prefix,
        "CASESYNC_DATABASE_URL": postgres_url,
        "CASESYNC_CONSUMER_BATCH_SIZE": "50",
    }
    expected = _publish_all(env, caseload)
    _upgrade(env)
    database = make_url(postgres_url).database
    admin = postgres_server  # AUTOCOMMIT engine on the server

    consumer = _start(env)
    assert _until(lambda: _applied(postgres_url)[0] > 0, 120)
    applied_before = _applied(postgres_url)[0]
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": database},
        )
    time.sleep(7)  # an auto-commit in flight when the database went away lands by now
    during = _committed(service_settings, env["CASESYNC_CONSUMER_GROUP"], prefix)
    time.sleep(OUTAGE_S - 7)
    after_outage = _committed(service_settings, env["CASESYNC_CONSUMER_GROUP"], prefix)
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
    survived = consumer.poll() is None

    caught_up = _until(lambda: _applied(postgres_url)[0] >= expected, 240)
    output = _stop(consumer)

    assert survived, "the consumer waits the outage out"
    assert during == after_outage, "no offsets may be stored while the database is down"
    assert applied_before < expected, "the outage began before the work was done"
    assert caught_up, f"applied {_applied(postgres_url)} of {expected}"
    assert _applied(postgres_url) == (expected, expected)
    assert "database retries 0" not in output

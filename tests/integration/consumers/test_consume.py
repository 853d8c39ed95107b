"""`casesync consume` as real processes: end to end, dead letters, and SIGKILL crash safety."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from consumers.database import upgrade
from consumers.view import AgencyCase, AgencyPerson, CaseFact, TimelineEntry
from infra.clients import make_producer, make_registry_client
from infra.database import make_engine
from infra.security import ADMIN_ROLE
from infra.settings import Settings
from producers.agencies import adapter_for
from producers.generate import EXPORT_FILES, generate
from producers.pipeline import map_rows
from schemas.codec import RegistryCodec
from schemas.examples import example_event
from schemas.topics import agency_topic
from tests.integration.consumers.change_stream import latest_changes, stream_problems

pytestmark = pytest.mark.integration

CASESYNC = str(Path(sys.executable).with_name("casesync"))
PUBLISHED = ("uk-police", "uk-sca", "ro-anitp", "ro-police", "ro-diicot")


def _pipeline_env(service_env: dict[str, str], tmp_path: Path, name: str) -> dict[str, str]:
    return {
        **service_env,
        "CASESYNC_DATABASE_URL": f"sqlite:///{tmp_path / name}.db",
        "CASESYNC_CONSUMER_GROUP": f"test-{name}-{uuid.uuid4().hex[:8]}",
        "CASESYNC_METRICS_PORT": "0",
        "COLUMNS": "200",
    }


def _expected_events(caseload: Path) -> int:
    """How many distinct events the caseload's exports map to."""
    return len(
        {
            e.event_id
            for agency in PUBLISHED
            for _n, o in map_rows(adapter_for(agency), caseload / EXPORT_FILES[agency])
            if isinstance(o, list)
            for e in o
        }
    )


def _publish_all(env: dict[str, str], caseload: Path) -> int:
    """Publish every export; return how many distinct events that is."""
    for agency in PUBLISHED:
        done = subprocess.run(
            [CASESYNC, "publish", "--agency", agency, str(caseload / EXPORT_FILES[agency])],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return _expected_events(caseload)


def _consume(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CASESYNC, "consume", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _upgrade(env: dict[str, str]) -> None:
    upgrade(make_engine(Settings(database_url=env["CASESYNC_DATABASE_URL"])))


def _snapshot(database_url: str) -> dict[str, Any]:
    """The view's content by natural keys (ids, provenance and joint ids differ between runs)."""
    engine = create_engine(database_url)
    skip = {"id", "event_id", "topic", "partition", "offset", "applied_at", "joint_case_id"}

    def rows(model: Any, key: tuple[str, ...]) -> list[tuple[Any, ...]]:
        with engine.connect() as connection:
            result = connection.execute(select(model.__table__)).mappings().all()
        return sorted(
            (
                tuple(str(r[k]) for k in key),
                tuple(sorted((c, str(v)) for c, v in r.items() if c not in skip)),
            )
            for r in result
        )

    with engine.connect() as connection:
        joint = connection.execute(
            text(
                "SELECT joint_case_id, agency, case_ref FROM agency_cases"
                " WHERE joint_case_id IS NOT NULL"
            )
        ).all()
        tracking = connection.execute(
            text("SELECT count(*), count(DISTINCT event_id) FROM applied_events")
        ).one()
        timeline = connection.execute(
            text("SELECT event_id, outcome, gap_before FROM timeline ORDER BY event_id")
        ).all()
    groups: dict[int, set[tuple[str, str]]] = {}
    for joint_id, agency, case_ref in joint:
        groups.setdefault(joint_id, set()).add((agency, case_ref))
    engine.dispose()
    return {
        "cases": rows(AgencyCase, ("agency", "case_ref")),
        "persons": rows(AgencyPerson, ("agency", "person_ref")),
        "facts": rows(CaseFact, ("agency", "case_ref", "kind", "sequence")),
        "timeline": [tuple(map(str, t)) for t in timeline],
        "timeline_rows": len(rows(TimelineEntry, ("agency", "case_ref", "sequence"))),
        "joint_groups": sorted(sorted(g) for g in groups.values()),
        "tracking": tuple(tracking),
    }


def test_consume_applies_everything_once_and_dead_letters_the_rest(
    service_settings: Settings,
    service_env: dict[str, str],
    caseload: Path,
    prefix: str,
    tmp_path: Path,
) -> None:
    env = {**_pipeline_env(service_env, tmp_path, "e2e"), "CASESYNC_TOPIC_PREFIX": prefix}
    expected = _publish_all(env, caseload)
    producer = make_producer(service_settings, ADMIN_ROLE)  # wrong events on two topics
    codec = RegistryCodec(make_registry_client(service_settings))
    misplaced = example_event("CaseOpened", event_id=uuid.uuid4())  # a uk-sca event ...
    producer.produce(
        agency_topic("ro-anitp", prefix),
        codec.encode(agency_topic("ro-anitp", prefix), misplaced),
        b"X",
    )
    producer.produce(
        agency_topic("uk-police", prefix), b"\x00\x00\x00\x00\x07garbage", b"Y"
    )  # ... and junk
    producer.flush(30)
    _upgrade(env)

    done = _consume(env, "--exit-when-caught-up")

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"applied {expected}," in done.stdout
    assert "dead letters 2" in done.stdout
    read, changes = latest_changes(service_settings, prefix)
    assert read >= len(changes) > 0
    assert stream_problems(create_engine(env["CASESYNC_DATABASE_URL"]), changes) == []
    listed = subprocess.run(
        [CASESYNC, "dlq", "list"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert listed.returncode == 0, listed.stderr
    assert "AgencyTopicMismatch" in listed.stdout
    assert "UnknownEventTypeError" in listed.stdout or "CodecError" in listed.stdout
    assert agency_topic("uk-police", prefix) in listed.stdout
    again = _consume(env, "--exit-when-caught-up")
    assert "applied 0," in again.stdout  # the group resumes after what it committed

    would = _casesync(env, "dlq", "replay", "--dry-run")
    replayed = _casesync(env, "dlq", "replay", "--error-type", "AgencyTopicMismatch")
    after_replay = _consume(env, "--exit-when-caught-up")
    status = json.loads(_casesync(env, "status", "--json").stdout)

    assert "would replay 2 of 2" in would.stdout
    assert "replayed 1 of 2" in replayed.stdout
    # Still misplaced: back to the dead-letter topic, nothing applied twice.
    assert "applied 0," in after_replay.stdout
    assert "dead letters 1" in after_replay.stdout
    assert all(topic["lag"] == 0 for topic in status["lag"])
    assert sum(a["events_applied"] for a in status["agencies"]) == expected


def _casesync(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [CASESYNC, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


KILLS = 20
LARGE_VICTIMS = 12_400  # about 100,000 events with this generator and seed


@pytest.fixture(scope="module")
def large_caseload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("large")
    generate(out, weeks=12, victims=LARGE_VICTIMS, seed=29, bad_row_rate=0.0)
    return out


def _applied(database_url: str) -> tuple[int, int]:
    """Tracking rows in the view, and distinct event ids among them (beside a running consumer)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows, distinct = connection.execute(
                text("SELECT count(*), count(DISTINCT event_id) FROM applied_events")
            ).one()
        return int(rows), int(distinct)
    finally:
        engine.dispose()


def _until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_sigkill_at_20_random_points_while_100k_events_flow_leaves_a_clean_runs_view(
    service_settings: Settings,
    service_env: dict[str, str],
    large_caseload: Path,
    prefix: str,
    tmp_path: Path,
) -> None:
    crashed = {
        **_pipeline_env(service_env, tmp_path, "crashed"),
        "CASESYNC_TOPIC_PREFIX": prefix,
        "CASESYNC_CONSUMER_BATCH_SIZE": "200",
        # A killed member's partitions are reassigned after this (the broker's minimum).
        "CASESYNC_CONSUMER_SESSION_TIMEOUT_MS": "6000",
    }
    clean = {**_pipeline_env(service_env, tmp_path, "clean"), "CASESYNC_TOPIC_PREFIX": prefix}
    crashed_url = crashed["CASESYNC_DATABASE_URL"]
    _upgrade(crashed)
    _upgrade(clean)
    # The five adapters publish while the consumer is being killed.
    publishers = [
        subprocess.Popen(
            [CASESYNC, "publish", "--agency", agency, str(large_caseload / EXPORT_FILES[agency])],
            env=crashed,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for agency in PUBLISHED
    ]
    expected = _expected_events(large_caseload)
    rng = random.Random(os.environ.get("CASESYNC_TEST_SEED", "5"))
    kills: list[tuple[float, int]] = []  # (seconds since the start, events applied when killed)
    began = time.monotonic()
    while len(kills) < KILLS and _applied(crashed_url)[0] < expected:
        before = _applied(crashed_url)[0]
        process = subprocess.Popen(
            [CASESYNC, "consume"], env=crashed, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # Kill a process that is applying: after its first commit, at a random moment after.
        working = _until(lambda n=before: _applied(crashed_url)[0] > n, 90)
        time.sleep(rng.uniform(0.0, 2.5))
        if working and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills.append((round(time.monotonic() - began, 1), _applied(crashed_url)[0]))
        process.kill()
        process.wait(30)
    published = [p.communicate(timeout=600)[0] for p in publishers]

    finished = _consume(crashed, "--exit-when-caught-up", timeout=900)
    # Read before the clean run, which relays its own state to the same change stream.
    _read, changes = latest_changes(service_settings, prefix)
    reference = _consume(clean, "--exit-when-caught-up", timeout=900)

    print(f"{expected} events; kills (s, applied): {kills}")
    assert all(p.returncode == 0 for p in publishers), published
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert reference.returncode == 0, reference.stdout + reference.stderr
    assert expected >= 100_000
    assert len(kills) == KILLS, f"only {len(kills)} kills before the view caught up: {kills}"
    assert kills[-1][1] < expected  # the last kill still interrupted work
    after_crashes = _snapshot(crashed_url)
    clean_run = _snapshot(clean["CASESYNC_DATABASE_URL"])
    assert after_crashes["tracking"] == (expected, expected)  # every event once, none twice
    assert after_crashes["timeline_rows"] == expected
    assert after_crashes == clean_run
    # The change stream lost nothing either: its last record per key is the view's state.
    assert stream_problems(create_engine(crashed_url), changes) == []

"""1,000 malformed messages mixed into good traffic, through `casesync consume` as a process:
every good event applied once, every bad message in the dead-letter topic with its reason and
where it came from."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from consumers.operations import dead_letter_headers
from consumers.reader import read_raw_to_end
from infra.clients import make_consumer, make_producer, make_registry_client
from infra.security import ADMIN_ROLE
from infra.settings import Settings
from producers.pipeline import caseload_events
from schemas.codec import RegistryCodec
from schemas.topics import agency_topic, dead_letter_topic
from tests.integration.consumers.test_consume import _consume, _pipeline_env, _upgrade

pytestmark = pytest.mark.integration

MALFORMED = 1000
KINDS = ("random bytes", "wrong magic byte", "unknown schema id", "truncated", "wrong agency")


def _malformed(kind: str, valid: bytes, rng: random.Random) -> bytes:
    if kind == "random bytes":
        return rng.randbytes(rng.randint(0, 200))
    if kind == "wrong magic byte":
        return b"\x07" + valid[1:]
    if kind == "unknown schema id":
        return b"\x00" + (987_654_321).to_bytes(4, "big") + valid[5:]
    if kind == "truncated":
        return valid[: rng.randint(5, max(5, len(valid) - 1))]
    return valid  # a valid event, on another agency's topic (chosen by the caller)


def test_malformed_messages_all_reach_the_dlq_and_every_good_event_is_applied(
    service_settings: Settings,
    service_env: dict[str, str],
    caseload: Path,
    prefix: str,
    tmp_path: Path,
) -> None:
    rng = random.Random(11)
    env = {**_pipeline_env(service_env, tmp_path, "malformed"), "CASESYNC_TOPIC_PREFIX": prefix}
    codec = RegistryCodec(make_registry_client(service_settings))
    events = list({e.event_id: e for e in caseload_events(caseload)}.values())
    topics = [agency_topic(e.agency.code, prefix) for e in events]
    good = [(t, e.case_ref, codec.encode(t, e)) for t, e in zip(topics, events, strict=True)]
    bad_at = set(rng.sample(range(len(good) + MALFORMED), MALFORMED))
    kinds: Counter[str] = Counter()
    producer = make_producer(service_settings, ADMIN_ROLE)
    pending = iter(good)
    for position in range(len(good) + MALFORMED):
        if position in bad_at:
            topic, key, valid = rng.choice(good)
            kind = KINDS[sum(kinds.values()) % len(KINDS)]  # 200 of each
            kinds[kind] += 1
            if kind == "wrong agency":
                topic = agency_topic("ro-diicot" if "uk-" in topic else "uk-police", prefix)
            value = _malformed(kind, valid, rng)
            producer.produce(topic, value=value, key=f"BAD-{key}".encode())
        else:
            topic, key, value = next(pending)
            producer.produce(topic, value=value, key=key.encode())
        producer.poll(0)
    assert producer.flush(60) == 0
    _upgrade(env)

    done = _consume(env, "--exit-when-caught-up", timeout=600)

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"applied {len(good)}," in done.stdout
    assert f"dead letters {MALFORMED}" in done.stdout
    engine = create_engine(env["CASESYNC_DATABASE_URL"])
    with engine.connect() as connection:
        applied = connection.execute(
            text("SELECT count(*), count(DISTINCT event_id) FROM applied_events")
        ).one()
    assert tuple(applied) == (len(good), len(good))  # every good event, once
    consumer = make_consumer(service_settings, ADMIN_ROLE, group_id=f"t-{uuid.uuid4().hex[:8]}")
    try:
        letters = read_raw_to_end(consumer, [dead_letter_topic(prefix)], timeout_s=120)
    finally:
        consumer.close()
    headers = [dead_letter_headers(m) for m in letters]
    assert len(letters) == MALFORMED
    assert all(h["dlq.error_type"] and h["dlq.error"] for h in headers)
    assert all(h["dlq.source.topic"].startswith(f"{prefix}events.") for h in headers)
    sources = {
        (h["dlq.source.topic"], h["dlq.source.partition"], h["dlq.source.offset"]) for h in headers
    }
    assert len(sources) == MALFORMED  # each bad message once
    assert all((m.key() or b"").startswith(b"BAD-") for m in letters)
    assert "AgencyTopicMismatch" in {h["dlq.error_type"] for h in headers}
    assert kinds == dict.fromkeys(KINDS, MALFORMED // len(KINDS))

"""The schema registry unavailable, with real processes: a producer fails loudly and writes
nothing; a running consumer retries (dead-letters nothing) and applies everything once the
registry is back."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from sqlalchemy import create_engine, text

from infra.clients import make_registry_client
from infra.errors import CodecError, RegistryUnavailableError, UnknownEventTypeError
from infra.settings import Settings
from producers.generate import EXPORT_FILES
from schemas.codec import RegistryCodec
from schemas.examples import example_event
from schemas.topics import agency_topic, dead_letter_topic
from tests.integration.consumers.test_consume import (
    CASESYNC,
    _pipeline_env,
    _publish_all,
    _upgrade,
)
from tests.integration.helpers import free_port
from tests.integration.producers.test_publish import _end_offsets

pytestmark = pytest.mark.integration


@contextmanager
def registry_proxy(port: int, target: str) -> Iterator[None]:
    """Forward HTTP on ``port`` to the real registry at ``target`` while the block runs."""

    class Forward(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            answer = httpx.request(
                self.command,
                target + self.path,
                content=body,
                headers={"Content-Type": self.headers.get("Content-Type", "application/json")},
                timeout=30,
            )
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PUT = do_DELETE = _forward

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Forward)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def test_a_producer_without_the_registry_fails_loudly_and_writes_nothing(
    service_settings: Settings, service_env: dict[str, str], caseload: Path, prefix: str
) -> None:
    topic = agency_topic("uk-police", prefix)
    dead = f"http://127.0.0.1:{free_port()}/apis/ccompat/v7"
    env = {**service_env, "CASESYNC_TOPIC_PREFIX": prefix, "CASESYNC_SCHEMA_REGISTRY_URL": dead}

    done = subprocess.run(
        [CASESYNC, "publish", "--agency", "uk-police", str(caseload / EXPORT_FILES["uk-police"])],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1, done.stdout + done.stderr
    assert "no schema registry answers" in done.stdout
    assert _end_offsets(service_settings, topic) == 0


def test_a_consumer_retries_through_a_registry_outage_and_loses_nothing(
    service_settings: Settings,
    service_env: dict[str, str],
    caseload: Path,
    prefix: str,
    tmp_path: Path,
) -> None:
    port = free_port()
    real = service_settings.effective_schema_registry_url
    base = real.split("/apis/")[0]
    proxied = f"http://127.0.0.1:{port}/apis/{real.split('/apis/')[1]}"
    env = {
        **_pipeline_env(service_env, tmp_path, "outage"),
        "CASESYNC_TOPIC_PREFIX": prefix,
        "CASESYNC_SCHEMA_REGISTRY_URL": proxied,
    }
    _upgrade(env)
    with registry_proxy(port, base):  # up while the consumer starts (it checks the registry)
        process = subprocess.Popen(
            [CASESYNC, "consume"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(8)
    # The registry is gone: every new schema id the consumer meets now fails to resolve.
    expected = _publish_all({**env, "CASESYNC_SCHEMA_REGISTRY_URL": real}, caseload)
    time.sleep(10)
    engine = create_engine(env["CASESYNC_DATABASE_URL"])
    with engine.connect() as connection:
        during = connection.execute(text("SELECT count(*) FROM applied_events")).scalar_one()
    with registry_proxy(port, base):
        deadline = time.monotonic() + 240
        applied = 0
        while time.monotonic() < deadline and applied < expected:
            time.sleep(2)
            with engine.connect() as connection:
                applied = connection.execute(
                    text("SELECT count(*) FROM applied_events")
                ).scalar_one()
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]

    assert during == 0, output  # nothing applied (and nothing dead-lettered) while it was down
    assert applied == expected, output
    assert "registry retries 0," not in output
    assert "dead letters 0," in output
    assert _end_offsets(service_settings, dead_letter_topic(prefix)) == 0


def test_an_unreachable_registry_is_a_retryable_error_and_an_unknown_id_is_not(
    service_settings: Settings, prefix: str
) -> None:
    topic = agency_topic("ro-anitp", prefix)
    real = RegistryCodec(make_registry_client(service_settings))
    valid = real.encode(topic, example_event("CaseOpened"))
    dead = f"http://127.0.0.1:{free_port()}/apis/ccompat/v7"
    unreachable = RegistryCodec(SchemaRegistryClient({"url": dead}))

    with pytest.raises(RegistryUnavailableError, match="unreachable"):
        unreachable.decode(topic, valid)
    with pytest.raises(RegistryUnavailableError):
        unreachable.encode(topic, example_event("CaseOpened"))
    with pytest.raises(UnknownEventTypeError):  # a refusal: the message goes to the DLQ
        real.decode(topic, b"\x00" + (987_654_321).to_bytes(4, "big") + valid[5:])
    assert not issubclass(RegistryUnavailableError, CodecError)  # never dead-lettered

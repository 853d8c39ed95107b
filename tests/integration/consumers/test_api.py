"""The read API over a real view database: the same answers as the queries, paginated, with an
OpenAPI spec; and `casesync api` as a real process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from consumers.access import api_users as audit_users
from consumers.access import audit_log, create_api_key, revoke_api_key
from consumers.api import API_KEY_HEADER, create_app
from consumers.apply import apply_batch
from consumers.database import upgrade
from consumers.queries import case_view
from infra.database import make_engine
from infra.settings import Settings
from schemas.examples import example_event
from tests.integration.consumers.factories import applied, link_event
from tests.integration.helpers import free_port

pytestmark = pytest.mark.integration

CASESYNC = str(Path(sys.executable).with_name("casesync"))
LINKS = [
    (("UK_POLICE", "GB", "UKP-1"), ("RO_POLICE", "RO", "ROP-1")),
    (("UK_SCA", "GB", "NRM-1"), ("RO_ANITP", "RO", "ANITP-1")),
    (("RO_POLICE", "RO", "ROP-1"), ("UK_SCA", "GB", "NRM-1")),  # merges joint 2 into 1
]
UNMATCHED_RO = 5


@pytest.fixture
def engine(database_settings: Settings) -> Engine:
    engine = make_engine(database_settings)
    upgrade(engine)
    events = [link_event(*link) for link in LINKS]
    events += [
        example_event(
            "CaseOpened",
            event_id=uuid.uuid4(),
            agency="RO_ANITP",
            country="RO",
            case_ref=f"RO-ONLY-{n}",
        )
        for n in range(UNMATCHED_RO)
    ]
    events += [
        example_event(
            "PersonRecorded",
            event_id=uuid.uuid4(),
            agency="RO_ANITP",
            country="RO",
            case_ref="RO-ONLY-0",
            person_ref=f"P-{n}",
        )
        for n in range(3)
    ]
    for offset, event in enumerate(events):
        apply_batch(engine, [applied(event, offset)])
    return engine


@pytest.fixture
def analyst_key(engine: Engine) -> str:
    """A read-API key of a UK police analyst."""
    return create_api_key(engine, "analyst-1", "uk-police", datetime.now(UTC))[1]


@pytest.fixture
def client(engine: Engine, analyst_key: str) -> TestClient:
    return TestClient(create_app(engine), headers={API_KEY_HEADER: analyst_key})


def test_a_case_answers_as_the_query_does(client: TestClient, engine: Engine) -> None:
    response = client.get("/cases/ro-anitp/RO-ONLY-0")

    assert response.status_code == 200
    assert response.json() == case_view(engine, "RO_ANITP", "RO-ONLY-0")
    assert len(response.json()["persons"]) == 3


def test_unknown_case_or_agency_is_404_and_a_bad_country_is_422(client: TestClient) -> None:
    assert client.get("/cases/ro-anitp/NOPE").status_code == 404
    assert "unknown agency code" in client.get("/cases/nowhere/X").json()["detail"]
    assert client.get("/joint-cases/99").status_code == 404
    assert client.get("/unmatched", params={"country": "FR"}).status_code == 422
    assert client.get("/unmatched", params={"country": "RO", "limit": 0}).status_code == 422


def test_a_merged_joint_case_answers_with_its_survivor(client: TestClient) -> None:
    merged = client.get("/joint-cases/2").json()

    assert merged["joint_case_id"] == 1
    assert merged["countries"] == ["GB", "RO"]
    assert {c["case_ref"] for c in merged["cases"]} == {"UKP-1", "ROP-1", "NRM-1", "ANITP-1"}


def test_pages_cover_every_item_once(client: TestClient) -> None:
    pages = [
        client.get("/unmatched", params={"country": "RO", "limit": 2, "offset": offset}).json()
        for offset in (0, 2, 4)
    ]
    persons = client.get("/cases/ro-anitp/RO-ONLY-0/persons", params={"limit": 2, "offset": 2})

    assert [p["total"] for p in pages] == [UNMATCHED_RO] * 3
    refs = [c["case_ref"] for page in pages for c in page["items"]]
    assert sorted(refs) == [f"RO-ONLY-{n}" for n in range(UNMATCHED_RO)]
    assert persons.json()["total"] == 3
    assert [p["person_ref"] for p in persons.json()["items"]] == ["P-2"]


def test_the_openapi_spec_lists_every_query(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    assert set(spec["paths"]) == {
        "/health",
        "/counts",
        "/agencies",
        "/cases/{agency}/{case_ref}",
        "/cases/{agency}/{case_ref}/persons",
        "/joint-cases/{joint_id}",
        "/unmatched",
    }
    assert "CaseViewOut" in spec["components"]["schemas"]
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == API_KEY_HEADER


def test_without_a_valid_live_key_nothing_but_health_answers(
    engine: Engine, analyst_key: str
) -> None:
    anonymous = TestClient(create_app(engine))
    wrong = TestClient(create_app(engine), headers={API_KEY_HEADER: "csk_not-a-key"})
    paths = ["/counts", "/agencies", "/cases/ro-anitp/RO-ONLY-0", "/joint-cases/1"]
    paths += ["/cases/ro-anitp/RO-ONLY-0/persons", "/unmatched?country=RO"]

    for path in paths:
        assert anonymous.get(path).status_code == 401, path
        assert wrong.get(path).status_code == 401, path
    assert anonymous.get("/health").status_code == 200
    (issued,) = [u for u in audit_users(engine) if u["user"] == "analyst-1"]
    assert revoke_api_key(engine, issued["id"], datetime.now(UTC))
    revoked = TestClient(create_app(engine), headers={API_KEY_HEADER: analyst_key})
    assert revoked.get("/counts").status_code == 401
    assert audit_log(engine) == []  # nothing was read


def test_every_person_record_served_is_audited_with_who_when_and_which_fields(
    client: TestClient, engine: Engine
) -> None:
    before = datetime.now(UTC)
    client.get("/cases/ro-anitp/RO-ONLY-0")
    client.get("/cases/ro-anitp/RO-ONLY-0/persons", params={"limit": 1})
    client.get("/unmatched", params={"country": "RO"})  # cases only: no personal data

    rows = audit_log(engine)

    assert len(rows) == 3 + 1
    assert {r["user"] for r in rows} == {"analyst-1"}
    assert {r["agency"] for r in rows} == {"uk-police"}
    assert {r["record"] for r in rows} == {f"ro-anitp:P-{n}" for n in range(3)}
    assert all("family_name" in r["fields"] and "given_names" in r["fields"] for r in rows)
    assert rows[0]["endpoint"] == "GET /cases/ro-anitp/RO-ONLY-0/persons"
    assert all(datetime.fromisoformat(r["at"]).astimezone(UTC) >= before for r in rows)
    assert audit_log(engine, record="ro-anitp:P-0", limit=10)[0]["record"] == "ro-anitp:P-0"


def test_casesync_api_serves_until_sigterm(engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    env = {
        "CASESYNC_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "CASESYNC_STATE_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    issued = subprocess.run(
        [CASESYNC, "api-key", "create", "--user", "officer-7", "--agency", "ro-police"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    key = issued.stdout.strip().splitlines()[-1]
    assert key.startswith("csk_")
    process = subprocess.Popen(
        [CASESYNC, "api", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "casesync api did not answer within 60 s"
            time.sleep(0.2)
        refused = httpx.get(f"{base}/joint-cases/1", timeout=10)
        headers = {API_KEY_HEADER: key}
        joint = httpx.get(f"{base}/joint-cases/1", headers=headers, timeout=10)
        case = httpx.get(f"{base}/cases/ro-anitp/RO-ONLY-0", headers=headers, timeout=10)
        spec = httpx.get(f"{base}/openapi.json", timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]

    assert refused.status_code == 401
    assert joint.status_code == 200
    assert joint.json()["countries"] == ["GB", "RO"]
    assert case.status_code == 200
    listed = subprocess.run(
        [CASESYNC, "audit", "--user", "officer-7", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    reads = json.loads(listed.stdout)
    assert sorted(r["record"] for r in reads) == [f"ro-anitp:P-{n}" for n in range(3)]
    assert {r["agency"] for r in reads} == {"ro-police"}
    assert key not in listed.stdout + output
    assert spec.json()["info"]["title"] == "casesync joint view"
    # A graceful stop: uvicorn finishes its shutdown, then re-raises SIGTERM (exit -15).
    assert "Application shutdown complete" in output
    assert process.returncode in (0, -signal.SIGTERM), output

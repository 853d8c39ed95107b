"""The contract against the real registry: BACKWARD per subject, incompatible changes refused."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from infra.clients import make_registry_client
from infra.errors import SchemaCompatibilityError
from infra.settings import Settings
from schemas.catalog import event_schemas
from schemas.registry import (
    SubjectState,
    check_contract,
    register_contract,
    subject_name,
)

pytestmark = pytest.mark.integration

CASESYNC = str(Path(sys.executable).with_name("casesync"))


def _incompatible_case_closed() -> dict[str, str]:
    schema = json.loads(event_schemas()["CaseClosed"])
    schema["fields"].append({"name": "closed_by", "type": "string", "doc": "required, no default"})
    return {"CaseClosed": json.dumps(schema)}


def test_registration_sets_backward_on_every_subject_and_is_idempotent(
    service_settings: Settings, make_topic: Callable[..., str]
) -> None:
    topic = make_topic(1, register=False)
    client = make_registry_client(service_settings)

    first = register_contract(client, [topic])
    again = register_contract(client, [topic])

    assert len(first) == len(event_schemas())
    assert [c.schema_id for c in first] == [c.schema_id for c in again]
    for event_type in event_schemas():
        assert client.get_compatibility(subject_name(topic, event_type)) == "BACKWARD"


def test_an_incompatible_change_is_refused_naming_subject_and_rule(
    service_settings: Settings, make_topic: Callable[..., str]
) -> None:
    topic = make_topic(1)
    client = make_registry_client(service_settings)

    with pytest.raises(SchemaCompatibilityError) as refused:
        register_contract(client, [topic], _incompatible_case_closed())

    message = str(refused.value)
    assert f"subject {topic}-casesync.events.CaseClosed" in message
    assert "BACKWARD" in message


def test_check_reports_new_registered_and_incompatible_subjects(
    service_settings: Settings, make_topic: Callable[..., str]
) -> None:
    client = make_registry_client(service_settings)
    fresh, registered = make_topic(1, register=False), make_topic(1)

    assert {c.state for c in check_contract(client, [fresh])} == {SubjectState.NEW}
    assert {c.state for c in check_contract(client, [registered])} == {SubjectState.REGISTERED}
    (bad,) = check_contract(client, [registered], _incompatible_case_closed())
    assert bad.state == SubjectState.INCOMPATIBLE


def _casesync(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CASESYNC, *args],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_casesync_schemas_check_passes_against_the_registry(service_env: dict[str, str]) -> None:
    registered = _casesync(["schemas", "register"], service_env)
    checked = _casesync(["schemas", "check"], service_env)

    assert registered.returncode == 0, registered.stdout + registered.stderr
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "11 event schemas agree with their models" in checked.stdout
    assert "incompatible" not in checked.stdout
    assert "casesync.events.ro-anitp-casesync.events.PersonRecorded" in checked.stdout

"""An Avro record produced through the registry by one process and consumed by another."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from infra.settings import Settings
from tests.integration.helpers import run_module

pytestmark = pytest.mark.integration


def _run(args: list[str], env: dict[str, str]) -> dict[str, object]:
    result: dict[str, object] = json.loads(run_module(args[0], args[1:], env))
    return result


def test_record_published_by_one_process_is_decoded_by_another(
    service_settings: Settings, service_env: dict[str, str], make_topic: Callable[..., str]
) -> None:
    topic = make_topic(3)

    produced = _run(["tests.integration.processes.produce_one", topic, "RT-0001"], service_env)
    consumed = _run(
        [
            "tests.integration.processes.consume_one",
            topic,
            str(produced["partition"]),
            str(produced["offset"]),
        ],
        service_env,
    )

    assert consumed["event_type"] == "CaseOpened"
    for field in ("event_id", "case_ref", "agency", "handling_code", "exploitation_country"):
        assert consumed[field] == produced[field]
    # Asked by name: the registry's subject list is capped, and the tests register thousands.
    subject = f"{topic}-casesync.events.CaseOpened"
    versions = httpx.get(
        f"{service_settings.effective_schema_registry_url}/subjects/{subject}/versions"
    )
    assert versions.status_code == 200, versions.text
    assert versions.json()


def test_same_case_key_lands_on_one_partition(
    service_env: dict[str, str], make_topic: Callable[..., str]
) -> None:
    topic = make_topic(6)

    partitions = {
        _run(["tests.integration.processes.produce_one", topic, "RT-KEY-7"], service_env)[
            "partition"
        ]
        for _ in range(3)
    }

    assert len(partitions) == 1

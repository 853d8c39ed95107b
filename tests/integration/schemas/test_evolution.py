"""Evolution across processes: v1 writer → current reader, current writer → v1 reader."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from infra.clients import make_registry_client
from infra.settings import Settings
from schemas.catalog import schemas_as_of
from schemas.registry import register_contract
from tests.integration.helpers import run_module

pytestmark = pytest.mark.integration

PRODUCE = "tests.integration.processes.produce_one"
CONSUME = "tests.integration.processes.consume_one"


def _round_trip(
    env: dict[str, str], topic: str, case_ref: str, writer: str, reader: str
) -> dict[str, object]:
    produced = json.loads(run_module(PRODUCE, [topic, case_ref, writer], env))
    consumed: dict[str, object] = json.loads(
        run_module(
            CONSUME, [topic, str(produced["partition"]), str(produced["offset"]), reader], env
        )
    )
    assert consumed["event_id"] == produced["event_id"]
    return consumed


def test_v1_writer_is_read_by_the_current_reader_in_another_process(
    service_settings: Settings, service_env: dict[str, str], make_topic: Callable[..., str]
) -> None:
    topic = make_topic(1, register=False)
    client = make_registry_client(service_settings)
    register_contract(client, [topic], schemas_as_of(1))  # the contract as it was
    register_contract(client, [topic])  # then the current one, accepted as BACKWARD compatible

    consumed = _round_trip(service_env, topic, "EVO-1", writer="1", reader="current")

    assert consumed["exploitation_types"] == []  # new field, filled from its default
    assert consumed["recruitment_locality"] is None
    assert consumed["exploitation_locality"] == "Birmingham"


def test_current_writer_is_read_by_a_v1_reader_in_another_process(
    service_env: dict[str, str], make_topic: Callable[..., str]
) -> None:
    topic = make_topic(1)

    consumed = _round_trip(service_env, topic, "EVO-2", writer="current", reader="1")

    assert consumed["exploitation_locality"] == "Birmingham"
    # The v1 reader does not know these fields; its model fills them from defaults.
    assert consumed["exploitation_types"] == []

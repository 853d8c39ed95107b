"""`casesync infra up --prefect`'s server is real: a flow run in another process is recorded."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from infra.prefect_server import PrefectServerService, prefect_environment
from infra.service import ServiceState
from infra.settings import Settings
from tests.integration.helpers import free_port, run_module

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_prefect_server_records_a_flow_run_from_another_process(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, prefect_port=free_port(), startup_timeout_s=180)
    server = PrefectServerService(settings)
    try:
        started = server.up()
        assert started.state == ServiceState.STARTED
        assert server.up().state == ServiceState.RUNNING

        env = {
            **os.environ,
            **prefect_environment(settings),
            "PREFECT_API_URL": settings.prefect_api_url,
        }
        output = run_module("tests.integration.processes.prefect_probe_flow", [], env)
        assert output == "42"

        runs = httpx.post(
            f"{settings.prefect_api_url}/flow_runs/filter", json={}, timeout=10
        ).json()
        assert [run["state_type"] for run in runs] == ["COMPLETED"]
        assert (settings.prefect_home).is_dir()
    finally:
        server.down()
    assert server.status().state == ServiceState.STOPPED

"""`casesync infra up --prefect`'s server is real: a flow run in another process is recorded."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from infra.prefect_server import PrefectServerService, prefect_environment
from infra.service import ServiceState
from infra.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_prefect_server_records_a_flow_run_from_another_process(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, prefect_port=_free_port(), startup_timeout_s=180)
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
        done = subprocess.run(
            [sys.executable, "-m", "tests.integration.processes.prefect_probe_flow"],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().splitlines()[-1] == "42"

        runs = httpx.post(
            f"{settings.prefect_api_url}/flow_runs/filter", json={}, timeout=10
        ).json()
        assert [run["state_type"] for run in runs] == ["COMPLETED"]
        assert (settings.prefect_home).is_dir()
    finally:
        server.down()
    assert server.status().state == ServiceState.STOPPED

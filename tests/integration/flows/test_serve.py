"""`casesync serve` as an operator runs it: starts a real Prefect server and registers the
deployments with their schedules (what `prefect deployment ls` and the UI show)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.prefect_server import PrefectServerService
from infra.settings import Settings

pytestmark = pytest.mark.integration
CASESYNC = str(Path(sys.executable).with_name("casesync"))
EXPECTED = {"weekly-statistics", "dedup-incremental", "dedup-full"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _deployments(api: str) -> dict[str, dict[str, Any]]:
    try:
        response = httpx.post(f"{api}/deployments/filter", json={}, timeout=5)
    except httpx.HTTPError:
        return {}
    if response.status_code != 200:
        return {}
    return {d["name"]: d for d in response.json()}


def test_serve_registers_the_three_deployments_with_their_schedules(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, prefect_port=_free_port())
    env = {
        **os.environ,
        "CASESYNC_STATE_DIR": str(tmp_path),
        "CASESYNC_PREFECT_PORT": str(settings.prefect_port),
    }
    serving = subprocess.Popen(
        [CASESYNC, "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        found: dict[str, dict[str, Any]] = {}
        while time.monotonic() < deadline and not set(found) >= EXPECTED:
            assert serving.poll() is None, serving.communicate()[0]
            time.sleep(2)
            found = _deployments(settings.prefect_api_url)
        assert set(found) >= EXPECTED, sorted(found)
        schedules = {name: [s["schedule"] for s in found[name]["schedules"]] for name in EXPECTED}
        assert schedules["weekly-statistics"] == [
            {"cron": "0 6 * * 1", "timezone": "Europe/London", "day_or": True}
        ]
        (full,) = schedules["dedup-full"]
        assert (full["cron"], full["timezone"]) == ("0 2 * * 0", "Europe/London")
        (every,) = schedules["dedup-incremental"]
        assert every["interval"] == 900
        assert all(s["active"] for name in EXPECTED for s in found[name]["schedules"])
    finally:
        serving.send_signal(signal.SIGTERM)
        try:
            serving.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serving.kill()
            serving.wait()
        PrefectServerService(settings).down()

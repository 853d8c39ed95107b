"""`casesync demo` as a user runs it: brings up infra, publishes, consumes, prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CASESYNC = str(Path(sys.executable).with_name("casesync"))


def test_demo_publishes_and_prints_the_consumed_event(service_env: dict[str, str]) -> None:
    done = subprocess.run(
        [CASESYNC, "demo"],
        env={**service_env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "published CaseOpened" in done.stdout
    assert "consumed CaseOpened" in done.stdout
    assert "DEMO-UKP-0001" in done.stdout


def test_infra_status_lists_the_services(service_env: dict[str, str]) -> None:
    done = subprocess.run(
        [CASESYNC, "infra", "status"],
        env={**service_env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    rows = {line.split()[1]: line for line in done.stdout.splitlines() if line.startswith("│")}
    # service_env names the broker and registry explicitly, so they are external and answering.
    assert "external" in rows["kafka"]
    assert "external" in rows["registry"]
    assert "prefect" in rows

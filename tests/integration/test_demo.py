"""`casesync demo` as a user runs it: brings up infra, publishes, consumes, prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CASESYNC = str(Path(sys.executable).with_name("casesync"))


def test_demo_publishes_the_caseload_and_reads_it_back(service_env: dict[str, str]) -> None:
    done = subprocess.run(
        [CASESYNC, "demo"],
        env={**service_env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "published the demo caseload" in done.stdout
    assert "read back" in done.stdout
    for agency in ("uk-police", "uk-sca", "ro-anitp", "ro-police", "ro-diicot"):
        assert f"casesync.events.{agency}" in done.stdout
    for event_type in ("PersonRecorded", "IdentificationDecided", "CourtOutcomeRecorded"):
        assert event_type in done.stdout


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

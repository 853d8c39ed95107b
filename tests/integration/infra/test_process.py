"""ManagedProcess with real OS processes: pid files, stale pids and strangers are handled safely."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from infra.process import ManagedProcess

pytestmark = pytest.mark.integration


def test_start_records_pid_and_stop_ends_the_process(tmp_path: Path) -> None:
    process = ManagedProcess("sleeper", tmp_path)

    pid = process.start(["sleep", "60"])

    assert process.running_pid() == pid
    assert process.stop(timeout_s=5) is True
    assert process.running_pid() is None
    assert not process.pid_file.exists()


def test_stop_escalates_to_sigkill_when_sigterm_is_ignored(tmp_path: Path) -> None:
    process = ManagedProcess("stubborn", tmp_path)
    process.start(["bash", "-c", "trap '' TERM; sleep 60"])

    assert process.stop(timeout_s=1) is True
    assert process.running_pid() is None


def test_a_pid_file_naming_a_stranger_is_never_signalled(tmp_path: Path) -> None:
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        process = ManagedProcess("kafka", tmp_path)
        tmp_path.mkdir(exist_ok=True)
        process.pid_file.write_text(f"{stranger.pid}\n")

        assert process.running_pid() is None
        assert process.stop() is False
        assert stranger.poll() is None
        assert not process.pid_file.exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_process_that_exits_leaves_no_running_pid(tmp_path: Path) -> None:
    process = ManagedProcess("short", tmp_path)
    process.start(["true"])

    deadline = time.monotonic() + 10
    while process.running_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.05)

    assert process.running_pid() is None
    assert not process.pid_file.exists()

"""`casesync infra up` on a machine without Java or Maven says which tool is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CASESYNC = str(Path(sys.executable).with_name("casesync"))


def _infra_up(tmp_path: Path, path: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": path,
        "CASESYNC_STATE_DIR": str(tmp_path / "state"),
        "CASESYNC_KAFKA_PORT": "1",  # never reached: the launcher must fail before starting
        "COLUMNS": "200",
    }
    env.pop("CASESYNC_KAFKA_BOOTSTRAP", None)
    env.pop("CASESYNC_JAVA_HOME", None)
    return subprocess.run(
        [CASESYNC, "infra", "up"], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_without_java_infra_up_fails_naming_java(tmp_path: Path) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()

    done = _infra_up(tmp_path, str(empty_bin))

    assert done.returncode == 1
    assert "'java' was not found on PATH" in done.stdout + done.stderr


def test_without_maven_infra_up_fails_naming_maven(tmp_path: Path) -> None:
    java_only = tmp_path / "bin"
    java_only.mkdir()
    java = shutil.which("java")
    assert java is not None
    (java_only / "java").symlink_to(Path(os.path.realpath(java)))

    done = _infra_up(tmp_path, str(java_only))

    assert done.returncode == 1
    assert "'mvn' was not found on PATH" in done.stdout + done.stderr

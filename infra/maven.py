"""Running Maven, the ordinary client of Maven Central, to fetch the services' jars."""

from __future__ import annotations

import subprocess
from pathlib import Path

from infra.errors import InfraError
from infra.tools import find_tool


def run_maven(args: list[str], cwd: Path, timeout_s: float = 900.0) -> None:
    """Run ``mvn -q -B <args>`` in ``cwd``; an InfraError with Maven's output if it fails."""
    mvn = find_tool("mvn")
    cwd.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [str(mvn), "-q", "-B", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise InfraError(f"mvn {' '.join(args)} took longer than {timeout_s:.0f}s") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip().splitlines()[-20:]
        raise InfraError(
            f"mvn {' '.join(args)} failed (exit {done.returncode}):\n" + "\n".join(output)
        )

"""Small helpers for tests that start real processes."""

from __future__ import annotations

import socket
import subprocess
import sys


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_module(module: str, args: list[str], env: dict[str, str], timeout_s: float = 180.0) -> str:
    """Run ``python -m module args`` as a child process; its last stdout line, or fail the test."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    assert done.returncode == 0, f"{module} exited {done.returncode}:\n{done.stderr}"
    return done.stdout.strip().splitlines()[-1]

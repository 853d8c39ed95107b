"""A background process the launcher owns: detached, tracked by a pid file, stopped by pid."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

# Set in every process we start; checked before signalling a pid read from a file.
_OWNER_VARIABLE = "CASESYNC_SERVICE_HOME"


@dataclass(frozen=True)
class ManagedProcess:
    """One long-running service process whose pid, log and data live under ``home``."""

    name: str
    home: Path

    @property
    def pid_file(self) -> Path:
        """Where the pid of the running process is recorded."""
        return self.home / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        """Where the process's stdout and stderr go."""
        return self.home / f"{self.name}.out"

    def running_pid(self) -> int | None:
        """The recorded pid if that process is alive and ours, else None (stale files removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if _is_ours(pid, self.home):
            return pid
        # The pid was recycled or the process is gone: forget it, never signal a stranger.
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(self, argv: list[str], env: dict[str, str] | None = None) -> int:
        """Start ``argv`` detached (own session), record its pid and return it."""
        self.home.mkdir(parents=True, exist_ok=True)
        tagged_env = dict(os.environ if env is None else env)
        tagged_env[_OWNER_VARIABLE] = str(self.home)
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.home,
                env=tagged_env,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{proc.pid}\n")
        return proc.pid

    def stop(self, timeout_s: float = 30.0) -> bool:
        """SIGTERM the recorded process (SIGKILL after ``timeout_s``); True if one was stopped."""
        pid = self.running_pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _alive(pid):
            _reap(pid)
            time.sleep(0.2)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                _reap(pid)
                time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the process's output, for error messages."""
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError, ProcessLookupError):
        return False
    return state != "Z"


def _reap(pid: int) -> None:
    """Collect ``pid`` if it is our exited child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _is_ours(pid: int, home: Path, attempts: int = 20) -> bool:
    """True if ``pid`` is alive and was started by us for ``home`` (guards against pid reuse).

    While a process is between fork and exec, or inside an exec, its environ can read empty:
    that means "look again", never "a stranger" (which would forget our own service).
    """
    marker = f"{_OWNER_VARIABLE}={home}".encode()
    for _ in range(attempts):
        if not _alive(pid):
            return False
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            return False
        except PermissionError:
            return False  # another user's process: never ours
        if environ:
            return marker in environ.split(b"\0")
        time.sleep(0.01)
    return False

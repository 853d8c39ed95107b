"""What every local service shares: prepare once, start detached, wait until ready, stop by pid."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from infra.errors import ServiceStartError
from infra.process import ManagedProcess
from infra.settings import Settings


class ServiceState(StrEnum):
    """What the launcher found or did."""

    STARTED = "started"
    RUNNING = "running"
    STOPPED = "stopped"
    EXTERNAL = "external"
    NOT_RESPONDING = "not responding"


@dataclass(frozen=True)
class ServiceStatus:
    """One service's state as shown by `casesync infra status`."""

    name: str
    state: ServiceState
    address: str
    pid: int | None = None
    seconds_to_ready: float | None = None


class LocalService(ABC):
    """A service casesync runs on this machine from its own files (no Docker)."""

    name: str

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.state_dir / self.name
        self.process = ManagedProcess(self.name, self.home)

    @property
    @abstractmethod
    def address(self) -> str:
        """Where clients reach the service."""

    @abstractmethod
    def prepare(self) -> None:
        """Fetch what the service needs and initialise its storage; cheap when already done."""

    @abstractmethod
    def command(self) -> list[str]:
        """The argv that runs the service in the foreground."""

    @abstractmethod
    def is_ready(self) -> bool:
        """True if the service answers a real request right now."""

    def environment(self) -> dict[str, str] | None:
        """Environment for the service process; None inherits ours."""
        return None

    def status(self) -> ServiceStatus:
        """Report without changing anything."""
        pid = self.process.running_pid()
        if pid is not None:
            state = ServiceState.RUNNING if self.is_ready() else ServiceState.NOT_RESPONDING
            return ServiceStatus(self.name, state, self.address, pid)
        if self.is_ready():
            return ServiceStatus(self.name, ServiceState.EXTERNAL, self.address)
        return ServiceStatus(self.name, ServiceState.STOPPED, self.address)

    def up(self) -> ServiceStatus:
        """Start the service unless it already runs; return once it answers (or raise)."""
        current = self.status()
        if current.state in (ServiceState.RUNNING, ServiceState.EXTERNAL):
            return current
        began = time.monotonic()
        pid = current.pid
        if pid is None:
            self.prepare()
            pid = self.process.start(self.command(), self.environment())
        self._wait_ready(began)
        return ServiceStatus(
            self.name, ServiceState.STARTED, self.address, pid, time.monotonic() - began
        )

    def down(self) -> bool:
        """Stop the process this launcher started, if any; never touches other processes."""
        return self.process.stop()

    def _wait_ready(self, began: float) -> None:
        deadline = began + self.settings.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process.running_pid() is None:
                raise ServiceStartError(
                    f"{self.name} exited during startup; last output ({self.process.log_file}):\n"
                    f"{self.process.log_tail()}"
                )
            if self.is_ready():
                return
            time.sleep(0.5)
        raise ServiceStartError(
            f"{self.name} did not answer at {self.address} within "
            f"{self.settings.startup_timeout_s:.0f}s; last output ({self.process.log_file}):\n"
            f"{self.process.log_tail()}"
        )


def marker_done(folder: Path) -> bool:
    """True if a download/unpack into ``folder`` finished (its marker file exists)."""
    return (folder / ".complete").is_file()


def mark_done(folder: Path) -> None:
    """Record that ``folder`` is complete, so later runs skip the work."""
    (folder / ".complete").write_text("ok\n")

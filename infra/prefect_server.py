"""A real Prefect 3 server for operators (`casesync infra up --prefect`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx

from infra.service import LocalService
from infra.settings import LOOPBACK, Settings

# Prefect's 20 s default for its temporary server is exceeded on a loaded 2-core machine.
EPHEMERAL_STARTUP_TIMEOUT_SECONDS = 180


def prefect_environment(settings: Settings) -> dict[str, str]:
    """Variables that keep Prefect's state inside casesync's state folder."""
    return {
        "PREFECT_HOME": str(settings.prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(EPHEMERAL_STARTUP_TIMEOUT_SECONDS),
    }


class PrefectServerService(LocalService):
    """`prefect server start` on loopback, its database under the state folder."""

    name = "prefect"

    @property
    def address(self) -> str:
        """The server's API URL (PREFECT_API_URL for clients)."""
        return self.settings.prefect_api_url

    def prepare(self) -> None:
        """Nothing to fetch: Prefect is a Python dependency."""
        self.settings.prefect_home.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        """The venv's prefect CLI."""
        prefect = Path(sys.executable).with_name("prefect")
        port = str(self.settings.prefect_port)
        return [str(prefect), "server", "start", "--host", LOOPBACK, "--port", port]

    def environment(self) -> dict[str, str]:
        """Our environment plus Prefect's home."""
        return {**os.environ, **prefect_environment(self.settings)}

    def is_ready(self) -> bool:
        """True if /api/health answers."""
        try:
            response = httpx.get(f"{self.address}/health", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

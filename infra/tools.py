"""Finding the external programs the launcher runs, with errors that say what to install."""

from __future__ import annotations

import shutil
from pathlib import Path

from infra.errors import MissingToolError

_INSTALL_HINTS = {
    "java": "install a JDK 17+ (Debian: apt-get install -y openjdk-17-jre-headless) "
    "or set CASESYNC_JAVA_HOME",
    "mvn": "install Apache Maven (Debian: apt-get install -y maven)",
}


def find_tool(name: str, path: str | None = None) -> Path:
    """Absolute path of ``name`` on PATH (or on ``path``), else a MissingToolError saying why."""
    found = shutil.which(name, path=path)
    if found is None:
        hint = _INSTALL_HINTS.get(name, "install it")
        raise MissingToolError(
            f"'{name}' was not found on PATH; casesync's local services need it: {hint}"
        )
    return Path(found)


def find_java(java_home: Path | None, path: str | None = None) -> Path:
    """The java binary: <java_home>/bin/java when a JDK is configured, else java on PATH."""
    if java_home is None:
        return find_tool("java", path)
    candidate = java_home / "bin" / "java"
    if not candidate.is_file():
        raise MissingToolError(f"CASESYNC_JAVA_HOME={java_home} has no bin/java")
    return candidate

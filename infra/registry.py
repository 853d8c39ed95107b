"""Apicurio Registry from Maven Central, serving the Confluent Schema Registry API (ccompat v7)."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import httpx

from infra.errors import InfraError
from infra.maven import run_maven
from infra.service import LocalService, mark_done, marker_done
from infra.settings import LOOPBACK
from infra.tools import find_java

REGISTRY_GROUP_ARTIFACT = "io.apicurio:apicurio-registry-app"


def launch_jar(dist: Path) -> Path:
    """The runnable jar of an unpacked distribution: 3.x `quarkus-run.jar`, or a `-runner.jar`."""
    candidates = [dist / "quarkus-app" / "quarkus-run.jar", dist / "quarkus-run.jar"]
    candidates += sorted(dist.glob("*-runner.jar"))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise InfraError(f"no quarkus-run.jar or *-runner.jar in the registry distribution at {dist}")


def registry_answers(url: str) -> bool:
    """True if a Confluent-compatible registry at ``url`` lists its subjects."""
    try:
        response = httpx.get(f"{url}/subjects", timeout=2.0)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


class RegistryService(LocalService):
    """The local schema registry, its schemas kept in an H2 file so they survive restarts."""

    name = "registry"

    @property
    def address(self) -> str:
        """The Confluent-compatible API clients use."""
        return self.settings.local_schema_registry_url

    @property
    def dist_dir(self) -> Path:
        """The unpacked distribution (shared cache, one per version)."""
        return self.settings.resolved_cache_dir / f"apicurio-{self.settings.registry_version}"

    def prepare(self) -> None:
        """Fetch and unpack the distribution once."""
        find_java(self.settings.java_home)
        if marker_done(self.dist_dir):
            return
        shutil.rmtree(self.dist_dir, ignore_errors=True)
        download = self.dist_dir.with_name(self.dist_dir.name + "-download")
        version = self.settings.registry_version
        run_maven(
            [
                "dependency:copy",
                f"-Dartifact={REGISTRY_GROUP_ARTIFACT}:{version}:tar.gz:all",
                f"-DoutputDirectory={download}",
            ],
            cwd=self.settings.resolved_cache_dir,
        )
        archive = download / f"apicurio-registry-app-{version}-all.tar.gz"
        with tarfile.open(archive) as tar:
            tar.extractall(self.dist_dir, filter="data")
        shutil.rmtree(download, ignore_errors=True)
        launch_jar(self.dist_dir)
        mark_done(self.dist_dir)

    def command(self) -> list[str]:
        """Run the registry on loopback with file-backed H2 storage in its home folder."""
        java = find_java(self.settings.java_home)
        port = self.settings.registry_port
        return [
            str(java),
            f"-Xmx{self.settings.registry_heap}",
            f"-Dquarkus.http.host={LOOPBACK}",
            f"-Dquarkus.http.port={port}",
            # 3.3+ opens a management interface on 0.0.0.0:9000 by default; keep it local.
            f"-Dquarkus.management.host={LOOPBACK}",
            f"-Dquarkus.management.port={port + 10}",
            f"-Dapicurio.datasource.url=jdbc:h2:file:{self.home / 'h2' / 'registry'}",
            "-jar",
            str(launch_jar(self.dist_dir)),
        ]

    def is_ready(self) -> bool:
        """True if the ccompat API lists subjects."""
        return registry_answers(self.address)

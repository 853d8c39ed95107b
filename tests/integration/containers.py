"""testcontainers equivalents of the local services, for machines with a Docker daemon.

Selected by CASESYNC_TEST_INFRA=containers, or used when the jar launcher cannot run (no Java or
Maven) and a Docker daemon answers. Not exercised on casesync's own CI machines (no Docker there).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"
REGISTRY_IMAGE = "apicurio/apicurio-registry:3.0.9"
POSTGRES_IMAGE = "postgres:15"


@dataclass(frozen=True)
class ContainerEndpoints:
    """Where the containers listen."""

    kafka_bootstrap: str
    schema_registry_url: str
    postgres_url: str


def docker_answers() -> bool:
    """True if a Docker daemon responds to a ping."""
    try:
        import docker  # type: ignore[import-untyped]  # noqa: PLC0415  (optional, heavy)

        return bool(docker.from_env(timeout=3).ping())
    except Exception:
        return False


def start_containers(stack: ExitStack) -> ContainerEndpoints:
    """Start Kafka (KRaft), Apicurio Registry and PostgreSQL; the stack stops them."""
    # Imported here: testcontainers pulls in the docker SDK, unneeded without a daemon.
    from testcontainers.community.kafka import KafkaContainer  # noqa: PLC0415
    from testcontainers.community.postgres import PostgresContainer  # noqa: PLC0415
    from testcontainers.core.container import DockerContainer  # noqa: PLC0415
    from testcontainers.core.wait_strategies import HttpWaitStrategy  # noqa: PLC0415

    kafka = stack.enter_context(KafkaContainer(KAFKA_IMAGE).with_kraft())
    registry = stack.enter_context(
        DockerContainer(REGISTRY_IMAGE)
        .with_exposed_ports(8080)
        .waiting_for(HttpWaitStrategy(8080, "/apis/ccompat/v7/subjects").for_status_code(200))
    )
    postgres = stack.enter_context(PostgresContainer(POSTGRES_IMAGE, driver="psycopg"))
    registry_url = (
        f"http://{registry.get_container_host_ip()}:{registry.get_exposed_port(8080)}"
        "/apis/ccompat/v7"
    )
    return ContainerEndpoints(
        kafka.get_bootstrap_server(), registry_url, postgres.get_connection_url()
    )

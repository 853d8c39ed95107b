"""Real services for integration tests: from env, else the jar launcher, else testcontainers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from infra import services as infra_services
from infra.clients import make_admin, make_registry_client
from infra.database import normalise_database_url
from infra.errors import MissingToolError
from infra.kafka import kafka_answers
from infra.registry import registry_answers
from infra.security import ADMIN_ROLE, credentials_for
from infra.service import ServiceState
from infra.settings import Settings
from infra.topics import TopicSpec, ensure_topics
from schemas.access import install_principals
from schemas.registry import install_pipeline, register_contract
from tests.conftest import service_missing
from tests.integration.containers import ContainerEndpoints, docker_answers, start_containers


@pytest.fixture(scope="session")
def infra_stack() -> Iterator[ExitStack]:
    """Everything the test session started is stopped through this stack, in reverse order."""
    with ExitStack() as stack:
        yield stack


@pytest.fixture(scope="session")
def containers(infra_stack: ExitStack) -> ContainerEndpoints | None:
    """testcontainers endpoints when CASESYNC_TEST_INFRA=containers, else None."""
    if os.environ.get("CASESYNC_TEST_INFRA", "local") != "containers":
        return None
    if not docker_answers():
        service_missing("CASESYNC_TEST_INFRA=containers but no Docker daemon answers")
    return start_containers(infra_stack)


@pytest.fixture(scope="session")
def service_settings(infra_stack: ExitStack, containers: ContainerEndpoints | None) -> Settings:
    """Settings pointing at a real broker and a real schema registry for this test session."""
    base = Settings()
    if containers is not None:
        return _pointing_at(base, containers)
    if base.kafka_bootstrap is not None and base.schema_registry_url is not None:
        if not kafka_answers(base.kafka_bootstrap, credentials_for(base, ADMIN_ROLE)):
            service_missing(f"CASESYNC_KAFKA_BOOTSTRAP={base.kafka_bootstrap} does not answer")
        if not registry_answers(base.schema_registry_url):
            service_missing(
                f"CASESYNC_SCHEMA_REGISTRY_URL={base.schema_registry_url} does not answer"
            )
        return base
    try:
        statuses = infra_services.up(base)
    except MissingToolError as exc:
        if docker_answers():
            return _pointing_at(base, start_containers(infra_stack))
        service_missing(f"the local launcher cannot run ({exc}) and no Docker daemon answers")
    started = [s.name for s in statuses if s.state == ServiceState.STARTED]
    for service in infra_services.managed_services(base):
        if service.name in started:
            infra_stack.callback(service.down)
    install_principals(make_admin(base), base)
    # Tests build Settings with their own state folders: all of them log in with this file.
    os.environ["CASESYNC_KAFKA_CREDENTIALS_FILE"] = str(base.resolved_kafka_credentials_file)
    return base


def _pointing_at(base: Settings, endpoints: ContainerEndpoints) -> Settings:
    return base.model_copy(
        update={
            "kafka_bootstrap": endpoints.kafka_bootstrap,
            "schema_registry_url": endpoints.schema_registry_url,
        }
    )


@pytest.fixture
def service_env(service_settings: Settings) -> dict[str, str]:
    """Environment for child processes so they reach the same broker and registry."""
    return {
        **os.environ,
        "CASESYNC_KAFKA_BOOTSTRAP": service_settings.effective_kafka_bootstrap,
        "CASESYNC_SCHEMA_REGISTRY_URL": service_settings.effective_schema_registry_url,
        "CASESYNC_STATE_DIR": str(service_settings.state_dir),
    }


@pytest.fixture
def make_topic(service_settings: Settings) -> Callable[..., str]:
    """Factory: a fresh, randomly named topic per call (no cleanup needed).

    ``register`` registers the current contract's subjects for it, as `infra up` does for the
    agency topics; pass ``register=False`` to start from an empty subject.
    """
    admin = make_admin(service_settings)
    registry = make_registry_client(service_settings)

    def make(partitions: int = 3, register: bool = True) -> str:
        name = f"test.{uuid.uuid4().hex[:12]}"
        ensure_topics(admin, [TopicSpec(name, partitions)])
        if register:
            register_contract(registry, [name])
        return name

    return make


@pytest.fixture
def make_group_id() -> Callable[[], str]:
    """Factory: a fresh consumer group id per call."""
    return lambda: f"test-group-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def postgres_server(containers: ContainerEndpoints | None) -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the PostgreSQL server (from CASESYNC_TEST_POSTGRES_URL)."""
    server_url = os.environ.get("CASESYNC_TEST_POSTGRES_URL") or (
        containers.postgres_url if containers is not None else None
    )
    if not server_url:
        service_missing(
            "CASESYNC_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL and sets it)"
        )
    admin = create_engine(normalise_database_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        service_missing(f"PostgreSQL at {admin.url.render_as_string(hide_password=True)}: {exc}")
    yield admin
    admin.dispose()


@pytest.fixture
def postgres_url(postgres_server: Engine) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    name = f"casesync_test_{uuid.uuid4().hex[:10]}"
    with postgres_server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_server.url.set(database=name).render_as_string(hide_password=False)
    with postgres_server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_settings(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Settings:
    """Settings whose database is SQLite in a temp folder, then the session's PostgreSQL."""
    if request.param == "sqlite":
        return Settings(state_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/view.db")
    url: str = request.getfixturevalue("postgres_url")
    return Settings(state_dir=tmp_path, database_url=url)


@pytest.fixture
def prefix(service_settings: Settings) -> str:
    """A topic prefix of this test's own: its agency topics, DLQ and subjects."""
    value = f"t{uuid.uuid4().hex[:10]}."
    install_pipeline(make_admin(service_settings), make_registry_client(service_settings), value)
    return value

"""`casesync infra up|down|status`: the local services as one set, external ones respected."""

from __future__ import annotations

from infra.kafka import KafkaService, kafka_answers
from infra.prefect_server import PrefectServerService
from infra.registry import RegistryService, registry_answers
from infra.security import ADMIN_ROLE, credentials_for
from infra.service import LocalService, ServiceState, ServiceStatus
from infra.settings import Settings


def managed_services(settings: Settings, with_prefect: bool = False) -> list[LocalService]:
    """The services the launcher runs here: those not configured as external."""
    services: list[LocalService] = []
    if settings.kafka_bootstrap is None:
        services.append(KafkaService(settings))
    if settings.schema_registry_url is None:
        services.append(RegistryService(settings))
    if with_prefect:
        services.append(PrefectServerService(settings))
    return services


def external_statuses(settings: Settings) -> list[ServiceStatus]:
    """Services configured by URL: probed, never started or stopped by casesync."""
    statuses = []
    if settings.kafka_bootstrap is not None:
        answers = kafka_answers(settings.kafka_bootstrap, credentials_for(settings, ADMIN_ROLE))
        statuses.append(_external("kafka", settings.kafka_bootstrap, answers))
    if settings.schema_registry_url is not None:
        answers = registry_answers(settings.schema_registry_url)
        statuses.append(_external("registry", settings.schema_registry_url, answers))
    return statuses


def up(settings: Settings, with_prefect: bool = False) -> list[ServiceStatus]:
    """Start every local service that is not running; a no-op for those that are."""
    started = [service.up() for service in managed_services(settings, with_prefect)]
    return started + external_statuses(settings)


def down(settings: Settings) -> list[ServiceStatus]:
    """Stop the processes this launcher started (by pid), Prefect's server included."""
    statuses = []
    for service in managed_services(settings, with_prefect=True):
        stopped = service.down()
        state = ServiceState.STOPPED if stopped else service.status().state
        statuses.append(ServiceStatus(service.name, state, service.address))
    return statuses


def status(settings: Settings) -> list[ServiceStatus]:
    """Each service's state, without changing anything."""
    local = [service.status() for service in managed_services(settings, with_prefect=True)]
    return local + external_statuses(settings)


def _external(name: str, address: str, answers: bool) -> ServiceStatus:
    state = ServiceState.EXTERNAL if answers else ServiceState.NOT_RESPONDING
    return ServiceStatus(name, state, address)

"""`casesync` command line: the composition root of every process casesync starts from a shell."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Annotated

import typer
from confluent_kafka import TopicPartition
from rich.console import Console
from rich.table import Table

from consumers.reader import read_events
from infra import services
from infra.clients import make_admin, make_consumer, make_producer, make_registry_client
from infra.errors import CasesyncError
from infra.service import ServiceState, ServiceStatus
from infra.settings import Settings
from infra.topics import ensure_topics
from producers.publisher import Publisher
from producers.sample import sample_case_opened
from schemas.codec import RegistryCodec
from schemas.topics import agency_topic, contract_topics

app = typer.Typer(help="casesync: UK-Romania anti-trafficking case sync.", no_args_is_help=True)
infra_app = typer.Typer(help="Start, stop and inspect the local services.", no_args_is_help=True)
app.add_typer(infra_app, name="infra")

console = Console()


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    if not isinstance(settings, Settings):
        raise typer.BadParameter("settings were not initialised")
    return settings


@app.callback()
def main(ctx: typer.Context) -> None:
    """casesync: read settings once (CASESYNC_* variables) for the command that follows."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # librdkafka reports transient broker states (coordinator loading, reconnects) as warnings.
    logging.getLogger("casesync.librdkafka").setLevel(logging.ERROR)
    ctx.obj = Settings()


def _print_statuses(title: str, statuses: list[ServiceStatus]) -> None:
    table = Table(title=title)
    for column in ("service", "state", "address", "pid", "ready after"):
        table.add_column(column)
    for status in statuses:
        ready = f"{status.seconds_to_ready:.1f}s" if status.seconds_to_ready is not None else ""
        table.add_row(status.name, str(status.state), status.address, str(status.pid or ""), ready)
    console.print(table)


def _fail(exc: CasesyncError) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
    return typer.Exit(code=1)


def _bring_up(settings: Settings, with_prefect: bool) -> list[ServiceStatus]:
    statuses = services.up(settings, with_prefect=with_prefect)
    down = [s for s in statuses if s.state == ServiceState.NOT_RESPONDING]
    if down:
        names = ", ".join(f"{s.name} at {s.address}" for s in down)
        raise CasesyncError(f"configured external service(s) do not answer: {names}")
    ensure_topics(make_admin(settings), contract_topics())
    return statuses


@infra_app.command("up")
def infra_up(
    ctx: typer.Context,
    prefect: Annotated[
        bool, typer.Option("--prefect", help="Also start a Prefect server.")
    ] = False,
) -> None:
    """Start Kafka, the schema registry (and Prefect) and create topics; no-op if running."""
    settings = _settings(ctx)
    try:
        statuses = _bring_up(settings, prefect)
    except CasesyncError as exc:
        raise _fail(exc) from exc
    _print_statuses("casesync infra up", statuses)


@infra_app.command("down")
def infra_down(ctx: typer.Context) -> None:
    """Stop the services casesync started (by pid); data stays in the state folder."""
    _print_statuses("casesync infra down", services.down(_settings(ctx)))


@infra_app.command("status")
def infra_status(ctx: typer.Context) -> None:
    """Show each service's state without changing anything."""
    _print_statuses("casesync infra status", services.status(_settings(ctx)))


@app.command()
def demo(ctx: typer.Context) -> None:
    """Bring up infra, publish one sample event through the registry, consume it and print it."""
    settings = _settings(ctx)
    try:
        _bring_up(settings, with_prefect=False)
        topic = agency_topic("uk-police")
        record = sample_case_opened(datetime.now(UTC).replace(microsecond=0))
        publisher = Publisher(
            make_producer(settings), RegistryCodec(make_registry_client(settings))
        )
        publisher.publish(topic, record["case_ref"], "CaseOpened", record)
        (delivery,) = publisher.flush()
        console.print(
            f"published CaseOpened {record['event_id']} to {delivery.topic} "
            f"partition {delivery.partition} offset {delivery.offset}"
        )
        consumer = make_consumer(settings, group_id=f"casesync-demo-{uuid.uuid4().hex[:8]}")
        consumer.assign([TopicPartition(delivery.topic, delivery.partition, delivery.offset)])
        try:
            (consumed,) = read_events(
                consumer, RegistryCodec(make_registry_client(settings)), 1, timeout_s=30
            )
        finally:
            consumer.close()
    except (CasesyncError, ValueError) as exc:
        raise _fail(CasesyncError(str(exc))) from exc
    table = Table(
        title=f"consumed {consumed.event.event_type} (schema id {consumed.event.schema_id})"
    )
    table.add_column("field")
    table.add_column("value")
    for field, value in consumed.event.record.items():
        table.add_row(field, str(value))
    console.print(table)

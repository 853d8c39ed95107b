"""`casesync` command line: the composition root of every process casesync starts from a shell."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
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
from schemas.catalog import event_schemas
from schemas.codec import RegistryCodec
from schemas.contract import contract_problems
from schemas.docs import render_events_markdown
from schemas.events import Envelope, utc_now
from schemas.registry import SubjectCheck, SubjectState, check_contract, register_contract
from schemas.topics import agency_topic, agency_topics, contract_topics

app = typer.Typer(help="casesync: UK-Romania anti-trafficking case sync.", no_args_is_help=True)
infra_app = typer.Typer(help="Start, stop and inspect the local services.", no_args_is_help=True)
app.add_typer(infra_app, name="infra")
schemas_app = typer.Typer(
    help="Check, register and document the event contract.", no_args_is_help=True
)
app.add_typer(schemas_app, name="schemas")

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


def _print_table(title: str, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _print_statuses(title: str, statuses: list[ServiceStatus]) -> None:
    rows = [
        (
            s.name,
            str(s.state),
            s.address,
            str(s.pid or ""),
            f"{s.seconds_to_ready:.1f}s" if s.seconds_to_ready is not None else "",
        )
        for s in statuses
    ]
    _print_table(title, ("service", "state", "address", "pid", "ready after"), rows)


def _fail(exc: CasesyncError) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
    return typer.Exit(code=1)


def _bring_up(settings: Settings, with_prefect: bool) -> list[ServiceStatus]:
    statuses = services.up(settings, with_prefect=with_prefect)
    down = [s for s in statuses if s.state == ServiceState.NOT_RESPONDING]
    if down:
        names = ", ".join(f"{s.name} at {s.address}" for s in down)
        raise CasesyncError(f"configured external service(s) do not answer: {names}")
    topics = contract_topics()
    ensure_topics(make_admin(settings), topics)
    register_contract(make_registry_client(settings), agency_topics())
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
        event = sample_case_opened(utc_now())
        publisher = Publisher(
            make_producer(settings), RegistryCodec(make_registry_client(settings))
        )
        publisher.publish(topic, event)
        (delivery,) = publisher.flush()
        console.print(
            f"published CaseOpened {event.event_id} to {delivery.topic} "
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
    fields = consumed.event.model_dump(mode="json").items()
    _print_table(
        f"consumed {consumed.event.event_type()} from {consumed.topic}",
        ("field", "value"),
        [(field, str(value)) for field, value in fields],
    )


def _print_subjects(title: str, checks: list[SubjectCheck]) -> None:
    rows = [(c.subject, str(c.state), str(c.version or ""), str(c.schema_id or "")) for c in checks]
    _print_table(title, ("subject", "state", "version", "schema id"), rows)


@schemas_app.command("check")
def schemas_check(
    ctx: typer.Context,
    offline: Annotated[
        bool, typer.Option("--offline", help="Only the local checks; do not ask the registry.")
    ] = False,
) -> None:
    """Validate every .avsc against its model and the envelope, then against the registry."""
    problems = contract_problems()
    for problem in problems:
        console.print(f"[red]contract:[/red] {problem}", highlight=False)
    if problems:
        raise typer.Exit(code=1)
    console.print(f"{len(event_schemas())} event schemas agree with their models")
    if offline:
        return
    try:
        checks = check_contract(make_registry_client(_settings(ctx)), agency_topics())
    except CasesyncError as exc:
        raise _fail(exc) from exc
    _print_subjects("schemas against the registry", checks)
    if any(check.state == SubjectState.INCOMPATIBLE for check in checks):
        console.print("[red]incompatible:[/red] a registered subject would refuse its schema")
        raise typer.Exit(code=1)


@schemas_app.command("register")
def schemas_register(ctx: typer.Context) -> None:
    """Register every event schema for every agency topic (BACKWARD per subject)."""
    try:
        checks = register_contract(make_registry_client(_settings(ctx)), agency_topics())
    except CasesyncError as exc:
        raise _fail(exc) from exc
    _print_subjects("registered", checks)


@schemas_app.command("docs")
def schemas_docs(
    out: Annotated[Path, typer.Option(help="Where to write the page.")] = Path("docs/events.md"),
) -> None:
    """Render the events and fields, with their HTCDS mapping, as Markdown."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_events_markdown(event_schemas(), len(Envelope.model_fields)))
    console.print(f"wrote {out}")

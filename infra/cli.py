"""`casesync` command line: the composition root of every process casesync starts from a shell."""

from __future__ import annotations

import json
import logging
import signal
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from confluent_kafka import Message
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine

from consumers.access import api_users, audit_log, create_api_key, revoke_api_key
from consumers.changes import ChangeRelay
from consumers.database import current_revision, head_revision, upgrade
from consumers.metrics import ConsumerMetrics
from consumers.operations import dead_letter_headers, group_lag, replay
from consumers.queries import (
    case_view,
    joint_view,
    last_applied_per_agency,
    parse_case_key,
    person_view,
    persons_of_case,
    review_queue,
    unmatched,
    view_counts,
)
from consumers.reader import read_raw_to_end
from consumers.runner import ConsumerStats, JointViewConsumer
from infra import services
from infra.clients import (
    group_membership,
    make_admin,
    make_consumer,
    make_producer,
    make_registry_client,
)
from infra.database import make_engine
from infra.errors import CasesyncError, PublishError
from infra.kafka import kafka_answers
from infra.prefect_server import EPHEMERAL_STARTUP_TIMEOUT_SECONDS, PrefectServerService
from infra.registry import registry_answers
from infra.security import (
    ADMIN_ROLE,
    FLOWS_ROLE,
    JOINT_VIEW_ROLE,
    agency_role,
    credentials_for,
)
from infra.service import ServiceState, ServiceStatus
from infra.settings import Settings
from producers.agencies import adapter_for
from producers.exports import count_lines
from producers.generate import EXPORT_FILES, read_person_truth
from producers.generate import generate as generate_caseload
from producers.pipeline import PublishSummary, caseload_events, publish_export
from producers.publisher import Publisher
from schemas.access import install_principals
from schemas.catalog import event_schemas
from schemas.codec import DownstreamSerializer, RegistryCodec
from schemas.contract import contract_problems
from schemas.docs import render_events_markdown
from schemas.events import Envelope, PersonRecorded, utc_now
from schemas.registry import (
    SubjectCheck,
    SubjectState,
    check_contract,
    install_pipeline,
    register_pipeline,
)
from schemas.topics import (
    agency_topics,
    dead_letter_topic,
    joint_view_changes_topic,
)

if TYPE_CHECKING:  # splink and prefect load slowly: imported only by the commands using them
    from flows.matching import MatchThresholds
    from flows.normalise import PersonRecord

app = typer.Typer(help="casesync: UK-Romania anti-trafficking case sync.", no_args_is_help=True)
infra_app = typer.Typer(help="Start, stop and inspect the local services.", no_args_is_help=True)
app.add_typer(infra_app, name="infra")
db_app = typer.Typer(help="The joint view's database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
dlq_app = typer.Typer(help="Dead letters: what the consumer could not apply.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
view_app = typer.Typer(
    help="Read the joint view (as practitioners in both countries see it).", no_args_is_help=True
)
app.add_typer(view_app, name="view")
schemas_app = typer.Typer(
    help="Check, register and document the event contract.", no_args_is_help=True
)
app.add_typer(schemas_app, name="schemas")
review_app = typer.Typer(
    help="Grey-zone person matches: list them, decide same or not same.", no_args_is_help=True
)
app.add_typer(review_app, name="review")
api_key_app = typer.Typer(
    help="Read-API keys: one per agency user (shown once, stored hashed).", no_args_is_help=True
)
app.add_typer(api_key_app, name="api-key")

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
        table.add_row(*(Text(cell) for cell in row))  # data, never markup (e.g. "[c]")
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
    admin = make_admin(settings)
    if settings.kafka_bootstrap is None:  # our broker: we hold its principals' passwords
        install_principals(admin, settings)
    install_pipeline(admin, make_registry_client(settings), settings.topic_prefix)
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


def _require_services(settings: Settings, role: str) -> None:
    """Fail clearly unless the broker answers ``role``'s login and the registry answers."""
    credentials = credentials_for(settings, role)
    if not kafka_answers(settings.effective_kafka_bootstrap, credentials):
        who = credentials.username if credentials else "a client without credentials"
        raise CasesyncError(
            f"no broker at {settings.effective_kafka_bootstrap} answers {who}: run "
            "`casesync infra up` (or check CASESYNC_KAFKA_USERNAME / CASESYNC_KAFKA_PASSWORD)"
        )
    if not registry_answers(settings.effective_schema_registry_url):
        raise CasesyncError(
            f"no schema registry answers at {settings.effective_schema_registry_url}: "
            "run `casesync infra up`"
        )


def _row_total(path: Path) -> int | None:
    if path.suffix == ".csv":
        return max(count_lines(path) - 1, 0)
    if path.suffix == ".jsonl":
        return count_lines(path)
    return None


def _publish_file(
    settings: Settings,
    *,
    agency: str,
    file: Path,
    mapping: Path | None,
    rejects: Path | None,
    dry_run: bool,
) -> PublishSummary:
    adapter = adapter_for(agency, mapping)
    rejects_path = rejects or file.with_name(file.name + ".rejects.csv")
    publisher = None
    if not dry_run:
        _require_services(settings, agency_role(agency))
        publisher = Publisher(
            make_producer(settings, agency_role(agency)),
            RegistryCodec(make_registry_client(settings)),
        )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"{agency} {file.name}", total=_row_total(file))
        return publish_export(
            adapter,
            file,
            publisher,
            rejects_path,
            on_row=lambda: progress.advance(task),
            topic_prefix=settings.topic_prefix,
        )


def _summary_rows(agency: str, summary: PublishSummary) -> tuple[str, ...]:
    published = "(dry run)" if summary.dry_run else str(summary.published)
    return (
        agency,
        str(summary.read),
        str(summary.events),
        published,
        str(summary.rejected),
        str(summary.duplicates),
    )


SUMMARY_COLUMNS = ("agency", "rows read", "events", "published", "rejected", "duplicates")


@app.command()
def publish(  # noqa: PLR0917  (Typer reads options from the parameters)
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The agency's export.")],
    agency: Annotated[str, typer.Option("--agency", help="Agency code, e.g. uk-police.")],
    mapping: Annotated[
        Path | None, typer.Option(help="A declarative mapping file to read the export with.")
    ] = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Where to write rejected rows (default <file>.rejects.csv).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate every row; publish nothing.")
    ] = False,
) -> None:
    """Turn an agency export into events and publish them (exit 1 if any row was rejected)."""
    settings = _settings(ctx)
    try:
        summary = _publish_file(
            settings, agency=agency, file=file, mapping=mapping, rejects=rejects, dry_run=dry_run
        )
    except PublishError as exc:
        console.print(f"[red]publish failed:[/red] {exc} ({len(exc.delivered)} delivered)")
        raise typer.Exit(code=2) from exc
    except CasesyncError as exc:
        raise _fail(exc) from exc
    _print_table(f"casesync publish {file.name}", SUMMARY_COLUMNS, [_summary_rows(agency, summary)])
    if summary.rejected:
        target = rejects or file.with_name(file.name + ".rejects.csv")
        console.print(f"{summary.rejected} row(s) rejected: see {target}")
        raise typer.Exit(code=1)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder for the exports and ground_truth/.")],
    weeks: Annotated[int, typer.Option(min=1, help="Weeks of caseload, ending 2026-11-29.")] = 12,
    victims: Annotated[int, typer.Option(min=1, help="Real victims in the caseload.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 7,
    bad_row_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of person rows broken on purpose.")
    ] = 0.002,
) -> None:
    """Write a synthetic cross-border caseload: each agency's export plus ground truth."""
    summary = generate_caseload(
        out, weeks=weeks, victims=victims, seed=seed, bad_row_rate=bad_row_rate
    )
    rows = [
        (agency, EXPORT_FILES[agency], str(count)) for agency, count in sorted(summary.rows.items())
    ]
    _print_table(
        f"{summary.cases} cases, {summary.victims} victims in {out}",
        ("agency", "file", "rows"),
        rows,
    )


@app.command()
def demo(
    ctx: typer.Context,
    victims: Annotated[int, typer.Option(min=1, help="Real victims in the demo caseload.")] = 300,
    weeks: Annotated[int, typer.Option(min=1, help="Weeks of caseload, ending 2026-W48.")] = 12,
) -> None:
    """The whole pipeline: infra up, generate, publish, consume, de-duplicate, weekly statistics.

    Leaves the services running (`casesync infra down` stops them).
    """
    from flows.dedup_flow import dedup_flow  # noqa: PLC0415
    from flows.report import RESTRICTED  # noqa: PLC0415
    from flows.statistics import iso_week  # noqa: PLC0415
    from flows.stats_flow import weekly_statistics  # noqa: PLC0415
    from producers.generate import DEFAULT_UNTIL  # noqa: PLC0415

    settings = _settings(ctx)
    caseload = settings.state_dir / "demo-caseload"
    try:
        _bring_up(settings, with_prefect=False)
        console.print(f"1/6 services up; generating {victims} victims into {caseload}")
        generate_caseload(caseload, weeks=weeks, victims=victims, seed=7)
        rows = []
        for agency, name in EXPORT_FILES.items():
            summary = _publish_file(
                settings,
                agency=agency,
                file=caseload / name,
                mapping=None,
                rejects=None,
                dry_run=False,
            )
            rows.append(_summary_rows(agency, summary))
        _print_table(f"2/6 published the demo caseload from {caseload}", SUMMARY_COLUMNS, rows)
        applied = _apply_to_view(settings)
        console.print(
            f"3/6 joint view ({settings.effective_database_url}): applied {applied.applied} "
            f"events, skipped {applied.duplicates} repeats, {applied.dead_letters} dead letters"
        )
        with _prefect_context(settings):
            matched = dedup_flow(mode="full", settings=settings)
            console.print(
                f"4/6 de-duplication: {matched['records']} person records -> "
                f"{matched['persons']} persons, {matched['persons_published']} published"
            )
            _apply_to_view(settings)  # person links join each person's agency cases
            console.print(
                "5/6 applied the person links: a person's agency cases are one joint case"
            )
            summary_stats = weekly_statistics(week=iso_week(DEFAULT_UNTIL), settings=settings)
    except CasesyncError as exc:
        raise _fail(exc) from exc
    console.print(f"6/6 weekly statistics, snapshot {summary_stats['snapshot_id']}:")
    _print_statistics(settings, int(summary_stats["snapshot_id"]), RESTRICTED)
    _print_table("what the joint view holds", ("table", "rows"), view_counts(make_engine(settings)))
    console.print(f"restricted report: {summary_stats['restricted_report']}")
    console.print(f"public report:     {summary_stats['public_report']}")
    console.print("the services keep running: `casesync infra down` stops them")


def _apply_to_view(settings: Settings) -> ConsumerStats:
    """Migrate the view, then apply every agency topic to it until the group is caught up."""
    engine = make_engine(settings)
    upgrade(engine)
    return joint_view_consumer(settings, engine).run(lambda: False, exit_when_caught_up=True)


def joint_view_consumer(
    settings: Settings, engine: Engine, metrics: ConsumerMetrics | None = None
) -> JointViewConsumer:
    """The consumer of `casesync consume`, built from settings (the composition root)."""
    registry = make_registry_client(settings)
    changes = joint_view_changes_topic(settings.topic_prefix)
    producer = make_producer(settings, JOINT_VIEW_ROLE)  # dead letters and the change stream
    relay = ChangeRelay(
        engine, producer, DownstreamSerializer(registry, changes, "JointViewChanged"), changes
    )
    return JointViewConsumer(
        make_consumer(
            settings,
            JOINT_VIEW_ROLE,
            group_id=settings.consumer_group,
            **group_membership(settings),
        ),
        RegistryCodec(registry),
        engine,
        producer,
        topic_prefix=settings.topic_prefix,
        batch_size=settings.consumer_batch_size,
        metrics=metrics,
        relay=relay,
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
        settings = _settings(ctx)
        checks = check_contract(
            make_registry_client(settings), agency_topics(settings.topic_prefix)
        )
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
        settings = _settings(ctx)
        checks = register_pipeline(make_registry_client(settings), settings.topic_prefix)
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


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply the view's migrations up to the newest (idempotent)."""
    settings = _settings(ctx)
    engine = make_engine(settings)
    upgrade(engine)
    where = engine.url.render_as_string(hide_password=True)
    console.print(f"database at revision {current_revision(engine)} ({where})")


def _view_engine(settings: Settings) -> Engine:
    engine = make_engine(settings)
    if current_revision(engine) != head_revision():
        raise CasesyncError(
            "the view's database is not at the newest revision: run `casesync db upgrade`"
        )
    return engine


@app.command()
def consume(
    ctx: typer.Context,
    exit_when_caught_up: Annotated[
        bool,
        typer.Option("--exit-when-caught-up", help="Stop once every partition is read to its end."),
    ] = False,
) -> None:
    """Keep the joint view up to date from the agency topics and person links (SIGTERM stops it)."""
    settings = _settings(ctx)
    try:
        _require_services(settings, JOINT_VIEW_ROLE)
        engine = _view_engine(settings)
    except CasesyncError as exc:
        raise _fail(exc) from exc
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    metrics = ConsumerMetrics()
    if settings.metrics_port:
        metrics.serve(settings.metrics_port)
    runner = joint_view_consumer(settings, engine, metrics)
    stats = runner.run(stop.is_set, exit_when_caught_up=exit_when_caught_up)
    console.print(
        f"applied {stats.applied}, duplicates skipped {stats.duplicates}, "
        f"dead letters {stats.dead_letters}, batches {stats.batches}, "
        f"database retries {stats.database_retries}, "
        f"registry retries {stats.registry_retries}, "
        f"changes published {stats.changes_published}"
    )


def _thresholds(settings: Settings) -> MatchThresholds:
    from flows.matching import MatchThresholds  # noqa: PLC0415 (slow import, see TYPE_CHECKING)

    try:
        return MatchThresholds(settings.match_link_threshold, settings.match_review_threshold)
    except ValueError as exc:
        raise typer.BadParameter(f"CASESYNC_MATCH_*_THRESHOLD: {exc}") from None


@app.command()
def dedup(
    ctx: typer.Context,
    persons: Annotated[Path, typer.Argument(help="CSV of person records (see docs/matching.md).")],
    out: Annotated[Path, typer.Option(help="Where to write record_id,person_id.")],
    previous: Annotated[
        Path | None, typer.Option(help="An earlier clusters file: its person ids are kept.")
    ] = None,
) -> None:
    """De-duplicate the person records of a file with the same model as the dedup flow."""
    from flows.offline import deduplicate, read_clusters, write_clusters  # noqa: PLC0415
    from flows.records import read_csv  # noqa: PLC0415

    settings = _settings(ctx)
    try:
        records = list(read_csv(persons))
        earlier = read_clusters(previous) if previous else None
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=1) from None
    from flows.matching import backend_for  # noqa: PLC0415

    backend = backend_for(settings.match_backend, settings.state_dir / "spark")
    run = deduplicate(records, _thresholds(settings), earlier, backend)
    write_clusters(out, run.assignment.person_of)
    kinds = Counter(change.kind.value for change in run.assignment.changes)
    console.print(
        f"{len(records)} records → {len(set(run.assignment.person_of.values()))} persons "
        f"({len(run.result.pairs)} candidate pairs at or above the review threshold); "
        f"wrote {out}"
    )
    if earlier is not None:
        _print_table(
            "person ids against the previous file",
            ("change", "persons"),
            sorted((kind, str(n)) for kind, n in kinds.items()),
        )


def _caseload_records(folder: Path) -> tuple[list[PersonRecord], dict[str, str]]:
    """A generated caseload's latest person records, and its ground truth by record id."""
    from flows.records import latest_records, record_id  # noqa: PLC0415

    records = latest_records(e for e in caseload_events(folder) if isinstance(e, PersonRecorded))
    truth = {
        record_id(agency, person_ref): person
        for agency, person_ref, person in read_person_truth(folder)
    }
    present = {r.record_id for r in records}
    return records, {k: v for k, v in truth.items() if k in present}


@app.command("dedup-evaluate")
def dedup_evaluate(
    ctx: typer.Context,
    *,
    caseload: Annotated[
        Path | None, typer.Option(help="A generated caseload folder (default: generate one).")
    ] = None,
    victims: Annotated[int, typer.Option(help="Victims, when generating.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed, when generating.")] = 7,
    febrl: Annotated[
        list[int] | None, typer.Option(help="Also score a FEBRL dataset (1, 2 or 3; repeat).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Pairwise and B-cubed precision, recall and F1 of the matching against ground truth."""
    from flows.evaluation import evaluate  # noqa: PLC0415
    from flows.febrl import febrl_records  # noqa: PLC0415
    from flows.offline import deduplicate  # noqa: PLC0415

    thresholds = _thresholds(_settings(ctx))
    datasets: list[tuple[str, list[PersonRecord], dict[str, str]]] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = caseload
        if folder is None:
            folder = Path(scratch)
            generate_caseload(folder, weeks=12, victims=victims, seed=seed, bad_row_rate=0.0)
        datasets.append(
            (f"synthetic caseload ({folder.name or folder})", *_caseload_records(folder))
        )
    for number in febrl or []:
        datasets.append((f"FEBRL dataset {number}", *febrl_records(number)))
    results = []
    for name, records, truth in datasets:
        began = time.perf_counter()
        run = deduplicate(records, thresholds)
        seconds = time.perf_counter() - began
        scores = evaluate(run.assignment.person_of, truth)
        results.append(
            {
                "dataset": name,
                "records": scores.records,
                "true_pairs": scores.true_pairs,
                "predicted_pairs": scores.predicted_pairs,
                "pairwise": {
                    "precision": scores.pairwise.precision,
                    "recall": scores.pairwise.recall,
                    "f1": scores.pairwise.f1,
                },
                "b_cubed": {
                    "precision": scores.b_cubed.precision,
                    "recall": scores.b_cubed.recall,
                    "f1": scores.b_cubed.f1,
                },
                "seconds": seconds,
            }
        )

    def render(results: list[dict[str, Any]]) -> None:
        _print_table(
            f"matching quality (link at {thresholds.link})",
            (
                "dataset",
                "records",
                "pairs true/found",
                "P",
                "R",
                "F1",
                "B³ P",
                "B³ R",
                "B³ F1",
                "s",
            ),
            [
                (
                    r["dataset"],
                    str(r["records"]),
                    f"{r['true_pairs']}/{r['predicted_pairs']}",
                    *(f"{r['pairwise'][m]:.4f}" for m in ("precision", "recall", "f1")),
                    *(f"{r['b_cubed'][m]:.4f}" for m in ("precision", "recall", "f1")),
                    f"{r['seconds']:.1f}",
                )
                for r in results
            ],
        )

    _emit(results, as_json, render)


@contextmanager
def _prefect_context(settings: Settings) -> Iterator[None]:
    """Run flows on the local Prefect server if it answers, else on a temporary one."""
    from prefect.settings import (  # noqa: PLC0415
        PREFECT_API_URL,
        PREFECT_HOME,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    updates: dict[Any, Any] = {
        PREFECT_HOME: str(settings.prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED: False,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    }
    if PrefectServerService(settings).is_ready():
        updates[PREFECT_API_URL] = settings.prefect_api_url
    else:
        console.print(
            "no Prefect server at "
            f"{settings.prefect_api_url} (`casesync infra up --prefect`): running on a "
            "temporary one, so the run will not stay visible in the UI"
        )
    with temporary_settings(updates=updates):
        yield


@app.command("dedup-run")
def dedup_run(
    ctx: typer.Context,
    incremental: Annotated[
        bool,
        typer.Option("--incremental", help="Match only records new or changed since the last run."),
    ] = False,
) -> None:
    """Run the dedup flow once over the joint view (on the local Prefect server if it runs)."""
    from flows.dedup_flow import dedup_flow  # noqa: PLC0415

    settings = _settings(ctx)
    try:
        _view_engine(settings)
    except CasesyncError as exc:
        raise _fail(exc) from exc
    with _prefect_context(settings):
        summary = dedup_flow(mode="incremental" if incremental else "full", settings=settings)
    _print_table(
        f"dedup run {summary['run_id']}",
        ("measure", "value"),
        [(name, str(value)) for name, value in summary.items() if name != "run_id"],
    )


EditionOption = Annotated[
    str,
    typer.Option(
        "--edition",
        help="What to print: public (disclosure control applied) or restricted (full counts).",
    ),
]


def _print_statistics(settings: Settings, snapshot_id: int, edition_name: str) -> None:
    """The discrepancy and overlap tables of a stored snapshot, in the terminal."""
    from flows.report import (  # noqa: PLC0415
        PUBLIC,
        discrepancy_rows,
        editions,
        overlap_rows,
    )
    from flows.weekly import previous_snapshot_id, read_snapshot  # noqa: PLC0415

    engine = _view_engine(settings)
    snapshot = read_snapshot(engine, snapshot_id)
    before = previous_snapshot_id(engine, snapshot_id)
    previous = read_snapshot(engine, before) if before is not None else None
    edition = editions(snapshot, previous)[edition_name]
    banner = "public" if edition_name == PUBLIC else "RESTRICTED (full counts, agencies only)"
    columns = ("measure", "UK agencies", "RO agencies", "reconciled persons", "double-counted")
    for period, title in (("cumulative", "to the end of"), ("week", "in")):
        _print_table(
            f"Discrepancy {title} {edition.report_week} ({banner})",
            columns,
            [tuple(row) for row in discrepancy_rows(edition, period)],
        )
    _print_table(
        f"Overlap to the end of {edition.report_week} ({banner})",
        ("population", "known to both", "UK only", "Romania only", "all persons"),
        [tuple(row) for row in overlap_rows(edition)],
    )
    if edition.public:
        from flows.disclosure import disclosure_rule  # noqa: PLC0415

        console.print(disclosure_rule(edition.k), markup=False)
    console.print(f"{len(edition.revisions)} weekly figures revised since the previous snapshot")


@app.command()
def stats(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option(help="ISO week to report, e.g. 2026-W48 (default: the last complete week)."),
    ] = None,
    edition: EditionOption = "public",
    publish_figures: Annotated[
        bool,
        typer.Option(
            "--publish/--no-publish", help="Publish the public figures to <prefix>stats.weekly."
        ),
    ] = True,
) -> None:
    """Weekly cross-border statistics: store a snapshot, write CSV and HTML, print the summary."""
    from flows.report import PUBLIC, RESTRICTED  # noqa: PLC0415
    from flows.statistics import parse_iso_week  # noqa: PLC0415
    from flows.stats_flow import weekly_statistics  # noqa: PLC0415

    settings = _settings(ctx)
    if edition not in (PUBLIC, RESTRICTED):
        raise typer.BadParameter(f"--edition must be public or restricted, not {edition!r}")
    if week is not None:
        try:
            parse_iso_week(week)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--week") from exc
    try:
        _view_engine(settings)
        if publish_figures:
            _require_services(settings, FLOWS_ROLE)
        with _prefect_context(settings):
            summary = weekly_statistics(
                week=week, publish_figures=publish_figures, settings=settings
            )
    except CasesyncError as exc:
        raise _fail(exc) from exc
    _print_statistics(settings, int(summary["snapshot_id"]), edition)
    _print_table(
        f"statistics snapshot {summary['snapshot_id']}",
        ("measure", "value"),
        [(name, str(value)) for name, value in summary.items() if name != "snapshot_id"],
    )


@app.command()
def serve(ctx: typer.Context) -> None:
    """Serve the Prefect deployments: weekly statistics, incremental and full de-duplication.

    Starts the local Prefect server first unless it already runs; stops with Ctrl-C or SIGTERM
    (the server keeps running: `casesync infra down` stops it).
    """
    from prefect import serve as serve_deployments  # noqa: PLC0415
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings  # noqa: PLC0415

    from flows.dedup_flow import dedup_deployments  # noqa: PLC0415
    from flows.stats_flow import statistics_deployments  # noqa: PLC0415

    settings = _settings(ctx)
    try:
        server = PrefectServerService(settings).up()
    except CasesyncError as exc:
        raise _fail(exc) from exc
    console.print(f"Prefect server: {server.address} ({server.state}); UI at {server.address[:-4]}")
    updates: dict[Any, Any] = {
        PREFECT_API_URL: settings.prefect_api_url,
        PREFECT_HOME: str(settings.prefect_home),
    }
    with temporary_settings(updates=updates):
        serve_deployments(*statistics_deployments(), *dedup_deployments())


@view_app.command("person")
def view_person(
    ctx: typer.Context,
    person_id: Annotated[str, typer.Argument(help="Person id, e.g. P00000042.")],
    as_json: JsonOption = False,
) -> None:
    """A matched person: the agency records joined, and the evidence for each link."""
    result = person_view(_view_engine(_settings(ctx)), person_id)

    def render(result: dict[str, Any]) -> None:
        status = result["status"] + (
            f" into {result['merged_into']}" if result["merged_into"] else ""
        )
        _persons_table(f"person {result['person_id']} ({status})", result["records"])
        _matches_table("why they were joined", result["links"])
        _print_table(
            "history",
            ("at", "change", "person", "others"),
            [
                (h["at"], h["kind"], h["person_id"], ", ".join(h["others"]))
                for h in result["history"]
            ],
        )

    _emit(result, as_json, render)


def _matches_table(title: str, matches: list[dict[str, Any]]) -> None:
    rows = [
        (
            m["left_record"],
            m["right_record"],
            f"{m['match_probability']:.4f}",
            f"{m['match_weight']:.1f}",
            " ".join(f"{name}{value:+.1f}" for name, value in m["evidence"].items() if value),
            m["review"] or "",
        )
        for m in matches
    ]
    _print_table(title, ("record", "record", "probability", "weight", "evidence", "review"), rows)


@review_app.command("list")
def review_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="Most pairs to list.")] = 50,
    offset: Annotated[int, typer.Option(help="Pairs to skip.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Pairs in the grey zone between the review and link thresholds, awaiting a decision."""
    result = review_queue(_view_engine(_settings(ctx)), limit, offset)
    _emit(
        result,
        as_json,
        lambda result: _matches_table(f"{result['total']} pair(s) to review", result["pairs"]),
    )


@review_app.command("decide")
def review_decide(
    ctx: typer.Context,
    left: Annotated[str, typer.Argument(help="One record, <agency>:<person ref>.")],
    right: Annotated[str, typer.Argument(help="The other record.")],
    decision: Annotated[str, typer.Argument(help="same or not_same.")],
) -> None:
    """Decide a pair; every later dedup run honours it."""
    from flows.dedup import record_decision  # noqa: PLC0415

    try:
        record_decision(_view_engine(_settings(ctx)), left, right, decision, utc_now())
    except (LookupError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=1) from None
    console.print(f"{left} / {right}: {decision} (honoured from the next dedup run)")


@app.command()
def api(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface (default CASESYNC_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default CASESYNC_API_PORT).")] = None,
) -> None:
    """Serve the read-only HTTP API over the joint view (OpenAPI at /docs and /openapi.json)."""
    import uvicorn  # noqa: PLC0415 (FastAPI and uvicorn load slowly; only this command needs them)

    from consumers.api import create_app  # noqa: PLC0415

    settings = _settings(ctx)
    try:
        engine = _view_engine(settings)
    except CasesyncError as exc:
        raise _fail(exc) from exc
    uvicorn.run(
        create_app(engine),
        host=host or settings.api_host,
        port=port if port is not None else settings.api_port,
        log_level="info",
    )


def _read_dead_letters(settings: Settings) -> list[Message]:
    """Every message on the dead-letter topic, read by a throw-away consumer group."""
    consumer = make_consumer(settings, ADMIN_ROLE, group_id=f"casesync-dlq-{uuid.uuid4().hex[:8]}")
    try:
        return read_raw_to_end(consumer, [dead_letter_topic(settings.topic_prefix)], timeout_s=60)
    finally:
        consumer.close()


@dlq_app.command("list")
def dlq_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="Most dead letters to show.")] = 50,
) -> None:
    """The dead letters: where each came from and why (never their contents)."""
    settings = _settings(ctx)
    topic = dead_letter_topic(settings.topic_prefix)
    try:
        letters = _read_dead_letters(settings)
    except CasesyncError as exc:
        raise _fail(exc) from exc
    rows = []
    for message in letters[-limit:]:
        headers = dead_letter_headers(message)
        rows.append(
            (
                str(message.offset()),
                headers.get("dlq.source.topic", ""),
                f"{headers.get('dlq.source.partition', '')}@{headers.get('dlq.source.offset', '')}",
                headers.get("dlq.error_type", ""),
                headers.get("dlq.error", "")[:120],
            )
        )
    _print_table(
        f"{len(letters)} dead letter(s) on {topic}",
        ("dlq offset", "source topic", "partition@offset", "error", "reason"),
        rows,
    )


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _emit(result: Any, as_json: bool, render: Callable[[Any], None]) -> None:
    """Print ``result`` as JSON or through ``render``; exit 1 when there is none."""
    if result is None:
        console.print("[red]not found[/red]")
        raise typer.Exit(code=1)
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
        return
    render(result)


def _cases_table(title: str, cases: list[dict[str, Any]]) -> None:
    rows = [
        (
            c["agency"],
            c["case_ref"],
            c["country"],
            str(c["case_type"] or ""),
            c["status"],
            str(c["joint_case_id"] or ""),
            _handling_text(c),
        )
        for c in cases
    ]
    columns = ("agency", "case", "country", "type", "status", "joint case", "handling")
    _print_table(title, columns, rows)


def _handling_text(row: dict[str, Any]) -> str:
    """The handling code, with its notice when it restricts use (H1, H2, H3)."""
    return row["handling_notice"] or str(row["handling_code"] or "")


def _partial_date_text(dob: dict[str, Any] | None) -> str:
    """``1994-03-15``, ``1994-03``, ``1994``; ``~`` in front when estimated."""
    if not dob:
        return ""
    parts = [f"{dob['year']:04d}"] + [f"{dob[k]:02d}" for k in ("month", "day") if dob.get(k)]
    return ("~" if dob.get("estimated") else "") + "-".join(parts)


def _persons_table(title: str, persons: list[dict[str, Any]]) -> None:
    rows = [
        (
            p["agency"],
            p["person_ref"],
            p["role"],
            "(retracted)"
            if p["retracted"]
            else " ".join(p["given_names"]) + " " + (p["family_name"] or ""),
            _partial_date_text(p["date_of_birth"]),
            p["sex"],
            ",".join(p["nationalities"]),
            _handling_text(p),
        )
        for p in persons
    ]
    _print_table(
        title,
        ("agency", "person", "role", "name", "date of birth", "sex", "nationality", "handling"),
        rows,
    )


def _timeline_table(title: str, timeline: list[dict[str, Any]]) -> None:
    rows = [
        (
            t["occurred_at"][:16],
            t["agency"],
            t["case_ref"],
            str(t["sequence"]),
            t["event_type"],
            t["outcome"],
            _handling_text(t),
        )
        for t in timeline
    ]
    columns = ("occurred", "agency", "case", "seq", "event", "outcome", "handling")
    _print_table(title, columns, rows)


def _case_group_tables(
    title: str, cases: list[dict[str, Any]], result: dict[str, Any], timeline_title: str
) -> None:
    """Cases, then their person records, then their timeline (view case and view joint)."""
    _cases_table(title, cases)
    _persons_table("person records", result["persons"])
    _timeline_table(timeline_title, result["timeline"])


def _case_key(text: str) -> tuple[str, str]:
    try:
        return parse_case_key(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@view_app.command("case")
def view_case(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="<agency>:<case ref>")],
    as_json: JsonOption = False,
) -> None:
    """One agency case: details, person records and timeline."""
    result = case_view(_view_engine(_settings(ctx)), *_case_key(case))

    def render(result: dict[str, Any]) -> None:
        _case_group_tables(f"case {case}", [result["case"]], result, "timeline")

    _emit(result, as_json, render)


@view_app.command("joint")
def view_joint(
    ctx: typer.Context,
    joint_id: Annotated[int, typer.Argument(help="Joint case id.")],
    as_json: JsonOption = False,
) -> None:
    """A joint case: both countries' records and the merged timeline."""
    result = joint_view(_view_engine(_settings(ctx)), joint_id)

    def render(result: dict[str, Any]) -> None:
        title = f"joint case {result['joint_case_id']} ({', '.join(result['countries'])})"
        _case_group_tables(title, result["cases"], result, "merged timeline")

    _emit(result, as_json, render)


@view_app.command("unmatched")
def view_unmatched(
    ctx: typer.Context,
    country: Annotated[str, typer.Option(help="RO or GB.")],
    limit: Annotated[int, typer.Option(help="Most cases to list.")] = 50,
    offset: Annotated[int, typer.Option(help="Cases to skip (the next page).")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Cases known to one side only (no cross-border link joins them)."""
    if country.upper() not in ("RO", "GB"):
        raise typer.BadParameter("country must be RO or GB")
    result = unmatched(_view_engine(_settings(ctx)), country.upper(), limit, offset)
    _emit(
        result,
        as_json,
        lambda result: _cases_table(
            f"{result['total']} {result['country']} case(s) known to one side only", result["cases"]
        ),
    )


@view_app.command("persons")
def view_persons(
    ctx: typer.Context,
    case: Annotated[str, typer.Option("--case", help="<agency>:<case ref>")],
    as_json: JsonOption = False,
) -> None:
    """The person records an agency holds in one case."""
    result = persons_of_case(_view_engine(_settings(ctx)), *_case_key(case))
    _emit(result, as_json, lambda result: _persons_table(f"person records of {case}", result))


@dlq_app.command("replay")
def dlq_replay(
    ctx: typer.Context,
    error_type: Annotated[
        str | None, typer.Option(help="Only dead letters of this error type.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be replayed.")
    ] = False,
) -> None:
    """Send dead letters back to their source topic (after fixing their cause)."""
    settings = _settings(ctx)
    topic = dead_letter_topic(settings.topic_prefix)
    try:
        letters = _read_dead_letters(settings)
        chosen = replay(make_producer(settings, ADMIN_ROLE), letters, error_type, dry_run)
    except CasesyncError as exc:
        raise _fail(exc) from exc
    verb = "would replay" if dry_run else "replayed"
    console.print(f"{verb} {len(chosen)} of {len(letters)} dead letter(s) from {topic}")


@app.command()
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Consumer lag per agency topic and the last event applied per agency."""
    settings = _settings(ctx)
    try:
        _require_services(settings, JOINT_VIEW_ROLE)
        engine = _view_engine(settings)
    except CasesyncError as exc:
        raise _fail(exc) from exc
    consumer = make_consumer(settings, JOINT_VIEW_ROLE, group_id=settings.consumer_group)
    try:
        lags = group_lag(consumer, agency_topics(settings.topic_prefix))
    finally:
        consumer.close()
    applied = last_applied_per_agency(engine)
    result = {
        "group": settings.consumer_group,
        "lag": [
            {"topic": x.topic, "committed": x.committed, "end": x.end, "lag": x.lag} for x in lags
        ],
        "agencies": applied,
    }

    def render(result: dict[str, Any]) -> None:
        rows = [
            (x["topic"], str(x["committed"]), str(x["end"]), str(x["lag"])) for x in result["lag"]
        ]
        _print_table(
            f"consumer group {result['group']}", ("topic", "committed", "end", "lag"), rows
        )
        agency_rows = [
            (
                a["agency"],
                str(a["events_applied"]),
                a["last_event_type"] or "",
                a["last_case_ref"] or "",
                a["last_applied_at"] or "",
            )
            for a in result["agencies"]
        ]
        _print_table(
            "joint view",
            ("agency", "events applied", "last event", "case", "applied at"),
            agency_rows,
        )

    _emit(result, as_json, render)


@api_key_app.command("create")
def api_key_create(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="Who will hold the key (name or login).")],
    agency: Annotated[str, typer.Option("--agency", help="Their agency code, e.g. ro-anitp.")],
) -> None:
    """Issue a read-API key to an agency user; the key is printed once, never stored."""
    engine = _view_engine(_settings(ctx))
    try:
        issued, key = create_api_key(engine, user, agency, datetime.now(UTC))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"key {issued.id} for {issued.name} ({issued.agency}); send it as X-API-Key:")
    print(key)


@api_key_app.command("list")
def api_key_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every key issued: user, agency, when, whether revoked (never the key)."""
    users = api_users(_view_engine(_settings(ctx)))
    _emit(
        users,
        as_json,
        lambda rows: _print_table(
            "read-API keys",
            ("id", "user", "agency", "created", "revoked"),
            [
                (str(r["id"]), r["user"], r["agency"], r["created_at"][:19], r["revoked_at"] or "")
                for r in rows
            ],
        ),
    )


@api_key_app.command("revoke")
def api_key_revoke(
    ctx: typer.Context, key_id: Annotated[int, typer.Argument(help="The key's id.")]
) -> None:
    """Revoke a key: its holder is refused from the next request."""
    if not revoke_api_key(_view_engine(_settings(ctx)), key_id, datetime.now(UTC)):
        console.print(f"[red]no live key {key_id}[/red]")
        raise typer.Exit(code=1)
    console.print(f"key {key_id} revoked")


def _audit_row(row: dict[str, Any]) -> tuple[str, ...]:
    fields = ",".join(row["fields"])
    return (row["at"][:19], row["user"], row["agency"], row["record"], fields, row["endpoint"])


@app.command()
def audit(  # noqa: PLR0917  (Typer reads options from the parameters)
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's reads.")] = None,
    record: Annotated[
        str | None, typer.Option("--record", help="Only reads of <agency>:<person ref>.")
    ] = None,
    since: Annotated[
        datetime | None, typer.Option("--since", help="Only reads from this moment (UTC).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Most rows, latest first.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """Who read which person record through the API, when, and which personal fields."""
    moment = since.replace(tzinfo=UTC) if since is not None and since.tzinfo is None else since
    rows = audit_log(
        _view_engine(_settings(ctx)), user=user, record=record, since=moment, limit=limit
    )
    _emit(
        rows,
        as_json,
        lambda found: _print_table(
            f"{len(found)} read(s), latest first",
            ("when", "user", "agency", "record", "fields", "endpoint"),
            [
                (
                    r["at"][:19],
                    r["user"],
                    r["agency"],
                    r["record"],
                    ",".join(r["fields"]),
                    r["endpoint"],
                )
                for r in found
            ],
        ),
    )

"""The `weekly-statistics` Prefect flow: thin; its tasks call `flows.statistics`,
`flows.disclosure`, `flows.weekly` and `flows.report`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.disclosure import Suppression, protect
from flows.report import PUBLIC, RESTRICTED, editions, write_edition
from flows.statistics import (
    CellKey,
    complete_breakdowns,
    compute_cells,
    onward_records,
    previous_week,
    relations,
)
from flows.weekly import (
    Snapshot,
    StatsInput,
    load_stats_input,
    previous_snapshot_id,
    public_records,
    read_snapshot,
    store_snapshot,
)
from infra.clients import make_producer, make_registry_client
from infra.database import make_engine
from infra.delivery import produce_confirmed
from infra.security import FLOWS_ROLE
from infra.settings import Settings
from schemas.codec import DownstreamSerializer
from schemas.topics import weekly_statistics_topic

WEEKLY_SCHEDULE = "0 6 * * 1"  # Mondays 06:00 Europe/London: the week that ended on Sunday
TIMEZONE = "Europe/London"


@task(name="load counted records", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def load(settings: Settings) -> StatsInput:
    """Facts, person records and persons from the view."""
    engine = make_engine(settings)
    try:
        return load_stats_input(engine)
    finally:
        engine.dispose()


@task(name="compute figures", cache_policy=NO_CACHE)
def compute(
    stats_input: StatsInput, report_week: str
) -> tuple[str, dict[CellKey, int], dict[CellKey, int]]:
    """The first week covered, every figure (restricted: all records), and the public edition's
    figures (no H2 record: no onward dissemination)."""
    first_week = stats_input.first_week(report_week)
    records = stats_input.records
    cells = complete_breakdowns(
        compute_cells(records, first_week=first_week, report_week=report_week)
    )
    if stats_input.withheld == 0:
        return first_week, cells, cells
    public = compute_cells(onward_records(records), first_week=first_week, report_week=report_week)
    return first_week, cells, complete_breakdowns(public)


@task(name="disclosure control", cache_policy=NO_CACHE)
def suppress(cells: dict[CellKey, int], k: int) -> Suppression:
    """Primary and secondary suppression of the public edition."""
    return protect(cells, relations(cells), k)


@task(name="store snapshot", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def save(  # noqa: PLR0917 (one snapshot's parts)
    settings: Settings,
    report_week: str,
    first_week: str,
    cells: dict[CellKey, int],
    public: dict[CellKey, int],
    suppression: Suppression,
    stats_input: StatsInput,
) -> tuple[Snapshot, Snapshot | None]:
    """Store the snapshot; it and the snapshot before it (for revisions)."""
    engine = make_engine(settings)
    try:
        now = datetime.now(UTC)
        snapshot_id = store_snapshot(
            engine, report_week, first_week, cells, suppression, stats_input, now, public
        )
        before = previous_snapshot_id(engine, snapshot_id)
        previous = read_snapshot(engine, before) if before is not None else None
    finally:
        engine.dispose()
    hidden = dict(suppression.hidden)
    return Snapshot(
        snapshot_id, report_week, first_week, now, suppression.k, cells, hidden, public
    ), previous


@task(name="write report files", cache_policy=NO_CACHE)
def write_reports(
    settings: Settings, snapshot: Snapshot, previous: Snapshot | None
) -> dict[str, str]:
    """Restricted and public CSV files and HTML reports; their paths."""
    folder = settings.resolved_reports_dir / snapshot.report_week
    return {
        name: str(write_edition(edition, folder / name))
        for name, edition in editions(snapshot, previous).items()
    }


@task(name="publish public figures", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def publish(
    settings: Settings,
    snapshot_id: int,
    report_week: str,
    cells: dict[CellKey, int],
    suppression: Suppression,
) -> int:
    """Every public figure (suppressed ones as null) to the compacted weekly-statistics topic."""
    topic = weekly_statistics_topic(settings.topic_prefix)
    serialize = DownstreamSerializer(make_registry_client(settings), topic, "WeeklyStatistic")
    records = public_records(snapshot_id, report_week, cells, suppression, datetime.now(UTC))
    messages = ((key.encode(), serialize(value)) for key, value in records)
    return produce_confirmed(
        make_producer(settings, FLOWS_ROLE), topic, messages, what="the weekly statistics"
    )


@flow(name="weekly-statistics")
def weekly_statistics(
    week: str | None = None, publish_figures: bool = True, settings: Settings | None = None
) -> dict[str, Any]:
    """Weekly cross-border statistics for ``week`` (default: the last complete ISO week).

    A served deployment passes only ``week``; settings come from the serving process's
    ``CASESYNC_*`` environment (never stored in Prefect).
    """
    settings = settings or Settings()
    report_week = week or previous_week(datetime.now(UTC).date())
    stats_input = load(settings)
    first_week, cells, public = compute(stats_input, report_week)
    suppression = suppress(public, settings.stats_k)
    snapshot, previous = save(
        settings, report_week, first_week, cells, public, suppression, stats_input
    )
    paths = write_reports(settings, snapshot, previous)
    published = 0
    if publish_figures:
        published = publish(settings, snapshot.id, report_week, public, suppression)
    return {
        "snapshot_id": snapshot.id,
        "report_week": report_week,
        "first_week": first_week,
        "records": stats_input.records.num_rows,
        "withheld_records": stats_input.withheld,
        "cells": len(cells),
        "public_cells": len(public),
        "suppressed": len(suppression.hidden),
        "published": published,
        "restricted_report": paths[RESTRICTED],
        "public_report": paths[PUBLIC],
        "folder": str(Path(paths[PUBLIC]).parent.parent),
    }


def statistics_deployments() -> list[RunnerDeployment]:
    """The weekly statistics deployment `casesync serve` serves (Mondays 06:00 London)."""
    deployment = weekly_statistics.to_deployment(
        name="weekly-statistics",
        schedule=Cron(WEEKLY_SCHEDULE, timezone=TIMEZONE),
        description="Reported, reconciled and public figures of the week that ended on Sunday.",
        tags=["casesync", "statistics"],
    )
    return [deployment] if isinstance(deployment, RunnerDeployment) else []

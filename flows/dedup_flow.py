"""The `dedup` Prefect flow: thin, its tasks call the plain functions of `flows.dedup`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval

from flows.dedup import (
    DedupRun,
    MatcherInput,
    MatchPlan,
    PriorState,
    changed_since,
    cluster,
    load_records,
    normalise_plan,
    persist,
    plan_run,
    predict,
    prior_state,
)
from flows.matching import MatchResult, MatchThresholds, backend_for
from flows.normalise import PersonRecord
from flows.person_links import person_states, publish_states
from infra.clients import make_producer, make_registry_client
from infra.database import make_engine
from infra.pseudonyms import pseudonym_key
from infra.security import FLOWS_ROLE
from infra.settings import Settings
from schemas.codec import DownstreamSerializer
from schemas.topics import person_links_topic

# The view's rows are large and personal: never cached or persisted by Prefect (NO_CACHE).
# I/O tasks retry: a database restart should not fail the run.


@task(name="load", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def load(settings: Settings) -> tuple[list[PersonRecord], PriorState]:
    """The view's person records, and what earlier runs decided."""
    engine = make_engine(settings)
    try:
        return load_records(engine), prior_state(engine)
    finally:
        engine.dispose()


@task(name="changed records", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def changed(settings: Settings, prior: PriorState) -> set[str]:
    """Records the consumer changed since the last run (incremental mode)."""
    engine = make_engine(settings)
    try:
        return changed_since(engine, prior.last_run_started)
    finally:
        engine.dispose()


@task(name="plan", cache_policy=NO_CACHE)
def plan_task(
    records: list[PersonRecord], prior: PriorState, changed_records: set[str] | None
) -> MatchPlan:
    """What the run matches: everything, or (incremental) new and changed records."""
    return plan_run(records, prior, changed_records)


@task(name="normalise", cache_policy=NO_CACHE)
def normalise_task(plan: MatchPlan) -> MatcherInput:
    """Names, dates, identifiers and phones to comparable keys."""
    return normalise_plan(plan)


@task(name="predict", cache_policy=NO_CACHE)
def predict_task(
    plan: MatchPlan, rows: MatcherInput, prior: PriorState, settings: Settings
) -> MatchResult:
    """Train (full runs) and score candidate pairs."""
    backend = backend_for(settings.match_backend, settings.state_dir / "spark")
    return predict(plan, rows, prior, _thresholds(settings), backend)


@task(name="cluster", cache_policy=NO_CACHE)
def cluster_task(
    records: list[PersonRecord],
    plan: MatchPlan,
    result: MatchResult,
    prior: PriorState,
    settings: Settings,
) -> DedupRun:
    """Links, clusters and stable person ids."""
    return cluster(records, plan, result, prior, _thresholds(settings), datetime.now(UTC))


def _thresholds(settings: Settings) -> MatchThresholds:
    return MatchThresholds(settings.match_link_threshold, settings.match_review_threshold)


@task(name="persist", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def save(settings: Settings, run: DedupRun, thresholds: MatchThresholds) -> int:
    """Write persons, assignments, scored pairs and history; the run id."""
    engine = make_engine(settings)
    try:
        return persist(engine, run, thresholds, datetime.now(UTC))
    finally:
        engine.dispose()


@flow(name="dedup")
def dedup_flow(mode: str = "full", settings: Settings | None = None) -> dict[str, int | str]:
    """Person de-duplication over the joint view: ``full`` (weekly) or ``incremental``.

    A served deployment passes only ``mode``: settings then come from the serving process's
    ``CASESYNC_*`` environment (never stored in Prefect, as they hold the database URL).
    """
    if mode not in ("full", "incremental"):
        raise ValueError(f"mode must be full or incremental, not {mode!r}")
    settings = settings or Settings()
    records, prior = load(settings)
    changed_records = changed(settings, prior) if mode == "incremental" else None
    plan = plan_task(records, prior, changed_records)
    rows = normalise_task(plan)
    result = predict_task(plan, rows, prior, settings)
    run = cluster_task(records, plan, result, prior, settings)
    run_id = save(settings, run, _thresholds(settings))
    published = publish(settings, run, run_id)
    kinds: dict[str, int] = {}
    for change in run.assignment.changes:
        kinds[change.kind.value] = kinds.get(change.kind.value, 0) + 1
    return {
        "run_id": run_id,
        "mode": run.mode,
        "matched": len(run.rescored),
        "persons_published": published,
        "records": len(records),
        "persons": len(set(run.assignment.person_of.values())),
        "candidate_pairs": len(run.result.pairs),
        **kinds,
    }


FULL_SCHEDULE = "0 2 * * 0"  # Sundays 02:00, before Monday's 06:00 weekly statistics
INCREMENTAL_EVERY = timedelta(minutes=15)
TIMEZONE = "Europe/London"


def dedup_deployments() -> list[RunnerDeployment]:
    """The two deployments `casesync serve` serves: incremental every 15 min, full weekly."""
    deployments = [
        dedup_flow.to_deployment(
            name="dedup-incremental",
            parameters={"mode": "incremental"},
            schedule=Interval(INCREMENTAL_EVERY, timezone=TIMEZONE),
            description="Match records new or changed since the last run (saved model).",
            tags=["casesync", "dedup"],
        ),
        dedup_flow.to_deployment(
            name="dedup-full",
            parameters={"mode": "full"},
            schedule=Cron(FULL_SCHEDULE, timezone=TIMEZONE),
            description="Retrain and re-match every person record; reconciles the week.",
            tags=["casesync", "dedup"],
        ),
    ]
    # to_deployment is sync-or-async; called from sync code it returns the deployment.
    return [d for d in deployments if isinstance(d, RunnerDeployment)]


@task(name="publish person links", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def publish(settings: Settings, run: DedupRun, run_id: int) -> int:
    """Changed persons (all of them after a full run) to the compacted person-links topic."""
    topic = person_links_topic(settings.topic_prefix)
    states = person_states(
        run.assignment,
        run.records,
        run_id=run_id,
        key=pseudonym_key(settings),
        now=datetime.now(UTC),
        everyone=run.mode == "full",
    )
    serializer = DownstreamSerializer(make_registry_client(settings), topic, "PersonLinksChanged")
    return publish_states(make_producer(settings, FLOWS_ROLE), serializer, topic, states)

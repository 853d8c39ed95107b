"""Person de-duplication over the joint view: load, match, cluster, persist with stable ids.

Plain functions (the Prefect flow in `flows/dedup_flow.py` calls them as tasks). Review
decisions are honoured by every run: a pair decided ``same`` is always linked, one decided
``not_same`` never is (its records may still meet through other links; review those too).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.orm import Session

from consumers.view import (
    AgencyPerson,
    MatchRun,
    Person,
    PersonChangeEntry,
    PersonMatch,
    PersonRecordLink,
)
from flows.evaluation import clusters_from_pairs
from flows.identity import Assignment, ChangeKind, assign_person_ids
from flows.matching import (
    EVIDENCE,
    IN_PROCESS,
    Backend,
    MatchResult,
    MatchThresholds,
    match,
    match_incremental,
)
from flows.normalise import PersonRecord, matching_row, packaged_variants
from flows.offline import sequential_ids
from flows.records import from_view, record_id
from schemas.vocabulary import Agency

Pair = tuple[str, str]


def ordered(left: str, right: str) -> Pair:
    """A pair in one canonical order."""
    return (left, right) if left <= right else (right, left)


def load_records(engine: Engine) -> list[PersonRecord]:
    """Every agency person record the view holds that was not retracted."""
    with Session(engine) as session:
        rows = session.scalars(select(AgencyPerson).where(AgencyPerson.retracted.is_(False)))
        return [from_view(row) for row in rows]


@dataclass(frozen=True)
class PriorState:
    """What earlier runs left: record → person, person ages, review decisions, the model."""

    person_of: dict[str, str]
    age: dict[str, int]
    same: set[Pair]
    not_same: set[Pair]
    model: dict[str, Any] | None
    last_run_started: datetime | None = None


def prior_state(engine: Engine) -> PriorState:
    """Read the persons, decisions and latest full-run model from the view."""
    with Session(engine) as session:
        person_of = {
            record_id(Agency(link.agency).code, link.person_ref): link.person_id
            for link in session.scalars(select(PersonRecordLink))
        }
        age = {
            person.person_id: index
            for index, person in enumerate(
                session.scalars(select(Person).order_by(Person.created_at, Person.person_id))
            )
        }
        decided = session.execute(
            select(PersonMatch.left_record, PersonMatch.right_record, PersonMatch.review).where(
                PersonMatch.review.in_(["same", "not_same"])
            )
        ).all()
        model = session.scalar(
            select(MatchRun.model)
            .where(MatchRun.mode == "full", MatchRun.finished_at.is_not(None))
            .order_by(MatchRun.id.desc())
            .limit(1)
        )
        last_started = session.scalar(
            select(MatchRun.started_at)
            .where(MatchRun.finished_at.is_not(None))
            .order_by(MatchRun.id.desc())
            .limit(1)
        )
    return PriorState(
        person_of,
        age,
        {ordered(r.left_record, r.right_record) for r in decided if r.review == "same"},
        {ordered(r.left_record, r.right_record) for r in decided if r.review == "not_same"},
        model or None,
        last_started,
    )


def changed_since(engine: Engine, moment: datetime | None) -> set[str]:
    """Records the consumer changed (or retracted) after ``moment`` (all, if None)."""
    with Session(engine) as session:
        query = select(AgencyPerson.agency, AgencyPerson.person_ref)
        if moment is not None:
            query = query.where(AgencyPerson.applied_at > moment)
        return {
            record_id(Agency(row.agency).code, row.person_ref) for row in session.execute(query)
        }


def linked_pairs(
    pairs: Iterable[Mapping[str, Any]],
    threshold: float,
    same: set[Pair],
    not_same: set[Pair],
) -> set[Pair]:
    """Pairs at or above the link threshold, plus pairs decided same, minus those decided not."""
    scored = {
        ordered(str(p["unique_id_l"]), str(p["unique_id_r"]))
        for p in pairs
        if float(p["match_probability"]) >= threshold
    }
    return (scored | same) - not_same


def evidence_of(pair: Mapping[str, Any]) -> dict[str, float]:
    """A scored pair's match weight per comparison (no record values)."""
    return {
        name: round(float(pair[f"mw_{name}"]), 3)
        for name in EVIDENCE
        if pair.get(f"mw_{name}") is not None
    }


@dataclass(frozen=True)
class DedupRun:
    """What one run decided, before it is written."""

    mode: str
    started_at: datetime
    records: Sequence[PersonRecord]
    result: MatchResult
    links: set[Pair]
    assignment: Assignment
    # Records whose scored pairs this run replaces (all of them in a full run).
    rescored: frozenset[str]


@dataclass(frozen=True)
class MatchPlan:
    """Which records a run matches, and against what."""

    mode: str  # full | incremental
    previous: dict[str, str]  # record → person that the run starts from
    fresh: list[PersonRecord]  # records to match
    known: list[PersonRecord]  # records already assigned (incremental runs only)


def plan_run(
    records: Sequence[PersonRecord], prior: PriorState, changed: set[str] | None
) -> MatchPlan:
    """Full (``changed`` None, or no saved model yet), or incremental: new and changed records.

    A changed record leaves its person first (the person keeps its id) and is matched again.
    """
    if changed is None or prior.model is None:
        return MatchPlan("full", dict(prior.person_of), list(records), [])
    present = {r.record_id for r in records}
    previous = {r: p for r, p in prior.person_of.items() if r in present and r not in changed}
    fresh = [r for r in records if r.record_id not in previous]
    known = [r for r in records if r.record_id in previous]
    return MatchPlan("incremental", previous, fresh, known)


def normalise(records: Sequence[PersonRecord]) -> list[dict[str, Any]]:
    """The matcher's input rows."""
    variants = packaged_variants()
    return [matching_row(r, variants) for r in records]


@dataclass(frozen=True)
class MatcherInput:
    """A plan's records as the matcher's rows."""

    fresh: list[dict[str, Any]]
    known: list[dict[str, Any]]


def normalise_plan(plan: MatchPlan) -> MatcherInput:
    """Normalise the records a plan matches (and, incremental, those it matches against)."""
    return MatcherInput(normalise(plan.fresh), normalise(plan.known))


def predict(
    plan: MatchPlan,
    rows: MatcherInput,
    prior: PriorState,
    thresholds: MatchThresholds,
    backend: Backend = IN_PROCESS,
) -> MatchResult:
    """Scored pairs: a trained model over everything, or the saved one on the fresh records."""
    if plan.mode == "full":
        return match(rows.fresh, thresholds, backend=backend)
    if prior.model is None:
        raise ValueError("an incremental plan needs a saved model")
    pairs = match_incremental(rows.known, rows.fresh, prior.model, thresholds, backend)
    return MatchResult(pairs, {}, prior.model)


def cluster(  # noqa: PLR0917 (one step of the flow, its inputs)
    records: Sequence[PersonRecord],
    plan: MatchPlan,
    result: MatchResult,
    prior: PriorState,
    thresholds: MatchThresholds,
    started_at: datetime,
) -> DedupRun:
    """Links (decisions honoured), connected components, and person ids kept where allowed."""
    present = {r.record_id for r in records}
    links = _links(result.pairs, thresholds, prior, present)
    if plan.mode == "incremental":
        # Existing persons stay together: chain each person's records.
        chains: dict[str, list[str]] = {}
        for record, person in sorted(plan.previous.items()):
            chains.setdefault(person, []).append(record)
        links |= {pair for chain in chains.values() for pair in itertools.pairwise(chain)}
    assignment = _assign(present, links, plan.previous, prior)
    rescored = frozenset(r.record_id for r in plan.fresh)
    return DedupRun(plan.mode, started_at, records, result, links, assignment, rescored)


def run_matching(
    records: Sequence[PersonRecord],
    prior: PriorState,
    thresholds: MatchThresholds,
    started_at: datetime,
    backend: Backend = IN_PROCESS,
) -> DedupRun:
    """Full matching: score every candidate pair, cluster the links, keep ids where allowed."""
    plan = plan_run(records, prior, None)
    result = predict(plan, normalise_plan(plan), prior, thresholds, backend)
    return cluster(records, plan, result, prior, thresholds, started_at)


def run_incremental(  # noqa: PLR0917 (mirrors run_matching, plus what changed)
    records: Sequence[PersonRecord],
    changed: set[str],
    prior: PriorState,
    thresholds: MatchThresholds,
    started_at: datetime,
    backend: Backend = IN_PROCESS,
) -> DedupRun | None:
    """Match only new and ``changed`` records against the persons so far (saved model).

    None when there is no saved model yet (a full run comes first).
    """
    if prior.model is None:
        return None
    plan = plan_run(records, prior, changed)
    result = predict(plan, normalise_plan(plan), prior, thresholds, backend)
    return cluster(records, plan, result, prior, thresholds, started_at)


def _links(
    pairs: Iterable[Mapping[str, Any]],
    thresholds: MatchThresholds,
    prior: PriorState,
    present: set[str],
) -> set[Pair]:
    return {
        pair
        for pair in linked_pairs(pairs, thresholds.link, prior.same, prior.not_same)
        if pair[0] in present and pair[1] in present
    }


def _assign(
    present: set[str], links: set[Pair], previous: Mapping[str, str], prior: PriorState
) -> Assignment:
    components = clusters_from_pairs(sorted(present), sorted(links))
    members: dict[str, set[str]] = {}
    for record, root in components.items():
        members.setdefault(root, set()).add(record)
    return assign_person_ids(previous, members.values(), sequential_ids(prior.age), prior.age)


def persist(engine: Engine, run: DedupRun, thresholds: MatchThresholds, now: datetime) -> int:
    """Write the run, persons, record assignments, scored pairs and history; the run id."""
    with Session(engine) as session, session.begin():
        row = MatchRun(
            mode=run.mode,
            started_at=run.started_at,
            records=len(run.records),
            candidate_pairs=len(run.result.pairs),
            persons=len(set(run.assignment.person_of.values())),
            model=run.result.model,
        )
        session.add(row)
        session.flush()
        _write_persons(session, run.assignment, row.id, now)
        _write_records(session, run.assignment.person_of, row.id)
        _write_matches(session, run, thresholds, row.id)
        session.add_all(
            PersonChangeEntry(
                run_id=row.id,
                at=now,
                kind=change.kind.value,
                person_id=change.person_id,
                others=list(change.others),
            )
            for change in run.assignment.changes
        )
        row.finished_at = now
        return row.id


def _write_persons(session: Session, assignment: Assignment, run_id: int, now: datetime) -> None:
    known = {p.person_id: p for p in session.scalars(select(Person))}
    for change in assignment.changes:
        if change.kind == ChangeKind.CREATED:
            session.add(
                Person(
                    person_id=change.person_id,
                    created_at=now,
                    created_by_run=run_id,
                    status="active",
                    updated_at=now,
                )
            )
        elif change.kind == ChangeKind.MERGED:
            for absorbed in change.others:
                if absorbed in known:
                    known[absorbed].status, known[absorbed].merged_into = "merged", change.person_id
                    known[absorbed].updated_at = now
        elif change.kind == ChangeKind.SPLIT and change.person_id in known:
            known[change.person_id].status, known[change.person_id].updated_at = "split", now
        elif change.person_id in known:
            known[change.person_id].updated_at = now
    session.flush()


def _split_record_id(value: str) -> tuple[str, str]:
    code, _, person_ref = value.partition(":")
    return Agency.from_code(code).value, person_ref


def _write_records(session: Session, person_of: Mapping[str, str], run_id: int) -> None:
    session.execute(delete(PersonRecordLink))
    session.add_all(
        PersonRecordLink(agency=agency, person_ref=person_ref, person_id=person_id, run_id=run_id)
        for record, person_id in person_of.items()
        for agency, person_ref in [_split_record_id(record)]
    )


def _write_matches(
    session: Session, run: DedupRun, thresholds: MatchThresholds, run_id: int
) -> None:
    decided = {
        ordered(m.left_record, m.right_record): m
        for m in session.scalars(
            select(PersonMatch).where(PersonMatch.review.in_(["same", "not_same"]))
        )
    }
    # A run replaces the scores of the records it re-scored; decisions are always kept.
    undecided = or_(PersonMatch.review.is_(None), PersonMatch.review == "pending")
    if run.mode == "full":
        session.execute(delete(PersonMatch).where(undecided))
    else:
        touched = sorted(run.rescored)
        for start in range(0, len(touched), 500):
            chunk = touched[start : start + 500]
            session.execute(
                delete(PersonMatch).where(
                    undecided,
                    or_(PersonMatch.left_record.in_(chunk), PersonMatch.right_record.in_(chunk)),
                )
            )
    person_of = run.assignment.person_of
    for pair in run.result.pairs:
        left, right = ordered(str(pair["unique_id_l"]), str(pair["unique_id_r"]))
        probability = float(pair["match_probability"])
        linked = (left, right) in run.links
        values = {
            "person_id": person_of.get(left) if linked else None,
            "match_probability": probability,
            "match_weight": float(pair["match_weight"]),
            "evidence": evidence_of(pair),
            "linked": linked,
            "run_id": run_id,
        }
        existing = decided.get((left, right))
        if existing is not None:
            for name, value in values.items():
                setattr(existing, name, value)
            continue
        review = "pending" if thresholds.review <= probability < thresholds.link else None
        session.add(PersonMatch(left_record=left, right_record=right, review=review, **values))
    session.flush()
    # Earlier links now belong to whichever person holds their records (after merges).
    for link in session.scalars(select(PersonMatch).where(PersonMatch.linked.is_(True))):
        link.person_id = person_of.get(link.left_record)


DECISIONS = ("same", "not_same")


def record_decision(engine: Engine, left: str, right: str, decision: str, now: datetime) -> None:
    """Store a reviewer's decision on a scored pair; every later run honours it."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
    left, right = ordered(left, right)
    with Session(engine) as session, session.begin():
        pair = session.get(PersonMatch, (left, right))
        if pair is None:
            raise LookupError(f"no scored pair {left} / {right}: see `casesync review list`")
        pair.review, pair.decided_at = decision, now

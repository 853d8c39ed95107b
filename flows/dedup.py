"""Person de-duplication over the joint view: load, match, cluster, persist with stable ids.

Plain functions (the Prefect flow in `flows/dedup_flow.py` calls them as tasks). Review
decisions are honoured by every run: a pair decided ``same`` is always linked, one decided
``not_same`` never is (its records may still meet through other links; review those too).
"""

from __future__ import annotations

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
from flows.matching import EVIDENCE, MatchResult, MatchThresholds, match
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
    return PriorState(
        person_of,
        age,
        {ordered(r.left_record, r.right_record) for r in decided if r.review == "same"},
        {ordered(r.left_record, r.right_record) for r in decided if r.review == "not_same"},
        model or None,
    )


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


def run_matching(
    records: Sequence[PersonRecord],
    prior: PriorState,
    thresholds: MatchThresholds,
    started_at: datetime,
) -> DedupRun:
    """Full matching: score every candidate pair, cluster the links, keep ids where allowed."""
    variants = packaged_variants()
    result = match([matching_row(r, variants) for r in records], thresholds)
    present = {r.record_id for r in records}
    links = {
        pair
        for pair in linked_pairs(result.pairs, thresholds.link, prior.same, prior.not_same)
        if pair[0] in present and pair[1] in present
    }
    components = clusters_from_pairs(sorted(present), sorted(links))
    members: dict[str, set[str]] = {}
    for record, root in components.items():
        members.setdefault(root, set()).add(record)
    assignment = assign_person_ids(
        prior.person_of, members.values(), sequential_ids(prior.age), prior.age
    )
    return DedupRun("full", started_at, records, result, links, assignment)


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
    # Scores are replaced every run; decisions are kept (and re-scored when the pair recurs).
    session.execute(
        delete(PersonMatch).where(
            or_(PersonMatch.review.is_(None), PersonMatch.review == "pending")
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

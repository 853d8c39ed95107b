"""Applying a batch: view changes and tracking rows in one transaction; repeats are skipped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from consumers.changes import CaseKey, Cause, cases_touched, cause_of, outbox_rows
from consumers.handlers import (
    EVENT_HANDLERS,
    AppliedEvent,
    BatchCache,
    PersonLinks,
    join_cases_of_person,
)
from consumers.view import Tracking, ViewChange
from schemas.events import CaseOpened, RecordRetracted


@dataclass(frozen=True)
class BatchResult:
    """What one transaction did."""

    applied: int
    duplicates: int


def apply_in_session(
    session: Session,
    batch: Sequence[AppliedEvent],
    person_links: Sequence[PersonLinks] = (),
) -> BatchResult:
    """Apply each event not applied before (by event id), with its tracking row; then join
    the agency cases of each linked person (idempotent: a union)."""
    ids = [str(item.event.event_id) for item in batch]
    seen = set(session.scalars(select(Tracking.event_id).where(Tracking.event_id.in_(ids))))
    linked_cases = [case for links in person_links for case in links.cases()]
    cache = BatchCache.load(session, [item.event for item in batch], linked_cases)
    session.info["batch_cache"] = cache
    joints_before = {key: case.joint_case_id for key, case in cache.cases.items()}
    last_event: dict[CaseKey, Cause] = {}
    rehomed: dict[CaseKey, Cause] = {}
    tracking = []
    applied = duplicates = 0
    for item, event_id in zip(batch, ids, strict=True):
        if event_id in seen:
            duplicates += 1
            continue
        seen.add(event_id)
        for case in cases_touched(item.event):
            last_event[case] = cause_of(item.event)
        for handler in EVENT_HANDLERS[type(item.event)]:
            handler(session, item)
        if isinstance(item.event, CaseOpened | RecordRetracted):
            # Its handling code or a withdrawal can change what the case's own key may show.
            cache.rehomed.append((item.event.agency.value, item.event.case_ref))
        rehomed |= dict.fromkeys(cache.rehomed, cause_of(item.event))
        cache.rehomed.clear()
        tracking.append(
            {
                "event_id": event_id,
                "topic": item.topic,
                "partition": item.partition,
                "offset": item.offset,
                "applied_at": item.applied_at,
            }
        )
        applied += 1
    for links in person_links:
        cause = (f"person:{links.record['person_id']}", "PersonLinksChanged")
        for case in join_cases_of_person(session, links):
            last_event[case] = cause
        rehomed |= dict.fromkeys(cache.rehomed, cause)
        cache.rehomed.clear()
    session.flush()
    cache.write_pending(session)
    if tracking:
        session.execute(insert(Tracking), tracking)
    joints_after = {key: _joint_of(cache, key) for key in last_event}
    now = batch[-1].applied_at if batch else person_links[-1].applied_at if person_links else None
    changes = (
        outbox_rows(joints_before, joints_after, last_event, now=now, rehomed=rehomed)
        if now is not None
        else []
    )
    if changes:
        session.execute(insert(ViewChange), changes)
    return BatchResult(applied, duplicates)


def apply_batch(
    engine: Engine, batch: Sequence[AppliedEvent], person_links: Sequence[PersonLinks] = ()
) -> BatchResult:
    """One transaction: commit everything or nothing (the unit of work)."""
    with Session(engine) as session, session.begin():
        return apply_in_session(session, batch, person_links)


def _joint_of(cache: BatchCache, key: CaseKey) -> int | None:
    case = cache.cases.get(key)  # absent when a retracted link never touched its counterpart
    return case.joint_case_id if case is not None else None

"""Applying a batch: view changes and tracking rows in one transaction; repeats are skipped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from consumers.handlers import EVENT_HANDLERS, AppliedEvent, BatchCache
from consumers.view import Tracking


@dataclass(frozen=True)
class BatchResult:
    """What one transaction did."""

    applied: int
    duplicates: int


def apply_in_session(session: Session, batch: Sequence[AppliedEvent]) -> BatchResult:
    """Apply each event not applied before (by event id), with its tracking row."""
    ids = [str(item.event.event_id) for item in batch]
    seen = set(session.scalars(select(Tracking.event_id).where(Tracking.event_id.in_(ids))))
    cache = BatchCache.load(session, [item.event for item in batch])
    session.info["batch_cache"] = cache
    tracking = []
    applied = duplicates = 0
    for item, event_id in zip(batch, ids, strict=True):
        if event_id in seen:
            duplicates += 1
            continue
        seen.add(event_id)
        for handler in EVENT_HANDLERS[type(item.event)]:
            handler(session, item)
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
    session.flush()
    cache.write_pending(session)
    if tracking:
        session.execute(insert(Tracking), tracking)
    return BatchResult(applied, duplicates)


def apply_batch(engine: Engine, batch: Sequence[AppliedEvent]) -> BatchResult:
    """One transaction: commit everything or nothing (the unit of work)."""
    with Session(engine) as session, session.begin():
        return apply_in_session(session, batch)

"""The joint view's change stream: outbox rows written with each batch, relayed after commit.

A batch writes one outbox row per key it changed (a joint case, or an agency case in no joint
case), in the batch's own transaction. The relay, one at a time (it updates its lock row first),
reads the committed state of each key, publishes it to ``<prefix>joint-view.changes`` keyed by
the key, waits for the broker's acknowledgement, and only then deletes the rows. So a change is
never lost (rows stay until acknowledged), never published for a rolled-back batch (there are no
rows), and the last record per key is always the key's latest committed state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Producer
from sqlalchemy import Engine, delete, func, insert, select, tuple_, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from consumers.view import (
    AgencyCase,
    AgencyPerson,
    ChangeStreamKey,
    JointCase,
    OutboxRelay,
    TimelineEntry,
    ViewChange,
)
from infra.delivery import produce_confirmed
from schemas.events import CrossBorderLinkAsserted, Envelope
from schemas.vocabulary import Agency, HandlingCode, onward

log = logging.getLogger(__name__)

RELAY_NAME = "joint-view.changes"
CaseKey = tuple[str, str]


def joint_key(joint_id: int) -> str:
    """The change-stream key of a joint case."""
    return f"joint:{joint_id}"


def case_key(agency: str, case_ref: str) -> str:
    """The change-stream key of an agency case that is in no joint case."""
    return f"case:{Agency(agency).code}:{case_ref}"


def parse_change_key(key: str) -> int | CaseKey:
    """``joint:7`` → 7; ``case:ro-anitp:REF`` → (``RO_ANITP``, ``REF``)."""
    kind, _, rest = key.partition(":")
    if kind == "joint" and rest.isdigit():
        return int(rest)
    code, sep, case_ref = rest.partition(":")
    if kind != "case" or not sep or not case_ref:
        raise ValueError(f"not a change-stream key: {key!r}")
    return Agency.from_code(code).value, case_ref


def cases_touched(event: Envelope) -> list[CaseKey]:
    """The agency cases an event can change: its own, and a linked counterpart's."""
    touched = [(event.agency.value, event.case_ref)]
    if isinstance(event, CrossBorderLinkAsserted):
        touched.append((event.counterpart_agency.value, event.counterpart_case_ref))
    return touched


def keys_changed(case: CaseKey, joint_before: int | None, joint_after: int | None) -> set[str]:
    """The keys whose state a change to ``case`` can alter, given its joint case before/after."""
    keys = {joint_key(j) for j in (joint_before, joint_after) if j is not None}
    if joint_before is None or joint_after is None:
        keys.add(case_key(*case))
    return keys


Cause = tuple[str, str]  # (event id, event type) of what changed a key


def cause_of(event: Envelope) -> Cause:
    """An event as the cause of a change."""
    return str(event.event_id), event.event_type()


def outbox_rows(
    joints_before: Mapping[CaseKey, int | None],
    joints_after: Mapping[CaseKey, int | None],
    last_cause: Mapping[CaseKey, Cause],
    now: datetime,
    rehomed: Mapping[CaseKey, Cause] | None = None,
) -> list[dict[str, Any]]:
    """One outbox row per changed key, naming the last event (or person link) that changed it.

    ``rehomed`` cases get a row for their own key too: a merge moved them (their key points at
    the surviving joint case), or their handling code or a withdrawal changed what it may show.
    """
    changed = {case_key(*case): cause for case, cause in (rehomed or {}).items()}
    for case, cause in last_cause.items():
        for key in keys_changed(case, joints_before.get(case), joints_after.get(case)):
            changed[key] = cause
    return [
        {"change_key": key, "event_id": cause[0], "event_type": cause[1], "created_at": now}
        for key, cause in sorted(changed.items())
    ]


@dataclass(frozen=True)
class KeyChange:
    """The newest outbox row of one key in a relay round, and every row it covers."""

    key: str
    event_id: str
    event_type: str
    row_ids: tuple[int, ...]


def pending_changes(rows: Iterable[ViewChange]) -> list[KeyChange]:
    """Outbox rows (in id order) grouped by key, ordered by each key's newest row."""
    by_key: dict[str, list[ViewChange]] = {}
    for row in rows:
        by_key.setdefault(row.change_key, []).append(row)
    changes = [
        KeyChange(key, group[-1].event_id, group[-1].event_type, tuple(r.id for r in group))
        for key, group in by_key.items()
    ]
    return sorted(changes, key=lambda change: change.row_ids[-1])


def key_states(session: Session, keys: Sequence[str]) -> dict[str, dict[str, Any] | None]:
    """The committed state of each key, as a change-stream record (without the event fields).

    None means the key has nothing left downstream may see: its cases are withheld (H2, no
    onward dissemination) or withdrawn (every event retracted). A key the view never held is
    absent.
    """
    parsed = {key: parse_change_key(key) for key in keys}
    joint_ids = {value for value in parsed.values() if isinstance(value, int)}
    case_refs = {value for value in parsed.values() if isinstance(value, tuple)}
    survivors = _survivors(session, joint_ids)
    singles = {
        (c.agency, c.case_ref): c
        for c in _cases_where(session, tuple_(AgencyCase.agency, AgencyCase.case_ref), case_refs)
    }
    members: dict[int, list[AgencyCase]] = {}
    live = {s for s in survivors.values() if s is not None}
    for case in _cases_where(session, AgencyCase.joint_case_id, live):
        members.setdefault(int(case.joint_case_id or 0), []).append(case)
    # Single cases already in a joint case point at it; follow merges for those too.
    survivors |= _survivors(
        session, {c.joint_case_id for c in singles.values() if c.joint_case_id} - set(survivors)
    )
    counted = [c for group in members.values() for c in group] + list(singles.values())
    withheld = _withheld(session, counted)
    persons = _person_counts(session, {(c.agency, c.case_ref) for c in counted} - withheld)
    states: dict[str, dict[str, Any] | None] = {}
    for key, value in parsed.items():
        if isinstance(value, int):
            survivor = survivors.get(value)
            if survivor is None:
                continue  # a joint id the view does not hold (never written)
            if survivor != value:
                states[key] = _state(key, value, joint_key(survivor), [], persons)
                continue
            shown = [c for c in members.get(survivor, []) if (c.agency, c.case_ref) not in withheld]
            states[key] = _state(key, value, None, shown, persons) if shown else None
        else:
            single = singles.get(value)
            if single is None:
                continue
            if value in withheld:
                states[key] = None
            elif single.joint_case_id is None:
                states[key] = _state(key, None, None, [single], persons)
            else:
                target = survivors.get(single.joint_case_id) or single.joint_case_id
                states[key] = _state(key, None, joint_key(target), [], persons)
    return states


def _withheld(session: Session, cases: Sequence[AgencyCase]) -> set[CaseKey]:
    """Cases downstream must not see: marked H2, or every event of theirs retracted."""
    keys = {(c.agency, c.case_ref) for c in cases}
    hidden = {(c.agency, c.case_ref) for c in cases if not onward(c.handling_code)}
    if not keys:
        return hidden
    entry = TimelineEntry
    rows = session.execute(
        select(entry.agency, entry.case_ref)
        .where(
            tuple_(entry.agency, entry.case_ref).in_(sorted(keys)),
            entry.event_type != "RecordRetracted",
        )
        .group_by(entry.agency, entry.case_ref)
        # Withdrawn: it has events, and each was retracted.
        .having(func.sum(sql_case((entry.outcome == "retracted", 0), else_=1)) == 0)
    ).all()
    return hidden | {(row[0], row[1]) for row in rows}


def _survivors(session: Session, joint_ids: set[int]) -> dict[int, int | None]:
    """Each joint id → the joint case that now holds its cases (following merges)."""
    merged_into: dict[int, int | None] = {}
    wanted = set(joint_ids)
    while wanted:
        rows = session.execute(
            select(JointCase.id, JointCase.merged_into).where(JointCase.id.in_(sorted(wanted)))
        ).all()
        merged_into.update({int(row.id): row.merged_into for row in rows})
        wanted = {int(row.merged_into) for row in rows if row.merged_into} - set(merged_into)
    survivors: dict[int, int | None] = {}
    for joint_id in joint_ids:
        current: int | None = joint_id if joint_id in merged_into else None
        while current is not None and merged_into.get(current) is not None:
            current = merged_into[current]
        survivors[joint_id] = current
    return survivors


def _cases_where(session: Session, column: Any, values: set[Any]) -> list[AgencyCase]:
    if not values:
        return []
    return list(session.scalars(select(AgencyCase).where(column.in_(sorted(values)))))


def _person_counts(session: Session, cases: set[CaseKey]) -> dict[tuple[str, str, str], int]:
    if not cases:
        return {}
    rows = session.execute(
        select(AgencyPerson.agency, AgencyPerson.case_ref, AgencyPerson.role, func.count())
        .where(
            tuple_(AgencyPerson.agency, AgencyPerson.case_ref).in_(sorted(cases)),
            AgencyPerson.retracted.is_(False),
            AgencyPerson.handling_code != HandlingCode.H2.value,  # withheld records are not counted
        )
        .group_by(AgencyPerson.agency, AgencyPerson.case_ref, AgencyPerson.role)
    ).all()
    return {(row[0], row[1], row[2]): int(row[3]) for row in rows}


def _state(
    key: str,
    joint_id: int | None,
    merged_into: str | None,
    cases: Sequence[AgencyCase],
    persons: Mapping[tuple[str, str, str], int],
) -> dict[str, Any]:
    ordered = sorted(cases, key=lambda c: (c.country, c.agency, c.case_ref))
    return {
        "key": key,
        "joint_case_id": joint_id,
        "merged_into": merged_into,
        "countries": sorted({c.country for c in ordered}),
        "cases": [
            {
                "agency": Agency(c.agency).code,
                "case_ref": c.case_ref,
                "country": c.country,
                "case_type": c.case_type,
                "status": c.status,
                "opened_at": _millis(c.opened_at),
                "closed_at": _millis(c.closed_at),
                "exploitation_types": list(c.exploitation_types),
                "handling_code": c.handling_code,
                "victims": persons.get((c.agency, c.case_ref, "VICTIM"), 0),
                "suspects": persons.get((c.agency, c.case_ref, "SUSPECT"), 0),
                "last_sequence": c.max_sequence,
            }
            for c in ordered
        ],
    }


def _millis(moment: datetime | None) -> datetime | None:
    """As the record carries it: UTC, millisecond precision (SQLite returns naive UTC)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=aware.microsecond // 1000 * 1000)


class ChangeRelay:
    """Publishes outbox rows' keys to the change stream, one relay at a time, after commit."""

    def __init__(
        self,
        engine: Engine,
        producer: Producer,
        serialize: Callable[[Mapping[str, Any]], bytes],
        topic: str,
        *,
        batch_size: int = 2000,
        flush_timeout_s: float = 30.0,
    ) -> None:
        self._engine, self._producer, self._serialize = engine, producer, serialize
        self._topic, self._batch_size, self._flush_timeout_s = topic, batch_size, flush_timeout_s

    def relay(self) -> int:
        """Publish every pending change; the number of records published."""
        published = 0
        while True:
            count = self._relay_round()
            published += count
            if count == 0:
                return published

    def pending(self) -> int:
        """Outbox rows not yet acknowledged by the broker."""
        with Session(self._engine) as session:
            return int(session.scalar(select(func.count()).select_from(ViewChange)) or 0)

    def _relay_round(self) -> int:
        with Session(self._engine) as session, session.begin():
            if session.scalar(select(ViewChange.id).limit(1)) is None:
                return 0  # nothing to do: take no lock
            now = datetime.now(UTC)
            # The lock: a concurrent relay waits here until this one commits.
            session.execute(
                update(OutboxRelay)
                .where(OutboxRelay.name == RELAY_NAME)
                .values(last_published_at=now)
            )
            rows = session.scalars(
                select(ViewChange).order_by(ViewChange.id).limit(self._batch_size)
            ).all()
            if not rows:
                return 0
            changes = pending_changes(rows)
            keys = [change.key for change in changes]
            states = key_states(session, keys)
            known = set(
                session.scalars(
                    select(ChangeStreamKey.change_key).where(ChangeStreamKey.change_key.in_(keys))
                )
            )
            shown, withdrawn = self._publish(changes, states, known, now)
            if shown - known:
                session.execute(
                    insert(ChangeStreamKey), [{"change_key": key} for key in sorted(shown - known)]
                )
            if withdrawn:
                session.execute(
                    delete(ChangeStreamKey).where(ChangeStreamKey.change_key.in_(withdrawn))
                )
            session.execute(delete(ViewChange).where(ViewChange.id.in_([r.id for r in rows])))
            session.execute(
                update(OutboxRelay)
                .where(OutboxRelay.name == RELAY_NAME)
                .values(published=OutboxRelay.published + len(changes))
            )
            return len(changes)

    def _publish(
        self,
        changes: Sequence[KeyChange],
        states: Mapping[str, dict[str, Any] | None],
        known: set[str],
        now: datetime,
    ) -> tuple[set[str], set[str]]:
        """Publish each key's state, or a tombstone for a published key with nothing left to
        show; the keys shown and the keys withdrawn."""
        messages: list[tuple[bytes, bytes | None]] = []
        shown: set[str] = set()
        withdrawn: set[str] = set()
        for change in changes:
            if change.key not in states:
                log.warning("change key %s has no state in the view; skipped", change.key)
                continue
            state = states[change.key]
            if state is None:
                # A tombstone only for a key once published: an unpublished key stays unsaid.
                if change.key in known:
                    messages.append((change.key.encode(), None))
                    withdrawn.add(change.key)
                continue
            shown.add(change.key)
            record = {
                **state,
                "last_event_id": change.event_id,
                "last_event_type": change.event_type,
                "published_at": now,
            }
            messages.append((change.key.encode(), self._serialize(record)))
        produce_confirmed(
            self._producer,
            self._topic,
            messages,
            what="the changes",
            timeout_s=self._flush_timeout_s,
        )
        return shown, withdrawn

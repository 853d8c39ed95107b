"""Persons to the `person-links` topic: pseudonymous, no names (pure records, thin publisher)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from confluent_kafka import Producer

from flows.identity import Assignment, ChangeKind
from flows.normalise import PersonRecord
from infra.delivery import produce_confirmed
from schemas.vocabulary import Agency, onward


def record_pseudonym(key: bytes, record_id: str) -> str:
    """HMAC-SHA256 of ``<agency code>:<person ref>``: stable per key, not reversible without it."""
    return hmac.new(key, record_id.encode(), hashlib.sha256).hexdigest()


def person_states(
    assignment: Assignment,
    records: Sequence[PersonRecord],
    *,
    run_id: int,
    key: bytes,
    now: datetime,
    everyone: bool,
) -> list[dict[str, Any]]:
    """PersonLinksChanged records: every person (``everyone``) or only those the run changed."""
    by_person: dict[str, list[PersonRecord]] = {}
    for record in records:
        person = assignment.person_of.get(record.record_id)
        if person is not None and onward(record.handling_code):  # H2 never leaves the view
            by_person.setdefault(person, []).append(record)
    retired: dict[str, tuple[str, str | None]] = {}
    # Everyone includes persons whose records are all withheld: their tombstone clears them.
    wanted = set(assignment.person_of.values()) if everyone else set()
    for change in assignment.changes:
        if change.kind == ChangeKind.SPLIT:
            retired[change.person_id] = ("split", None)
            wanted.update(change.others)
        elif change.kind == ChangeKind.MERGED:
            retired.update({other: ("merged", change.person_id) for other in change.others})
            wanted.add(change.person_id)
        else:
            wanted.add(change.person_id)
    states = [
        _state(person, "active", None, by_person.get(person, []), run_id, key, now)
        for person in sorted(wanted - set(retired))
    ]
    states += [
        _state(person, status, into, [], run_id, key, now)
        for person, (status, into) in sorted(retired.items())
    ]
    return states


def _state(  # noqa: PLR0917 (one record's fields, called from one place)
    person: str,
    status: str,
    merged_into: str | None,
    records: Sequence[PersonRecord],
    run_id: int,
    key: bytes,
    now: datetime,
) -> dict[str, Any]:
    linked = sorted(
        (
            {
                "record_key": record_pseudonym(key, r.record_id),
                "agency": r.agency,
                "country": Agency.from_code(r.agency).country,
                "case_ref": r.case_ref or "",
                "role": r.role or "",
            }
            for r in records
        ),
        key=lambda item: (item["agency"], item["case_ref"], item["record_key"]),
    )
    return {
        "person_id": person,
        "status": status,
        "merged_into": merged_into,
        "records": linked,
        "countries": sorted({item["country"] for item in linked}),
        "run_id": run_id,
        "published_at": now,
    }


def withdrawn(state: Mapping[str, Any]) -> bool:
    """True for an active person with no publishable record: its key must be deleted."""
    return state["status"] == "active" and not state["records"]


def publish_states(
    producer: Producer,
    serialize: Callable[[Mapping[str, Any]], bytes],
    topic: str,
    states: Sequence[Mapping[str, Any]],
    timeout_s: float = 60.0,
) -> int:
    """Produce each state keyed by person id and wait for the broker; PublishError otherwise.

    An active person left with no record downstream may see (all withheld or retracted) is a
    tombstone: compaction deletes the person's earlier records.
    """
    messages = (
        (str(state["person_id"]).encode(), None if withdrawn(state) else serialize(state))
        for state in states
    )
    return produce_confirmed(
        producer, topic, messages, what="the person links", timeout_s=timeout_s
    )

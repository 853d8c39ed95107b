"""The change stream's pure parts: keys, outbox rows, relay grouping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from consumers.changes import (
    case_key,
    cause_of,
    joint_key,
    keys_changed,
    outbox_rows,
    parse_change_key,
    pending_changes,
)
from consumers.view import ViewChange
from schemas.examples import example_event

NOW = datetime(2026, 12, 3, tzinfo=UTC)
CASE = ("RO_ANITP", "ANITP-1")


def test_keys_round_trip() -> None:
    assert parse_change_key(joint_key(7)) == 7
    assert case_key(*CASE) == "case:ro-anitp:ANITP-1"
    assert parse_change_key(case_key("UK_POLICE", "A:B")) == ("UK_POLICE", "A:B")


@pytest.mark.parametrize("key", ["joint:x", "case:ro-anitp", "other:1", "case:nowhere:1"])
def test_a_bad_key_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match=r"key|agency"):
        parse_change_key(key)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, None, {"case:ro-anitp:ANITP-1"}),
        (None, 3, {"case:ro-anitp:ANITP-1", "joint:3"}),  # joined: its own key points at 3
        (3, 3, {"joint:3"}),
        (4, 3, {"joint:3", "joint:4"}),  # merged away
    ],
)
def test_keys_changed(before: int | None, after: int | None, expected: set[str]) -> None:
    assert keys_changed(CASE, before, after) == expected


def test_one_outbox_row_per_key_naming_the_last_event() -> None:
    first, last = (example_event("CaseOpened", event_id=uuid.uuid4()) for _ in range(2))
    case = (first.agency.value, first.case_ref)
    moved = ("UK_POLICE", "UKP-9")

    rows = outbox_rows(
        {case: 1}, {case: 1}, {case: cause_of(last)}, NOW, rehomed={moved: cause_of(first)}
    )

    assert [(r["change_key"], r["event_id"]) for r in rows] == [
        ("case:uk-police:UKP-9", str(first.event_id)),
        ("joint:1", str(last.event_id)),
    ]


def test_pending_changes_group_by_key_in_order_of_each_keys_newest_row() -> None:
    def row(row_id: int, key: str) -> ViewChange:
        return ViewChange(
            id=row_id, change_key=key, event_id=f"e{row_id}", event_type="X", created_at=NOW
        )

    changes = pending_changes([row(1, "a"), row(2, "b"), row(3, "a")])

    assert [(c.key, c.event_id, c.row_ids) for c in changes] == [
        ("b", "e2", (2,)),
        ("a", "e3", (1, 3)),
    ]

"""The statistics' edge functions that need no database: which fact counts where, and the
public records that leave for the topic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.disclosure import PRIMARY, Suppression
from flows.statistics import CUMULATIVE, CellKey
from flows.weekly import measure_of_fact, public_records


@pytest.mark.parametrize(
    ("kind", "stage", "outcome", "measure"),
    [
        ("ReferralMade", None, None, "potential_victims"),
        ("IdentificationDecided", "REASONABLE_GROUNDS", "POSITIVE", "positive_reasonable_grounds"),
        ("IdentificationDecided", "CONCLUSIVE_GROUNDS", "POSITIVE", "positive_conclusive"),
        ("IdentificationDecided", "RO_FORMAL_IDENTIFICATION", "POSITIVE", "positive_conclusive"),
        ("IdentificationDecided", "CONCLUSIVE_GROUNDS", "NEGATIVE", None),
        ("SuspectCharged", None, None, "suspects_charged"),
        ("ProsecutionStarted", None, None, "prosecuted"),
        ("CourtOutcomeRecorded", None, "CONVICTED", "convicted"),
        ("CourtOutcomeRecorded", None, "ACQUITTED", None),
        ("InvestigationOpened", None, None, None),
    ],
)
def test_which_fact_counts_towards_which_measure(
    kind: str, stage: str | None, outcome: str | None, measure: str | None
) -> None:
    assert measure_of_fact(kind, stage, outcome) == measure


def test_public_records_carry_no_suppressed_value_and_the_rule() -> None:
    small = CellKey("convicted", "uk", CUMULATIVE, "2026-W48")
    large = CellKey("convicted", "ro", CUMULATIVE, "2026-W48")
    suppression = Suppression(11, {small: PRIMARY})
    now = datetime(2026, 11, 30, 6, tzinfo=UTC)

    records = dict(public_records(7, "2026-W48", {small: 4, large: 40}, suppression, now))

    assert records[small.label()]["value"] is None
    assert records[small.label()]["suppressed"] is True
    assert records[large.label()]["value"] == 40
    assert all("k = 11" in r["disclosure_rule"] for r in records.values())
    assert set(records) == {"convicted/uk/cumulative/2026-W48/total=all", large.label()}

"""The statistics' edge functions that need no database: which fact counts where, and the
public records that leave for the topic."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from flows.disclosure import PRIMARY, Suppression
from flows.statistics import CUMULATIVE, CellKey
from flows.weekly import RAW_SCHEMA, normalise_facts, public_records


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
        ("PersonRecorded", None, None, "suspects"),
    ],
)
def test_which_fact_counts_towards_which_measure(
    kind: str, stage: str | None, outcome: str | None, measure: str | None
) -> None:
    raw = pa.Table.from_pylist(
        [
            {
                "kind": kind,
                "agency": "RO_ANITP",
                "person_ref": "ANITP-1/V",
                "day": "2026-11-23 10:00:00+00",
                "stage": stage,
                "outcome": outcome,
            }
        ],
        schema=RAW_SCHEMA,
    )

    records = normalise_facts(raw).to_pylist()

    assert [r["measure"] for r in records] == ([measure] if measure else [])


def test_normalised_records_carry_codes_keys_and_the_first_known_attributes() -> None:
    raw = pa.Table.from_pylist(
        [
            {
                "kind": "ReferralMade",
                "agency": "UK_SCA",
                "person_ref": "NRM-1/PV",
                "day": "2026-11-23",
                "age_group": "UNKNOWN",
                "referred_age": "CHILD",
                "person_type": "LABOUR",
                "case_type": "SEXUAL",
                "person_id": "P00000007",
            }
        ],
        schema=RAW_SCHEMA,
    )

    (record,) = normalise_facts(raw).to_pylist()

    assert record == {
        "measure": "potential_victims",
        "agency": "uk-sca",
        "country": "GB",
        "record": "uk-sca:NRM-1/PV",
        "day": date(2026, 11, 23),
        "sex": "UNKNOWN",
        "age_group": "CHILD",
        "nationality": "UNKNOWN",
        "exploitation": "LABOUR",
        "onward": True,
        "person": "P00000007",
    }


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


def test_no_rows_normalise_to_an_empty_records_table() -> None:
    records = normalise_facts(RAW_SCHEMA.empty_table())

    assert records.num_rows == 0
    assert records.schema.names[0] == "measure"


@pytest.mark.parametrize(
    ("fact_handling", "person_handling", "onward"),
    [
        ("H0", "H0", True),
        ("H1", "H3", True),
        ("H2", "H0", False),
        ("H0", "H2", False),
        (None, None, True),  # a fact from before handling codes were kept, no person record
    ],
)
def test_an_h2_fact_or_person_record_is_kept_out_of_the_public_figures(
    fact_handling: str | None, person_handling: str | None, onward: bool
) -> None:
    raw = pa.Table.from_pylist(
        [
            {
                "kind": "ReferralMade",
                "agency": "UK_SCA",
                "person_ref": "NRM-1/PV",
                "day": "2026-11-23",
                "fact_handling": fact_handling,
                "person_handling": person_handling,
            }
        ],
        schema=RAW_SCHEMA,
    )

    (record,) = normalise_facts(raw).to_pylist()

    assert record["onward"] is onward

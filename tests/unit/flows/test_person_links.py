"""Person-links records: pseudonymous, complete, and what a run changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from flows.identity import Assignment, ChangeKind, PersonChange
from flows.normalise import PersonRecord
from flows.person_links import person_states, record_pseudonym, withdrawn

NOW = datetime(2026, 12, 3, tzinfo=UTC)
KEY = b"k" * 32
RECORDS = [
    PersonRecord("ro-anitp:A1", "ro-anitp", ("Ana",), "Pop", role="VICTIM", case_ref="RO-1"),
    PersonRecord("uk-sca:N1", "uk-sca", ("Ana",), "Pop", role="VICTIM", case_ref="NRM-1"),
    PersonRecord("uk-police:U1", "uk-police", ("Ion",), "Rusu", role="SUSPECT", case_ref="UK-1"),
]


def test_pseudonyms_are_keyed_and_stable() -> None:
    assert record_pseudonym(KEY, "uk-sca:N1") == record_pseudonym(KEY, "uk-sca:N1")
    assert record_pseudonym(KEY, "uk-sca:N1") != record_pseudonym(b"other", "uk-sca:N1")
    assert "N1" not in record_pseudonym(KEY, "uk-sca:N1")


def test_a_merge_publishes_the_survivor_with_both_countries_and_retires_the_other() -> None:
    assignment = Assignment(
        {"ro-anitp:A1": "P1", "uk-sca:N1": "P1", "uk-police:U1": "P3"},
        [PersonChange(ChangeKind.MERGED, "P1", ("P2",))],
    )

    states = {
        s["person_id"]: s
        for s in person_states(assignment, RECORDS, run_id=4, key=KEY, now=NOW, everyone=False)
    }

    assert set(states) == {"P1", "P2"}  # P3 did not change
    survivor = states["P1"]
    assert survivor["countries"] == ["GB", "RO"]
    assert [r["case_ref"] for r in survivor["records"]] == ["RO-1", "NRM-1"]
    assert {r["record_key"] for r in survivor["records"]} == {
        record_pseudonym(KEY, "ro-anitp:A1"),
        record_pseudonym(KEY, "uk-sca:N1"),
    }
    assert (states["P2"]["status"], states["P2"]["merged_into"], states["P2"]["records"]) == (
        "merged",
        "P1",
        [],
    )


def test_everyone_publishes_every_active_person() -> None:
    assignment = Assignment({"ro-anitp:A1": "P1", "uk-sca:N1": "P1", "uk-police:U1": "P3"}, [])

    states = person_states(assignment, RECORDS, run_id=1, key=KEY, now=NOW, everyone=True)

    assert [s["person_id"] for s in states] == ["P1", "P3"]
    assert all(s["status"] == "active" for s in states)


def test_h2_records_are_never_published_and_a_person_left_with_none_is_a_tombstone() -> None:
    withheld = PersonRecord(
        "uk-police:U2",
        "uk-police",
        ("Dan",),
        "Ene",
        role="SUSPECT",
        case_ref="UK-2",
        handling_code="H2",
    )
    mixed = replace(RECORDS[1], handling_code="H2")
    records = [RECORDS[0], mixed, withheld]
    assignment = Assignment({"ro-anitp:A1": "P1", "uk-sca:N1": "P1", "uk-police:U2": "P4"}, [])

    states = {
        s["person_id"]: s
        for s in person_states(assignment, records, run_id=2, key=KEY, now=NOW, everyone=True)
    }

    assert [r["case_ref"] for r in states["P1"]["records"]] == ["RO-1"]  # not NRM-1 (H2)
    assert states["P1"]["countries"] == ["RO"]
    assert states["P4"]["records"] == []
    assert withdrawn(states["P4"])  # published as a tombstone: compaction forgets P4
    assert not withdrawn(states["P1"])

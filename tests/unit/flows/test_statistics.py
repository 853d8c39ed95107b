"""Weekly statistics as pure functions: reported vs reconciled figures, weeks, overlap."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from flows.statistics import (
    ALL,
    CUMULATIVE,
    DOUBLE_COUNTED,
    MEASURES,
    RECONCILED,
    TOTAL,
    WEEK,
    CellKey,
    MeasuredRecord,
    complete_breakdowns,
    compute_cells,
    iso_week,
    parse_iso_week,
    previous_week,
    records_table,
    relations,
    weeks_between,
)

W47, W48 = "2026-W47", "2026-W48"
MONDAY_47, MONDAY_48 = date(2026, 11, 16), date(2026, 11, 23)


def victim(agency: str, ref: str, day: date, **attributes: str) -> MeasuredRecord:
    country = "GB" if agency.startswith("uk") else "RO"
    return MeasuredRecord(
        "potential_victims", agency, country, f"{agency}:{ref}", day, **attributes
    )


def test_iso_weeks() -> None:
    assert iso_week(date(2026, 11, 29)) == W48
    assert parse_iso_week(W48) == (MONDAY_48, date(2026, 11, 29))
    assert weeks_between("2026-W52", "2027-W02") == ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]
    assert previous_week(date(2026, 11, 30)) == W48  # Monday reports the week just ended
    assert previous_week(date(2026, 12, 3)) == W48
    with pytest.raises(ValueError, match="2026-48"):
        parse_iso_week("2026-48")


def test_reported_figures_count_records_and_reconciled_counts_persons() -> None:
    records = [
        victim("uk-sca", "a", MONDAY_47, sex="FEMALE", nationality="RO"),
        victim("ro-anitp", "b", MONDAY_48, sex="FEMALE", nationality="RO"),  # same person as a
        victim("uk-sca", "c", MONDAY_48, sex="MALE"),
        victim("ro-anitp", "d", MONDAY_48 + timedelta(days=6)),
    ]
    person_of = {"uk-sca:a": "P1", "ro-anitp:b": "P1", "uk-sca:c": "P2"}

    cells = compute_cells(records_table(records, person_of), first_week=W47, report_week=W48)

    def total(view: str, period: str, week: str = W48) -> int:
        return cells[CellKey("potential_victims", view, period, week)]

    assert (total("uk", CUMULATIVE), total("ro", CUMULATIVE)) == (2, 2)
    assert total(RECONCILED, CUMULATIVE) == 3  # P1, P2 and the unmatched record d
    assert total(DOUBLE_COUNTED, CUMULATIVE) == 1
    # P1 was first seen in W47: a new person there, not in W48.
    assert (total(RECONCILED, WEEK, W47), total(RECONCILED, WEEK)) == (1, 2)
    assert (total("uk", WEEK, W47), total("ro", WEEK)) == (1, 2)
    overlap = {
        v: cells[CellKey("potential_victims", v, CUMULATIVE, W48)]
        for v in ("both", "uk_only", "ro_only")
    }
    assert overlap == {"both": 1, "uk_only": 1, "ro_only": 1}
    sex = {
        key.category: value
        for key, value in cells.items()
        if key.view == RECONCILED and key.dimension == "sex"
    }
    assert sex == {"FEMALE": 1, "MALE": 1, "UNKNOWN": 1}
    agencies = {k.category: v for k, v in cells.items() if k.dimension == "agency"}
    assert agencies == {"uk-sca": 2, "ro-anitp": 2}


def test_records_after_the_report_week_are_left_out_and_earlier_ones_start_the_total() -> None:
    records = [
        victim("uk-sca", "early", MONDAY_47 - timedelta(days=30)),
        victim("uk-sca", "now", MONDAY_48),
        victim("uk-sca", "later", MONDAY_48 + timedelta(days=7)),
    ]

    cells = compute_cells(records_table(records, {}), first_week=W47, report_week=W48)

    assert cells[CellKey("potential_victims", "uk", CUMULATIVE, W47)] == 1
    assert cells[CellKey("potential_victims", "uk", CUMULATIVE, W48)] == 2
    assert cells[CellKey("potential_victims", "uk", WEEK, W48)] == 1


def test_a_person_takes_the_most_frequent_known_value_of_their_records() -> None:
    records = [
        victim("uk-sca", "a", MONDAY_48, nationality="RO", sex="UNKNOWN"),
        victim("uk-police", "b", MONDAY_48, nationality="RO", sex="FEMALE"),
        victim("ro-anitp", "c", MONDAY_48, nationality="MD", sex="FEMALE"),
    ]
    person_of = {"uk-sca:a": "P1", "uk-police:b": "P1", "ro-anitp:c": "P1"}

    cells = compute_cells(records_table(records, person_of), first_week=W48, report_week=W48)

    reconciled = {
        (k.dimension, k.category): v
        for k, v in cells.items()
        if k.view == RECONCILED and k.dimension in ("sex", "nationality")
    }
    assert reconciled == {("sex", "FEMALE"): 1, ("nationality", "RO"): 1}


def random_records(seed: int, count: int = 600) -> tuple[list[MeasuredRecord], dict[str, str]]:
    """Records of every measure over 13 weeks, about half of them matched to shared persons."""
    rng = random.Random(seed)
    records, person_of = [], {}
    for number in range(count):
        country = rng.choice(["GB", "RO"])
        agency = rng.choice(
            ["uk-sca", "uk-police"] if country == "GB" else ["ro-anitp", "ro-police"]
        )
        record = f"{agency}:{number}"
        records.append(
            MeasuredRecord(
                rng.choice(MEASURES),
                agency,
                country,
                record,
                date(2026, 9, 1) + timedelta(days=rng.randint(0, 89)),
                sex=rng.choice(["MALE", "FEMALE", "UNKNOWN"]),
                nationality=rng.choice(["RO", "GB", "AL", "VN"]),
                exploitation=rng.choice(["LABOUR", "SEXUAL", "CRIMINAL"]),
                age_group=rng.choice(["ADULT", "CHILD"]),
            )
        )
        if rng.random() < 0.5:
            person_of[record] = f"P{rng.randint(0, count // 2)}"
    return records, person_of


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_relation_a_reader_could_use_holds_on_the_figures(seed: int) -> None:
    records, person_of = random_records(seed)
    cells = complete_breakdowns(
        compute_cells(records_table(records, person_of), first_week="2026-W36", report_week=W48)
    )

    found = relations(cells)

    for relation in found:
        assert sum(cells[key] * coefficient for key, coefficient in relation.terms) == 0
    kinds = {tuple(sorted(k.view for k, _ in r.terms)) for r in found}
    assert ("double_counted", "reconciled", "ro", "uk") in kinds
    assert ("both", "reconciled", "ro_only", "uk_only") in kinds
    assert all(cells[key] >= 0 for key in cells)
    totals = [k for k in cells if k.dimension == TOTAL and k.category == ALL]
    assert len(totals) >= len(MEASURES) * 4 * 2 * 13

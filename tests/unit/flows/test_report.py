"""The weekly report's editions: public hides what disclosure control hides, the restricted
edition is marked, revisions never reveal a suppressed value, and the HTML escapes data."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from flows.disclosure import protect
from flows.report import PUBLIC, RESTRICTED, editions, write_edition
from flows.statistics import (
    CUMULATIVE,
    WEEK,
    CellKey,
    complete_breakdowns,
    compute_cells,
    onward_records,
    records_table,
    relations,
)
from flows.weekly import Snapshot, revisions
from tests.unit.flows.test_statistics import random_records

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def snapshot(seed: int, snapshot_id: int, hostile: bool = False) -> Snapshot:
    records, person_of = random_records(seed, count=400)
    if hostile:
        records = [
            dataclasses.replace(r, nationality="<script>alert(1)</script>") for r in records[:50]
        ] + records[50:]
    cells = complete_breakdowns(
        compute_cells(
            records_table(records, person_of), first_week="2026-W36", report_week="2026-W48"
        )
    )
    hidden = dict(protect(cells, relations(cells)).hidden)
    return Snapshot(snapshot_id, "2026-W48", "2026-W36", NOW, 11, cells, hidden)


def test_the_public_edition_shows_no_hidden_value_and_the_restricted_one_all(
    tmp_path: Path,
) -> None:
    current = snapshot(1, 2, hostile=True)

    both = editions(current, None)

    public, restricted = both[PUBLIC], both[RESTRICTED]
    assert all(public.values[key] is None for key in current.hidden)
    assert restricted.values == current.cells
    html = Path(write_edition(public, tmp_path / "public")).read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert html.count("k = 11") >= 5  # the rule under every public table
    assert "RESTRICTED" in write_edition(restricted, tmp_path / "r").read_text(encoding="utf-8")
    assert (tmp_path / "public" / "cells.csv").read_text().count("\n") > len(current.cells)


def test_revisions_compare_earlier_weeks_and_public_ones_skip_hidden_figures() -> None:
    before = snapshot(1, 1)
    key = CellKey("potential_victims", "uk", WEEK, "2026-W40")
    after_cells = {**before.cells, key: before.cells[key] + 2}
    after_cells[CellKey("potential_victims", "uk", CUMULATIVE, "2026-W40")] += 2
    after = Snapshot(2, "2026-W48", "2026-W36", NOW, 11, after_cells, {key: "primary"})

    changed = revisions(before, after.cells)
    both = editions(after, before)

    assert [(r.key, r.after - r.before) for r in changed] == [(key, 2)]
    assert both[RESTRICTED].revisions == changed
    assert both[PUBLIC].revisions == []  # the new value is suppressed: not shown as a change


def test_the_public_edition_counts_no_h2_record_and_the_restricted_one_all() -> None:
    records, person_of = random_records(3, count=400)
    withheld = [dataclasses.replace(r, onward=False) for r in records[:40]]
    table = records_table(withheld + records[40:], person_of)
    weeks = {"first_week": "2026-W36", "report_week": "2026-W48"}
    cells = complete_breakdowns(compute_cells(table, **weeks))
    public = complete_breakdowns(compute_cells(onward_records(table), **weeks))
    hidden = dict(protect(public, relations(public)).hidden)
    current = Snapshot(1, "2026-W48", "2026-W36", NOW, 11, cells, hidden, public)

    both = editions(current, None)

    assert both[RESTRICTED].values == cells
    shown = {key: value for key, value in both[PUBLIC].values.items() if value is not None}
    assert shown
    assert all(value == public[key] for key, value in shown.items())
    total = CellKey("potential_victims", "uk", CUMULATIVE, "2026-W48")
    assert public.get(total, 0) <= cells.get(total, 0)
    assert sum(public.values()) < sum(cells.values())  # 40 records are counted only inside
    assert onward_records(table).num_rows == table.num_rows - 40

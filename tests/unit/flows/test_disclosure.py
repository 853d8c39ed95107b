"""Disclosure control: no public cell from 1 to k-1 is shown, and none can be derived.

The proof is an attacker written here, independently of `flows.disclosure`: it writes down
everything a reader of the public tables knows (each breakdown sums to its total; UK + RO =
reconciled + double counted; this week's running total is last week's plus this week's; the
overlap sums to the reconciled persons; every count is >= 0), then solves for the smallest and
largest value each suppressed cell can take. A cell is derivable when both are the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_array

from flows.disclosure import PRIMARY, SECONDARY, disclosure_rule, protect
from flows.statistics import (
    CUMULATIVE,
    WEEK,
    CellKey,
    complete_breakdowns,
    compute_cells,
    records_table,
    relations,
)
from tests.unit.flows.test_statistics import random_records

K = 11


def what_a_reader_knows(cells: Mapping[CellKey, int]) -> list[dict[CellKey, int]]:
    """Equations (cell -> coefficient, summing to 0) a reader can write from the tables."""
    equations: list[dict[CellKey, int]] = []
    parts: dict[tuple[CellKey, str], list[CellKey]] = defaultdict(list)
    for key in cells:
        if key.dimension != "total":
            total = CellKey(key.measure, key.view, key.period, key.week)
            parts[(total, key.dimension)].append(key)
    for (total, _), members in parts.items():
        equations.append({total: -1, **dict.fromkeys(members, 1)})
    weeks = sorted({key.week for key in cells})
    for key in cells:
        if key.dimension != "total":
            continue
        if key.view == "double_counted":
            same = {"measure": key.measure, "period": key.period, "week": key.week}
            equations.append(
                {
                    CellKey(view="uk", **same): 1,
                    CellKey(view="ro", **same): 1,
                    CellKey(view="reconciled", **same): -1,
                    key: -1,
                }
            )
        if key.period == WEEK:
            running = CellKey(key.measure, key.view, CUMULATIVE, key.week)
            index = weeks.index(key.week)
            if index > 0:
                before = CellKey(key.measure, key.view, CUMULATIVE, weeks[index - 1])
                equations.append({running: 1, key: -1, before: -1})
            elif cells[running] == cells[key]:  # a reader may guess nothing came before
                equations.append({running: 1, key: -1})
        if key.view == "both":
            sides = [
                CellKey(key.measure, v, CUMULATIVE, key.week)
                for v in ("both", "uk_only", "ro_only")
            ]
            total = CellKey(key.measure, "reconciled", CUMULATIVE, key.week)
            equations.append({total: -1, **dict.fromkeys(sides, 1)})
    return equations


class Attacker:
    """Solves what a reader knows for the smallest and largest value of each hidden cell."""

    def __init__(self, cells: Mapping[CellKey, int], hidden: set[CellKey]) -> None:
        self.unknowns = sorted(hidden)
        self.column = {key: i for i, key in enumerate(self.unknowns)}
        rows, rhs = [], []
        for equation in what_a_reader_knows(cells):
            if not any(key in hidden for key in equation):
                continue
            row = np.zeros(len(self.unknowns))
            constant = 0.0
            for key, coefficient in equation.items():
                if key in hidden:
                    row[self.column[key]] += coefficient
                else:
                    constant -= coefficient * cells[key]
            rows.append(row)
            rhs.append(constant)
        self.matrix, self.rhs = csr_array(np.array(rows)), np.array(rhs)

    def value_range(self, target: CellKey) -> tuple[float, float]:
        """Smallest and largest value of ``target`` given every published cell."""
        if not len(self.rhs):
            return 0.0, float("inf")
        objective = np.zeros(len(self.unknowns))
        objective[self.column[target]] = 1
        bounds = (0, None)
        low = linprog(objective, A_eq=self.matrix, b_eq=self.rhs, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=self.matrix, b_eq=self.rhs, bounds=bounds, method="highs")
        assert low.status == 0, low.message
        return float(low.fun), (float("inf") if high.status == 3 else float(-high.fun))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_public_cell_below_k_can_be_derived(seed: int) -> None:
    records, person_of = random_records(seed, count=500)
    cells = complete_breakdowns(
        compute_cells(
            records_table(records, person_of), first_week="2026-W36", report_week="2026-W48"
        )
    )

    suppression = protect(cells, relations(cells), K)

    hidden = set(suppression.hidden)
    published = {key: v for key, v in cells.items() if key not in hidden}
    assert all(v == 0 or v >= K for v in published.values())
    small = [key for key, v in cells.items() if 1 <= v < K]
    assert small
    assert set(small) <= hidden
    assert {suppression.hidden[key] for key in small} == {PRIMARY}
    attacker = Attacker(cells, hidden)
    for key in small:
        low, high = attacker.value_range(key)
        assert high - low >= 1 - 1e-6, f"{key.label()} = {cells[key]} is derivable"


def test_a_small_category_takes_the_next_smallest_with_it() -> None:
    total = CellKey("suspects", "uk", CUMULATIVE, "2026-W48")
    parts = {
        CellKey("suspects", "uk", CUMULATIVE, "2026-W48", "sex", "FEMALE"): 3,
        CellKey("suspects", "uk", CUMULATIVE, "2026-W48", "sex", "MALE"): 20,
        CellKey("suspects", "uk", CUMULATIVE, "2026-W48", "sex", "UNKNOWN"): 30,
    }
    cells = {total: 53, **parts}

    suppression = protect(cells, relations(cells), K)

    female, male, _ = parts
    assert suppression.hidden == {female: PRIMARY, male: SECONDARY}
    assert suppression.public_value(total, 53) == 53
    assert suppression.public_value(female, 3) is None


def test_a_small_uk_figure_cannot_be_recovered_from_the_discrepancy_row() -> None:
    def key(view: str) -> CellKey:
        return CellKey("convicted", view, CUMULATIVE, "2026-W48")

    cells = {key("uk"): 5, key("ro"): 30, key("reconciled"): 33, key("double_counted"): 2}

    suppression = protect(cells, relations(cells), K)

    assert suppression.hidden == {key("uk"): PRIMARY, key("double_counted"): PRIMARY}
    low, high = Attacker(cells, set(suppression.hidden)).value_range(key("uk"))
    assert (low, high) == (3, float("inf"))  # >= 3 because uk - double = 3, but not pinned


def test_the_rule_names_k_and_secondary_suppression() -> None:
    rule = disclosure_rule(K)
    assert "1 to 10" in rule
    assert "k = 11" in rule
    assert "recovered" in rule
    with pytest.raises(ValueError, match="at least 2"):
        protect({}, [], 1)

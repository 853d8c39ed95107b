"""Disclosure control of the public statistics: primary and secondary cell suppression.

Primary: every cell from 1 to k-1 is suppressed (zeros are shown: "nobody" is not a person).
Secondary: more cells are suppressed until no primary cell can be recovered from the published
cells through the relations between them (totals, UK + RO = reconciled + double counted,
weekly vs cumulative, overlap). A greedy pass covers every relation left with one hidden cell;
an audit then solves, for each primary cell, the smallest and largest value it can take given
everything published (linear programs, values ≥ 0, scipy's HiGHS); a cell pinned to one value
gets another complement, and the two steps repeat until every primary cell can move by ≥ 1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from flows.statistics import CellKey, Relation

PRIMARY, SECONDARY = "primary", "secondary"
DEFAULT_K = 11  # the Counter Trafficking Data Collaborative's threshold


def disclosure_rule(k: int) -> str:
    """The rule printed on every public table."""
    return (
        f"Disclosure control: counts from 1 to {k - 1} are suppressed ([c]); further cells are "
        f"suppressed ([c]) so that none can be recovered from totals or other published figures "
        f"(k = {k})."
    )


@dataclass(frozen=True)
class Suppression:
    """Which cells the public output hides, and why."""

    k: int
    hidden: Mapping[CellKey, str]  # cell -> primary | secondary

    def public_value(self, key: CellKey, value: int) -> int | None:
        """The value as published: None when suppressed."""
        return None if key in self.hidden else value


def protect(
    cells: Mapping[CellKey, int], relations: Sequence[Relation], k: int = DEFAULT_K
) -> Suppression:
    """Suppress cells 1..k-1 and enough others that none of them can be derived."""
    if k < 2:
        raise ValueError(f"k must be at least 2, not {k}")
    hidden: dict[CellKey, str] = {key: PRIMARY for key, v in cells.items() if 1 <= v < k}
    of_cell: dict[CellKey, list[int]] = defaultdict(list)
    for index, relation in enumerate(relations):
        for key, _ in relation.terms:
            of_cell[key].append(index)
    while True:
        _cover_single_hidden(cells, relations, of_cell, hidden)
        exposed = derivable(
            cells, relations, hidden, [c for c, why in hidden.items() if why == PRIMARY]
        )
        if not exposed:
            return Suppression(k, dict(hidden))
        for key in exposed:
            candidates = [
                c for index in of_cell[key] for c, _ in relations[index].terms if c not in hidden
            ]
            if not candidates:  # cannot happen: a pinned cell has a published neighbour
                raise RuntimeError(f"no complement for {key.label()}")
            hidden[min(candidates, key=lambda c: _cost(cells, c))] = SECONDARY


def _cost(cells: Mapping[CellKey, int], key: CellKey) -> tuple[bool, int, CellKey]:
    """Prefer hiding the smallest positive cell (least information lost, most protection)."""
    value = cells[key]
    return (value == 0, value, key)


def _cover_single_hidden(
    cells: Mapping[CellKey, int],
    relations: Sequence[Relation],
    of_cell: Mapping[CellKey, list[int]],
    hidden: dict[CellKey, str],
) -> None:
    """Until no relation has exactly one hidden cell: hide a complement in each such relation."""
    pending = {index for key in hidden for index in of_cell.get(key, ())}
    while pending:
        index = pending.pop()
        terms = relations[index].terms
        if sum(1 for key, _ in terms if key in hidden) != 1:
            continue
        pick = min((key for key, _ in terms if key not in hidden), key=lambda c: _cost(cells, c))
        hidden[pick] = SECONDARY
        pending.update(of_cell[pick])


def derivable(
    cells: Mapping[CellKey, int],
    relations: Sequence[Relation],
    hidden: Mapping[CellKey, str],
    targets: Iterable[CellKey],
) -> list[CellKey]:
    """Targets whose value is pinned (range < 1) by the published cells and the relations."""
    touching = [r for r in relations if any(key in hidden for key, _ in r.terms)]
    components = _components(touching, hidden)
    exposed = []
    for target in sorted(set(targets)):
        component = components.get(target)
        if component is None:
            continue  # in no relation with a published cell: hiding it is enough
        variables, rows = component
        low, high = _range(cells, hidden, variables, rows, target)
        if high - low < 1 - 1e-6:
            exposed.append(target)
    return exposed


def _components(
    relations: Sequence[Relation], hidden: Mapping[CellKey, str]
) -> dict[CellKey, tuple[list[CellKey], list[Relation]]]:
    """Hidden cells grouped by the relations that connect them (one linear program each)."""
    parent: dict[CellKey, CellKey] = {}

    def find(key: CellKey) -> CellKey:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for relation in relations:
        members = [key for key, _ in relation.terms if key in hidden]
        for other in members[1:]:
            parent[find(other)] = find(members[0])
        if members:
            find(members[0])
    groups: dict[CellKey, tuple[list[CellKey], list[Relation]]] = {}
    for relation in relations:
        root = find(next(key for key, _ in relation.terms if key in hidden))
        groups.setdefault(root, ([], []))[1].append(relation)
    for key in list(parent):
        if key in hidden:
            groups[find(key)][0].append(key)
    return {key: groups[find(key)] for key in parent if key in hidden}


def _range(
    cells: Mapping[CellKey, int],
    hidden: Mapping[CellKey, str],
    variables: list[CellKey],
    rows: list[Relation],
    target: CellKey,
) -> tuple[float, float]:
    """Smallest and largest value of ``target`` consistent with what is published."""
    column = {key: index for index, key in enumerate(variables)}
    matrix = np.zeros((len(rows), len(variables)))
    bound = np.zeros(len(rows))
    for row, relation in enumerate(rows):
        for key, coefficient in relation.terms:
            if key in hidden:
                matrix[row, column[key]] += coefficient
            else:
                bound[row] -= coefficient * cells[key]
    objective = np.zeros(len(variables))
    objective[column[target]] = 1.0
    extremes = []
    for sign in (1.0, -1.0):
        result = linprog(
            sign * objective, A_eq=matrix, b_eq=bound, bounds=(0, None), method="highs"
        )
        if result.status == 3:  # unbounded: the cell can be arbitrarily large
            extremes.append(float("inf") if sign < 0 else 0.0)
        elif result.status != 0:
            raise RuntimeError(f"disclosure audit failed for {target.label()}: {result.message}")
        else:
            extremes.append(sign * float(result.fun))
    return extremes[0], extremes[1]

"""Linkage quality against ground truth: pairwise precision/recall/F1 and B-cubed (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class Scores:
    """Precision, recall and their harmonic mean."""

    precision: float
    recall: float

    @property
    def f1(self) -> float:
        """2PR / (P + R); 0 when both are 0."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass(frozen=True)
class Evaluation:
    """How predicted clusters compare with the true ones."""

    records: int
    true_pairs: int
    predicted_pairs: int
    pairwise: Scores
    b_cubed: Scores


def _groups(assignment: Mapping[str, str]) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for record, cluster in assignment.items():
        groups[cluster].add(record)
    return groups


def _pairs(assignment: Mapping[str, str]) -> set[tuple[str, str]]:
    return {
        (a, b)
        for members in _groups(assignment).values()
        for a, b in combinations(sorted(members), 2)
    }


def evaluate(predicted: Mapping[str, str], truth: Mapping[str, str]) -> Evaluation:
    """Scores of ``predicted`` (record → cluster) against ``truth`` (record → true entity).

    Only records in both are scored; a record missing from ``predicted`` would be a singleton.
    """
    records = set(truth)
    predicted_full = {r: predicted.get(r, f"__single__{r}") for r in records}
    true_pairs, predicted_pairs = _pairs(truth), _pairs(predicted_full)
    hits = len(true_pairs & predicted_pairs)
    pairwise = Scores(
        hits / len(predicted_pairs) if predicted_pairs else 1.0,
        hits / len(true_pairs) if true_pairs else 1.0,
    )
    return Evaluation(
        len(records),
        len(true_pairs),
        len(predicted_pairs),
        pairwise,
        _b_cubed(predicted_full, truth),
    )


def _b_cubed(predicted: Mapping[str, str], truth: Mapping[str, str]) -> Scores:
    predicted_groups, true_groups = _groups(predicted), _groups(truth)
    precision = recall = 0.0
    for record in truth:
        mine, real = predicted_groups[predicted[record]], true_groups[truth[record]]
        shared = len(mine & real)
        precision += shared / len(mine)
        recall += shared / len(real)
    count = len(truth) or 1
    return Scores(precision / count, recall / count)


def clusters_from_pairs(records: Iterable[str], pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Connected components (union-find): record → the smallest record id of its component."""
    parent = {record: record for record in records}

    def root(record: str) -> str:
        while parent[record] != record:
            parent[record] = parent[parent[record]]
            record = parent[record]
        return record

    for a, b in pairs:
        first, second = root(a), root(b)
        if first != second:
            parent[max(first, second)] = min(first, second)
    return {record: root(record) for record in parent}

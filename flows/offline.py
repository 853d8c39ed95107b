"""`casesync dedup` on files: the same matching as the flow, from a persons CSV to clusters."""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from flows.identity import Assignment, assign_person_ids
from flows.matching import Backend, MatchResult, MatchThresholds, match
from flows.normalise import PersonRecord, matching_row, packaged_variants

PERSON_ID = re.compile(r"^P(\d+)$")


def sequential_ids(existing: Iterable[str]) -> Callable[[], str]:
    """``P00000001``, ``P00000002`` … continuing after the highest id in ``existing``."""
    numbers = [int(m.group(1)) for pid in existing if (m := PERSON_ID.match(pid))]
    counter = itertools.count(max(numbers, default=0) + 1)
    return lambda: f"P{next(counter):08d}"


@dataclass(frozen=True)
class Deduplication:
    """A run's matching result and its person-id assignment."""

    result: MatchResult
    assignment: Assignment


def deduplicate(
    records: Sequence[PersonRecord],
    thresholds: MatchThresholds | None = None,
    previous: Mapping[str, str] | None = None,
    backend: Backend | None = None,
) -> Deduplication:
    """Match ``records`` and give each cluster a person id (kept from ``previous`` if it can)."""
    variants = packaged_variants()
    rows = [matching_row(r, variants) for r in records]
    result = match(rows, thresholds or MatchThresholds(), backend=backend or Backend())
    members: dict[str, set[str]] = {}
    for record in records:
        cluster = result.clusters.get(record.record_id, f"single:{record.record_id}")
        members.setdefault(cluster, set()).add(record.record_id)
    earlier = dict(previous or {})
    assignment = assign_person_ids(earlier, members.values(), sequential_ids(earlier.values()))
    return Deduplication(result, assignment)


def read_clusters(path: Path) -> dict[str, str]:
    """A clusters file written by `casesync dedup` (record_id → person_id)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not {"record_id", "person_id"} <= set(reader.fieldnames or []):
            raise ValueError(f"{path}: expected columns record_id,person_id")
        return {row["record_id"]: row["person_id"] for row in reader}


def write_clusters(path: Path, person_of: Mapping[str, str]) -> None:
    """``record_id,person_id``, ordered by person then record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "person_id"])
        for record, person in sorted(person_of.items(), key=lambda item: (item[1], item[0])):
            writer.writerow([record, person])

"""Stable person ids across matching runs (pure).

A cluster that gains records keeps its id; a merge keeps the oldest id and records the others as
merged into it; a person whose records now fall into several clusters is split: every part gets a
new id and the split is recorded. Ids never change meaning: a retired id is never reused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class ChangeKind(StrEnum):
    """What happened to a person id in one run."""

    CREATED = "created"
    GREW = "grew"
    SHRANK = "shrank"
    MERGED = "merged"  # person_id absorbed ``others``
    SPLIT = "split"  # person_id was retired; its records went to ``others``


@dataclass(frozen=True)
class PersonChange:
    """One entry of the persons' history."""

    kind: ChangeKind
    person_id: str
    others: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assignment:
    """Each record's person id after the run, and what changed."""

    person_of: dict[str, str]
    changes: list[PersonChange]


def assign_person_ids(
    previous: Mapping[str, str],
    clusters: Iterable[Iterable[str]],
    new_id: Callable[[], str],
    age: Mapping[str, int] | None = None,
) -> Assignment:
    """Give every cluster a person id, keeping ids where the rules above allow.

    ``previous`` maps record → person id from earlier runs; ``age`` orders person ids by creation
    (lower is older; ids missing from it sort by the id itself).
    """
    groups = [frozenset(cluster) for cluster in clusters]
    ages = age or {}

    def oldest_first(ids: Iterable[str]) -> list[str]:
        return sorted(ids, key=lambda pid: (ages.get(pid, 1 << 62), pid))

    parts: dict[str, set[int]] = {}
    for index, group in enumerate(groups):
        for record in group:
            if record in previous:
                parts.setdefault(previous[record], set()).add(index)
    split = {pid for pid, where in parts.items() if len(where) > 1}
    members_before: dict[str, set[str]] = {}
    for record, pid in previous.items():
        members_before.setdefault(pid, set()).add(record)

    person_of: dict[str, str] = {}
    changes: list[PersonChange] = []
    heirs: dict[str, list[str]] = {pid: [] for pid in split}
    for group in sorted(groups, key=min):
        before = {previous[r] for r in group if r in previous}
        keepable = oldest_first(before - split)
        if keepable:
            pid, absorbed = keepable[0], keepable[1:]
            if absorbed:
                changes.append(PersonChange(ChangeKind.MERGED, pid, tuple(absorbed)))
            elif group - members_before.get(pid, set()):
                changes.append(PersonChange(ChangeKind.GREW, pid))
            elif members_before.get(pid, set()) - group:
                changes.append(PersonChange(ChangeKind.SHRANK, pid))
        else:
            pid = new_id()
            changes.append(PersonChange(ChangeKind.CREATED, pid))
        for retired in before & split:
            heirs[retired].append(pid)
        for record in group:
            person_of[record] = pid
    changes += [
        PersonChange(ChangeKind.SPLIT, pid, tuple(sorted(set(heirs[pid])))) for pid in sorted(split)
    ]
    return Assignment(person_of, changes)

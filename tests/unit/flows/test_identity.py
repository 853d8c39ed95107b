"""Stable person ids: grow keeps, merge keeps the oldest, split retires and records."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from flows.identity import ChangeKind, PersonChange, assign_person_ids


def _new_id_factory() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"N{next(counter)}"


def test_the_first_run_creates_one_id_per_cluster() -> None:
    result = assign_person_ids({}, [{"a", "b"}, {"c"}], _new_id_factory())

    assert result.person_of == {"a": "N1", "b": "N1", "c": "N2"}
    assert [c.kind for c in result.changes] == [ChangeKind.CREATED, ChangeKind.CREATED]


def test_a_cluster_that_gains_records_keeps_its_id() -> None:
    result = assign_person_ids({"a": "P1", "b": "P1"}, [{"a", "b", "c"}], _new_id_factory())

    assert set(result.person_of.values()) == {"P1"}
    assert result.changes == [PersonChange(ChangeKind.GREW, "P1")]


def test_an_unchanged_cluster_records_nothing() -> None:
    result = assign_person_ids({"a": "P1", "b": "P1"}, [{"a", "b"}], _new_id_factory())

    assert result.changes == []


def test_a_merge_keeps_the_older_id_and_records_the_other() -> None:
    previous = {"a": "P9", "b": "P2"}

    result = assign_person_ids(previous, [{"a", "b"}], _new_id_factory(), age={"P9": 1, "P2": 5})

    assert set(result.person_of.values()) == {"P9"}
    assert result.changes == [PersonChange(ChangeKind.MERGED, "P9", ("P2",))]


def test_a_split_gives_every_part_a_new_id_and_records_the_split() -> None:
    previous = {"a": "P1", "b": "P1", "c": "P1"}

    result = assign_person_ids(previous, [{"a"}, {"b", "c"}], _new_id_factory())

    assert result.person_of == {"a": "N1", "b": "N2", "c": "N2"}
    assert PersonChange(ChangeKind.SPLIT, "P1", ("N1", "N2")) in result.changes


def test_a_split_part_that_joins_another_person_takes_that_persons_id() -> None:
    previous = {"a": "P1", "b": "P1", "x": "P2"}

    result = assign_person_ids(previous, [{"a"}, {"b", "x"}], _new_id_factory())

    assert result.person_of == {"a": "N1", "b": "P2", "x": "P2"}
    assert PersonChange(ChangeKind.SPLIT, "P1", ("N1", "P2")) in result.changes
    assert PersonChange(ChangeKind.GREW, "P2") in result.changes


def test_a_person_that_loses_a_withdrawn_record_shrinks() -> None:
    result = assign_person_ids({"a": "P1", "b": "P1"}, [{"a"}], _new_id_factory())

    assert result.person_of == {"a": "P1"}
    assert result.changes == [PersonChange(ChangeKind.SHRANK, "P1")]

"""Linkage metrics on hand-checked examples."""

from __future__ import annotations

import pytest

from flows.evaluation import clusters_from_pairs, evaluate

TRUTH = {"a": "1", "b": "1", "c": "1", "d": "2", "e": "3"}


def test_a_perfect_prediction_scores_one() -> None:
    result = evaluate({"a": "x", "b": "x", "c": "x", "d": "y", "e": "z"}, TRUTH)

    assert (result.pairwise.f1, result.b_cubed.f1) == (1.0, 1.0)
    assert (result.true_pairs, result.predicted_pairs) == (3, 3)


def test_a_split_and_a_false_merge() -> None:
    # {a,b} {c,d} {e}: one true pair found of three; one of two predicted pairs is right.
    result = evaluate({"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}, TRUTH)

    assert result.pairwise.precision == pytest.approx(1 / 2)
    assert result.pairwise.recall == pytest.approx(1 / 3)
    assert result.pairwise.f1 == pytest.approx(0.4)
    # B-cubed precision: a,b 1; c,d 1/2; e 1 → 4/5. Recall: a,b 2/3; c 1/3; d,e 1 → 11/15.
    assert result.b_cubed.precision == pytest.approx(4 / 5)
    assert result.b_cubed.recall == pytest.approx(11 / 15)


def test_records_missing_from_the_prediction_count_as_singletons() -> None:
    result = evaluate({}, TRUTH)

    assert result.pairwise.recall == 0.0
    assert result.pairwise.precision == 1.0  # nothing predicted, nothing wrong


def test_clusters_from_pairs_are_connected_components() -> None:
    clusters = clusters_from_pairs("abcde", [("b", "a"), ("c", "b"), ("e", "d")])

    assert clusters == {"a": "a", "b": "a", "c": "a", "d": "d", "e": "d"}

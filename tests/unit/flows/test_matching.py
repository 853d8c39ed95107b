"""The Splink model on a small hand-made set (in-process DuckDB, no services)."""

from __future__ import annotations

from flows.matching import MatchThresholds, match
from tests.unit.flows.people import people as _people
from tests.unit.flows.people import rows as _rows


def test_the_same_person_in_four_spellings_is_one_cluster_and_strangers_stay_apart() -> None:
    result = match(_rows(_people()), MatchThresholds(link=0.9, review=0.3))

    clusters = result.clusters
    dobre = {clusters[r] for r in ("ro-anitp:1", "ro-police:1", "uk-police:1", "uk-sca:1")}
    assert len(dobre) == 1
    assert len(set(clusters.values())) == 1 + 8
    assert result.model["comparisons"]  # the trained model is returned for reuse


def test_a_saved_model_is_reused_without_training() -> None:
    first = match(_rows(_people()), MatchThresholds(link=0.9, review=0.3))

    again = match(_rows(_people()), MatchThresholds(link=0.9, review=0.3), model=first.model)

    assert again.clusters == first.clusters


def test_no_records_no_clusters() -> None:
    assert match([]).clusters == {}

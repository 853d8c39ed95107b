"""The Splink model on a small hand-made set (in-process DuckDB, no services)."""

from __future__ import annotations

from flows.matching import MatchThresholds, match
from flows.normalise import PartialBirthDate, PersonRecord, matching_row, packaged_variants

CNP = "1800101221144"


def _rows(records: list[PersonRecord]) -> list[dict[str, object]]:
    variants = packaged_variants()
    return [matching_row(r, variants) for r in records]


def _people() -> list[PersonRecord]:
    born = PartialBirthDate(1980, 1, 1)
    same = [
        PersonRecord("ro-anitp:1", "ro-anitp", ("Ştefan",), "Dobre", born, "MALE", "RO", CNP),
        PersonRecord("ro-police:1", "ro-police", ("Ștefan",), "Dobre", born, "MALE", "RO", CNP),
        PersonRecord("uk-police:1", "uk-police", ("Stephen",), "DOBRE", born, "MALE", "RO"),
        PersonRecord("uk-sca:1", "uk-sca", ("Dobre",), "Stefan", PartialBirthDate(1980), "MALE"),
    ]
    others = [
        PersonRecord(
            f"uk-police:{n}",
            "uk-police",
            (given,),
            family,
            PartialBirthDate(1970 + n, 1 + n % 12, 1 + n),
            "FEMALE" if n % 2 else "MALE",
            "GB",
        )
        for n, (given, family) in enumerate(
            [
                ("Sarah", "Smith"),
                ("James", "Jones"),
                ("Emma", "Taylor"),
                ("Daniel", "Brown"),
                ("Laura", "Wilson"),
                ("Thomas", "Evans"),
                ("Maria", "Popescu"),
                ("Ion", "Popa"),
            ],
            start=2,
        )
    ]
    return same + others


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

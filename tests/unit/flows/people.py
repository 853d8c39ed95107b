"""A small hand-made set of person records: one person four ways, and eight strangers."""

from __future__ import annotations

from flows.normalise import PartialBirthDate, PersonRecord, matching_row, packaged_variants

CNP = "1800101221144"
DOBRE = ("ro-anitp:1", "ro-police:1", "uk-police:1", "uk-sca:1")


def rows(records: list[PersonRecord]) -> list[dict[str, object]]:
    variants = packaged_variants()
    return [matching_row(r, variants) for r in records]


def people() -> list[PersonRecord]:
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

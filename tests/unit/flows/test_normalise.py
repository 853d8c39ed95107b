"""Normalisation: the keys the matcher compares."""

from __future__ import annotations

import pytest

from flows.normalise import (
    GivenNameVariants,
    PartialBirthDate,
    PersonRecord,
    cnp_facts,
    comma_below,
    document_number,
    e164,
    fold_diacritics,
    looks_swapped,
    matching_row,
    name_tokens,
    packaged_variants,
)

VALID_CNP = "1800101221144"  # male, born 1980-01-01 (checksum valid)


def test_cedilla_letters_become_comma_below_and_fold_alike() -> None:
    assert comma_below("Ştefan Ţurcanu") == "Ștefan Țurcanu"
    assert fold_diacritics("Ştefănescu") == fold_diacritics("Ștefănescu") == "Stefanescu"
    assert fold_diacritics("Pîrvu Căpraru Niță") == "Pirvu Capraru Nita"


def test_nfc_and_nfd_spellings_agree() -> None:
    decomposed = "S\u0326tefan"  # S + combining comma below
    assert name_tokens(decomposed) == name_tokens("Ștefan") == ["stefan"]


@pytest.mark.parametrize(
    ("written", "tokens"),
    [
        ("ŞTEFĂNESCU-Pîrvu", ["stefanescu", "pirvu"]),
        ("  Maria   Ioana ", ["maria", "ioana"]),
        ("O'Brien", ["obrien"]),
        ("Dobre2", ["dobre"]),
        ("", []),
        (None, []),
    ],
)
def test_name_tokens(written: str | None, tokens: list[str]) -> None:
    assert name_tokens(written) == tokens


def test_english_and_romanian_variants_share_one_canonical_form() -> None:
    variants = packaged_variants()

    assert variants.canonical_of("john") == variants.canonical_of("ion") == "ion"
    assert variants.canonical_of("stephen") == "stefan"
    assert variants.canonical_of("zoltan") == "zoltan"  # unknown names stay as they are


def test_a_variant_with_two_canonical_forms_is_refused() -> None:
    rows = [{"canonical": "Ion", "variant": "John"}, {"canonical": "Ioan", "variant": "john"}]

    with pytest.raises(ValueError, match="'john' is a variant of both"):
        GivenNameVariants.from_rows(rows)


def test_cnp_facts_and_invalid_cnps() -> None:
    facts = cnp_facts(VALID_CNP)

    assert facts is not None
    assert (facts.birth_date.isoformat(), facts.sex) == ("1980-01-01", "MALE")
    assert cnp_facts("1800101221145") is None  # bad checksum
    assert cnp_facts(None) is None


def test_phone_and_document_numbers() -> None:
    assert e164("+40 721 234 567") == "+40721234567"
    assert e164("0721 234 567", "RO") == "+40721234567"
    assert e164("not a phone") is None
    assert document_number("05 1234-567") == "051234567"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("1990-04-03", (1990, 4, 3)),
        ("1990-04", (1990, 4, None)),
        ("1990", (1990, None, None)),
        ("03/04/1990", (None, None, None)),
        ("", (None, None, None)),
    ],
)
def test_partial_birth_dates(text: str, parts: tuple[int | None, ...]) -> None:
    parsed = PartialBirthDate.parse(text)
    assert (parsed.year, parsed.month, parsed.day) == parts


def test_a_matching_row_swapped_names_share_the_order_free_key() -> None:
    variants = packaged_variants()
    ro = PersonRecord(
        "a", "ro-anitp", ("Ştefan",), "Dobre", PartialBirthDate(1980, 1, 1), "MALE", "RO", VALID_CNP
    )
    uk = PersonRecord("b", "uk-police", ("DOBRE",), "Stephen", sex="male")

    first, second = matching_row(ro, variants), matching_row(uk, variants)

    assert first["name_tokens"] == second["name_tokens"] == "dobre stefan"
    assert looks_swapped(first, second)
    assert first["cnp"] == VALID_CNP
    assert first["cnp_consistent"] is True
    assert second["cnp"] is None
    assert second["sex"] == "MALE"


def test_a_cnp_that_contradicts_the_record_is_flagged_and_fills_a_missing_birth_date() -> None:
    variants = packaged_variants()
    wrong_sex = PersonRecord("a", given_names=("Ana",), sex="FEMALE", national_id=VALID_CNP)
    no_dob = PersonRecord("b", given_names=("Ion",), national_id=VALID_CNP)

    assert matching_row(wrong_sex, variants)["cnp_consistent"] is False
    filled = matching_row(no_dob, variants)
    assert (filled["dob_year"], filled["dob_month"], filled["dob_day"]) == (1980, 1, 1)

from __future__ import annotations

from datetime import date

import pytest

from producers import parsing


def test_partial_dates_year_only_estimated_and_full() -> None:
    assert parsing.parse_partial_date("1994", ["%d/%m/%Y"]) == {"year": 1994, "estimated": False}
    assert parsing.parse_partial_date("~1993", ["%d/%m/%Y"]) == {"year": 1993, "estimated": True}
    assert parsing.parse_partial_date("c.1990", ["%d/%m/%Y"])["estimated"] is True
    assert parsing.parse_partial_date("15.03.1994", ["%d.%m.%Y"]) == {
        "year": 1994,
        "month": 3,
        "day": 15,
        "estimated": False,
    }


def test_an_impossible_date_names_the_expected_form_not_the_value() -> None:
    with pytest.raises(ValueError, match=r"not a date in the form %d/%m/%Y") as caught:
        parsing.parse_partial_date("31/02/1990", ["%d/%m/%Y"])
    assert "31/02" not in str(caught.value)


@pytest.mark.parametrize(
    ("written", "region", "e164"),
    [
        ("0721 234 567", "RO", "+40721234567"),
        ("+40 721 234 567", "GB", "+40721234567"),
        ("07911 123456", "GB", "+447911123456"),
    ],
)
def test_phones_written_either_way_become_e164(written: str, region: str, e164: str) -> None:
    assert parsing.parse_phone(written, region) == e164


def test_countries_by_code_or_name() -> None:
    assert parsing.parse_country("RO") == "RO"
    assert parsing.parse_country("ROU") == "RO"
    assert parsing.parse_country("Viet Nam") == "VN"
    with pytest.raises(ValueError, match="not a known country"):
        parsing.parse_country("Atlantis")


def test_names_in_both_national_styles() -> None:
    assert parsing.split_name_comma("POPESCU, Ioana Maria") == ("POPESCU", ["Ioana", "Maria"])
    assert parsing.split_name_upper_first("ȚURCANU Ștefan") == ("ȚURCANU", ["Ștefan"])


def test_values_are_nfc_normalised_and_empty_is_absent() -> None:
    decomposed = "S\u0327tefan"  # S + combining cedilla
    assert parsing.clean(decomposed) == "\u015etefan"  # one precomposed Ş
    assert parsing.clean("  ") is None


def test_enum_maps_are_case_insensitive_and_list_the_choices() -> None:
    assert parsing.map_value("f", {"M": "MALE", "F": "FEMALE"}) == "FEMALE"
    with pytest.raises(ValueError, match="not one of F, M"):
        parsing.map_value("X", {"M": "MALE", "F": "FEMALE"})


def test_dates() -> None:
    assert parsing.parse_date("20.11.2026", ["%d/%m/%Y", "%d.%m.%Y"]) == date(2026, 11, 20)

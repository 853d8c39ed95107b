"""Domain rules: each failure names the field, and never repeats a personal value."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from infra.errors import EventValidationError
from schemas.contract import validate_event
from schemas.examples import EXAMPLE_CNP, example_data


def _person(**overrides: Any) -> dict[str, Any]:
    return example_data("PersonRecorded", **overrides)


def _identifiers(cnp: str) -> list[dict[str, Any]]:
    return [{"type": "CNP", "value": cnp, "issuing_country": "RO"}]


def _refused(event_type: str, data: dict[str, Any], field: str) -> str:
    with pytest.raises(EventValidationError) as caught:
        validate_event(event_type, data)
    message = str(caught.value)
    assert f"field '{field}" in message, message
    assert message.startswith(f"invalid {event_type}")
    return message


def test_cnp_with_a_wrong_check_digit_is_refused_without_showing_it() -> None:
    wrong = EXAMPLE_CNP[:-1] + str((int(EXAMPLE_CNP[-1]) + 1) % 10)

    message = _refused("PersonRecorded", _person(identifiers=_identifiers(wrong)), "identifiers.0")

    assert wrong not in message
    assert "check digit" in message


def test_cnp_must_agree_with_the_date_of_birth() -> None:
    data = _person(date_of_birth={"year": 1995, "month": 3, "day": 15})

    message = _refused("PersonRecorded", data, "(event)")

    assert "CNP encodes birth date" in message


def test_an_estimated_birth_date_may_differ_from_the_cnp() -> None:
    data = _person(date_of_birth={"year": 1990, "estimated": True})

    assert validate_event("PersonRecorded", data)


def test_a_year_only_birth_date_agreeing_with_the_cnp_is_accepted() -> None:
    assert validate_event("PersonRecorded", _person(date_of_birth={"year": 1994}))


def test_cnp_must_agree_with_sex() -> None:
    message = _refused("PersonRecorded", _person(sex="MALE"), "(event)")

    assert "CNP encodes sex FEMALE" in message


def test_a_cnp_issued_outside_romania_is_refused() -> None:
    identifiers = [{"type": "CNP", "value": EXAMPLE_CNP, "issuing_country": "GB"}]

    _refused("PersonRecorded", _person(identifiers=identifiers), "identifiers.0")


@pytest.mark.parametrize("phone", ["0721234567", "+40 721 234 567", "+4072", "+40721234567x"])
def test_phones_must_be_valid_e164(phone: str) -> None:
    message = _refused("PersonRecorded", _person(phones=[phone]), "phones.0")

    assert phone not in message


@pytest.mark.parametrize(
    ("field", "value"), [("nationalities", ["XX"]), ("nationalities", ["ROU"])]
)
def test_nationalities_must_be_iso_3166_alpha_2(field: str, value: list[str]) -> None:
    _refused("PersonRecorded", _person(**{field: value}), f"{field}.0")


def test_country_must_match_the_agency() -> None:
    message = _refused("CaseOpened", example_data("CaseOpened", country="RO"), "(event)")

    assert "does not match agency uk-sca" in message


def test_events_cannot_have_happened_in_the_future() -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)

    _refused("CaseOpened", example_data("CaseOpened", occurred_at=tomorrow), "occurred_at")


def test_timestamps_need_a_timezone() -> None:
    naive = datetime(2026, 11, 1, 12, 0)

    _refused("CaseOpened", example_data("CaseOpened", recorded_at=naive), "recorded_at")


def test_decision_dates_cannot_be_in_the_future() -> None:
    later = date.today() + timedelta(days=30)

    _refused(
        "IdentificationDecided",
        example_data("IdentificationDecided", decided_on=later),
        "decided_on",
    )


def test_birth_dates_cannot_be_in_the_future() -> None:
    data = _person(date_of_birth={"year": date.today().year + 1}, identifiers=[])

    _refused("PersonRecorded", data, "date_of_birth")


@pytest.mark.parametrize(
    ("dob", "reason"),
    [
        ({"year": 1994, "day": 3}, "day given without month"),
        ({"year": 1994, "month": 2, "day": 30}, "has no day 30"),
    ],
)
def test_partial_dates_must_be_real(dob: dict[str, int], reason: str) -> None:
    message = _refused(
        "PersonRecorded", _person(date_of_birth=dob, identifiers=[]), "date_of_birth"
    )

    assert reason in message


def test_sequence_starts_at_one() -> None:
    _refused("CaseClosed", example_data("CaseClosed", sequence=0), "sequence")


def test_information_accuracy_is_one_to_four() -> None:
    _refused(
        "CaseClosed", example_data("CaseClosed", information_accuracy=5), "information_accuracy"
    )


def test_h3_needs_its_stated_restriction() -> None:
    message = _refused("CaseClosed", example_data("CaseClosed", handling_code="H3"), "(event)")

    assert "handling_restriction" in message


def test_a_retraction_must_reference_another_event() -> None:
    data = example_data("RecordRetracted")
    data["retracted_event_id"] = data["event_id"]

    _refused("RecordRetracted", data, "(event)")


def test_a_retraction_without_an_event_id_is_refused() -> None:
    data = example_data("RecordRetracted")
    del data["retracted_event_id"]

    _refused("RecordRetracted", data, "retracted_event_id")


def test_a_cross_border_link_must_cross_the_border() -> None:
    data = example_data(
        "CrossBorderLinkAsserted", counterpart_agency="RO_DIICOT", counterpart_country="RO"
    )

    _refused("CrossBorderLinkAsserted", data, "(event)")


def test_unknown_fields_are_refused() -> None:
    _refused("CaseClosed", example_data("CaseClosed", colour="blue"), "colour")

"""Pure domain checks used by the event models; each raises ValueError with a plain reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache

import phonenumbers
import pycountry
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.ro import cnp

# Producers' clocks drift; a timestamp this far ahead of ours is still accepted.
CLOCK_SKEW = timedelta(minutes=5)
# The latest timezone is UTC+14: a date is "in the future" only if it is after today there.
LATEST_UTC_OFFSET = timedelta(hours=14)
CNP_MALE_DIGITS = frozenset("13579")
CNP_FEMALE_DIGITS = frozenset("2468")


@cache
def _alpha_2_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def country_code(value: str) -> str:
    """An ISO 3166-1 alpha-2 code (upper case), else ValueError."""
    if value.upper() not in _alpha_2_codes():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value.upper()


def not_future_timestamp(value: datetime, now: datetime | None = None) -> datetime:
    """A timezone-aware timestamp not after now (plus clock skew), else ValueError."""
    if value.tzinfo is None:
        raise ValueError("timestamp has no timezone")
    current = now or datetime.now(UTC)
    if value > current + CLOCK_SKEW:
        raise ValueError(f"{value.isoformat()} is in the future")
    return value


def not_future_date(value: date, now: datetime | None = None) -> date:
    """A calendar date that has begun somewhere on Earth, else ValueError."""
    current = now or datetime.now(UTC)
    if value > (current + LATEST_UTC_OFFSET).date():
        raise ValueError(f"{value.isoformat()} is in the future")
    return value


def normalise_phone(value: str, region: str | None) -> str:
    """E.164 of a valid number; ``region`` reads numbers written nationally (None: E.164 only)."""
    # Messages never repeat the number: errors reach logs and dead-letter headers.
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number (+<country code><number>)") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid phone number for its country code")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_phone(value: str) -> str:
    """A valid phone number already written in E.164 (+<country><number>), else ValueError."""
    if normalise_phone(value, None) != value:
        raise ValueError("not written in E.164 form (no spaces, leading +)")
    return value


def valid_cnp(value: str) -> str:
    """A Romanian CNP with a valid check digit and birth date, else ValueError (no digits shown)."""
    try:
        return str(cnp.validate(value))
    except StdnumValidationError as exc:
        raise ValueError(f"invalid CNP: {exc}") from None


def cnp_birth_date(value: str) -> date:
    """The birth date a valid CNP encodes."""
    birth: date = cnp.get_birth_date(value)
    return birth


def cnp_sex(value: str) -> str | None:
    """'MALE' or 'FEMALE' from a CNP's first digit; None for digits that do not encode sex (9)."""
    if value[0] in CNP_MALE_DIGITS:
        return "MALE"
    if value[0] in CNP_FEMALE_DIGITS:
        return "FEMALE"
    return None

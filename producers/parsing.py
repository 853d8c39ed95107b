"""Pure parsers for agency export values; each raises ValueError with a reason, never the value."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pycountry

from schemas.validation import normalise_phone

ESTIMATE_MARKERS = ("~", "c.", "ca.", "approx", "?")


def clean(value: str | None) -> str | None:
    """Strip the value (NFC, outer whitespace); empty means absent."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text or None


def parse_datetime(value: str, formats: list[str], timezone: str) -> datetime:
    """A local date-time in one of ``formats``, made aware in ``timezone``."""
    for fmt in formats:
        try:
            local = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return local.replace(tzinfo=ZoneInfo(timezone))
    raise ValueError(f"not a date-time in the form {' or '.join(formats)}")


def parse_date(value: str, formats: list[str]) -> date:
    """A calendar date in one of ``formats``."""
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date in the form {' or '.join(formats)}")


def parse_partial_date(value: str, formats: list[str]) -> dict[str, Any]:
    """A date of birth that may be year-only or estimated (``~1990``, ``c.1990``, ``1990?``)."""
    text = value.strip()
    estimated = any(marker in text.lower() for marker in ESTIMATE_MARKERS)
    for marker in ESTIMATE_MARKERS:
        text = text.replace(marker, "").replace(marker.upper(), "")
    text = text.strip()
    if re.fullmatch(r"\d{4}", text):
        return {"year": int(text), "estimated": estimated}
    full = parse_date(text, formats)
    return {"year": full.year, "month": full.month, "day": full.day, "estimated": estimated}


def parse_country(value: str) -> str:
    """ISO 3166-1 alpha-2 from a code (RO, ROU) or an English name (Romania)."""
    try:
        return str(pycountry.countries.lookup(value).alpha_2)
    except LookupError:
        raise ValueError("not a known country code or name") from None


def parse_phone(value: str, region: str) -> str:
    """E.164 from a number written nationally (``0721 234 567``) or internationally."""
    return normalise_phone(value, region)


def split_list(value: str, separator: str) -> list[str]:
    """Non-empty, stripped items."""
    return [item.strip() for item in value.split(separator) if item.strip()]


def map_value(value: str, mapping: Mapping[str, str]) -> str:
    """``mapping[value]`` (case-insensitive keys), else a ValueError listing the accepted keys."""
    folded = {key.casefold(): target for key, target in mapping.items()}
    target = folded.get(value.casefold())
    if target is None:
        raise ValueError(f"not one of {', '.join(sorted(mapping))}")
    return target


def split_name_comma(value: str) -> tuple[str | None, list[str]]:
    """``SURNAME, Forename Middle`` → (family name, given names)."""
    family, _, given = value.partition(",")
    return clean(family), given.split()


def split_name_upper_first(value: str) -> tuple[str | None, list[str]]:
    """``POPESCU Ioana Maria`` (family name in capitals first) → (family name, given names)."""
    tokens = value.split()
    family = [t for t in tokens if t.isupper() and len(t) > 1]
    given = [t for t in tokens if t not in family]
    if not family:
        return None, tokens
    return " ".join(family), given

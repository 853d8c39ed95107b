"""Normalising person records for matching: pure functions, no I/O beyond the packaged tables.

Every agency writes the same person differently: Romanian systems keep diacritics (some still as
the old cedilla letters ş/ţ), UK systems drop them, upper-case surnames, anglicise given names
(Ion → John) and sometimes swap given and family names. The functions here reduce a record to
comparable keys; the matcher compares keys, never the raw text.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import phonenumbers
from stdnum.exceptions import ValidationError
from stdnum.ro import cnp

# The old cedilla letters, used for Romanian ș/ț by legacy code pages, to the correct comma-below.
COMMA_BELOW = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "Ș", "Ţ": "Ț"})
# Letters NFD does not decompose into base + combining mark.
EXTRA_FOLDS = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "æ": "ae"}
)
NOT_LETTER = re.compile(r"[^\w\s]|[\d_]")
SPACES = re.compile(r"\s+")


def comma_below(text: str) -> str:
    """NFC, then cedilla ş/ţ (legacy) → comma-below ș/ț (correct Romanian)."""
    return unicodedata.normalize("NFC", text).translate(COMMA_BELOW)


def fold_diacritics(text: str) -> str:
    """Remove diacritics: ș → s, ă → a, é → e (after comma-below, so both spellings agree)."""
    decomposed = unicodedata.normalize("NFD", comma_below(text).translate(EXTRA_FOLDS))
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def name_tokens(text: str | None) -> list[str]:
    """A name as folded, case-folded tokens: ``ŞTEFĂNESCU-Pîrvu`` → ``[stefanescu, pirvu]``."""
    if not text:
        return []
    folded = fold_diacritics(text).casefold().replace("-", " ").replace("'", "")
    return [token for token in SPACES.split(NOT_LETTER.sub(" ", folded)) if token]


def name_key(text: str | None) -> str | None:
    """The tokens of a name joined by one space, or None if it has none."""
    tokens = name_tokens(text)
    return " ".join(tokens) if tokens else None


@dataclass(frozen=True)
class GivenNameVariants:
    """English/Romanian given-name variants, each mapped to one canonical form (extensible)."""

    canonical: Mapping[str, str]

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, str]]) -> GivenNameVariants:
        """From rows with ``canonical`` and ``variant`` (any spelling; keys are normalised)."""
        table: dict[str, str] = {}
        for row in rows:
            canonical, variant = name_key(row["canonical"]), name_key(row["variant"])
            if not canonical or not variant:
                raise ValueError(f"given-name variant row without both names: {dict(row)}")
            known = table.get(variant)
            if known is not None and known != canonical:
                raise ValueError(f"{variant!r} is a variant of both {known!r} and {canonical!r}")
            table[variant] = canonical
        return cls(table)

    def canonical_of(self, token: str) -> str:
        """The canonical form of one normalised given-name token (itself if unknown)."""
        return self.canonical.get(token, token)


@cache
def packaged_variants() -> GivenNameVariants:
    """The maintained table shipped in ``flows/data/given_name_variants.csv``."""
    text = resources.files("flows").joinpath("data/given_name_variants.csv").read_text("utf-8")
    return GivenNameVariants.from_rows(csv.DictReader(text.splitlines()))


@dataclass(frozen=True)
class CnpFacts:
    """What a valid CNP says about its holder."""

    value: str
    birth_date: date
    sex: str  # MALE | FEMALE


def cnp_facts(value: str | None) -> CnpFacts | None:
    """A valid CNP's birth date and sex, or None if absent or invalid."""
    if not value:
        return None
    try:
        compact = cnp.validate(value)
        born = cnp.get_birth_date(compact)
    except (ValidationError, ValueError):
        return None
    return CnpFacts(compact, born, "MALE" if compact[0] in "1357" else "FEMALE")


def e164(phone: str | None, region: str | None = None) -> str | None:
    """A phone number in E.164, or None if it does not parse as a possible number."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def document_number(value: str | None) -> str | None:
    """A passport or document number: upper-case letters and digits only."""
    if not value:
        return None
    compact = re.sub(r"[^0-9A-Za-z]", "", value).upper()
    return compact or None


@dataclass(frozen=True)
class PartialBirthDate:
    """A date of birth that may lack day or month."""

    year: int | None = None
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str | None) -> PartialBirthDate:
        """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (anything else: unknown)."""
        parts = (text or "").strip().split("-")
        if not parts[0].isdigit() or len(parts[0]) != 4 or len(parts) > 3:
            return cls()
        numbers = [int(p) for p in parts if p.isdigit()]
        if len(numbers) != len(parts):
            return cls()
        year, month, day = [*numbers, None, None][:3]
        return cls(year, month, day)


@dataclass(frozen=True)
class PersonRecord:
    """One agency person record, as the matcher receives it (from the view or a CSV file)."""

    record_id: str
    agency: str = ""
    given_names: Sequence[str] = ()
    family_name: str | None = None
    date_of_birth: PartialBirthDate = PartialBirthDate()
    sex: str | None = None
    nationality: str | None = None
    national_id: str | None = None
    passport_no: str | None = None
    phone: str | None = None
    role: str | None = None
    case_ref: str | None = None
    # Case context: the forms of exploitation the record's case names (HTCDS codes).
    exploitation_types: Sequence[str] = ()
    # The provider's handling code: H2 records are matched but never published downstream.
    handling_code: str = "H0"


def matching_row(record: PersonRecord, variants: GivenNameVariants) -> dict[str, Any]:
    """The record as the matcher's input row: normalised keys, None where unknown."""
    given = [variants.canonical_of(t) for g in record.given_names for t in name_tokens(g)]
    family = name_tokens(record.family_name)
    # The family name read as given names: how a record with the names swapped must be compared.
    family_as_given = [variants.canonical_of(t) for t in family]
    # Order-free name key: equal when given and family name were recorded the wrong way round.
    everything = sorted(given + family_as_given)
    facts = cnp_facts(record.national_id)
    dob = record.date_of_birth
    if facts is not None and dob.year is None:
        dob = PartialBirthDate(facts.birth_date.year, facts.birth_date.month, facts.birth_date.day)
    sex = (record.sex or "").upper() or None
    if sex == "UNKNOWN":
        sex = None
    return {
        "unique_id": record.record_id,
        "agency": record.agency or None,
        "given_name": given[0] if given else None,
        "given_names": " ".join(given) or None,
        "family_name": " ".join(family) or None,
        "family_as_given": " ".join(family_as_given) or None,
        "name_tokens": " ".join(everything) or None,
        "dob_year": dob.year,
        "dob_month": dob.month,
        "dob_day": dob.day,
        "sex": sex,
        "nationality": (record.nationality or "").upper() or None,
        "cnp": facts.value if facts else None,
        # A CNP that contradicts the stated birth date or sex is evidence against, not for.
        "cnp_consistent": None if facts is None else _cnp_agrees(facts, record, sex),
        # Passport, or another document number (a national id that is not a valid CNP).
        "passport": document_number(record.passport_no)
        or (None if facts else document_number(record.national_id)),
        "phone": e164(record.phone),
        "role": (record.role or "").upper() or None,
        "exploitation": ",".join(
            sorted({t.upper() for t in record.exploitation_types} - {"UNKNOWN"})
        )
        or None,
    }


def _cnp_agrees(facts: CnpFacts, record: PersonRecord, sex: str | None) -> bool:
    dob = record.date_of_birth
    born = facts.birth_date
    if dob.year is not None and dob.year != born.year:
        return False
    if dob.month is not None and dob.month != born.month:
        return False
    if dob.day is not None and dob.day != born.day:
        return False
    return sex is None or sex == facts.sex


def looks_swapped(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """True when one record's given name is the other's family name and vice versa."""
    if not first.get("given_names") or not first.get("family_as_given"):
        return False
    return bool(
        first["given_names"] == second.get("family_as_given")
        and first["family_as_given"] == second.get("given_names")
    )

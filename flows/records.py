"""Person records for matching, from the contract's events, the view, or a CSV file."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from consumers.view import AgencyPerson
from flows.normalise import PartialBirthDate, PersonRecord
from schemas.events import PersonRecorded
from schemas.vocabulary import Agency

CSV_COLUMNS = (
    "record_id",
    "agency",
    "given_names",
    "family_name",
    "date_of_birth",
    "sex",
    "nationality",
    "national_id",
    "passport_no",
    "phone",
)


def record_id(agency: str, person_ref: str) -> str:
    """One id per agency person record: ``<agency code>:<person ref>``."""
    return f"{agency}:{person_ref}"


def _identifier(identifiers: Iterable[dict[str, object]], kind: str) -> str | None:
    return next((str(i["value"]) for i in identifiers if i.get("type") == kind), None)


def from_event(event: PersonRecorded) -> PersonRecord:
    """A PersonRecorded event's matching fields."""
    dob = event.date_of_birth
    identifiers = [i.model_dump(mode="json") for i in event.identifiers]
    return PersonRecord(
        record_id=record_id(event.agency.code, event.person_ref),
        agency=event.agency.code,
        given_names=tuple(event.given_names),
        family_name=event.family_name,
        date_of_birth=PartialBirthDate(dob.year, dob.month, dob.day) if dob else PartialBirthDate(),
        sex=event.sex.value,
        nationality=event.nationalities[0] if event.nationalities else None,
        national_id=_identifier(identifiers, "CNP"),
        passport_no=_identifier(identifiers, "PASSPORT"),
        phone=event.phones[0] if event.phones else None,
        role=event.role.value,
        case_ref=event.case_ref,
        exploitation_types=tuple(t.value for t in event.exploitation_types),
        handling_code=event.handling_code.value,
    )


def latest_records(events: Iterable[PersonRecorded]) -> list[PersonRecord]:
    """The latest version of each agency person record (highest sequence wins)."""
    latest: dict[tuple[str, str], PersonRecorded] = {}
    for event in events:
        key = (event.agency.value, event.person_ref)
        if key not in latest or event.sequence > latest[key].sequence:
            latest[key] = event
    return [from_event(event) for event in latest.values()]


def from_view(person: AgencyPerson) -> PersonRecord:
    """A view row's matching fields (a retracted record has none left but its id)."""
    dob = person.date_of_birth or {}
    return PersonRecord(
        record_id=record_id(Agency(person.agency).code, person.person_ref),
        agency=Agency(person.agency).code,
        given_names=tuple(person.given_names),
        family_name=person.family_name,
        date_of_birth=PartialBirthDate(dob.get("year"), dob.get("month"), dob.get("day")),
        sex=person.sex,
        nationality=person.nationalities[0] if person.nationalities else None,
        national_id=_identifier(person.identifiers, "CNP"),
        passport_no=_identifier(person.identifiers, "PASSPORT"),
        phone=person.phones[0] if person.phones else None,
        role=person.role,
        case_ref=person.case_ref,
        exploitation_types=tuple(person.exploitation_types),
        handling_code=person.handling_code,
    )


def read_csv(path: Path) -> Iterator[PersonRecord]:
    """Rows of a persons CSV (missing columns allowed, extra ones ignored); names the bad row."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if "record_id" not in (reader.fieldnames or []):
            raise ValueError(f"{path}: no record_id column (columns: {reader.fieldnames})")
        for line, row in enumerate(reader, start=2):
            if not (row.get("record_id") or "").strip():
                raise ValueError(f"{path} line {line}: empty record_id")
            given = (row.get("given_names") or "").strip()
            yield PersonRecord(
                record_id=row["record_id"].strip(),
                agency=(row.get("agency") or "").strip(),
                given_names=tuple(given.split()) if given else (),
                family_name=(row.get("family_name") or "").strip() or None,
                date_of_birth=PartialBirthDate.parse(row.get("date_of_birth")),
                sex=(row.get("sex") or "").strip() or None,
                nationality=(row.get("nationality") or "").strip() or None,
                national_id=(row.get("national_id") or "").strip() or None,
                passport_no=(row.get("passport_no") or "").strip() or None,
                phone=(row.get("phone") or "").strip() or None,
            )

"""Romanian National Police JSONL: one record per line, its kind in ``tip``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Required

from pydantic import ConfigDict, TypeAdapter
from typing_extensions import TypedDict

from infra.errors import EventValidationError, ExportRowError
from producers import parsing
from producers.exports import checked_row, read_jsonl
from producers.identity import event_id
from schemas.contract import validate_event
from schemas.events import Envelope
from schemas.vocabulary import Agency

ROLES = {"suspect": "SUSPECT", "persoana_vatamata": "VICTIM", "martor": "WITNESS"}


class _Line(TypedDict, total=False):
    """The type of every field the adapter reads from a line (others pass through)."""

    __pydantic_config__ = ConfigDict(extra="allow")  # type: ignore[misc]
    tip: Required[str]
    id: Required[str]
    versiune: int
    nr_dosar: Required[str]
    nr_modificare: Required[int]
    data_faptei: Required[str]
    data_inregistrarii: Required[str]
    cod_tratare: str
    restrictie: str | None
    localitate_recrutare: str | None
    tara_exploatare: str | None
    localitate_exploatare: str | None
    infractiuni: list[str]
    data: str | None
    unitate: str | None
    data_nasterii: str | None
    telefoane: list[str]
    cnp: str | None
    pasaport: str | None
    prenume: list[str] | str | None
    calitate: str | None
    nume: str | None
    sex: str | None
    cetatenie: list[str]
    agentie: str | None
    referinta: str | None
    temei: str | None
    motiv: str | None


LINE_SHAPE: TypeAdapter[_Line] = TypeAdapter(_Line)


class RomanianPoliceAdapter:
    """Coded adapter: each ``tip`` has its own small mapping function."""

    agency = Agency.RO_POLICE

    def rows(self, path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
        """Each line of the JSONL export."""
        return read_jsonl(path)

    def to_events(self, row: Mapping[str, Any]) -> list[Envelope]:
        """The one event a line stands for."""
        if "__error__" in row:
            raise ExportRowError("line", str(row["__error__"]))
        row = checked_row(LINE_SHAPE, row)
        kind = str(row.get("tip", ""))
        build = _BUILDERS.get(kind)
        if build is None:
            raise ExportRowError(
                "tip", f"unknown record kind (expected {', '.join(sorted(_BUILDERS))})"
            )
        try:
            envelope = {
                "event_id": event_id(self.agency, str(row["id"]), int(row.get("versiune", 1))),
                "agency": self.agency,
                "country": "RO",
                "case_ref": row["nr_dosar"],
                "sequence": row["nr_modificare"],
                "occurred_at": datetime.fromisoformat(row["data_faptei"]),
                "recorded_at": datetime.fromisoformat(row["data_inregistrarii"]),
                "handling_code": row.get("cod_tratare", "H0"),
                "handling_restriction": row.get("restrictie"),
            }
        except KeyError as exc:
            raise ExportRowError(str(exc.args[0]), "missing") from None
        except ValueError as exc:
            raise ExportRowError("data_faptei", f"not an ISO 8601 timestamp: {exc}") from None
        event_type, fields = build(row)
        data = {k: v for k, v in {**envelope, **fields}.items() if v is not None}
        try:
            return [validate_event(event_type, data)]
        except EventValidationError as exc:
            raise ExportRowError(exc.fields[0] if exc.fields else event_type, str(exc)) from None


def _case(row: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    return "CaseOpened", {
        "case_type": "CRIMINAL_INVESTIGATION",
        "recruitment_country": "RO",
        "recruitment_locality": row.get("localitate_recrutare"),
        "exploitation_country": row.get("tara_exploatare"),
        "exploitation_locality": row.get("localitate_exploatare"),
    }


def _investigation(row: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    return "InvestigationOpened", {
        "investigation_ref": row.get("nr_dosar"),
        "offences": row.get("infractiuni", []),
        "opened_on": row.get("data"),
        "lead_unit": row.get("unitate"),
    }


def _person(row: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    try:
        dob = (
            parsing.parse_partial_date(str(row["data_nasterii"]), ["%Y-%m-%d"])
            if row.get("data_nasterii")
            else None
        )
        phones = [parsing.parse_phone(p, "RO") for p in row.get("telefoane", [])]
    except ValueError as exc:
        raise ExportRowError("data_nasterii/telefoane", str(exc)) from None
    identifiers = []
    if row.get("cnp"):
        identifiers.append({"type": "CNP", "value": row["cnp"], "issuing_country": "RO"})
    if row.get("pasaport"):
        identifiers.append({"type": "PASSPORT", "value": str(row["pasaport"]).replace(" ", "")})
    given = row.get("prenume") or []
    return "PersonRecorded", {
        "person_ref": row.get("id"),
        "role": ROLES.get(str(row.get("calitate")), "WITNESS"),
        "given_names": given if isinstance(given, list) else str(given).split(),
        "family_name": row.get("nume"),
        "date_of_birth": dob,
        "sex": {"M": "MALE", "F": "FEMALE"}.get(str(row.get("sex")), "UNKNOWN"),
        "nationalities": row.get("cetatenie", []),
        "identifiers": identifiers,
        "phones": phones,
    }


def _link(row: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    return "CrossBorderLinkAsserted", {
        "counterpart_agency": row.get("agentie"),
        "counterpart_country": "GB",
        "counterpart_case_ref": row.get("referinta"),
        "basis": row.get("temei", "OTHER"),
    }


def _closed(row: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    return "CaseClosed", {"status": "CLOSED", "reason": row.get("motiv", "OTHER")}


_BUILDERS: dict[str, Callable[[Mapping[str, Any]], tuple[str, dict[str, Any]]]] = {
    "dosar": _case,
    "urmarire": _investigation,
    "persoana": _person,
    "legatura": _link,
    "clasare": _closed,
}

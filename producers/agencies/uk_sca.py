"""UK competent authority (NRM) referral JSON: one referral → case, person, referral, decisions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Required

from pydantic import ConfigDict, TypeAdapter
from typing_extensions import TypedDict

from infra.errors import EventValidationError, ExportRowError
from producers import parsing
from producers.exports import checked_row, read_json_list
from producers.identity import event_id
from schemas.contract import validate_event
from schemas.events import Envelope
from schemas.vocabulary import Agency

RESPONDER_TYPES = {
    "police": "POLICE",
    "local authority": "LOCAL_AUTHORITY",
    "ngo": "NGO",
    "home office": "IMMIGRATION_AUTHORITY",
    "health": "HEALTH_OR_SOCIAL_CARE",
}
EXPLOITATION = {
    "labour": "LABOUR",
    "sexual": "SEXUAL",
    "criminal": "CRIMINAL",
    "domestic servitude": "DOMESTIC_SERVITUDE",
    "organ harvesting": "ORGAN_HARVESTING",
    "unknown": "UNKNOWN",
}
STAGES = {"rg": "REASONABLE_GROUNDS", "cg": "CONCLUSIVE_GROUNDS"}
GENDERS = {
    "male": "MALE",
    "female": "FEMALE",
    "other": "TRANSGENDER_NONCONFORMING",
    "unknown": "UNKNOWN",
}


# The shape of one referral: the type of every field the adapter reads (others pass through).
_OPEN = ConfigDict(extra="allow")


class _Responder(TypedDict, total=False):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    type: str
    organisation: str | None


class _Victim(TypedDict, total=False):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    pv_ref: Required[str]
    version: int
    seq: int
    forenames: str | None
    surname: str | None
    dob: str | None
    dob_estimated: bool
    gender: str | None
    nationalities: list[str]
    phones: list[str]
    passport: str | None


class _Exploitation(TypedDict, total=False):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    types: list[str]
    age_at_exploitation: str | None
    location: str | None
    country: str | None


class _Decision(TypedDict, total=False):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    decision_id: Required[str]
    seq: Required[int]
    stage: Required[str]
    outcome: Required[str]
    date: Required[str]


class _Referral(TypedDict, total=False):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    nrm_ref: Required[str]
    handling: str
    submitted: Required[str]
    recorded: str
    first_responder: _Responder
    potential_victim: Required[_Victim]
    exploitation: _Exploitation
    decisions: list[_Decision]


REFERRAL_SHAPE: TypeAdapter[_Referral] = TypeAdapter(_Referral)


def _get(data: Mapping[str, Any], *path: str) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            raise ExportRowError(".".join(path), "missing")
        value = value[key]
    return value


def _timestamp(value: Any, field: str) -> datetime:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ExportRowError(field, "not an ISO 8601 timestamp") from None


def _mapped(value: Any, table: Mapping[str, str], field: str) -> str:
    try:
        return parsing.map_value(str(value), table)
    except ValueError as exc:
        raise ExportRowError(field, str(exc)) from None


class NrmReferralAdapter:
    """Coded adapter for the NRM export (nested JSON is awkward to describe declaratively)."""

    agency = Agency.UK_SCA

    def rows(self, path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
        """Each referral of the export's ``referrals`` list."""
        return read_json_list(path, "referrals")

    def to_events(self, row: Mapping[str, Any]) -> list[Envelope]:
        """CaseOpened, PersonRecorded, ReferralMade and one IdentificationDecided per decision."""
        if "__error__" in row:
            raise ExportRowError("referral", str(row["__error__"]))
        row = checked_row(REFERRAL_SHAPE, row)
        ref = str(_get(row, "nrm_ref"))
        submitted = _timestamp(_get(row, "submitted"), "submitted")
        recorded = _timestamp(row.get("recorded", row["submitted"]), "recorded")
        envelope = {
            "agency": self.agency,
            "country": "GB",
            "case_ref": ref,
            "occurred_at": submitted,
            "recorded_at": recorded,
            "handling_code": row.get("handling", "H0"),
        }
        victim = _get(row, "potential_victim")
        exploitation = row.get("exploitation", {})
        types = [
            _mapped(t, EXPLOITATION, "exploitation.types") for t in exploitation.get("types", [])
        ]
        age_group = {"adult": "ADULT", "child": "CHILD"}.get(
            str(exploitation.get("age_at_exploitation", "")).lower(), "UNKNOWN"
        )
        responder = row.get("first_responder", {})
        pending: list[tuple[str, dict[str, Any]]] = [
            (
                "CaseOpened",
                {
                    **envelope,
                    "event_id": event_id(self.agency, f"{ref}/case", 1),
                    "sequence": 1,
                    "case_type": "VICTIM_REFERRAL",
                    "exploitation_country": "GB",
                    "exploitation_locality": exploitation.get("location"),
                    "exploitation_types": types,
                },
            ),
            ("PersonRecorded", {**envelope, **self._person(victim, types, age_group)}),
            (
                "ReferralMade",
                {
                    **envelope,
                    "event_id": event_id(self.agency, f"{ref}/referral", 1),
                    "sequence": 3,
                    "person_ref": victim.get("pv_ref"),
                    "referral_kind": "NRM_REFERRAL",
                    "first_responder_type": _mapped(
                        responder.get("type", "other"),
                        {**RESPONDER_TYPES, "other": "OTHER"},
                        "first_responder.type",
                    ),
                    "first_responder_organisation": responder.get("organisation"),
                    "referred_on": submitted.date(),
                    "age_group": age_group,
                    "exploitation_types": types,
                },
            ),
        ]
        for decision in row.get("decisions", []):
            pending.append(
                (
                    "IdentificationDecided",
                    {
                        **envelope,
                        "event_id": event_id(self.agency, str(_get(decision, "decision_id")), 1),
                        "sequence": _get(decision, "seq"),
                        "person_ref": victim.get("pv_ref"),
                        "stage": _mapped(_get(decision, "stage"), STAGES, "decisions.stage"),
                        "outcome": str(_get(decision, "outcome")).upper(),
                        "decided_on": _get(decision, "date"),
                    },
                )
            )
        events = []
        for event_type, data in pending:
            try:
                events.append(
                    validate_event(event_type, {k: v for k, v in data.items() if v is not None})
                )
            except EventValidationError as exc:
                raise ExportRowError(
                    exc.fields[0] if exc.fields else event_type, str(exc)
                ) from None
        return events

    def _person(
        self, victim: Mapping[str, Any], types: list[str], age_group: str
    ) -> dict[str, Any]:
        pv_ref = str(_get(victim, "pv_ref"))
        dob = victim.get("dob")
        try:
            date_of_birth = parsing.parse_partial_date(str(dob), ["%Y-%m-%d"]) if dob else None
            if date_of_birth is not None and victim.get("dob_estimated"):
                date_of_birth["estimated"] = True
            phones = [parsing.parse_phone(p, "GB") for p in victim.get("phones", [])]
            nationalities = [parsing.parse_country(n) for n in victim.get("nationalities", [])]
        except ValueError as exc:
            raise ExportRowError("potential_victim", str(exc)) from None
        surname, forenames = victim.get("surname"), victim.get("forenames") or ""
        passport = parsing.clean(victim.get("passport"))
        return {
            "event_id": event_id(self.agency, pv_ref, int(victim.get("version", 1))),
            "sequence": victim.get("seq", 2),
            "person_ref": pv_ref,
            "role": "VICTIM",
            "given_names": forenames.split(),
            "family_name": parsing.clean(surname),
            "name_as_written": parsing.clean(f"{forenames} {surname or ''}"),
            "date_of_birth": date_of_birth,
            "sex": GENDERS.get(str(victim.get("gender", "unknown")).lower(), "UNKNOWN"),
            "nationalities": nationalities,
            "identifiers": [{"type": "PASSPORT", "value": passport.replace(" ", "")}]
            if passport
            else [],
            "phones": phones,
            "age_group": age_group,
            "exploitation_types": types,
        }

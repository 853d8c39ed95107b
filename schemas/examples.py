"""One valid example of every event (fictitious people): for docs, tests, benchmarks and demos."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from schemas.events import EVENT_TYPES, Envelope
from schemas.vocabulary import Agency

EXAMPLE_TIME = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
EXAMPLE_DAY = date(2026, 11, 20)
# A structurally valid, fictitious CNP: female, born 1994-03-15, county 16 (Dolj).
EXAMPLE_CNP = "2940315161231"


def _envelope(agency: Agency, case_ref: str, sequence: int) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"casesync-example/{case_ref}/{sequence}"),
        "agency": agency,
        "country": agency.country,
        "case_ref": case_ref,
        "sequence": sequence,
        "occurred_at": EXAMPLE_TIME,
        "recorded_at": EXAMPLE_TIME,
        "handling_code": "H1",
        "source_reliability": "B",
        "information_accuracy": 2,
    }


_BODIES: dict[str, tuple[Agency, dict[str, Any]]] = {
    "CaseOpened": (
        Agency.UK_SCA,
        {
            "case_type": "VICTIM_REFERRAL",
            "recruitment_country": "RO",
            "recruitment_locality": "Craiova",
            "exploitation_country": "GB",
            "exploitation_locality": "Leicester",
            "exploitation_types": ["LABOUR"],
        },
    ),
    "PersonRecorded": (
        Agency.RO_ANITP,
        {
            "person_ref": "ANITP-P-000123",
            "role": "VICTIM",
            "given_names": ["Ioana", "Maria"],
            "family_name": "Popescu",
            "aliases": ["Joana Popescu"],
            "name_as_written": "POPESCU Ioana-Maria",
            "date_of_birth": {"year": 1994, "month": 3, "day": 15, "estimated": False},
            "sex": "FEMALE",
            "nationalities": ["RO"],
            "identifiers": [
                {"type": "CNP", "value": EXAMPLE_CNP, "issuing_country": "RO"},
                {"type": "PASSPORT", "value": "055512345", "issuing_country": "RO"},
            ],
            "phones": ["+40721234567"],
            "age_group": "ADULT",
            "exploitation_types": ["LABOUR", "DOMESTIC_SERVITUDE"],
            "consent_to_share": True,
        },
    ),
    "ReferralMade": (
        Agency.UK_SCA,
        {
            "person_ref": "NRM-P-4471",
            "referral_kind": "NRM_REFERRAL",
            "first_responder_type": "POLICE",
            "first_responder_organisation": "West Midlands Police",
            "referred_on": EXAMPLE_DAY,
            "age_group": "ADULT",
            "exploitation_types": ["LABOUR"],
        },
    ),
    "IdentificationDecided": (
        Agency.UK_SCA,
        {
            "person_ref": "NRM-P-4471",
            "stage": "REASONABLE_GROUNDS",
            "outcome": "POSITIVE",
            "decided_on": EXAMPLE_DAY,
        },
    ),
    "InvestigationOpened": (
        Agency.UK_POLICE,
        {
            "investigation_ref": "OP-KESTREL",
            "offences": ["MSA 2015 s.1", "MSA 2015 s.2"],
            "opened_on": EXAMPLE_DAY,
            "lead_unit": "Modern Slavery Unit",
        },
    ),
    "SuspectCharged": (
        Agency.UK_POLICE,
        {"person_ref": "UKP-S-0091", "offence": "MSA 2015 s.2", "charged_on": EXAMPLE_DAY},
    ),
    "ProsecutionStarted": (
        Agency.RO_DIICOT,
        {
            "prosecution_ref": "DIICOT-1234/D/P/2026",
            "defendant_refs": ["DIICOT-S-17", "DIICOT-S-18"],
            "offences": ["CP art. 210"],
            "started_on": EXAMPLE_DAY,
            "court": "Tribunalul Dolj",
        },
    ),
    "CourtOutcomeRecorded": (
        Agency.RO_DIICOT,
        {
            "prosecution_ref": "DIICOT-1234/D/P/2026",
            "person_ref": "DIICOT-S-17",
            "outcome": "CONVICTED",
            "offence": "CP art. 210",
            "sentence_months": 84,
            "sentence_description": None,
            "decided_on": EXAMPLE_DAY,
        },
    ),
    "CrossBorderLinkAsserted": (
        Agency.RO_POLICE,
        {
            "counterpart_agency": "UK_POLICE",
            "counterpart_country": "GB",
            "counterpart_case_ref": "UKP-2026-0042",
            "basis": "JOINT_INVESTIGATION_TEAM",
        },
    ),
    "RecordRetracted": (
        Agency.RO_ANITP,
        {
            "retracted_event_id": uuid.uuid5(uuid.NAMESPACE_URL, "casesync-example/retracted"),
            "person_ref": "ANITP-P-000123",
            "reason": "ERASURE_REQUEST",
        },
    ),
    "CaseClosed": (
        Agency.UK_POLICE,
        {"status": "CLOSED_REFERRED", "reason": "REFERRED_ELSEWHERE", "referred_to": "DIICOT"},
    ),
}


def example_data(event_type: str, sequence: int = 1, **overrides: Any) -> dict[str, Any]:
    """The example's fields as plain data (for tests that break one field on purpose)."""
    agency, body = _BODIES[event_type]
    case_ref = f"EX-{agency.code}-{event_type}"
    return {**_envelope(agency, case_ref, sequence), **body, **overrides}


def example_event(event_type: str, sequence: int = 1, **overrides: Any) -> Envelope:
    """A valid instance of ``event_type``."""
    return EVENT_TYPES[event_type].model_validate(example_data(event_type, sequence, **overrides))


def all_examples() -> list[Envelope]:
    """One valid example per event type, in contract order."""
    return [example_event(name) for name in EVENT_TYPES]

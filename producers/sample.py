"""The demo's sample event, built the way adapters build theirs (deterministic event id)."""

from __future__ import annotations

import uuid
from datetime import datetime

from schemas.events import CaseOpened
from schemas.vocabulary import (
    Agency,
    CaseType,
    ExploitationType,
    HandlingCode,
    SourceReliability,
)

# Namespace for deterministic event ids (UUIDv5 of agency, record id, record version).
EVENT_ID_NAMESPACE = uuid.UUID("6b1f5a52-3d0e-4a5e-9a57-1c1f3c2e9b10")


def deterministic_event_id(agency: Agency, record_id: str, version: int) -> uuid.UUID:
    """UUIDv5 of agency, record id and version: re-publishing an export repeats the same id."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{agency.code}/{record_id}/{version}")


def sample_case_opened(now: datetime, case_ref: str = "DEMO-UKP-0001") -> CaseOpened:
    """A UK police investigation case opened (carries no personal data)."""
    return CaseOpened(
        event_id=deterministic_event_id(Agency.UK_POLICE, case_ref, 1),
        agency=Agency.UK_POLICE,
        country="GB",
        case_ref=case_ref,
        sequence=1,
        occurred_at=now,
        recorded_at=now,
        handling_code=HandlingCode.H0,
        source_reliability=SourceReliability.B,
        information_accuracy=2,
        case_type=CaseType.CRIMINAL_INVESTIGATION,
        recruitment_country="RO",
        recruitment_locality="Craiova",
        exploitation_country="GB",
        exploitation_locality="Birmingham",
        exploitation_types=(ExploitationType.LABOUR,),
    )

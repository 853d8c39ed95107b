"""The demo's sample event, built the way adapters build theirs (deterministic event id)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

# Namespace for deterministic event ids (UUIDv5 of agency, record id, record version).
EVENT_ID_NAMESPACE = uuid.UUID("6b1f5a52-3d0e-4a5e-9a57-1c1f3c2e9b10")


def deterministic_event_id(agency_code: str, record_id: str, version: int) -> str:
    """UUIDv5 of agency, record id and version: re-publishing an export repeats the same id."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{agency_code}/{record_id}/{version}"))


def sample_case_opened(now: datetime, case_ref: str = "DEMO-UKP-0001") -> dict[str, Any]:
    """A UK police investigation case opened (carries no personal data)."""
    return {
        "event_id": deterministic_event_id("uk-police", case_ref, 1),
        "agency": "UK_POLICE",
        "country": "GB",
        "case_ref": case_ref,
        "sequence": 1,
        "occurred_at": now,
        "recorded_at": now,
        "handling_code": "H0",
        "source_reliability": "B",
        "information_accuracy": 2,
        "case_type": "CRIMINAL_INVESTIGATION",
        "recruitment_country": "RO",
        "exploitation_country": "GB",
        "exploitation_locality": "Birmingham",
    }

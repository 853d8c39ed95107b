"""Deterministic event ids: re-running an adapter on the same export repeats the same ids."""

from __future__ import annotations

import uuid

from schemas.vocabulary import Agency

EVENT_ID_NAMESPACE = uuid.UUID("6b1f5a52-3d0e-4a5e-9a57-1c1f3c2e9b10")


def event_id(agency: Agency, record_id: str, version: int) -> uuid.UUID:
    """UUIDv5 of agency, the export's record id and its version."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{agency.code}/{record_id}/{version}")

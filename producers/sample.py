"""A sample event built the way adapters build theirs (deterministic event id)."""

from __future__ import annotations

from datetime import datetime

from producers.identity import event_id
from schemas.events import CaseOpened
from schemas.vocabulary import (
    Agency,
    CaseType,
    ExploitationType,
    HandlingCode,
    SourceReliability,
)


def sample_case_opened(now: datetime, case_ref: str = "DEMO-UKP-0001") -> CaseOpened:
    """A UK police investigation case opened (carries no personal data)."""
    return CaseOpened(
        event_id=event_id(Agency.UK_POLICE, case_ref, 1),
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

"""Event factories for the view tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from consumers.handlers import AppliedEvent
from schemas.events import Envelope
from schemas.examples import example_event


def applied(event: Envelope, offset: int = 0) -> AppliedEvent:
    """``event`` as read from a test topic at ``offset``."""
    return AppliedEvent(event, "casesync.events.test", 0, offset, datetime.now(UTC))


def link_event(ours: tuple[str, str, str], theirs: tuple[str, str, str]) -> Envelope:
    """A link between (agency, country, case ref) ``ours`` and ``theirs``."""
    (agency, country, case_ref), (counterpart, counterpart_country, ref) = ours, theirs
    return example_event(
        "CrossBorderLinkAsserted",
        event_id=uuid.uuid4(),
        agency=agency,
        country=country,
        case_ref=case_ref,
        counterpart_agency=counterpart,
        counterpart_country=counterpart_country,
        counterpart_case_ref=ref,
    )

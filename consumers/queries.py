"""Read-only questions practitioners ask of the joint view (no personal data in these)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from consumers.view import AgencyCase, AgencyPerson, CaseFact, CaseLink, JointCase, TimelineEntry


def view_counts(engine: Engine) -> list[tuple[str, str]]:
    """Rows per view table, with joint cases that were not merged away."""
    with Session(engine) as session:
        live_joint = (
            select(func.count()).select_from(JointCase).where(JointCase.merged_into.is_(None))
        )
        rows = [
            ("agency cases", session.scalar(select(func.count()).select_from(AgencyCase))),
            (
                "agency person records",
                session.scalar(select(func.count()).select_from(AgencyPerson)),
            ),
            ("joint cases (from asserted links)", session.scalar(live_joint)),
            ("cross-border links", session.scalar(select(func.count()).select_from(CaseLink))),
            (
                "referrals, decisions, charges, prosecutions, outcomes",
                session.scalar(select(func.count()).select_from(CaseFact)),
            ),
            ("timeline entries", session.scalar(select(func.count()).select_from(TimelineEntry))),
        ]
    return [(name, str(count or 0)) for name, count in rows]

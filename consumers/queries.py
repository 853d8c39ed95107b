"""Read-only questions practitioners ask of the joint view.

Person records carry personal data: these functions serve practitioners' reads (`casesync view`),
never logs, statistics or downstream topics.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select, tuple_
from sqlalchemy.orm import Session

from consumers.view import (
    AgencyCase,
    AgencyPerson,
    CaseFact,
    CaseLink,
    JointCase,
    Person,
    PersonChangeEntry,
    PersonMatch,
    PersonRecordLink,
    TimelineEntry,
)
from schemas.vocabulary import Agency, handling_notice


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
            ("joint cases (asserted links, shared persons)", session.scalar(live_joint)),
            ("cross-border links", session.scalar(select(func.count()).select_from(CaseLink))),
            (
                "referrals, decisions, charges, prosecutions, outcomes",
                session.scalar(select(func.count()).select_from(CaseFact)),
            ),
            ("timeline entries", session.scalar(select(func.count()).select_from(TimelineEntry))),
        ]
    return [(name, str(count or 0)) for name, count in rows]


def _handling(code: str | None, restriction: str | None) -> dict[str, Any]:
    """The provider's handling code, its restriction text, and the notice shown beside it."""
    return {
        "handling_code": code,
        "handling_restriction": restriction,
        "handling_notice": handling_notice(code, restriction),
    }


def _case_dict(case: AgencyCase) -> dict[str, Any]:
    return {
        "agency": Agency(case.agency).code,
        "case_ref": case.case_ref,
        "country": case.country,
        "case_type": case.case_type,
        "status": case.status,
        "opened_at": case.opened_at.isoformat() if case.opened_at else None,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "recruitment": [case.recruitment_country, case.recruitment_locality],
        "exploitation": [case.exploitation_country, case.exploitation_locality],
        "exploitation_types": case.exploitation_types,
        **_handling(case.handling_code, case.handling_restriction),
        "joint_case_id": case.joint_case_id,
    }


def _person_dict(person: AgencyPerson) -> dict[str, Any]:
    return {
        "agency": Agency(person.agency).code,
        "person_ref": person.person_ref,
        "case_ref": person.case_ref,
        "role": person.role,
        "given_names": person.given_names,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth,
        "sex": person.sex,
        "nationalities": person.nationalities,
        **_handling(person.handling_code, person.handling_restriction),
        "retracted": person.retracted,
    }


def _timeline(session: Session, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
    if not keys:
        return []
    rows = session.scalars(
        select(TimelineEntry)
        .where(tuple_(TimelineEntry.agency, TimelineEntry.case_ref).in_(keys))
        .order_by(TimelineEntry.occurred_at, TimelineEntry.agency, TimelineEntry.sequence)
    )
    return [
        {
            "occurred_at": row.occurred_at.isoformat(),
            "agency": Agency(row.agency).code,
            "case_ref": row.case_ref,
            "sequence": row.sequence,
            "event_type": row.event_type,
            "outcome": row.outcome,
            **_handling(row.handling_code, row.handling_restriction),
        }
        for row in rows
    ]


def _persons(session: Session, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
    if not keys:
        return []
    rows = session.scalars(
        select(AgencyPerson)
        .where(tuple_(AgencyPerson.agency, AgencyPerson.case_ref).in_(keys))
        .order_by(AgencyPerson.agency, AgencyPerson.person_ref)
    )
    return [_person_dict(p) for p in rows]


def parse_case_key(text: str) -> tuple[str, str]:
    """``uk-police:UKP-2026-0000001`` → (``UK_POLICE``, ``UKP-2026-0000001``)."""
    code, sep, case_ref = text.partition(":")
    if not sep or not case_ref:
        raise ValueError(f"expected <agency>:<case ref>, got {text!r}")
    return Agency.from_code(code).value, case_ref


def case_view(engine: Engine, agency: str, case_ref: str) -> dict[str, Any] | None:
    """One agency case: its details, persons and timeline."""
    with Session(engine) as session:
        case = session.scalars(
            select(AgencyCase).filter_by(agency=agency, case_ref=case_ref)
        ).one_or_none()
        if case is None:
            return None
        keys = [(agency, case_ref)]
        return {
            "case": _case_dict(case),
            "persons": _persons(session, keys),
            "timeline": _timeline(session, keys),
        }


def live_joint_id(session: Session, joint_id: int) -> int | None:
    """Follow merges to the joint case that now holds ``joint_id``'s cases."""
    seen = set()
    current: int | None = joint_id
    while current is not None and current not in seen:
        seen.add(current)
        joint = session.get(JointCase, current)
        if joint is None:
            return None
        if joint.merged_into is None:
            return current
        current = joint.merged_into
    return None


def joint_view(engine: Engine, joint_id: int) -> dict[str, Any] | None:
    """A joint case: both countries' agency cases, their persons and the merged timeline."""
    with Session(engine) as session:
        live = live_joint_id(session, joint_id)
        if live is None:
            return None
        cases = list(
            session.scalars(
                select(AgencyCase).filter_by(joint_case_id=live).order_by(AgencyCase.country)
            )
        )
        keys = [(c.agency, c.case_ref) for c in cases]
        return {
            "joint_case_id": live,
            "countries": sorted({c.country for c in cases}),
            "cases": [_case_dict(c) for c in cases],
            "persons": _persons(session, keys),
            "timeline": _timeline(session, keys),
        }


def unmatched(engine: Engine, country: str, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """Agency cases of one country that no cross-border link joins to the other side (a page)."""
    with Session(engine) as session:
        query = select(AgencyCase).where(
            AgencyCase.country == country,
            AgencyCase.joint_case_id.is_(None),
            AgencyCase.status != "referenced",
        )
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        cases = session.scalars(
            query.order_by(AgencyCase.agency, AgencyCase.case_ref).limit(limit).offset(offset)
        )
        return {
            "country": country,
            "total": int(total),
            "limit": limit,
            "offset": offset,
            "cases": [_case_dict(c) for c in cases],
        }


def persons_of_case(engine: Engine, agency: str, case_ref: str) -> list[dict[str, Any]]:
    """The person records an agency holds in one case."""
    with Session(engine) as session:
        return _persons(session, [(agency, case_ref)])


def last_applied_per_agency(engine: Engine) -> list[dict[str, Any]]:
    """For each agency, the most recently applied event (type, case, when) and the total."""
    with Session(engine) as session:
        result = []
        for agency in Agency:
            latest = session.scalars(
                select(TimelineEntry)
                .where(TimelineEntry.agency == agency.value)
                .order_by(TimelineEntry.applied_at.desc(), TimelineEntry.offset.desc())
                .limit(1)
            ).one_or_none()
            total = session.scalar(
                select(func.count())
                .select_from(TimelineEntry)
                .where(TimelineEntry.agency == agency.value)
            )
            result.append(
                {
                    "agency": agency.code,
                    "events_applied": int(total or 0),
                    "last_event_type": latest.event_type if latest else None,
                    "last_case_ref": latest.case_ref if latest else None,
                    "last_applied_at": latest.applied_at.isoformat() if latest else None,
                }
            )
        return result


def person_view(engine: Engine, person_id: str) -> dict[str, Any] | None:
    """A matched person: their agency records, the scored links that joined them, and history."""
    with Session(engine) as session:
        person = session.get(Person, person_id)
        if person is None:
            return None
        links = session.scalars(
            select(PersonRecordLink).where(PersonRecordLink.person_id == person_id)
        ).all()
        keys = [(link.agency, link.person_ref) for link in links]
        records = (
            session.scalars(
                select(AgencyPerson)
                .where(tuple_(AgencyPerson.agency, AgencyPerson.person_ref).in_(keys))
                .order_by(AgencyPerson.agency, AgencyPerson.person_ref)
            ).all()
            if keys
            else []
        )
        matches = session.scalars(
            select(PersonMatch)
            .where(PersonMatch.person_id == person_id)
            .order_by(PersonMatch.match_probability.desc())
        ).all()
        # Its own entries, and merges or splits that name it (few: filtered here, not in SQL).
        history = [
            entry
            for entry in session.scalars(
                select(PersonChangeEntry)
                .where(
                    (PersonChangeEntry.person_id == person_id)
                    | PersonChangeEntry.kind.in_(["merged", "split"])
                )
                .order_by(PersonChangeEntry.id)
            )
            if entry.person_id == person_id or person_id in entry.others
        ]
        return {
            "person_id": person.person_id,
            "status": person.status,
            "merged_into": person.merged_into,
            "created_at": person.created_at.isoformat(),
            "records": [_person_dict(r) for r in records],
            "links": [_match_dict(m) for m in matches],
            "history": [
                {
                    "at": h.at.isoformat(),
                    "kind": h.kind,
                    "person_id": h.person_id,
                    "others": h.others,
                }
                for h in history
            ],
        }


def _match_dict(match: PersonMatch) -> dict[str, Any]:
    return {
        "left_record": match.left_record,
        "right_record": match.right_record,
        "match_probability": match.match_probability,
        "match_weight": match.match_weight,
        "evidence": match.evidence,
        "linked": match.linked,
        "review": match.review,
    }


def review_queue(engine: Engine, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Grey-zone pairs awaiting a decision, most likely matches first."""
    with Session(engine) as session:
        query = select(PersonMatch).where(PersonMatch.review == "pending")
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(PersonMatch.match_probability.desc(), PersonMatch.left_record)
            .limit(limit)
            .offset(offset)
        ).all()
        return {"total": int(total), "pairs": [_match_dict(m) for m in rows]}

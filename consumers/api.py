"""The read-only HTTP API over the joint view: the same queries as `casesync view`, paginated.

It serves personal data (person records) to practitioners: every route but /health needs an
agency user's key (header ``X-API-Key``, `casesync api-key create`), and every person record an
answer carries is written to the read audit (`casesync audit`). It binds to loopback by default.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from consumers.access import ApiUser, authenticate, personal_reads, record_reads
from consumers.queries import (
    case_view,
    joint_view,
    last_applied_per_agency,
    persons_of_case,
    unmatched,
    view_counts,
)
from schemas.vocabulary import Agency

MAX_PAGE = 500
T = TypeVar("T")


class Out(BaseModel):
    """Response models are frozen and refuse unknown fields (the spec is the contract)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseOut(Out):
    """An agency case."""

    agency: str
    case_ref: str
    country: str
    case_type: str | None
    status: str
    opened_at: str | None
    closed_at: str | None
    recruitment: list[str | None]
    exploitation: list[str | None]
    exploitation_types: list[str]
    handling_code: str | None
    handling_restriction: str | None
    handling_notice: str | None = Field(
        description="Shown beside the record: H1 not for judicial use, H2 no onward "
        "dissemination, H3 the provider's restriction text; null for H0."
    )
    joint_case_id: int | None


class PersonOut(Out):
    """An agency's person record (personal data)."""

    agency: str
    person_ref: str
    case_ref: str
    role: str
    given_names: list[str]
    family_name: str | None
    date_of_birth: dict[str, Any] | None
    sex: str
    nationalities: list[str]
    handling_code: str
    handling_restriction: str | None
    handling_notice: str | None
    retracted: bool


class TimelineOut(Out):
    """One applied event of a case."""

    occurred_at: str
    agency: str
    case_ref: str
    sequence: int
    event_type: str
    outcome: str
    handling_code: str
    handling_restriction: str | None
    handling_notice: str | None


class Page(Out, Generic[T]):
    """A page of a longer list."""

    total: int
    limit: int
    offset: int
    items: list[T]


class CaseViewOut(Out):
    """One agency case with its person records and timeline."""

    case: CaseOut
    persons: list[PersonOut]
    timeline: list[TimelineOut]


class JointViewOut(Out):
    """A joint case: both countries' cases, their person records and the merged timeline."""

    joint_case_id: int
    countries: list[str]
    cases: list[CaseOut]
    persons: list[PersonOut]
    timeline: list[TimelineOut]


class UnmatchedOut(Page[CaseOut]):
    """Cases of one country known to one side only."""

    country: str


class AgencyStatusOut(Out):
    """What the view has applied from one agency."""

    agency: str
    events_applied: int
    last_event_type: str | None
    last_case_ref: str | None
    last_applied_at: str | None


class CountOut(Out):
    """Rows of one kind in the view."""

    table: str
    rows: int


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Most items in the page.")]
Offset = Annotated[int, Query(ge=0, description="Items to skip.")]
AgencyCode = Annotated[str, Path(description="Agency code, e.g. ro-anitp.")]


def _agency(code: str) -> str:
    try:
        return Agency.from_code(code).value
    except ValueError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


API_KEY_HEADER = "X-API-Key"
_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


def _current_user(request: Request, key: Annotated[str | None, Depends(_key_header)]) -> ApiUser:
    """The agency user whose key the request carries; 401 without a valid, live key."""
    user = authenticate(request.app.state.engine, key)
    if user is None:
        raise HTTPException(
            status_code=401,
            detail=f"a valid {API_KEY_HEADER} header is required",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    return user


User = Annotated[ApiUser, Depends(_current_user)]


def create_app(engine: Engine, clock: Callable[[], datetime] | None = None) -> FastAPI:
    """The API application over ``engine`` (the view's database)."""
    now = clock or (lambda: datetime.now(UTC))
    api = FastAPI(
        title="casesync joint view",
        version="1",
        description="Read-only queries of the UK-Romania joint operational view. Every route "
        f"but /health needs an agency user's key in the {API_KEY_HEADER} header; every "
        "person record served is written to the read audit.",
    )
    api.state.engine = engine  # for the key check (a dependency outside this closure)

    def audited(user: ApiUser, request: Request, persons: list[dict[str, Any]]) -> None:
        """Write who read which person records, and which of their personal fields."""
        endpoint = f"{request.method} {request.url.path}"
        record_reads(engine, user, endpoint, personal_reads(persons), now())

    @api.get("/health")
    def health() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    @api.get("/counts")
    def counts(_user: User) -> list[CountOut]:
        """Rows per kind in the view."""
        return [CountOut(table=name, rows=int(n)) for name, n in view_counts(engine)]

    @api.get("/agencies")
    def agencies(_user: User) -> list[AgencyStatusOut]:
        """Events applied and the last applied event, per agency."""
        return [AgencyStatusOut(**row) for row in last_applied_per_agency(engine)]

    @api.get("/cases/{agency}/{case_ref:path}/persons")
    def case_persons(  # noqa: PLR0917 (FastAPI reads the parameters)
        agency: AgencyCode,
        case_ref: str,
        user: User,
        request: Request,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[PersonOut]:
        """The person records an agency holds in one case."""
        persons = persons_of_case(engine, _agency(agency), case_ref)
        page = persons[offset : offset + limit]
        audited(user, request, page)
        items = [PersonOut(**p) for p in page]
        return Page[PersonOut](total=len(persons), limit=limit, offset=offset, items=items)

    @api.get("/cases/{agency}/{case_ref:path}")
    def case(agency: AgencyCode, case_ref: str, user: User, request: Request) -> CaseViewOut:
        """One agency case: details, person records and timeline."""
        found = case_view(engine, _agency(agency), case_ref)
        if found is None:
            raise HTTPException(status_code=404, detail=f"no case {agency}:{case_ref}")
        audited(user, request, found["persons"])
        return CaseViewOut(**found)

    @api.get("/joint-cases/{joint_id}")
    def joint(joint_id: int, user: User, request: Request) -> JointViewOut:
        """A joint case (a merged id answers with the case it was merged into)."""
        found = joint_view(engine, joint_id)
        if found is None:
            raise HTTPException(status_code=404, detail=f"no joint case {joint_id}")
        audited(user, request, found["persons"])
        return JointViewOut(**found)

    @api.get("/unmatched")
    def unmatched_cases(
        _user: User,
        country: Annotated[str, Query(pattern="^(RO|GB)$", description="RO or GB.")],
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> UnmatchedOut:
        """Cases of one country that no cross-border link joins to the other side."""
        found = unmatched(engine, country, limit, offset)
        items = [CaseOut(**c) for c in found["cases"]]
        return UnmatchedOut(
            country=country, total=found["total"], limit=limit, offset=offset, items=items
        )

    return api

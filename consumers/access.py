"""Who may read the joint view through the API, and the audit of every personal-data read.

A key is shown once, when it is created; the view keeps only its SHA-256 (keys are 256 random
bits, so a plain hash cannot be reversed by guessing).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from consumers.view import ApiKey, ReadAudit
from schemas.vocabulary import Agency

KEY_PREFIX = "csk_"
# The fields of a person record that are personal data (what an audit row lists).
PERSONAL_FIELDS = ("given_names", "family_name", "date_of_birth", "sex", "nationalities")


@dataclass(frozen=True)
class ApiUser:
    """An agency practitioner holding a read-API key."""

    id: int
    name: str
    agency: str


def key_hash(key: str) -> str:
    """The stored form of an API key."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(engine: Engine, name: str, agency: str, now: datetime) -> tuple[ApiUser, str]:
    """A new user and their key (returned once, never stored in clear)."""
    code = Agency.from_code(agency).code  # refuses an unknown agency
    if not name.strip():
        raise ValueError("the user name must not be empty")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with Session(engine) as session, session.begin():
        user_id = session.scalar(
            insert(ApiKey)
            .values(user_name=name.strip(), agency=code, key_hash=key_hash(key), created_at=now)
            .returning(ApiKey.id)
        )
    return ApiUser(int(user_id or 0), name.strip(), code), key


def authenticate(engine: Engine, key: str | None) -> ApiUser | None:
    """The user holding ``key``, unless it is unknown or revoked."""
    if not key:
        return None
    with Session(engine) as session:
        row = session.scalars(
            select(ApiKey).where(ApiKey.key_hash == key_hash(key), ApiKey.revoked_at.is_(None))
        ).one_or_none()
        return None if row is None else ApiUser(row.id, row.user_name, row.agency)


def revoke_api_key(engine: Engine, user_id: int, now: datetime) -> bool:
    """Revoke a user's key; False if there is no such live key."""
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(ApiKey)
            .where(ApiKey.id == user_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(getattr(result, "rowcount", 0))


def api_users(engine: Engine) -> list[dict[str, Any]]:
    """Every key ever issued (never the key itself)."""
    with Session(engine) as session:
        return [
            {
                "id": row.id,
                "user": row.user_name,
                "agency": row.agency,
                "created_at": row.created_at.isoformat(),
                "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
            }
            for row in session.scalars(select(ApiKey).order_by(ApiKey.id))
        ]


def personal_reads(persons: Iterable[Mapping[str, Any]]) -> list[tuple[str, list[str]]]:
    """(record, personal fields it carries) for each person record an answer contains."""
    reads = []
    for person in persons:
        fields = [name for name in PERSONAL_FIELDS if person.get(name) not in (None, [], "")]
        reads.append((f"{person['agency']}:{person['person_ref']}", fields))
    return reads


def record_reads(
    engine: Engine,
    user: ApiUser,
    endpoint: str,
    reads: Sequence[tuple[str, list[str]]],
    now: datetime,
) -> int:
    """Write one audit row per record read (in one transaction); the rows written."""
    if not reads:
        return 0
    rows = [
        {
            "at": now,
            "api_key_id": user.id,
            "user_name": user.name,
            "user_agency": user.agency,
            "endpoint": endpoint,
            "record": record,
            "fields": fields,
        }
        for record, fields in reads
    ]
    with Session(engine) as session, session.begin():
        session.execute(insert(ReadAudit), rows)
    return len(rows)


def audit_log(
    engine: Engine,
    *,
    user: str | None = None,
    record: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The latest reads first, optionally of one user, one record, or since a moment."""
    query = select(ReadAudit).order_by(ReadAudit.id.desc()).limit(limit)
    if user is not None:
        query = query.where(ReadAudit.user_name == user)
    if record is not None:
        query = query.where(ReadAudit.record == record)
    if since is not None:
        query = query.where(ReadAudit.at >= since)
    with Session(engine) as session:
        return [
            {
                "at": row.at.isoformat(),
                "user": row.user_name,
                "agency": row.user_agency,
                "endpoint": row.endpoint,
                "record": row.record,
                "fields": list(row.fields),
            }
            for row in session.scalars(query)
        ]

from __future__ import annotations

from infra.database import normalise_database_url


def test_plain_postgresql_urls_get_the_psycopg3_driver() -> None:
    assert normalise_database_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalise_database_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"


def test_explicit_drivers_and_sqlite_are_kept() -> None:
    assert normalise_database_url("postgresql+psycopg://h/db").drivername == "postgresql+psycopg"
    assert normalise_database_url("sqlite:///x.db").drivername == "sqlite"

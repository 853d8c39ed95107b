"""The engine factory against real SQLite and PostgreSQL: connect, write, roll back."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import IntegrityError

from infra.database import make_engine
from infra.settings import Settings

pytestmark = pytest.mark.integration


def test_engine_commits_and_rolls_back(database_settings: Settings) -> None:
    engine = make_engine(database_settings)
    metadata = MetaData()
    probe = Table(
        "probe", metadata, Column("id", Integer, primary_key=True), Column("note", String(20))
    )
    metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            connection.execute(insert(probe).values(id=1, note="kept"))

        def write_then_violate_the_key() -> None:
            with engine.begin() as connection:
                connection.execute(insert(probe).values(id=2, note="rolled back"))
                connection.execute(insert(probe).values(id=1, note="duplicate key aborts"))

        with pytest.raises(IntegrityError):
            write_then_violate_the_key()

        with engine.connect() as connection:
            notes = connection.execute(select(probe.c.note)).scalars().all()
            count = connection.execute(select(func.count()).select_from(probe)).scalar_one()
        assert notes == ["kept"]
        assert count == 1
        assert (
            engine.dialect.name
            == database_settings.effective_database_url.split(":")[0].split("+")[0]
        )
    finally:
        metadata.drop_all(engine)
        engine.dispose()

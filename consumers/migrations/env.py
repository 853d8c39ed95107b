"""Alembic environment: migrations run on the connection `consumers.database.upgrade` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from consumers.view import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    """Online migrations only; batch mode so SQLite can alter tables too."""
    connection = context.config.attributes.get("connection")
    if connection is None:  # the alembic CLI, with sqlalchemy.url in its config
        engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://")
        with engine.begin() as own:
            context.configure(connection=own, target_metadata=target_metadata, render_as_batch=True)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()

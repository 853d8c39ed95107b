"""handling codes on every record; the change stream's published keys (for tombstones)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 02:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("agency_persons") as batch:
        batch.add_column(sa.Column("handling_restriction", sa.Text(), nullable=True))
    with op.batch_alter_table("timeline") as batch:
        batch.add_column(sa.Column("handling_restriction", sa.Text(), nullable=True))
    with op.batch_alter_table("case_facts") as batch:
        batch.add_column(sa.Column("handling_code", sa.String(length=2), nullable=True))
    op.create_table(
        "change_stream_keys",
        sa.Column("change_key", sa.String(length=220), nullable=False),
        sa.PrimaryKeyConstraint("change_key"),
    )
    # Everything the relay published before this revision: every case key and joint key.
    op.execute(
        "INSERT INTO change_stream_keys (change_key) "
        "SELECT 'case:' || lower(replace(agency, '_', '-')) || ':' || case_ref FROM agency_cases "
        "UNION SELECT 'joint:' || CAST(id AS VARCHAR) FROM joint_cases"
    )
    with op.batch_alter_table("stats_cells") as batch:
        batch.add_column(sa.Column("public_value", sa.Integer(), nullable=True))
    op.execute("UPDATE stats_cells SET public_value = value")  # earlier editions counted all
    # Facts written before this revision take their event's code from the timeline.
    op.execute(
        "UPDATE case_facts SET handling_code = "
        "(SELECT t.handling_code FROM timeline t WHERE t.event_id = case_facts.event_id)"
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("stats_cells") as batch:
        batch.drop_column("public_value")
    op.drop_table("change_stream_keys")
    with op.batch_alter_table("case_facts") as batch:
        batch.drop_column("handling_code")
    with op.batch_alter_table("timeline") as batch:
        batch.drop_column("handling_restriction")
    with op.batch_alter_table("agency_persons") as batch:
        batch.drop_column("handling_restriction")

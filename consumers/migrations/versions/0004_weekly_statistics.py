"""weekly statistics snapshots

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 23:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "stats_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("report_week", sa.String(length=8), nullable=False),
        sa.Column("first_week", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("match_run_id", sa.Integer(), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("cells", sa.Integer(), nullable=False),
        sa.Column("suppressed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "stats_cells",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=40), nullable=False),
        sa.Column("view", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=12), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("suppression", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(["snapshot_id"], ["stats_snapshots.id"]),
        sa.PrimaryKeyConstraint(
            "snapshot_id", "measure", "view", "period", "week", "dimension", "category"
        ),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("stats_cells")
    op.drop_table("stats_snapshots")

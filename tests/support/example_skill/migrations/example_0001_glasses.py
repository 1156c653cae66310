"""example: glasses of water

Revision ID: example_0001
Revises:
Create Date: 2026-12-02 10:00:00.000000

The first revision of a skill starts its own branch (`down_revision = None`, a branch label
named after the skill) and depends on the core revision whose tables it uses (`member`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "example_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("example",)
depends_on: str | Sequence[str] | None = "0003"


def upgrade() -> None:
    op.create_table(
        "example_glass",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("drunk_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_example_glass_member_id", "example_glass", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_example_glass_member_id", table_name="example_glass")
    op.drop_table("example_glass")

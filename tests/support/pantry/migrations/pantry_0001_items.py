"""the pantry skill's items

Revision ID: pantry_0001
Revises:
Create Date: 2026-12-08 10:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pantry_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("pantry",)
depends_on: str | Sequence[str] | None = "0003"


def upgrade() -> None:
    op.create_table(
        "pantry_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_pantry_item_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pantry_item")),
        sa.UniqueConstraint("member_id", "name", name=op.f("uq_pantry_item_member_id_name")),
    )
    op.create_index(op.f("ix_pantry_item_member_id"), "pantry_item", ["member_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pantry_item_member_id"), table_name="pantry_item")
    op.drop_table("pantry_item")

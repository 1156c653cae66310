"""conversation history and remembered facts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 20:00:42.482085
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.String(length=8000), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conversation_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_message_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "memory_fact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("memory_fact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memory_fact_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("memory_fact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memory_fact_member_id"))

    op.drop_table("memory_fact")
    with op.batch_alter_table("conversation_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_message_member_id"))

    op.drop_table("conversation_message")

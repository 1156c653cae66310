"""chores: chores and who takes part, their turns, absences and reward claims

Revision ID: chores_0001
Revises:
Create Date: 2026-12-08 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "chores_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("chores",)
depends_on: str | Sequence[str] | None = "0005"


def _member(column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["member.id"], ondelete=ondelete)


def _chore() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["chore_id"], ["chore.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "chore",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("effort", sa.Integer(), nullable=False),
        sa.Column("rrule", sa.String(length=200), nullable=True),
        sa.Column("after_days", sa.Integer(), nullable=True),
        sa.Column("due_minute", sa.Integer(), nullable=True),
        sa.Column("rotation", sa.String(length=16), nullable=False),
        sa.Column("anyone", sa.Boolean(), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=120), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _member("created_by", "SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "chore_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chore_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _chore(),
        _member("member_id", "CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chore_id", "member_id"),
    )
    op.create_table(
        "chore_turn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chore_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("swap_with", sa.Integer(), nullable=True),
        sa.Column("swapped_from", sa.Integer(), nullable=True),
        sa.Column("swap_settled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _chore(),
        _member("assignee_id", "SET NULL"),
        _member("done_by", "SET NULL"),
        _member("recorded_by", "SET NULL"),
        _member("swap_with", "SET NULL"),
        _member("swapped_from", "SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chore_id", "due_at"),
    )
    op.create_index("ix_chore_turn_state", "chore_turn", ["state", "chore_id"], unique=False)
    op.create_index("ix_chore_turn_done_by", "chore_turn", ["done_by"], unique=False)
    op.create_table(
        "chore_absence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _member("member_id", "CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chore_absence_member_id", "chore_absence", ["member_id"], unique=False)
    op.create_table(
        "chore_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reward", sa.String(length=120), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _member("member_id", "CASCADE"),
        _member("decided_by", "SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chore_claim_member_id", "chore_claim", ["member_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_chore_claim_member_id", table_name="chore_claim")
    op.drop_table("chore_claim")
    op.drop_index("ix_chore_absence_member_id", table_name="chore_absence")
    op.drop_table("chore_absence")
    op.drop_index("ix_chore_turn_done_by", table_name="chore_turn")
    op.drop_index("ix_chore_turn_state", table_name="chore_turn")
    op.drop_table("chore_turn")
    op.drop_table("chore_member")
    op.drop_table("chore")

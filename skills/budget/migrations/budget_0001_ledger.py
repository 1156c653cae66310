"""budget: the ledger of expenses and the monthly spending limits

Revision ID: budget_0001
Revises:
Create Date: 2026-12-05 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "budget_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("budget",)
depends_on: str | Sequence[str] | None = "0004"


def _member(column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["member.id"], ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "budget_expense",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("merchant", sa.String(length=120), nullable=False),
        sa.Column("paid_by", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.Integer(), nullable=True),
        _member("paid_by", "SET NULL"),
        _member("owner_id", "CASCADE"),
        _member("created_by", "SET NULL"),
        _member("deleted_by", "SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_budget_expense_month", "budget_expense", ["spent_on", "owner_id"], unique=False
    )
    op.create_table(
        "budget_limit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=24), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _member("owner_id", "CASCADE"),
        _member("set_by", "SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "category"),
    )


def downgrade() -> None:
    op.drop_table("budget_limit")
    op.drop_index("ix_budget_expense_month", table_name="budget_expense")
    op.drop_table("budget_expense")

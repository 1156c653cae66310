"""budget: items with their quantity and amount, and the hash of the receipt photo

Revision ID: budget_0002
Revises: budget_0001
Create Date: 2026-12-01 16:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "budget_0002"
down_revision: str | None = "budget_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _as_objects(items: Any) -> list[Any]:
    """Plain names saved before items had amounts become `{"name", "qty", "amount"}`."""
    if not isinstance(items, list):
        return []
    return [
        {"name": item, "qty": None, "amount": None} if isinstance(item, str) else item
        for item in items
    ]


def upgrade() -> None:
    op.add_column("budget_expense", sa.Column("photo_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_budget_expense_photo_hash", "budget_expense", ["photo_hash"], unique=False)
    expense = sa.table("budget_expense", sa.column("id", sa.Integer), sa.column("items", sa.JSON))
    connection = op.get_bind()
    for expense_id, items in connection.execute(sa.select(expense.c.id, expense.c["items"])).all():
        converted = _as_objects(items)
        if converted != items:
            connection.execute(
                expense.update().where(expense.c.id == expense_id).values(items=converted)
            )


def downgrade() -> None:
    op.drop_index("ix_budget_expense_photo_hash", table_name="budget_expense")
    op.drop_column("budget_expense", "photo_hash")

"""The budget's tables: the ledger of expenses (with its bin) and the monthly spending limits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime

HOUSEHOLD = "household"
"""The scope of the family's shared budget; a member's pocket money is `member:<id>`."""
ALL_CATEGORIES = ""
"""A limit on this category covers everything spent in its scope."""


def scope_of(owner_id: int | None) -> str:
    return HOUSEHOLD if owner_id is None else f"member:{owner_id}"


def _member(ondelete: str, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete=ondelete), nullable=True, index=index
        ),
    )


class Expense(SQLModel, table=True):
    """One thing bought: the ledger every total is summed from (never a running number)."""

    __tablename__ = "budget_expense"
    __table_args__ = (Index("ix_budget_expense_month", "spent_on", "owner_id"),)

    id: int | None = Field(default=None, primary_key=True)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    spent_on: date = Field(sa_column=Column(Date, nullable=False))
    category: str = Field(sa_column=Column(String(40), nullable=False))
    merchant: str = Field(default="", sa_column=Column(String(120), nullable=False))
    paid_by: int | None = _member("SET NULL")
    owner_id: int | None = _member("CASCADE")
    """None for the household's money; a member's id for their own pocket money."""
    items: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """`{"name", "qty", "amount"}` objects (see items.py); older rows hold plain names."""
    note: str = Field(default="", sa_column=Column(String(500), nullable=False))
    created_by: int | None = _member("SET NULL")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    deleted_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    """Set while the expense is in the bin (it counts nowhere); cleared by undo."""
    deleted_by: int | None = _member("SET NULL")
    photo_hash: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True, index=True)
    )
    """The SHA-256 of the receipt photo it was read from: the same photo twice is recognised."""


class SpendingLimit(SQLModel, table=True):
    """How much a scope may spend on a category each month, in one currency."""

    __tablename__ = "budget_limit"
    __table_args__ = (UniqueConstraint("scope", "category"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(sa_column=Column(String(24), nullable=False))
    owner_id: int | None = _member("CASCADE")
    category: str = Field(sa_column=Column(String(40), nullable=False))
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    set_by: int | None = _member("SET NULL")
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

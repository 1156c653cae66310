"""Reading the ledger: every total is a SQL SUM over the expenses, grouped by currency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_
from sqlmodel import col, func, select

from skills.budget.items import BoughtItem, read_items
from skills.budget.models import ALL_CATEGORIES, Expense, SpendingLimit, scope_of
from skills.budget.money import Money
from storage.database import SessionFactory


@dataclass(frozen=True)
class Budget:
    """Whose money: the household's (`owner_id` None) or one member's pocket money."""

    owner_id: int | None
    label: str

    @property
    def scope(self) -> str:
        return scope_of(self.owner_id)


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """'2026-11' → Month(2026, 11); ValueError when it is not a month."""
        year, _, month = text.strip().partition("-")
        parsed = cls(int(year), int(month))
        if not (1 <= parsed.month <= 12 and 2000 <= parsed.year <= 2200):
            raise ValueError(f"{text!r} is not a month")
        return parsed

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def after(self) -> date:
        """The first day of the next month."""
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def today(now: datetime, timezone: str) -> date:
    """The household's date at this moment."""
    return now.astimezone(ZoneInfo(timezone)).date()


def _in(budget: Budget, month: Month) -> list[ColumnElement[bool]]:
    owner = (
        col(Expense.owner_id).is_(None)
        if budget.owner_id is None
        else col(Expense.owner_id) == budget.owner_id
    )
    return [
        col(Expense.deleted_at).is_(None),
        col(Expense.spent_on) >= month.first,
        col(Expense.spent_on) < month.after,
        owner,
    ]


async def totals_by_category(
    sessions: SessionFactory, budget: Budget, month: Month
) -> dict[tuple[str, str], int]:
    """(category, currency) → minor units spent in the month."""
    statement = (
        select(Expense.category, Expense.currency, func.sum(Expense.amount_minor))
        .where(*_in(budget, month))
        .group_by(col(Expense.category), col(Expense.currency))
    )
    async with sessions() as session:
        rows = await session.exec(statement)
        return {(category, currency): int(total) for category, currency, total in rows}


async def spent(
    sessions: SessionFactory, budget: Budget, month: Month, currency: str, category: str
) -> int:
    """Minor units spent in one currency and category (`ALL_CATEGORIES`: every category)."""
    conditions = [*_in(budget, month), col(Expense.currency) == currency]
    if category != ALL_CATEGORIES:
        conditions.append(col(Expense.category) == category)
    statement = select(func.coalesce(func.sum(Expense.amount_minor), 0)).where(*conditions)
    async with sessions() as session:
        return int((await session.exec(statement)).one())


async def daily_totals(
    sessions: SessionFactory, budget: Budget, month: Month, currency: str
) -> dict[date, int]:
    """Day → minor units spent that day in one currency (for the month's trend)."""
    statement = (
        select(col(Expense.spent_on), func.sum(Expense.amount_minor))
        .where(*_in(budget, month), col(Expense.currency) == currency)
        .group_by(col(Expense.spent_on))
    )
    async with sessions() as session:
        return {day: int(total) for day, total in await session.exec(statement)}


async def pocket_money_totals(
    sessions: SessionFactory, month: Month
) -> dict[tuple[int, str], int]:
    """(member id, currency) → minor units of every member's own pocket money in the month."""
    statement = (
        select(Expense.owner_id, Expense.currency, func.sum(Expense.amount_minor))
        .where(
            col(Expense.deleted_at).is_(None),
            col(Expense.spent_on) >= month.first,
            col(Expense.spent_on) < month.after,
            col(Expense.owner_id).is_not(None),
        )
        .group_by(col(Expense.owner_id), col(Expense.currency))
    )
    async with sessions() as session:
        rows = await session.exec(statement)
        return {(owner, currency): int(total) for owner, currency, total in rows if owner}


async def expenses(
    sessions: SessionFactory,
    budgets: Sequence[Budget],
    month: Month,
    category: str | None = None,
    limit: int | None = None,
) -> list[Expense]:
    """The month's expenses of these budgets, newest first."""
    owners = [budget.owner_id for budget in budgets if budget.owner_id is not None]
    whose: list[ColumnElement[bool]] = []
    if any(budget.owner_id is None for budget in budgets):
        whose.append(col(Expense.owner_id).is_(None))
    if owners:
        whose.append(col(Expense.owner_id).in_(owners))
    if not whose:
        return []
    statement = select(Expense).where(
        or_(*whose),
        col(Expense.deleted_at).is_(None),
        col(Expense.spent_on) >= month.first,
        col(Expense.spent_on) < month.after,
    )
    if category is not None:
        statement = statement.where(col(Expense.category) == category)
    statement = statement.order_by(col(Expense.spent_on).desc(), col(Expense.id).desc())
    if limit is not None:
        statement = statement.limit(limit)
    async with sessions() as session:
        return list(await session.exec(statement))


async def limits(sessions: SessionFactory, budget: Budget) -> list[SpendingLimit]:
    async with sessions() as session:
        rows = await session.exec(
            select(SpendingLimit)
            .where(SpendingLimit.scope == budget.scope)
            .order_by(col(SpendingLimit.category))
        )
        return list(rows)


def describe(expense: Expense) -> dict[str, Any]:
    """What the LLM and scripts see of one expense."""
    return {
        "id": expense.id,
        "amount": Money.from_minor(expense.amount_minor, expense.currency).plain(),
        "currency": expense.currency,
        "date": expense.spent_on.isoformat(),
        "category": expense.category,
        "merchant": expense.merchant,
        "items": [item.stored() for item in items_of(expense)],
        "note": expense.note,
    }


def items_of(expense: Expense) -> list[BoughtItem]:
    """What was bought, whether saved with amounts or (older rows) as plain names."""
    return read_items(expense.items)

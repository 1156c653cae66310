"""Tools that change the ledger: record, correct, bin and bring back expenses; set limits."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from babel import Locale
from pydantic import BaseModel, BeforeValidator, Field, field_validator
from sqlmodel import col, select

from bot.markdown import escape
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from skills.budget import ledger
from skills.budget.items import BoughtItem, ItemArgs, bought, folded, item_args
from skills.budget.ledger import Budget, Month
from skills.budget.models import ALL_CATEGORIES, Expense, SpendingLimit
from skills.budget.money import (
    AmountText,
    Money,
    MoneyError,
    amount_text,
    locale_for,
    parse_money,
    show,
)
from skills.budget.privacy import HOUSEHOLD_BUDGET, budget_for, may_change, pocket_money
from skills.budget.settings import BudgetSettings
from skills.budget.warnings import month_name, warn_about_limits

DAY_WORDS = {
    "today": 0, "heute": 0, "hoje": 0, "hoy": 0,
    "yesterday": 1, "gestern": 1, "ontem": 1, "ayer": 1,
}  # fmt: skip
ARTICLES = ("the ", "a ", "an ")
ALL_WORDS = frozenset({"", "all", "total", "everything", "alles", "tudo", "todo"})
NOT_FOUND = "I can't find expense #{id} in a budget you may change."


class AddExpenseArgs(BaseModel):
    amount: AmountText = Field(
        description='the amount as written, with its currency if any: "42,50 €"'
    )
    merchant: str = Field(default="", max_length=120, description="where, e.g. Lidl")
    category: str = Field(
        default="", max_length=40, description="e.g. groceries; empty: guessed from the merchant"
    )
    spent_on: str = Field(default="", description="YYYY-MM-DD; empty means today")
    paid_by: str = Field(default="", description="who paid; empty means the person asking")
    for_member: str = Field(
        default="", description="whose pocket money it comes from; empty: the household's"
    )
    items: list[Annotated[ItemArgs, BeforeValidator(item_args)]] = Field(
        default_factory=list,
        max_length=50,
        description='what was bought: {"name", "qty", "amount"} each, or just names',
    )
    note: str = Field(default="", max_length=500)
    photo_hash: str = Field(
        default="",
        pattern=r"^([0-9a-f]{64})?$",
        description="the receipt photo's SHA-256 (set by the receipt reader, not typed)",
    )


class EditExpenseArgs(BaseModel):
    expense_id: int = Field(ge=1, description="the expense's number (#12)")
    amount: str = Field(default="", description="the new amount; empty keeps it")
    merchant: str | None = Field(default=None, max_length=120)
    category: str = Field(default="", max_length=40, description="the new category, if any")
    spent_on: str = Field(default="", description="the new date YYYY-MM-DD, if any")
    note: str | None = Field(default=None, max_length=500)

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Any:
        return amount_text(value) if value not in ("", None) else ""


class ExpenseIdArgs(BaseModel):
    expense_id: int = Field(ge=1, description="the expense's number (#12)")


class UndoArgs(BaseModel):
    expense_id: int | None = Field(
        default=None, ge=1, description="the expense to bring back; empty: your last deleted one"
    )


class LimitArgs(BaseModel):
    amount: AmountText = Field(default="0", description='the monthly limit, e.g. "500 €"')
    category: str = Field(default="", max_length=40, description="empty means everything")
    member: str = Field(default="", description="whose pocket money; empty: the household's")
    remove: bool = Field(default=False, description="true to remove this limit")


def _settings(ctx: ToolContext) -> BudgetSettings:
    return ctx.services.settings_as(BudgetSettings)


def _locale(ctx: ToolContext) -> Locale:
    return locale_for(ctx.member.language or ctx.services.household.language)


def _money(ctx: ToolContext, text: str, currency: str | None = None) -> Money:
    try:
        return parse_money(text, _locale(ctx), currency or _settings(ctx).currency)
    except MoneyError as error:
        raise ToolError(escape(str(error))) from None


def _today(ctx: ToolContext) -> date:
    return ledger.today(ctx.services.clock.now(), ctx.services.household.timezone)


def _day(ctx: ToolContext, text: str) -> date:
    today = _today(ctx)
    key = text.strip().casefold()
    if key in DAY_WORDS or not key:
        return today - timedelta(days=DAY_WORDS.get(key, 0))
    try:
        day = date.fromisoformat(key)
    except ValueError:
        raise ToolError(f"“{escape(text)}” is not a date I know; use 2026-11-03.") from None
    if day > today:
        raise ToolError("That date is still to come; I only record money already spent.")
    return day


def _clean(text: str) -> str:
    cleaned = " ".join(text.split()).strip(" .,!")
    lowered = cleaned.casefold()
    for article in ARTICLES:
        if lowered.startswith(article):
            return cleaned[len(article) :]
    return cleaned


def _category(ctx: ToolContext, given: str, merchant: str, items: list[str]) -> str:
    settings = _settings(ctx)
    given = _clean(given)
    if given:
        return settings.category_for(given) or given.casefold()[:40]
    words = [merchant, *merchant.split(), *items]
    return settings.category_for(*words) or "other"


async def _payer(ctx: ToolContext, name: str) -> int:
    if not name.strip() or ctx.member.role == "child":
        return ctx.member.id
    member = await ctx.services.family.find(name.strip())
    if member is None:
        raise ToolError(f"There is nobody called {escape(name)} in the family.")
    return member.id


async def _warn(ctx: ToolContext, expense: Expense, budget: Budget) -> None:
    await warn_about_limits(
        ctx.services,
        budget,
        Month.of(expense.spent_on),
        expense.category,
        expense.currency,
        ctx.member.id,
    )


def _budget_of(expense: Expense, names: dict[int, str]) -> Budget:
    if expense.owner_id is None:
        return HOUSEHOLD_BUDGET
    return pocket_money(expense.owner_id, names.get(expense.owner_id, "someone"))


async def _names(ctx: ToolContext) -> dict[int, str]:
    return {member.id: member.name for member in await ctx.services.family.members()}


def _line(ctx: ToolContext, expense: Expense) -> str:
    money = show(Money.from_minor(expense.amount_minor, expense.currency), _locale(ctx))
    where = f" at {escape(expense.merchant)}" if expense.merchant else ""
    return f"#{expense.id} {money} for {escape(expense.category.capitalize())}{where}"


def _items_line(ctx: ToolContext, expense: Expense) -> str:
    """'\nItems: 3 × Brezel €2.70, Roggenbrot €3.80' (empty when nothing was listed)."""
    items = ledger.items_of(expense)
    if not items:
        return ""
    return "\nItems: " + escape(folded(items, expense.currency, _locale(ctx)))


def _items(ctx: ToolContext, args: AddExpenseArgs, currency: str) -> list[BoughtItem]:
    try:
        return bought(args.items, currency, _locale(ctx))
    except MoneyError as error:
        raise ToolError(escape(str(error))) from None


async def add_expense(ctx: ToolContext, args: AddExpenseArgs) -> ToolResult:
    budget = await budget_for(ctx, args.for_member)
    money = _money(ctx, args.amount)
    merchant = _clean(args.merchant)[:120]
    items = _items(ctx, args, money.currency)
    now = ctx.services.clock.now()
    expense = Expense(
        amount_minor=money.minor,
        currency=money.currency,
        spent_on=_day(ctx, args.spent_on),
        category=_category(ctx, args.category, merchant, [item.name for item in items]),
        merchant=merchant,
        paid_by=await _payer(ctx, args.paid_by),
        owner_id=budget.owner_id,
        items=[item.stored() for item in items],
        note=" ".join(args.note.split()),
        photo_hash=args.photo_hash or None,
        created_by=ctx.member.id,
        created_at=now,
        updated_at=now,
    )
    async with ctx.services.sessions() as session:
        session.add(expense)
        await session.commit()
    await _warn(ctx, expense, budget)
    whose = "" if budget.owner_id is None else f" from {escape(budget.label)}"
    return ToolResult(
        text=f"Recorded {_line(ctx, expense)}{whose}.{_items_line(ctx, expense)}",
        data={**ledger.describe(expense), "budget": budget.scope},
    )


async def _own_expense(ctx: ToolContext, expense_id: int, *, deleted: bool) -> Expense | None:
    async with ctx.services.sessions() as session:
        expense = await session.get(Expense, expense_id)
    if expense is None or not may_change(ctx, expense):
        return None
    return expense if (expense.deleted_at is not None) == deleted else None


async def edit_expense(ctx: ToolContext, args: EditExpenseArgs) -> ToolResult:
    await budget_for(ctx, "")
    expense = await _own_expense(ctx, args.expense_id, deleted=False)
    if expense is None:
        raise ToolError(NOT_FOUND.format(id=args.expense_id))
    if args.amount:
        money = _money(ctx, args.amount, expense.currency)
        expense.amount_minor, expense.currency = money.minor, money.currency
    if args.merchant is not None:
        expense.merchant = _clean(args.merchant)[:120]
    if args.category:
        expense.category = _category(ctx, args.category, expense.merchant, [])
    if args.spent_on:
        expense.spent_on = _day(ctx, args.spent_on)
    if args.note is not None:
        expense.note = " ".join(args.note.split())
    expense.updated_at = ctx.services.clock.now()
    async with ctx.services.sessions() as session:
        session.add(expense)
        await session.commit()
    await _warn(ctx, expense, _budget_of(expense, await _names(ctx)))
    return ToolResult(
        text=f"Changed: {_line(ctx, expense)}.{_items_line(ctx, expense)}",
        data=ledger.describe(expense),
    )


async def delete_expense(ctx: ToolContext, args: ExpenseIdArgs) -> ToolResult:
    await budget_for(ctx, "")
    expense = await _own_expense(ctx, args.expense_id, deleted=False)
    if expense is None:
        raise ToolError(NOT_FOUND.format(id=args.expense_id))
    expense.deleted_at = ctx.services.clock.now()
    expense.deleted_by = ctx.member.id
    async with ctx.services.sessions() as session:
        session.add(expense)
        await session.commit()
    days = _settings(ctx).undo_days
    return ToolResult(
        text=f"Moved {_line(ctx, expense)} to the bin. Say “undo” within {days} days to "
        "bring it back.",
        data={"deleted": expense.id},
    )


async def undo_delete(ctx: ToolContext, args: UndoArgs) -> ToolResult:
    await budget_for(ctx, "")
    days = _settings(ctx).undo_days
    since = ctx.services.clock.now() - timedelta(days=days)
    if args.expense_id is None:
        async with ctx.services.sessions() as session:
            latest = (
                await session.exec(
                    select(Expense.id)
                    .where(Expense.deleted_by == ctx.member.id)
                    .where(col(Expense.deleted_at) >= since)
                    .order_by(col(Expense.deleted_at).desc(), col(Expense.id).desc())
                )
            ).first()
        if latest is None:
            raise ToolError(f"You have deleted no expense in the last {days} days.")
        expense_id = latest
    else:
        expense_id = args.expense_id
    expense = await _own_expense(ctx, expense_id, deleted=True)
    if expense is None or expense.deleted_at is None or expense.deleted_at < since:
        raise ToolError(f"Expense #{expense_id} is not in the bin any more, so I can't undo it.")
    expense.deleted_at = None
    expense.deleted_by = None
    expense.updated_at = ctx.services.clock.now()
    async with ctx.services.sessions() as session:
        session.add(expense)
        await session.commit()
    await _warn(ctx, expense, _budget_of(expense, await _names(ctx)))
    return ToolResult(
        text=f"Brought back {_line(ctx, expense)}.{_items_line(ctx, expense)}",
        data=ledger.describe(expense),
    )


async def set_limit(ctx: ToolContext, args: LimitArgs) -> ToolResult:
    budget = await budget_for(ctx, args.member)
    given = _clean(args.category)
    category = ALL_CATEGORIES if given.casefold() in ALL_WORDS else _category(ctx, given, "", [])
    what = escape(category.capitalize()) if category else "Everything"
    whose = "the household" if budget.owner_id is None else escape(budget.label)
    async with ctx.services.sessions() as session:
        row = (
            await session.exec(
                select(SpendingLimit).where(
                    SpendingLimit.scope == budget.scope, SpendingLimit.category == category
                )
            )
        ).first()
        if args.remove:
            if row is not None:
                await session.delete(row)
                await session.commit()
            return ToolResult(text=f"{what} for {whose} has no monthly limit now.")
        money = _money(ctx, args.amount)
        now = ctx.services.clock.now()
        if row is None:
            row = SpendingLimit(
                scope=budget.scope,
                owner_id=budget.owner_id,
                category=category,
                amount_minor=money.minor,
                currency=money.currency,
                set_by=ctx.member.id,
                updated_at=now,
            )
        row.amount_minor, row.currency = money.minor, money.currency
        row.set_by, row.updated_at = ctx.member.id, now
        session.add(row)
        await session.commit()
    month = Month.of(_today(ctx))
    await warn_about_limits(ctx.services, budget, month, category, money.currency, ctx.member.id)
    return ToolResult(
        text=f"{what} for {whose}: at most {show(money, _locale(ctx))} a month, from "
        f"{month_name(month)}. I'll tell you and the parents at "
        + " and ".join(f"{t} %" for t in _settings(ctx).warn_at)
        + ".",
        data={"category": category, "limit": money.plain(), "currency": money.currency},
    )


ADD_EXPENSE = Tool(
    name="budget.add_expense",
    description="Record money spent (household, or a child's own pocket money).",
    args=AddExpenseArgs,
    risk=Risk.WRITE,
    run=add_expense,
    describe=lambda a: (
        f"record {a.amount} spent"
        + (f" at {a.merchant}" if a.merchant else "")
        + (f" ({len(a.items)} items)" if len(a.items) > 1 else "")
    ),
    idempotent=False,
)
EDIT_EXPENSE = Tool(
    name="budget.edit_expense",
    description="Correct a recorded expense (amount, merchant, category, date or note).",
    args=EditExpenseArgs,
    risk=Risk.WRITE,
    run=edit_expense,
    describe=lambda a: f"change expense #{a.expense_id}",
)
DELETE_EXPENSE = Tool(
    name="budget.delete_expense",
    description="Move a recorded expense to the bin (it can be brought back for a week).",
    args=ExpenseIdArgs,
    risk=Risk.WRITE,
    run=delete_expense,
    describe=lambda a: f"delete expense #{a.expense_id}",
)
UNDO_DELETE = Tool(
    name="budget.undo_delete",
    description="Bring a deleted expense back from the bin.",
    args=UndoArgs,
    risk=Risk.WRITE,
    run=undo_delete,
    describe=lambda a: f"bring back expense #{a.expense_id or 'last deleted'}",
)
SET_LIMIT = Tool(
    name="budget.set_limit",
    description="Set a monthly spending limit for a category (household or pocket money).",
    args=LimitArgs,
    risk=Risk.WRITE,
    run=set_limit,
    describe=lambda a: f"set the monthly limit for {a.category or 'everything'} to {a.amount}",
)

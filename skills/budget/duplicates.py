"""Has this receipt been saved already? The same photo, or the same shop, day and total."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from pydantic import BaseModel, Field
from sqlmodel import col, select

from bot.markdown import escape
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from skills.budget import ledger
from skills.budget.models import Expense
from skills.budget.money import Money, MoneyError, locale_for, parse_money, show
from skills.budget.privacy import NOT_FOR_GUESTS, may_change
from skills.budget.settings import BudgetSettings

NOTHING_YET = "I haven't saved an expense from this receipt yet."


class FindReceiptArgs(BaseModel):
    photo_hash: str = Field(
        default="", pattern=r"^([0-9a-f]{64})?$", description="the receipt photo's SHA-256"
    )
    merchant: str = Field(default="", max_length=120, description="the shop on the receipt")
    spent_on: str = Field(default="", description="the receipt's date, YYYY-MM-DD")
    amount: str = Field(default="", max_length=40, description='its total, e.g. "23,45 €"')


def same_shop(a: str, b: str) -> bool:
    """'LIDL  Berlin' and 'Lidl Berlin' are the same shop; punctuation and case don't count."""
    return "".join(filter(str.isalnum, a.casefold())) == "".join(filter(str.isalnum, b.casefold()))


async def _from_photo(ctx: ToolContext, photo_hash: str) -> Expense | None:
    statement = (
        select(Expense)
        .where(Expense.photo_hash == photo_hash, col(Expense.deleted_at).is_(None))
        .order_by(col(Expense.id))
    )
    async with ctx.services.sessions() as session:
        found = list(await session.exec(statement))
    return next((expense for expense in found if may_change(ctx, expense)), None)


async def _same_receipt(
    ctx: ToolContext, merchant: str, day: date, money: Money
) -> Expense | None:
    statement = (
        select(Expense)
        .where(
            Expense.spent_on == day,
            Expense.amount_minor == money.minor,
            Expense.currency == money.currency,
            col(Expense.deleted_at).is_(None),
        )
        .order_by(col(Expense.id))
    )
    async with ctx.services.sessions() as session:
        found = list(await session.exec(statement))
    return next((e for e in found if same_shop(e.merchant, merchant) and may_change(ctx, e)), None)


def _saved(ctx: ToolContext, expense: Expense) -> str:
    """'3 Nov: Lidl, 23,45 €'."""
    locale = locale_for(ctx.member.language or ctx.services.household.language)
    money = show(Money.from_minor(expense.amount_minor, expense.currency), locale)
    day = format_date(expense.spent_on, format="d MMM", locale=locale)
    shop = f"{escape(expense.merchant)}, " if expense.merchant else ""
    return f"{day}: {shop}{money}"


async def find_receipt(ctx: ToolContext, args: FindReceiptArgs) -> ToolResult:
    if ctx.member.role == "guest":
        raise ToolError(NOT_FOR_GUESTS)
    same_photo = await _from_photo(ctx, args.photo_hash) if args.photo_hash else None
    same_receipt = None
    if args.merchant.strip() and args.spent_on and args.amount:
        locale = locale_for(ctx.member.language or ctx.services.household.language)
        currency = ctx.services.settings_as(BudgetSettings).currency
        try:
            money = parse_money(args.amount, locale, currency)
            day = date.fromisoformat(args.spent_on)
        except (MoneyError, ValueError):
            raise ToolError("I need the receipt's total and date to look for it.") from None
        same_receipt = await _same_receipt(ctx, args.merchant, day, money)
    if same_photo is not None:
        text = f"I already saved this receipt on {_saved(ctx, same_photo)} (#{same_photo.id})."
    elif same_receipt is not None:
        text = f"This looks like #{same_receipt.id}, already saved on {_saved(ctx, same_receipt)}."
    else:
        text = NOTHING_YET
    return ToolResult(
        text=text,
        data={
            "same_photo": None if same_photo is None else ledger.describe(same_photo),
            "same_receipt": None if same_receipt is None else ledger.describe(same_receipt),
        },
    )


FIND_RECEIPT = Tool(
    name="budget.find_receipt",
    description="Check whether a receipt was already saved (same photo, or shop, date, total).",
    args=FindReceiptArgs,
    risk=Risk.READ,
    run=find_receipt,
    untrusted_output=True,
)

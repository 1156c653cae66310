"""Tools that read the ledger: the month's summary (with its chart), the list, the CSV export."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

from babel import Locale
from pydantic import AfterValidator, BaseModel, Field

from bot.markdown import escape
from bot.tools import Risk, Tool, ToolContext, ToolResult
from skills.budget import ledger
from skills.budget.chart import CategoryBar, MonthChart, render
from skills.budget.export import export_csv
from skills.budget.ledger import Budget, Month
from skills.budget.models import ALL_CATEGORIES
from skills.budget.money import Money, locale_for, precision, show
from skills.budget.privacy import budget_for, every_budget
from skills.budget.settings import BudgetSettings
from skills.budget.warnings import month_name

LIST_LENGTH = 20
LISTED_ITEMS = 3
"""Item names shown on an expense's line in the list; the rest are counted."""


def _known_month(value: str) -> str:
    if value.strip():
        try:
            Month.parse(value)
        except ValueError:
            raise ValueError("a month such as 2026-11") from None
    return value.strip()


MonthText = Annotated[str, AfterValidator(_known_month)]
MONTH = Field(default="", description="YYYY-MM; empty means this month")


class MonthArgs(BaseModel):
    month: MonthText = MONTH
    member: str = Field(default="", description="whose pocket money; empty means the household's")


class SummaryArgs(MonthArgs):
    chart: bool = Field(default=True, description="also send the month's chart as a picture")


class ListArgs(MonthArgs):
    category: str = Field(default="", max_length=40, description="only this category")
    count: int = Field(default=LIST_LENGTH, ge=1, le=100, description="how many, newest first")


class ExportArgs(BaseModel):
    month: MonthText = MONTH


def _month(ctx: ToolContext, text: str) -> Month:
    if text:
        return Month.parse(text)
    return Month.of(ledger.today(ctx.services.clock.now(), ctx.services.household.timezone))


def _locale(ctx: ToolContext) -> Locale:
    return locale_for(ctx.member.language or ctx.services.household.language)


def _files_dir(ctx: ToolContext, kind: str) -> Path:
    return ctx.services.data_dir / "budget" / kind


def _file_name(budget_or_scope: str, month: Month, suffix: str) -> str:
    return f"{budget_or_scope.replace(':', '-')}-{month}.{suffix}"


async def summary(ctx: ToolContext, args: SummaryArgs) -> ToolResult:
    budget = await budget_for(ctx, args.member)
    month = _month(ctx, args.month)
    locale = _locale(ctx)
    sessions = ctx.services.sessions
    spent = await ledger.totals_by_category(sessions, budget, month)
    limits = {
        (row.category, row.currency): row.amount_minor
        for row in await ledger.limits(sessions, budget)
    }
    totals: dict[str, int] = defaultdict(int)
    for (_category, currency), minor in spent.items():
        totals[currency] += minor

    def money(minor: int, currency: str) -> str:
        return show(Money.from_minor(minor, currency), locale)

    lines = [f"**{escape(budget.label.capitalize())} — {month_name(month)}**"]
    rows = []
    keys = sorted(set(spent) | {key for key in limits if key[0] != ALL_CATEGORIES})
    for category, currency in keys:
        used, limit = spent.get((category, currency), 0), limits.get((category, currency))
        rows.append((category, currency, used, limit))
        line = f"- {escape(category.capitalize())}: {money(used, currency)}"
        if limit is not None:
            line += f" of {money(limit, currency)} ({used * 100 // limit} %)"
        lines.append(line)
    if not spent:
        lines.append("Nothing spent yet.")
    else:
        lines.append(
            "**Total: "
            + ", ".join(money(minor, cur) for cur, minor in sorted(totals.items()))
            + "**"
        )
    for (category, currency), limit in sorted(limits.items()):
        if category == ALL_CATEGORIES:
            used = totals.get(currency, 0)
            lines.append(
                f"Limit for everything: {money(used, currency)} of {money(limit, currency)} "
                f"({used * 100 // limit} %)"
            )
    pocket = await _pocket_money_lines(ctx, budget, month, locale)
    lines += pocket
    data: dict[str, Any] = {
        "month": str(month),
        "budget": budget.scope,
        "totals": {cur: Money.from_minor(minor, cur).plain() for cur, minor in totals.items()},
        "categories": [
            {
                "category": category,
                "currency": currency,
                "spent": Money.from_minor(used, currency).plain(),
                "limit": None if limit is None else Money.from_minor(limit, currency).plain(),
            }
            for category, currency, used, limit in rows
        ],
    }
    image = None
    if args.chart and (spent or limits):
        image = await _chart(ctx, budget, month, rows)
    return ToolResult(text="\n".join(lines), data=data, image_path=image)


async def _pocket_money_lines(
    ctx: ToolContext, budget: Budget, month: Month, locale: Locale
) -> list[str]:
    """For parents and adults looking at the household: what each member spent of their own."""
    if budget.owner_id is not None:
        return []
    names = {member.id: member.name for member in await ctx.services.family.members()}
    by_member: dict[int, list[str]] = defaultdict(list)
    for (owner, currency), minor in sorted(
        (await ledger.pocket_money_totals(ctx.services.sessions, month)).items()
    ):
        by_member[owner].append(show(Money.from_minor(minor, currency), locale))
    if not by_member:
        return []
    shown = [
        f"{escape(names.get(owner, 'someone'))} {', '.join(amounts)}"
        for owner, amounts in by_member.items()
    ]
    return ["Pocket money: " + "; ".join(shown)]


async def _chart(
    ctx: ToolContext, budget: Budget, month: Month, rows: list[tuple[str, str, int, int | None]]
) -> str:
    """Renders the month in the household's currency, in the worker pool."""
    currency = ctx.services.settings_as(BudgetSettings).currency
    scale = float(10 ** precision(currency))
    bars = tuple(
        CategoryBar(category.capitalize(), used / scale, None if limit is None else limit / scale)
        for category, cur, used, limit in rows
        if cur == currency
    )
    daily = await ledger.daily_totals(ctx.services.sessions, budget, month, currency)
    running, total = [], 0
    for day in sorted(daily):
        total += daily[day]
        running.append((day, total / scale))
    chart = MonthChart(
        title=f"{budget.label.capitalize()} — {month_name(month)}",
        currency=currency,
        bars=bars,
        running_total=tuple(running),
    )
    path = _files_dir(ctx, "charts") / _file_name(budget.scope, month, "png")
    await ctx.services.workers.run("chart", render, chart, path)
    return str(path)


async def list_expenses(ctx: ToolContext, args: ListArgs) -> ToolResult:
    budget = await budget_for(ctx, args.member)
    month = _month(ctx, args.month)
    locale = _locale(ctx)
    settings = ctx.services.settings_as(BudgetSettings)
    category = None
    if args.category.strip():
        category = settings.category_for(args.category) or args.category.strip().casefold()
    found = await ledger.expenses(ctx.services.sessions, [budget], month, category, args.count)
    names = {member.id: member.name for member in await ctx.services.family.members()}
    title = f"**{escape(budget.label.capitalize())} — {month_name(month)}**"
    if not found:
        return ToolResult(text=f"{title}\nNo expenses recorded.", data={"expenses": []})
    lines = [title]
    for expense in found:
        amount = show(Money.from_minor(expense.amount_minor, expense.currency), locale)
        where = f" · {escape(expense.merchant)}" if expense.merchant else ""
        payer = names.get(expense.paid_by, "") if expense.paid_by is not None else ""
        who = f" ({escape(payer)})" if payer else ""
        things = [item.name for item in ledger.items_of(expense)]
        bought = f" · {escape(', '.join(things[:LISTED_ITEMS]))}" if things else ""
        more = f", … {len(things) - LISTED_ITEMS} more" if len(things) > LISTED_ITEMS else ""
        lines.append(
            f"#{expense.id} {expense.spent_on:%d %b} · {amount} · "
            f"{escape(expense.category.capitalize())}{where}{who}{bought}{more}"
        )
    return ToolResult(
        text="\n".join(lines), data={"expenses": [ledger.describe(e) for e in found]}
    )


async def export(ctx: ToolContext, args: ExportArgs) -> ToolResult:
    budgets = await every_budget(ctx)
    month = _month(ctx, args.month)
    names = {member.id: member.name for member in await ctx.services.family.members()}
    text = await export_csv(ctx.services.sessions, budgets, month, names)
    scope = "household" if len(budgets) > 1 else budgets[0].scope
    path = _files_dir(ctx, "exports") / _file_name(f"budget-{scope}", month, "csv")
    await asyncio.to_thread(_write, path, text)
    count = text.count("\n") - 1
    return ToolResult(
        text=f"Here are the expenses of {month_name(month)} as a spreadsheet file ({count} rows).",
        data={"month": str(month), "rows": count},
        file_path=str(path),
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


SUMMARY = Tool(
    name="budget.summary",
    description="How much was spent this month (or another), by category against the limits.",
    args=SummaryArgs,
    risk=Risk.READ,
    run=summary,
    untrusted_output=True,
)
LIST = Tool(
    name="budget.list",
    description="List the month's recorded expenses with their numbers, newest first.",
    args=ListArgs,
    risk=Risk.READ,
    run=list_expenses,
    untrusted_output=True,
)
EXPORT = Tool(
    name="budget.export",
    description="Send the month's expenses as a CSV spreadsheet file.",
    args=ExportArgs,
    risk=Risk.READ,
    run=export,
)

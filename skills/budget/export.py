"""The month's expenses as CSV: one row per expense, amounts as exact decimals ("42.50").

The items column lists what was bought: "3 x Brezel = 2.70; Roggenbrot = 3.80".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from skills.budget.items import exported
from skills.budget.ledger import Budget, Month, expenses, items_of
from skills.budget.money import Money
from storage.database import SessionFactory

COLUMNS = (
    "id",
    "date",
    "amount",
    "currency",
    "category",
    "merchant",
    "paid_by",
    "budget",
    "items",
    "note",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Words others typed never run as a spreadsheet formula ("=HYPERLINK(...)")."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


async def export_csv(
    sessions: SessionFactory, budgets: Sequence[Budget], month: Month, names: Mapping[int, str]
) -> str:
    """Every expense of these budgets in the month, oldest first."""
    labels = {budget.owner_id: budget.label for budget in budgets}
    rows = sorted(await expenses(sessions, budgets, month), key=lambda e: (e.spent_on, e.id or 0))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for expense in rows:
        writer.writerow(
            (
                expense.id,
                expense.spent_on.isoformat(),
                Money.from_minor(expense.amount_minor, expense.currency).plain(),
                expense.currency,
                _cell(expense.category),
                _cell(expense.merchant),
                names.get(expense.paid_by, "") if expense.paid_by is not None else "",
                labels.get(expense.owner_id, ""),
                _cell(exported(items_of(expense))),
                _cell(expense.note),
            )
        )
    return out.getvalue()

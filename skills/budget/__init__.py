"""The family budget: expenses in exact decimals, limits with warnings, summaries and exports."""

from pathlib import Path

from bot.skills import Skill
from skills.budget.commands import BUDGET, SPENT
from skills.budget.duplicates import FIND_RECEIPT
from skills.budget.records import ADD_EXPENSE, DELETE_EXPENSE, EDIT_EXPENSE, SET_LIMIT, UNDO_DELETE
from skills.budget.reports import EXPORT, LIST, SUMMARY
from skills.budget.settings import BudgetSettings

SKILL = Skill(
    name="budget",
    roles={
        "child": (
            "budget.summary",
            "budget.add_expense",
            "budget.list",
            "budget.edit_expense",
            "budget.delete_expense",
            "budget.undo_delete",
            "budget.find_receipt",
        )
    },
    tools=(
        ADD_EXPENSE,
        EDIT_EXPENSE,
        DELETE_EXPENSE,
        UNDO_DELETE,
        SET_LIMIT,
        SUMMARY,
        LIST,
        EXPORT,
        FIND_RECEIPT,
    ),
    phrases=(Path(__file__).with_name("phrases.toml"),),
    settings=BudgetSettings,
    migrations=Path(__file__).with_name("migrations"),
    commands=(SPENT, BUDGET),
    keywords=(
        "spent",
        "spend",
        "paid",
        "budget",
        "expense",
        "money",
        "ausgegeben",
        "bezahlt",
        "gastei",
        "gastamos",
        "gasté",
        "gastado",
        "orçamento",
        "presupuesto",
    ),
)

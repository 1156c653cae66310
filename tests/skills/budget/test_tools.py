"""Recording and reading the family's money in chat: exact amounts, privacy by role, the bin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.context import AppContext
from skills.budget.models import Expense
from skills.budget.privacy import ONLY_YOUR_OWN
from tests.skills.budget.conftest import ANA, GUS, LEO, Ask, Say


async def ledger(app: AppContext) -> list[Expense]:
    async with app.sessions() as session:
        return list(await session.exec(select(Expense).order_by(col(Expense.id))))


async def test_i_spent_42_50_euros_at_the_pharmacy_records_exactly_that(
    app: AppContext, say: Say
) -> None:
    outcome = await say("I spent 42,50 € at the pharmacy")

    assert outcome.route == "fast"
    assert [(a.tool, a.status) for a in outcome.actions] == [("budget.add_expense", "done")]
    assert outcome.text == "Recorded #1 €42.50 for Health at pharmacy."
    [expense] = await ledger(app)
    assert (expense.amount_minor, expense.currency, expense.category) == (4250, "EUR", "health")
    assert expense.owner_id is None  # the household's money


@pytest.mark.parametrize(
    ("text", "minor", "currency", "category", "merchant"),
    [
        ("I spent 42.50 at Lidl on groceries", 4250, "EUR", "groceries", "Lidl"),
        ("ich habe 30 Euro beim Bäcker ausgegeben", 3000, "EUR", "groceries", "Bäcker"),
        ("gastei 35,90 no mercado", 3590, "EUR", "groceries", "mercado"),
        ("gastei R$ 35,90 no mercado", 3590, "BRL", "groceries", "mercado"),
        ("gasté 20 euros en la farmacia", 2000, "EUR", "health", "farmacia"),
        ("/spent 12.50 groceries Lidl", 1250, "EUR", "groceries", "Lidl"),
        ("/spent 7 bouldering", 700, "EUR", "bouldering", ""),
    ],
)
async def test_expenses_in_four_languages_and_the_command(
    app: AppContext, say: Say, text: str, minor: int, currency: str, category: str, merchant: str
) -> None:
    outcome = await say(text)

    assert outcome.route in ("fast", "command")
    [expense] = await ledger(app)
    assert (expense.amount_minor, expense.currency) == (minor, currency)
    assert (expense.category, expense.merchant) == (category, merchant)


async def test_a_child_sees_and_records_only_their_own_pocket_money(
    app: AppContext, say: Say
) -> None:
    await say("I spent 120 at Lidl on groceries", ANA)
    await say("/spent 3,50 fun comics", LEO)

    answer = await say("how much did we spend this month?", LEO)

    assert answer.route == "fast"
    assert answer.text.startswith("**Leo's pocket money — January 2026**")
    assert "€3.50" in answer.text
    assert "120" not in answer.text
    assert "Groceries" not in answer.text
    parent_view = await say("how much did we spend this month?", ANA)
    assert "**Total: €120.00**" in parent_view.text
    assert "Pocket money: Leo €3.50" in parent_view.text

    peeking = await say("/budget Ana", LEO)
    assert peeking.text == ONLY_YOUR_OWN
    [household, pocket] = await ledger(app)
    assert pocket.owner_id is not None
    assert household.owner_id is None


async def test_a_child_cannot_change_or_delete_the_households_expenses(
    ask: Ask, app: AppContext
) -> None:
    await ask("Ana", "budget.add_expense", amount="80", merchant="Lidl")

    edit = await ask("Leo", "budget.edit_expense", expense_id=1, amount="1")
    delete = await ask("Leo", "budget.delete_expense", expense_id=1)
    spend_for_ana = await ask("Leo", "budget.add_expense", amount="5", for_member="Ana")

    assert edit.text == delete.text == "I can't find expense #1 in a budget you may change."
    assert spend_for_ana.text == ONLY_YOUR_OWN
    [expense] = await ledger(app)
    assert (expense.amount_minor, expense.deleted_at) == (8000, None)


async def test_guests_see_nothing_of_the_budget(ask: Ask, say: Say) -> None:
    await ask("Ana", "budget.add_expense", amount="80", merchant="Lidl")

    for text in ("/budget", "how much did we spend this month?", "/spent 5 fun"):
        outcome = await say(text, GUS)
        assert [a.status for a in outcome.actions] == ["denied"]
        assert "80" not in outcome.text


async def test_a_deleted_expense_waits_in_the_bin_for_a_week(ask: Ask, clock: ManualClock) -> None:
    await ask("Ben", "budget.add_expense", amount="30", merchant="Lidl")
    await ask("Ben", "budget.add_expense", amount="12", merchant="kiosk", category="fun")

    deleted = await ask("Ben", "budget.delete_expense", expense_id=1)
    after_delete = await ask("Ben", "budget.summary", chart=False)
    undone = await ask("Ben", "budget.undo_delete")
    after_undo = await ask("Ben", "budget.summary", chart=False)

    assert deleted.text.startswith("Moved #1 €30.00 for Groceries at Lidl to the bin.")
    assert after_delete.data["totals"] == {"EUR": "12.00"}
    assert undone.text == "Brought back #1 €30.00 for Groceries at Lidl."
    assert after_undo.data["totals"] == {"EUR": "42.00"}

    await ask("Ben", "budget.delete_expense", expense_id=2)
    clock.advance(timedelta(days=8))
    too_late = await ask("Ben", "budget.undo_delete", expense_id=2)
    assert too_late.status == "failed"
    assert too_late.text == "Expense #2 is not in the bin any more, so I can't undo it."


async def test_corrections_and_other_currencies_stay_exact(ask: Ask) -> None:
    await ask("Ana", "budget.add_expense", amount="19,99 €", merchant="Lidl")
    await ask("Ben", "budget.add_expense", amount="R$ 35,90", merchant="mercado")

    edited = await ask("Ana", "budget.edit_expense", expense_id=1, amount="21,01", category="fun")
    summary = await ask("Ana", "budget.summary", chart=False)

    assert edited.text == "Changed: #1 €21.01 for Fun at Lidl."
    assert summary.data["totals"] == {"EUR": "21.01", "BRL": "35.90"}
    assert "**Total: R$35.90, €21.01**" in summary.text


async def test_unreadable_amounts_and_future_dates_are_refused_kindly(ask: Ask, say: Say) -> None:
    usage = await say("/spent groceries")
    too_precise = await ask("Ana", "budget.add_expense", amount="12.505")
    future = await ask("Ana", "budget.add_expense", amount="5", spent_on="2026-02-01")

    assert usage.text == "Which amount? For example: /spent 12.50 groceries Lidl"
    assert too_precise.text == "“12.505” has more decimals than EUR amounts have."
    assert future.text == "That date is still to come; I only record money already spent."

"""What was bought reaches the budget: items with how many and what they cost, shown in replies
and the list, exported, and a receipt saved before is found again (issue 14, item 5)."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

from sqlmodel import col, select

from bot.context import AppContext
from skills.budget.models import Expense
from tests.skills.budget.conftest import ANA, Ask, Say

PHOTO = "ab" * 32
RECEIPT_ITEMS = [
    {"name": "Roggenbrot", "amount": "3,80"},
    {"name": "Brezel", "qty": "3", "amount": "2,70"},
    {"name": "Leergut", "amount": "-0,50"},
    "Apfelkuchen",
]


async def saved(app: AppContext) -> list[Expense]:
    async with app.sessions() as session:
        return list(await session.exec(select(Expense).order_by(col(Expense.id))))


async def test_items_with_amounts_and_plain_names_are_saved_and_shown(
    app: AppContext, ask: Ask
) -> None:
    result = await ask(
        "Ana", "budget.add_expense", amount="8,50 €", merchant="Bäckerei", items=RECEIPT_ITEMS
    )

    assert result.status == "done", result.text
    assert result.text.splitlines()[1] == (
        "Items: Roggenbrot €3.80, 3 × Brezel €2.70, Leergut -€0.50, Apfelkuchen"
    )
    [expense] = await saved(app)
    assert expense.items == [
        {"name": "Roggenbrot", "qty": None, "amount": "3.80"},
        {"name": "Brezel", "qty": "3", "amount": "2.70"},
        {"name": "Leergut", "qty": None, "amount": "-0.50"},
        {"name": "Apfelkuchen", "qty": None, "amount": None},
    ]
    assert result.data["items"][1] == {"name": "Brezel", "qty": "3", "amount": "2.70"}


async def test_a_weighed_item_keeps_its_weight(app: AppContext, ask: Ask) -> None:
    item = {"name": "Weintrauben", "qty": 1.604, "amount": 5.6}

    result = await ask("Ana", "budget.add_expense", amount="5,60", items=[item])

    assert "Items: 1.604 × Weintrauben €5.60" in result.text
    [expense] = await saved(app)
    assert expense.items == [{"name": "Weintrauben", "qty": "1.604", "amount": "5.60"}]


async def test_a_free_item_is_kept_with_nothing_to_pay(app: AppContext, ask: Ask) -> None:
    items = [{"name": "Brot", "amount": "2,00"}, {"name": "Tüte", "amount": "0,00 €"}]

    result = await ask("Ana", "budget.add_expense", amount="2", items=items)

    assert result.status == "done", result.text
    [expense] = await saved(app)
    assert expense.items[1] == {"name": "Tüte", "qty": None, "amount": "0.00"}


async def test_an_item_amount_that_cannot_be_read_gets_a_kind_answer(
    app: AppContext, ask: Ask
) -> None:
    bad = {"name": "Brot", "amount": "3,80 USD"}

    result = await ask("Ana", "budget.add_expense", amount="3,80 €", items=[bad])

    assert result.status == "failed"
    assert result.text == "An item's amount is in USD, the expense in EUR."
    assert await saved(app) == []


async def test_the_list_and_the_export_show_what_was_bought(
    app: AppContext, ask: Ask, say: Say
) -> None:
    await ask("Ana", "budget.add_expense", amount="8,50", merchant="Bäckerei", items=RECEIPT_ITEMS)
    await ask("Ana", "budget.add_expense", amount="2", merchant="Kiosk")

    listed = await say("/budget list", ANA)
    exported = await say("/budget export", ANA)

    assert "Bäckerei (Ana) · Roggenbrot, Brezel, Leergut, … 1 more" in listed.text
    [reply] = exported.replies
    assert reply.file_path is not None
    text = await asyncio.to_thread(Path(reply.file_path).read_text, encoding="utf-8")
    rows = {row["merchant"]: row["items"] for row in csv.DictReader(io.StringIO(text))}
    assert rows == {
        "Bäckerei": "Roggenbrot = 3.80; 3 x Brezel = 2.70; Leergut = -0.50; Apfelkuchen",
        "Kiosk": "",
    }


async def test_a_receipt_saved_before_is_found_by_its_photo(app: AppContext, ask: Ask) -> None:
    await ask(
        "Ana",
        "budget.add_expense",
        amount="23,45 €",
        merchant="Lidl",
        spent_on="2025-12-03",
        photo_hash=PHOTO,
    )

    again = await ask("Ana", "budget.find_receipt", photo_hash=PHOTO)
    other = await ask("Ana", "budget.find_receipt", photo_hash="cd" * 32)

    assert again.text == "I already saved this receipt on 3 Dec: Lidl, €23.45 (#1)."
    assert again.data["same_photo"]["id"] == 1
    assert other.text == "I haven't saved an expense from this receipt yet."
    [expense] = await saved(app)
    assert expense.photo_hash == PHOTO


async def test_another_photo_with_the_same_shop_day_and_total_looks_like_the_saved_one(
    ask: Ask,
) -> None:
    await ask("Ana", "budget.add_expense", amount="23,45", merchant="Lidl", spent_on="2025-12-03")

    same = await ask(
        "Ana",
        "budget.find_receipt",
        photo_hash=PHOTO,
        merchant="LIDL",
        spent_on="2025-12-03",
        amount="23,45 EUR",
    )
    other_day = await ask(
        "Ana",
        "budget.find_receipt",
        merchant="Lidl",
        spent_on="2025-12-04",
        amount="23,45 EUR",
    )

    assert same.text == "This looks like #1, already saved on 3 Dec: Lidl, €23.45."
    assert same.data == {"same_photo": None, "same_receipt": same.data["same_receipt"]}
    assert other_day.data == {"same_photo": None, "same_receipt": None}


async def test_a_receipt_in_the_bin_is_not_saved_any_more(ask: Ask) -> None:
    await ask("Ana", "budget.add_expense", amount="9", merchant="Lidl", photo_hash=PHOTO)
    await ask("Ana", "budget.delete_expense", expense_id=1)

    found = await ask("Ana", "budget.find_receipt", photo_hash=PHOTO)

    assert found.data == {"same_photo": None, "same_receipt": None}

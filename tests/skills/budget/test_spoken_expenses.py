"""Expenses said aloud (issue 14): amounts in words ("vierzehn Euro achtzig") and the everyday
ways to say what was paid where, in four languages, are recorded exactly without the LLM."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.context import AppContext
from skills.budget.models import Expense
from tests.skills.budget.conftest import Say


async def ledger(app: AppContext) -> list[Expense]:
    async with app.sessions() as session:
        return list(await session.exec(select(Expense)))


@pytest.mark.parametrize(
    ("said", "minor", "currency", "merchant"),
    [
        ("I paid twenty four euros fifty at the garden centre.", 2450, "EUR", "garden centre"),
        ("We spent eighty seven euros at the petrol station", 8700, "EUR", "petrol station"),
        ("I just spent twelve ninety at the bakery", 1290, "EUR", "bakery"),
        # How Whisper writes "forty one euros twenty": the category is never "20".
        ("I paid 41 euro for twenty at the toy shop", 4120, "EUR", "toy shop"),
        ("At the cinema I paid thirty one euros twenty", 3120, "EUR", "cinema"),
        ("Im Baumarkt habe ich dreiundvierzig Euro zwanzig bezahlt.", 4320, "EUR", "Baumarkt"),
        ("Ich habe beim Metzger neunzehn Euro fünfzig ausgegeben", 1950, "EUR", "Metzger"),
        ("wir haben 23,40 Euro in der Apotheke bezahlt", 2340, "EUR", "Apotheke"),
        ("Gastei quarenta e cinco reais e noventa no açougue", 4590, "BRL", "açougue"),
        ("Na farmácia paguei dezoito euros", 1800, "EUR", "farmácia"),
        ("He pagado treinta y dos euros con cuarenta en la ferretería", 3240, "EUR", "ferretería"),
        ("En el mercado gasté quince euros", 1500, "EUR", "mercado"),
    ],
)
async def test_an_expense_said_in_words_is_recorded_exactly_without_the_llm(
    app: AppContext, say: Say, said: str, minor: int, currency: str, merchant: str
) -> None:
    outcome = await say(said)

    assert outcome.route == "fast"
    assert [(a.tool, a.status) for a in outcome.actions] == [("budget.add_expense", "done")]
    [expense] = await ledger(app)
    recorded = (expense.amount_minor, expense.currency, expense.merchant)
    assert recorded == (minor, currency, merchant)


@pytest.mark.parametrize(
    "said",
    [
        "I paid attention to the teacher",
        "I spent the whole day at the beach",
        "What did I spend at the bakery?",
        "we paid a visit to grandma",
        "Im Garten habe ich den ganzen Tag gearbeitet",
        "gastei o dia todo no parque",
        "he pagado la cuenta en el restaurante",
    ],
)
async def test_sentences_that_record_no_money_are_left_alone(
    app: AppContext, say: Say, said: str
) -> None:
    outcome = await say(said)

    assert "budget.add_expense" not in [a.tool for a in outcome.actions]
    assert await ledger(app) == []

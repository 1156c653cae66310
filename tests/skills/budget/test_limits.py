"""Monthly limits: a warning at 80 % and at 100 %, once each per month, to the right people."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.family import Member
from tests.skills.budget.conftest import Ask
from tests.support.home import FamilyChats


def warnings(chats: FamilyChats) -> list[tuple[str, str]]:
    """(chat, text) of every limit warning pushed so far; one push's chats in any order (the
    outbox delivers to each chat on its own)."""
    return [
        (d.chat_id, d.reply.text) for d in chats.delivered if d.key.startswith("push:budget:warn:")
    ]


async def spend(ask: Ask, chats: FamilyChats, who: str, amount: str, **more: str) -> None:
    result = await ask(who, "budget.add_expense", amount=amount, **more)
    assert result.status == "done", result.text
    await chats.outbox.deliver_due()


async def test_the_80_and_100_percent_warnings_fire_once_each(
    ask: Ask, chats: FamilyChats, clock: ManualClock, family: dict[str, Member]
) -> None:
    await ask("Ana", "budget.set_limit", category="groceries", amount="100")

    await spend(ask, chats, "Ben", "50", merchant="Lidl")
    assert warnings(chats) == []

    await spend(ask, chats, "Ben", "35", merchant="Lidl")  # 85 %
    await spend(ask, chats, "Ben", "10", merchant="Lidl")  # 95 %: already told
    eighty = (
        "Heads-up: Groceries for the household has reached 85 % of its limit for January 2026 "
        "(€85.00 of €100.00)."
    )
    assert sorted(warnings(chats)) == [("1001", eighty), ("1003", eighty)]  # Ana, Ben (spent)

    await spend(ask, chats, "Ben", "10", merchant="Lidl")  # 105 %
    await spend(ask, chats, "Ana", "1", merchant="Lidl")
    await spend(ask, chats, "Ben", "4", merchant="Aldi")
    full = [text for _, text in warnings(chats)[2:]]
    hundred = (
        "Heads-up: Groceries for the household has reached 105 % of its limit for January 2026 "
        "(€105.00 of €100.00)."
    )
    assert full == [hundred, hundred]
    print(f"warnings pushed in January: {len(warnings(chats))}")

    await spend(ask, chats, "Ben", "30", merchant="Lidl", category="fun")  # another category
    assert len(warnings(chats)) == 4

    clock.advance(timedelta(days=31))  # February starts afresh
    await spend(ask, chats, "Ben", "90", merchant="Lidl")
    assert len(warnings(chats)) == 6
    assert "90 % of its limit for February 2026" in warnings(chats)[-1][1]


async def test_pocket_money_warnings_go_to_the_child_and_the_parents(
    ask: Ask, chats: FamilyChats, family: dict[str, Member]
) -> None:
    limit = await ask("Ana", "budget.set_limit", member="Leo", amount="10")
    refused = await ask("Leo", "budget.set_limit", member="Leo", amount="1000")

    await spend(ask, chats, "Leo", "9", merchant="kiosk", category="fun")

    assert limit.text.startswith("Everything for Leo's pocket money: at most €10.00 a month")
    assert refused.status == "denied"
    text = (
        "Heads-up: Everything for Leo's pocket money has reached 90 % of its limit for "
        "January 2026 (€9.00 of €10.00)."
    )
    assert sorted(warnings(chats)) == [("1001", text), ("1002", text)]  # Ana and Leo, not Ben

"""A household for the budget: Ana (parent), Ben (adult), Leo (child) and Gus (guest)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.actions import ActionResult, Turn, run_action
from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from bot.messages import Outcome
from tests.support.home import FamilyChats, MakeIncoming

ANA, LEO, BEN, GUS = "1001", "1002", "1003", "1004"
USERS = {"Ana": ANA, "Leo": LEO, "Ben": BEN, "Gus": GUS}

Ask = Callable[..., Awaitable[ActionResult]]
Say = Callable[..., Awaitable[Outcome]]


@pytest.fixture
async def family(app: AppContext) -> dict[str, Member]:
    members = {}
    for name, role in (("Ana", "parent"), ("Leo", "child"), ("Ben", "adult"), ("Gus", "guest")):
        members[name] = await app.family.add(name, role)
        await app.family.link(name, f"telegram:{USERS[name]}")
    return members


@pytest.fixture
def ask(app: AppContext, family: dict[str, Member], make_incoming: MakeIncoming) -> Ask:
    """ask("Ana", "budget.add_expense", amount="12.50"): runs a tool as that member."""

    async def run(name: str, tool: str, **args: Any) -> ActionResult:
        member = family[name]
        turn = Turn(app=app, incoming=make_incoming("(test)", sender=USERS[name]), member=member)
        return await run_action(turn, tool, args)

    return run


@pytest.fixture
def say(
    chats: FamilyChats, make_incoming: MakeIncoming, clock: ManualClock, family: dict[str, Member]
) -> Say:
    """say("/spent 3 fun", LEO): one message through the whole pipeline (Ana when unsaid)."""

    async def send(text: str, sender: str = ANA) -> Outcome:
        clock.advance(timedelta(seconds=10))  # a family types at a human pace (rate limit)
        return await chats.send(make_incoming(text, sender=sender))

    return send

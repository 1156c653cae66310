"""A household in Berlin: Ana and Tom (parents), Ben and Lena (children), Gus (a guest).

The clock starts on Monday 5 January 2026 at 10:00 in Berlin; chores are due at 18:00 and the
nag window is two hours, so a chore not done is pushed at 18:00, 20:00 and 22:00, and a parent
hears of it at midnight.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot.actions import ActionResult, Turn, run_action
from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from bot.messages import Outcome
from bot.scheduler import Firing
from skills.chores.models import ChoreTurn
from storage.models import OutboxMessage
from tests.support.home import FamilyChats, MakeIncoming, write_bot_toml

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_MORNING = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ANA, TOM, BEN, LENA, GUS = "1001", "1005", "1003", "1004", "1006"
USERS = {"Ana": ANA, "Tom": TOM, "Ben": BEN, "Lena": LENA, "Gus": GUS}
ROLES = {"Ana": "parent", "Tom": "parent", "Ben": "child", "Lena": "child", "Gus": "guest"}
SETTINGS = (
    '[household]\ntimezone = "Europe/Berlin"\n'
    "[skills.chores]\nremind_every_minutes = 120\nreminders = 2\n"
)

Ask = Callable[..., Awaitable[ActionResult]]
Say = Callable[..., Awaitable[Outcome]]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_MORNING)


@pytest.fixture
def bot_toml(tmp_path: Path) -> Path:
    return write_bot_toml(tmp_path, SETTINGS)


@pytest.fixture
async def family(app: AppContext) -> dict[str, Member]:
    members = {}
    for name, role in ROLES.items():
        members[name] = await app.family.add(name, role)
        await app.family.link(name, f"telegram:{USERS[name]}")
    return members


@pytest.fixture
def ask(app: AppContext, family: dict[str, Member], make_incoming: MakeIncoming) -> Ask:
    """ask("Ana", "chores.add", what="..."): runs a tool as that member, from their chat."""

    async def run(name: str, tool: str, **args: Any) -> ActionResult:
        turn = Turn(
            app=app, incoming=make_incoming("(test)", sender=USERS[name]), member=family[name]
        )
        return await run_action(turn, tool, args)

    return run


@pytest.fixture
def say(
    chats: FamilyChats, make_incoming: MakeIncoming, clock: ManualClock, family: dict[str, Member]
) -> Say:
    """say("I emptied the dishwasher", "Ben"): one message through the whole pipeline."""

    async def send(text: str, name: str = "Ana", **fields: Any) -> Outcome:
        clock.advance(timedelta(seconds=10))  # a family types at a human pace (rate limit)
        return await chats.send(make_incoming(text, sender=USERS[name], **fields))

    return send


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=BERLIN)


async def run_scheduler(app: AppContext) -> list[Firing]:
    """Every pass the running bot would make at this instant, until nothing more is due."""
    fired: list[Firing] = []
    while passed := await app.scheduler.run_due(app.clock.now()):
        fired += passed
    return fired


async def chore_turns(app: AppContext) -> list[ChoreTurn]:
    async with app.sessions() as session:
        return list(await session.exec(select(ChoreTurn).order_by(col(ChoreTurn.due_at))))


async def pushes(app: AppContext) -> list[OutboxMessage]:
    """Every push queued so far, oldest first."""
    async with app.sessions() as session:
        rows = await session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.key).startswith("push:chores:"))
            .order_by(col(OutboxMessage.id))
        )
        return list(rows)

"""A household in Berlin with a calendar: tools run as a member, time moved by hand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.actions import ActionResult, Turn, run_action
from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from tests.support.home import FamilyChats, MakeIncoming, write_bot_toml

BERLIN = ZoneInfo("Europe/Berlin")
CALENDAR_TOML = """
[household]
timezone = "Europe/Berlin"
[skills.calendar]
daily_agenda = ["everyone"]
agenda_time = "07:00"
"""

Ask = Callable[..., Awaitable[ActionResult]]


@pytest.fixture
def bot_toml(tmp_path: Path) -> Path:
    return write_bot_toml(tmp_path, CALENDAR_TOML)


@pytest.fixture
def clock() -> ManualClock:
    """Monday 5 January 2026, 10:00 in Berlin."""
    return ManualClock(datetime(2026, 1, 5, 10, 0, tzinfo=BERLIN))


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
async def only_calendar_jobs(app: AppContext) -> None:
    """Stops the hourly media cleanup, so moving time by weeks runs the calendar's jobs only."""
    await app.scheduler.cancel("system:media-cleanup")


@pytest.fixture
def ask(app: AppContext, parent: Member, make_incoming: MakeIncoming) -> Ask:
    """Runs a calendar tool for Ana (a parent), as the fast path or a command would."""

    async def run(tool: str, *, member: Member | None = None, **args: Any) -> ActionResult:
        turn = Turn(app=app, incoming=make_incoming("(test)"), member=member or parent)
        return await run_action(turn, tool, args)

    return run


async def live_until(app: AppContext, clock: ManualClock, until: datetime) -> None:
    """The bot running without a break until `until`: every job fires when it comes due."""
    while True:
        due = await app.scheduler.next_due()
        if due is None or due > until:
            break
        if due > clock.now():
            clock.advance(due - clock.now())
        await app.scheduler.run_due(clock.now())
    if until > clock.now():
        clock.advance(until - clock.now())


async def back_online(app: AppContext, clock: ManualClock, at: datetime) -> None:
    """The bot was down until `at`: time jumps, then start-up catches up on what was due."""
    clock.advance(at - clock.now())
    for _ in range(100):
        if not await app.scheduler.run_due(clock.now()):
            return
    raise AssertionError("the scheduler kept firing at one moment")


async def pushes(chats: FamilyChats) -> list[tuple[str, str]]:
    """(chat id, text) of every push delivered so far."""
    await chats.outbox.deliver_due()
    return [(d.chat_id, d.reply.text) for d in chats.delivered]

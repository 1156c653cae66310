"""A household in Berlin whose clock starts on a Friday morning, two days before summer time."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot.app import open_app
from bot.clock import ManualClock
from bot.config import load_config
from bot.context import AppContext
from bot.scheduler import Firing
from skills.reminders.models import ReminderOccurrence
from storage.models import OutboxMessage
from tests.support.home import write_bot_toml

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_MORNING = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
"""09:00 in Berlin; summer time starts on Sunday 29 March at 02:00."""
HOUSEHOLD = '[household]\ntimezone = "Europe/Berlin"\n'


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(FRIDAY_MORNING)


@pytest.fixture
def bot_toml(tmp_path: Path) -> Path:
    return write_bot_toml(tmp_path, HOUSEHOLD)


def berlin(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


async def run_scheduler(app: AppContext) -> list[Firing]:
    """Every pass the running bot would make at this instant, until nothing more is due."""
    fired: list[Firing] = []
    while True:
        passed = await app.scheduler.run_due(app.clock.now())
        if not passed:
            return fired
        fired += passed


async def pushed(app: AppContext) -> list[str]:
    """The texts of every push queued so far, oldest first."""
    async with app.sessions() as session:
        rows = await session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.key).startswith("push:"))
            .order_by(col(OutboxMessage.id))
        )
        return [row.payload["text"] for row in rows]


async def occurrences(app: AppContext) -> list[ReminderOccurrence]:
    async with app.sessions() as session:
        statement = select(ReminderOccurrence).order_by(col(ReminderOccurrence.id))
        return list(await session.exec(statement))


@contextlib.asynccontextmanager
async def restarted(bot_toml: Path, clock: ManualClock) -> AsyncIterator[AppContext]:
    """The bot started again on the same data directory (after `clock` moved on)."""
    async with open_app(load_config(bot_toml, environ={}), clock=clock) as app:
        yield app


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)

"""The example skill's daily reminder (issue 11 item 11): it fires at the hour from bot.toml
through the scheduler, once — across restarts and after the bot was down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from bot.app import open_app
from bot.clock import ManualClock
from bot.config import Config, load_config
from bot.context import AppContext
from bot.family import Member
from bot.scheduler import Firing
from tests.skills.example.household import BERLIN, NINE_AM, reminder_hour
from tests.support.example_skill.reminders import REMINDER
from tests.support.home import PARENT_ID, FamilyChats, MakeIncoming


async def water_due(app: AppContext, clock: ManualClock) -> list[Firing]:
    """The example skill's firings now (the built-in skills' own jobs run beside them)."""
    return [f for f in await app.scheduler.run_due(clock.now()) if f.skill == "example"]


def reminders(chats: FamilyChats) -> list[tuple[str, str, str]]:
    """The pushes delivered so far: (channel, chat, text)."""
    return [(d.channel, d.chat_id, d.reply.text) for d in chats.delivered if "push:" in d.key]


REMINDED_ANA = ("telegram", PARENT_ID, REMINDER)


@asynccontextmanager
async def bot_running(config: Config, clock: ManualClock) -> AsyncIterator[FamilyChats]:
    """One start of the bot, with Ana in its family; leaving the block stops it."""
    async with open_app(config, clock=clock) as app:
        if await app.family.find("Ana") is None:
            await app.family.add("Ana", "parent")
            await app.family.link("Ana", f"telegram:{PARENT_ID}")
        yield FamilyChats.open(app)


async def test_the_reminder_comes_at_nine_every_day_and_once(
    app: AppContext,
    clock: ManualClock,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    parent: Member,
) -> None:
    await chats.send(make_incoming("/water"))

    assert await water_due(app, clock) == []
    clock.advance(NINE_AM - clock.now())
    [firing] = await water_due(app, clock)
    assert await water_due(app, clock) == []
    await chats.outbox.deliver_due()
    clock.advance(timedelta(days=1))
    [next_day] = await water_due(app, clock)
    await chats.outbox.deliver_due()

    assert (firing.skill, firing.kind, firing.status) == ("example", "remind", "due")
    assert firing.member_id == parent.id
    assert next_day.occurrence == NINE_AM + timedelta(days=1)
    assert reminders(chats) == [REMINDED_ANA, REMINDED_ANA]


async def test_drinking_again_keeps_one_reminder(
    app: AppContext,
    clock: ManualClock,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    parent: Member,
) -> None:
    for _ in range(3):
        await chats.send(make_incoming("/water"))
        clock.advance(timedelta(minutes=20))

    [job] = await app.skill("example").services.jobs.jobs()
    assert (job.kind, job.member_id, job.next_run_at) == ("remind", parent.id, NINE_AM)


async def test_a_restart_after_the_reminder_does_not_send_it_again(
    config: Config, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    async with bot_running(config, clock) as chats:
        await chats.send(make_incoming("/water"))
        clock.advance(NINE_AM - clock.now())
        await water_due(chats.app, clock)
        await chats.outbox.deliver_due()
        assert reminders(chats) == [REMINDED_ANA]

    clock.advance(timedelta(minutes=5))
    async with bot_running(config, clock) as chats:
        assert await water_due(chats.app, clock) == []
        await chats.outbox.deliver_due()
        assert reminders(chats) == []


async def test_reminders_missed_while_the_bot_was_down_come_once_when_it_is_back(
    config: Config, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    async with bot_running(config, clock) as chats:
        await chats.send(make_incoming("/water"))

    clock.advance(NINE_AM + timedelta(days=3, minutes=30) - clock.now())  # Thursday 09:30
    async with bot_running(config, clock) as chats:
        [catch_up] = await water_due(chats.app, clock)
        assert await water_due(chats.app, clock) == []
        await chats.outbox.deliver_due()

        assert (catch_up.status, catch_up.coalesced) == ("late", 3)
        assert reminders(chats) == [REMINDED_ANA]


async def test_a_new_hour_in_bot_toml_moves_the_reminders_at_the_next_start(
    bot_toml: Path, config: Config, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    async with bot_running(config, clock) as chats:
        await chats.send(make_incoming("/water"))

    async with bot_running(load_config(reminder_hour(bot_toml, 20), environ={}), clock) as chats:
        [job] = await chats.app.skill("example").services.jobs.jobs()

    assert job.next_run_at.astimezone(BERLIN) == NINE_AM.replace(hour=20)

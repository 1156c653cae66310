"""Chore nags (issue 13): one push at the due time with a Done button, one reminder per window
while open, then a parent; "Anyone" chores nag the group once; restarts never double a push."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.actions import Turn, run_action
from bot.app import open_app
from bot.clock import ManualClock
from bot.config import load_config
from bot.context import AppContext
from bot.family import Member
from tests.skills.chores.conftest import (
    ANA,
    BEN,
    TOM,
    Ask,
    Say,
    berlin,
    pushes,
    run_scheduler,
)
from tests.support.home import FamilyChats, MakeIncoming

GROUP = "-100"


async def move_to(app: AppContext, clock: ManualClock, when: datetime) -> None:
    clock.advance(when - clock.now())
    await run_scheduler(app)


async def test_an_open_chore_is_pushed_once_per_window_then_a_parent_hears_of_it(
    app: AppContext, ask: Ask, clock: ManualClock, chats: FamilyChats
) -> None:
    await ask("Ana", "chores.add", what="take out the trash every day", who=["Ben"])

    for hour in (17, 18, 19, 20, 21, 22, 23):
        await move_to(app, clock, berlin(5, hour, 30))
    await move_to(app, clock, berlin(6, 0, 30))
    await move_to(app, clock, berlin(6, 17, 0))

    sent = [(row.chat_id, row.payload["text"]) for row in await pushes(app)]
    assert sent == [
        (BEN, "🧹 Your turn: Take out the trash (due Mon 18:00)."),
        (BEN, "🧹 Still open: Take out the trash (was due Mon 18:00)."),
        (BEN, "🧹 Still open: Take out the trash (was due Mon 18:00)."),
        (ANA, "🧹 Ben hasn't done Take out the trash yet (due Mon 18:00)."),
        (TOM, "🧹 Ben hasn't done Take out the trash yet (due Mon 18:00)."),
    ]
    first = (await pushes(app))[0].payload
    assert [b["label"] for b in first["buttons"]] == ["Done", "Why me?"]


async def test_pressing_done_stops_the_nags_and_the_next_day_is_the_next_turn(
    app: AppContext, ask: Ask, say: Say, clock: ManualClock, family: dict[str, Member]
) -> None:
    await ask("Ana", "chores.add", what="take out the trash every day", who=["Ben", "Lena"])
    await move_to(app, clock, berlin(5, 18))
    [push] = await pushes(app)
    done = await say("", "Ben", button=push.payload["buttons"][0]["data"])
    assert "Done: Take out the trash ✓" in done.text

    await move_to(app, clock, berlin(6, 17, 59))
    assert len(await pushes(app)) == 1
    await move_to(app, clock, berlin(6, 18))
    last = (await pushes(app))[-1]
    assert last.payload["text"] == "🧹 Your turn: Take out the trash (due Tue 18:00)."
    assert last.chat_id == "1004"  # Lena


async def test_an_anyone_chore_is_announced_to_the_group_once(
    app: AppContext,
    clock: ManualClock,
    family: dict[str, Member],
    make_incoming: MakeIncoming,
    say: Say,
) -> None:
    in_group = make_incoming("(test)", sender=ANA, chat_id=GROUP, is_group=True)
    turn = Turn(app=app, incoming=in_group, member=family["Ana"])
    args = {"what": "walk the dog every day at 8pm", "who": ["anyone"], "effort": 2}
    added = await run_action(turn, "chores.add", args)
    assert "anyone can do it" in added.text

    for hour in (20, 21, 22, 23):
        await move_to(app, clock, berlin(5, hour, 1))
    await move_to(app, clock, berlin(6, 2))

    sent = [(row.chat_id, row.payload["text"]) for row in await pushes(app)]
    assert sent == [
        (GROUP, "🧹 Anyone: Walk the dog (due Mon 20:00). Whoever does it gets 2 points.")
    ]
    done = await say("I walked the dog", "Lena")
    assert "2 points for Lena" in done.text


async def test_a_restart_in_the_middle_of_the_nags_sends_nothing_twice(
    app: AppContext, ask: Ask, clock: ManualClock, bot_toml: Path
) -> None:
    await ask("Ana", "chores.add", what="take out the trash every day", who=["Ben"])
    await move_to(app, clock, berlin(5, 18))
    fired = await app.scheduler.run_due(clock.now())
    assert fired == []
    [push] = await pushes(app)

    async with open_app(load_config(bot_toml, environ={}), clock=clock) as again:
        await run_scheduler(again)
        clock.advance(timedelta(hours=2))
        await run_scheduler(again)
        assert len(await pushes(again)) == 2
    async with open_app(load_config(bot_toml, environ={}), clock=clock) as third:
        await run_scheduler(third)
        assert next(row.key for row in await pushes(third)) == push.key
        assert len(await pushes(third)) == 2

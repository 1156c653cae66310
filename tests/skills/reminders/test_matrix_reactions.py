"""Issue 12 on a real Synapse: the pushed reminder comes with ✅ 💤 ⏰ to react with; 💤 snoozes
it (it comes back when the snooze is over) and ✅ marks it done, so nothing more is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.context import AppContext
from storage.models import ScheduledJob
from tests.bot.channels.matrix_family import (
    bodies,
    matrix_household,
    messages,
    new_bot_account,
    phone,
    running_gepeto,
    saying,
)
from tests.fakes.synapse import Synapse

pytestmark = pytest.mark.slow

REMINDER = "⏰ Reminder: take the pizza out"
SNOOZED = "⏰ Reminder (snoozed): take the pizza out"


async def due_reminder_job(app: AppContext) -> ScheduledJob:
    async with app.sessions() as session:
        statement = select(ScheduledJob).where(
            ScheduledJob.skill == "reminders", ScheduledJob.state == "scheduled"
        )
        [job] = list(await session.exec(statement))
        return job


def last_message(events: list[dict[str, Any]]) -> str:
    return str(messages(events)[-1]["event_id"])


async def test_reactions_snooze_and_finish_a_reminder(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot = await new_bot_account(synapse_server)
    ana = await synapse_server.register_member("ana")
    toml = matrix_household(tmp_path, synapse_server, bot)
    async with (
        running_gepeto(toml, bot, {"Ana": ("parent", ana)}) as gepeto,
        phone(synapse_server, ana) as anas,
    ):
        room = await anas.create_room([bot.user_id], direct=True)
        await anas.membership(room, bot.user_id, "join")
        await anas.say(room, "/remind in 5 minutes to take the pizza out")
        await anas.read_until(room, bot.user_id, saying("take the pizza out"))

        job = await due_reminder_job(gepeto.app)
        await gepeto.app.scheduler.run_due(job.next_run_at)
        gepeto.outbox.wake()
        reminded = await anas.read_until(room, bot.user_id, saying(REMINDER))
        await anas.react(room, last_message(reminded), "💤")
        snoozed_note = await anas.read_until(room, bot.user_id, saying("Snoozed until"))

        snooze = await due_reminder_job(gepeto.app)
        await gepeto.app.scheduler.run_due(snooze.next_run_at)
        gepeto.outbox.wake()
        came_back = await anas.read_until(room, bot.user_id, saying(SNOOZED))
        await anas.react(room, last_message(came_back), "✅")
        done = await anas.read_until(room, bot.user_id, saying("Done: take the pizza out"))
        still_waiting = await due_reminder_job_or_none(gepeto.app)

    assert any(REMINDER in body for body in bodies(reminded))
    assert any("take the pizza out" in body for body in bodies(snoozed_note))
    assert any(SNOOZED in body for body in bodies(came_back))
    assert any("Done: take the pizza out ✓" in body for body in bodies(done))
    assert still_waiting is None


async def due_reminder_job_or_none(app: AppContext) -> ScheduledJob | None:
    async with app.sessions() as session:
        statement = select(ScheduledJob).where(
            ScheduledJob.skill == "reminders", ScheduledJob.state == "scheduled"
        )
        return (await session.exec(statement)).first()

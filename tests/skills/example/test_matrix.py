"""The example skill on a real Synapse (issue 11 item 11): Ana records a glass in her direct room
with Gepeto, and the daily reminder is pushed into that room when the scheduler fires it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.channels.matrix_family import (
    bodies,
    matrix_household,
    new_bot_account,
    phone,
    running_gepeto,
    saying,
)
from tests.fakes.synapse import Synapse
from tests.skills.example.household import with_example_skill
from tests.support.example_skill.reminders import REMINDER

pytestmark = pytest.mark.slow


async def test_the_reminder_reaches_ana_in_her_matrix_room(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot = await new_bot_account(synapse_server)
    ana = await synapse_server.register_member("ana")
    toml = with_example_skill(matrix_household(tmp_path, synapse_server, bot))
    async with (
        running_gepeto(toml, bot, {"Ana": ("parent", ana)}) as gepeto,
        phone(synapse_server, ana) as anas,
    ):
        room = await anas.create_room([bot.user_id], direct=True)
        await anas.membership(room, bot.user_id, "join")
        await anas.say(room, "/water")
        noted = await anas.read_until(room, bot.user_id, saying("glass of water today"))

        [job] = await gepeto.app.skill("example").services.jobs.jobs()
        fired = await gepeto.app.scheduler.run_due(job.next_run_at)
        [firing] = [f for f in fired if f.skill == "example"]
        reminded = await anas.read_until(room, bot.user_id, saying(REMINDER))

    assert bodies(noted)[-1].startswith("Noted, Ana: 1 glass of water today.")
    assert firing.status == "due"
    assert bodies(reminded) == [REMINDER]

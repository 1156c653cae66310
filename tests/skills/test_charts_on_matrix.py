"""The week's chore chart and the month's budget chart reach a parent on a real Synapse as
`m.image` events whose uploads download as PNG pictures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nio
import pytest

from tests.bot.channels.matrix_family import (
    Phone,
    matrix_household,
    messages,
    new_bot_account,
    phone,
    running_gepeto,
    saying,
)
from tests.fakes.synapse import Synapse

pytestmark = pytest.mark.slow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def with_a_picture(events: list[dict[str, Any]]) -> bool:
    return any(event["content"].get("msgtype") == "m.image" for event in messages(events))


async def picture(member: Phone, events: list[dict[str, Any]]) -> bytes:
    """The bytes of the one picture among the events, downloaded as the member's phone does."""
    [image] = [e["content"] for e in messages(events) if e["content"]["msgtype"] == "m.image"]
    assert image["info"]["mimetype"] == "image/png"
    downloaded = await member.client.download(mxc=image["url"])
    assert isinstance(downloaded, nio.MemoryDownloadResponse), downloaded
    return bytes(downloaded.body)


async def test_a_parent_gets_the_chore_chart_and_the_budget_chart_as_png_images(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot = await new_bot_account(synapse_server)
    ana = await synapse_server.register_member("ana")
    toml = matrix_household(tmp_path, synapse_server, bot)
    async with (
        running_gepeto(toml, bot, {"Ana": ("parent", ana)}),
        phone(synapse_server, ana) as anas,
    ):
        room = await anas.create_room([bot.user_id], direct=True)
        await anas.membership(room, bot.user_id, "join")
        await anas.say(room, "/chores add empty the dishwasher every day")
        await anas.read_until(room, bot.user_id, saying("New chore: Empty the dishwasher"))
        await anas.say(room, "/spent 42.50 groceries Lidl")
        await anas.read_until(room, bot.user_id, saying("€42.50"))

        await anas.say(room, "/chores stats")
        chores = await anas.read_until(room, bot.user_id, with_a_picture)
        await anas.say(room, "/budget")
        budget = await anas.read_until(room, bot.user_id, with_a_picture)
        chore_chart = await picture(anas, chores)
        budget_chart = await picture(anas, budget)

    assert saying("Chores this week")(chores)
    assert saying("Total: €42.50")(budget)
    assert chore_chart.startswith(PNG_SIGNATURE)
    assert budget_chart.startswith(PNG_SIGNATURE)
    assert chore_chart != budget_chart

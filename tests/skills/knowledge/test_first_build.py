"""Issue 18 item 3: /search during the vault's first index build says the answer is keywords."""

from __future__ import annotations

import asyncio
import dataclasses

from bot.context import AppContext
from bot.family import Member
from bot.tools import ToolContext
from bot.vault_search import VaultSearch
from skills.knowledge.tools import SEARCH, SearchArgs
from tests.fakes.held_embedder import WAIT_S, HeldEmbedder
from tests.knowledge.conftest import FAMILY_NOTES, GARDEN_NOTES, plant_garden, write_note

NOTES = len(FAMILY_NOTES) + GARDEN_NOTES


async def test_issue18_search_during_the_first_build_says_how_far_it_is(
    app: AppContext, parent: Member
) -> None:
    vault = app.settings.vault.path
    for relative, text in FAMILY_NOTES.items():
        write_note(vault, relative, text)
    plant_garden(vault)
    held = HeldEmbedder()
    search = VaultSearch(app.settings, None, embedder=held)
    knowledge = next(each.services for each in app.skills if each.skill.name == "knowledge")
    ctx = ToolContext(
        services=dataclasses.replace(knowledge, search=search),
        member=parent,
        channel="console",
        chat_id="ana",
    )
    try:
        result = await asyncio.wait_for(
            SEARCH.run(ctx, SearchArgs(query="guest wifi password")), WAIT_S
        )
    finally:
        held.let_all_go()
    index = await search.index()
    await asyncio.wait_for(index.sync_async(), WAIT_S)  # waits for the first build to end
    search.close()

    lines = result.text.splitlines()
    assert lines[0] == (
        f"I'm still reading your notes (0 of {NOTES}); this answer comes from a keyword search."
    )
    assert lines[2] == "**Notes about “guest wifi password”**"
    assert lines[3].startswith("- [[Wi-Fi]]")
    assert result.data["indexing"] == {"done": 0, "total": NOTES, "eta_seconds": None}

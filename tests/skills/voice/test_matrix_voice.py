"""A Matrix voice note end to end: real Synapse, Ana's phone (nio), real Whisper (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from skills.lists import checklist
from tests.bot.channels.matrix_family import (
    DirectChat,
    attachments_received,
    bodies,
    direct_chat,
    messages,
    saying,
)
from tests.fakes.synapse import Synapse
from tests.skills.voice.clips import needs_speech_tools, spoken

pytestmark = [pytest.mark.slow, needs_speech_tools]

TRANSCRIBING_S = 180.0
"""Whisper base loads with the first voice note; on a busy machine that takes a while."""
UNSURE = "I'm not sure I heard that right, so I'm asking before I do anything."
ASKED = "Ana, shall I add"


def listening(whisper_base: Path, sure_above: float) -> str:
    return f'[skills.voice]\nmodel = "{whisper_base}"\nsure_above = {sure_above}\n'


async def send_voice_note(chat: DirectChat, clip: bytes) -> None:
    """What Element sends for a recorded voice message (encrypted in an encrypted room)."""
    await chat.ana.send_file(
        chat.room_id,
        clip,
        "Voice message.ogg",
        "audio/ogg",
        "m.audio",
        **{"org.matrix.msc3245.voice": {}},
    )


def shopping_list(chat: DirectChat) -> list[tuple[str, bool]]:
    """What is on the family's shopping list in the vault, and whether it is ticked off."""
    note = chat.gepeto.app.settings.vault.path / "Lists" / "Shopping.md"
    if not note.exists():
        return []
    return [(entry.text, entry.done) for entry in checklist.entries(note.read_text("utf-8"))]


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain room", "encrypted room"])
async def test_a_clear_matrix_voice_note_is_shown_as_heard_and_adds_to_the_list(
    synapse_server: Synapse, whisper_base: Path, tmp_path: Path, encrypted: bool
) -> None:
    clip = spoken(tmp_path, "Add eggs and bread to the shopping list.").read_bytes()
    sure = listening(whisper_base, sure_above=0.05)

    async with direct_chat(synapse_server, tmp_path, encrypted=encrypted, sections=sure) as chat:
        await send_voice_note(chat, clip)
        replies = await chat.answers(saying("to Shopping"), TRANSCRIBING_S)
        (received,) = await attachments_received(chat.gepeto)
        on_the_list = shopping_list(chat)

    heard, done = bodies(replies)
    assert heard.startswith("🎙️ I heard: “Add eggs and bread to the shopping list")
    assert done == "Added eggs and bread to Shopping."
    assert on_the_list == [("eggs", False), ("bread", False)]
    assert (received["kind"], received["encryption"] is not None) == ("voice", encrypted)


async def test_an_unsure_voice_note_in_an_encrypted_room_asks_and_a_thumbs_up_acts(
    synapse_server: Synapse, whisper_base: Path, tmp_path: Path
) -> None:
    clip = spoken(tmp_path, "Add eggs and bread to the shopping list.").read_bytes()
    never_sure = listening(whisper_base, sure_above=1.0)

    async with direct_chat(synapse_server, tmp_path, encrypted=True, sections=never_sure) as chat:
        await send_voice_note(chat, clip)
        asked = await chat.answers(saying("shall I"), TRANSCRIBING_S)
        nothing_yet = shopping_list(chat)
        question = messages(asked)[-1]
        await chat.ana.react(chat.room_id, question["event_id"], "👍")
        done = await chat.answers(saying("to Shopping"), TRANSCRIBING_S)
        on_the_list = shopping_list(chat)

    assert bodies(asked)[0].startswith("🎙️ I heard: “Add eggs and bread to the shopping list")
    assert bodies(asked)[1] == UNSURE
    assert question["content"]["body"].startswith(ASKED)
    assert nothing_yet == []
    assert bodies(done)[-1] == "Added eggs and bread to Shopping."
    assert on_the_list == [("eggs", False), ("bread", False)]

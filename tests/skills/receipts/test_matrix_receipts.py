"""A Matrix receipt photo end to end: real Synapse, Ana's phone (nio), real OCR (issue 14).

On Matrix the draft's buttons are reactions, or their names typed in reply to the draft.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from skills.budget.models import Expense
from tests.bot.channels.matrix_family import (
    DirectChat,
    attachments_received,
    direct_chat,
    messages,
    saying,
)
from tests.fakes.synapse import Synapse
from tests.skills.receipts.pictures import receipt_picture

pytestmark = pytest.mark.slow

READING_S = 180.0
"""The OCR models load with the first photo; on a busy machine that takes a while."""
HINT = "React ✅ for Save or ✏️ for Edit or 🗑️ for Discard — or reply “save” / “edit” / “discard”."


def reactions(events: list[dict[str, Any]]) -> list[str]:
    return [e["content"]["m.relates_to"]["key"] for e in events if e["type"] == "m.reaction"]


Save = Callable[[DirectChat, str], Awaitable[None]]


async def save_by_reacting(chat: DirectChat, draft_id: str) -> None:
    await chat.ana.react(chat.room_id, draft_id, "✅")


async def save_by_replying(chat: DirectChat, draft_id: str) -> None:
    await chat.ana.reply(chat.room_id, draft_id, "Save")


@pytest.mark.parametrize(
    ("encrypted", "save"),
    [(False, save_by_reacting), (True, save_by_replying), (True, save_by_reacting)],
    ids=["plain room, reaction", "encrypted room, typed save", "encrypted room, reaction"],
)
async def test_a_matrix_receipt_photo_is_drafted_and_saved_into_the_budget(
    synapse_server: Synapse, tmp_path: Path, encrypted: bool, save: Save
) -> None:
    jpeg = receipt_picture(tmp_path, name="receipt.jpg")

    async with direct_chat(synapse_server, tmp_path, encrypted=encrypted) as chat:
        await chat.ana.send_file(
            chat.room_id, jpeg.read_bytes(), jpeg.name, "image/jpeg", "m.image"
        )
        drafted = await chat.answers(lambda found: len(reactions(found)) == 3, READING_S)
        (draft,) = messages(drafted)
        await save(chat, draft["event_id"])
        recorded = await chat.answers(saying("Recorded #1"))
        (received,) = await attachments_received(chat.gepeto)
        async with chat.gepeto.app.sessions() as session:
            saved = list(await session.exec(select(Expense)))

    assert "Total: 9.00 EUR" in draft["content"]["body"]
    assert draft["content"]["body"].endswith(HINT)
    assert reactions(drafted) == ["✅", "✏️", "🗑️"]
    assert (
        "Recorded #1 €9.00 for Other at Backerei Korn" in messages(recorded)[-1]["content"]["body"]
    )
    assert [(e.amount_minor, e.currency, e.merchant) for e in saved] == [
        (900, "EUR", "Backerei Korn")
    ]
    assert (received["kind"], received["encryption"] is not None) == ("photo", encrypted)

"""Text at the edges: what members send is cleaned and capped; what a terminal shows is inert."""

from __future__ import annotations

import io

from sqlmodel import select

from bot.channels.console import ConsoleChannel, console_message
from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from bot.messages import Reply
from bot.middlewares import TOO_LONG
from bot.text import clean_incoming, clean_text, printable
from storage.models import InboxEvent
from tests.support.home import FamilyChats, MakeIncoming


def test_issue10_item7_invisible_and_control_characters_never_reach_gepeto() -> None:
    assert clean_text("mi\u200blk") == clean_text("mi\u2060lk\ufeff") == "milk"
    assert clean_text("mi\u200dlk and e\u0301clair") == "milk and \u00e9clair"
    assert clean_text("\x1b]0;pwned\x07\x1b[2Jeggs\x1b[31m!\x00") == "eggs!"
    assert clean_text("pay \u202eoll\u202c now\r\n\tplease") == "pay oll now\n\tplease"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    england = "\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in "gbeng") + "\U000e007f"
    assert clean_text(f"{family} {england}\U000e0041") == f"{family} {england}"


async def test_issue10_item7_the_console_cleans_what_is_typed_and_shows_escapes_inert(
    clock: ManualClock,
) -> None:
    typed = console_message(clock, "Ana", "add mi\u200blk\x1b[2J")
    assert typed.text == "add milk"

    screen = io.StringIO()
    console = ConsoleChannel(clock, "Ana", output=screen)
    reply = Reply(text="Added \x1b]0;pwned\x07\x1b[2Jmilk \u202eevil")
    await console.send("ana", reply, "k:1")
    shown = screen.getvalue()
    assert not {"\x1b", "\x07", "\u202e"} & set(shown)
    assert shown == "gepeto> Added \\x1b]0;pwned\\x07\\x1b[2Jmilk \\u202eevil\n"
    assert printable("two\nlines\tand a tab") == "two\nlines\tand a tab"


async def test_issue10_item7_a_hidden_character_does_not_add_a_duplicate_item(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await chats.send(clean_incoming(make_incoming("add milk to the shopping list")))
    await chats.send(clean_incoming(make_incoming("add mi\u200blk to the shopping list")))

    shopping = (app.settings.vault.path / "Lists" / "Shopping.md").read_text(encoding="utf-8")
    assert shopping == "# Shopping\n\n- [ ] milk\n"
    assert chats.texts()[-1] == "Already on Shopping: milk."


async def test_issue10_item8_a_huge_message_gets_a_kind_note_and_is_not_stored_whole(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    limit = app.settings.safety.max_message_chars
    huge = "add milk to the shopping list " + "x" * 5_000_000

    outcome = await chats.send(clean_incoming(make_incoming(huge), limit))

    assert outcome.route == "refused"
    (note,) = chats.texts()
    assert note == TOO_LONG.format(limit=limit, length=len(huge))
    assert "16,000 characters and it had 5,000,030" in note
    async with app.sessions() as session:
        (row,) = (await session.exec(select(InboxEvent))).all()
    assert len(row.payload["text"]) <= limit
    assert not (app.settings.vault.path / "Lists" / "Shopping.md").exists()

"""Slash commands: /help shows only what this member may do; /list works the family's lists."""

from __future__ import annotations

from bot.context import AppContext
from bot.family import Member
from tests.support.home import CHILD_ID, FamilyChats, MakeIncoming

GUEST_ID = "1004"


async def help_for(chats: FamilyChats, make_incoming: MakeIncoming, sender: str) -> str:
    outcome = await chats.send(make_incoming("/help", sender=sender))
    assert outcome.route == "command"
    return chats.texts()[-1]


async def test_help_for_a_parent_lists_every_tool(
    parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    text = await help_for(chats, make_incoming, "1001")

    assert text.startswith("**What I can do for you, Ana** (parent)")
    assert "/list — " in text
    assert "- Add items to a family list (shopping list by default)." in text
    assert "- Unlock a door of the house." in text


async def test_help_for_a_child_leaves_out_what_children_may_not_do(
    child: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    text = await help_for(chats, make_incoming, CHILD_ID)

    assert "(child)" in text
    assert "- Add items to a family list (shopping list by default)." in text
    assert "Unlock a door" not in text
    assert "Start the dishwasher." not in text


async def test_help_for_a_guest_shows_reading_only(
    app: AppContext, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await app.family.add("Gil", "guest")
    await app.family.link("Gil", f"telegram:{GUEST_ID}")

    text = await help_for(chats, make_incoming, GUEST_ID)

    assert "/list — " in text
    assert "- Show what is still open on a family list." in text
    assert "Add items" not in text
    assert "Tick items off" not in text


async def test_list_commands_add_tick_and_show(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    for text in (
        "/list add milk, eggs and bread",
        "/list check eggs",
        "/list to-do add call grandma",
        "/list",
        "/list to-do",
    ):
        await chats.send(make_incoming(text))

    assert chats.texts() == [
        "Added milk, eggs and bread to Shopping.",
        "Ticked off eggs on Shopping.",
        "Added call grandma to To-do.",
        "**Shopping**\n- milk\n- bread\n(1 ticked off)",
        "**To-do**\n- call grandma",
    ]
    assert (app.settings.vault.path / "Lists" / "To-do.md").is_file()


async def test_list_add_without_items_explains_itself(
    parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(make_incoming("/list add"))

    assert outcome.actions == ()
    assert chats.texts() == ["Which items? For example: /list add milk, eggs"]


async def test_commands_addressed_to_the_bot_by_name_work_in_groups(
    parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await chats.send(make_incoming("/start@GepetoBot", chat_id="-100777", is_group=True))

    assert chats.texts() == [
        "Hi Ana! I'm Gepeto, the family assistant. Send /help to see what I can do."
    ]


async def test_an_unknown_command_points_to_help(
    parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(make_incoming("/teleport home"))

    assert outcome.route == "command"
    assert chats.texts() == ["I don't know /teleport. Send /help to see the commands."]

"""Free text through the whole pipeline: fast-path requests change the vault, the rest is told."""

from __future__ import annotations

from bot.context import AppContext
from bot.family import Member
from handlers.text import NOT_UNDERSTOOD
from tests.support.home import FamilyChats, MakeIncoming


def shopping(app: AppContext) -> str:
    return (app.settings.vault.path / "Lists" / "Shopping.md").read_text(encoding="utf-8")


async def test_add_milk_and_eggs_lands_on_the_shopping_list(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(make_incoming("add milk and eggs to the shopping list"))

    assert outcome.route == "fast"
    assert [(a.tool, a.status) for a in outcome.actions] == [("lists.add", "done")]
    assert chats.texts() == ["Added milk and eggs to Shopping."]
    assert "- [ ] milk\n- [ ] eggs\n" in shopping(app)


async def test_we_need_bread_adds_to_the_default_list(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await chats.send(make_incoming("we need bread"))

    assert "- [ ] bread" in shopping(app)


async def test_german_phrasing_reaches_the_same_shopping_list(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await chats.send(make_incoming("setz Milch auf die Einkaufsliste"))
    await chats.send(make_incoming("wir brauchen Eier"))

    assert shopping(app) == "# Shopping\n\n- [ ] Milch\n- [ ] Eier\n"
    assert chats.texts() == ["Added Milch to Shopping.", "Added Eier to Shopping."]


async def test_whats_on_the_shopping_list_shows_what_is_open(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await chats.send(make_incoming("add milk and eggs to the shopping list"))
    await chats.send(make_incoming("we bought eggs"))

    shown = await chats.send(make_incoming("what's on the shopping list?"))

    assert [(a.tool, a.status) for a in shown.actions] == [("lists.show", "done")]
    assert chats.texts()[-1] == "**Shopping**\n- milk\n(1 ticked off)"


async def test_we_need_to_talk_is_not_a_shopping_request(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(make_incoming("we need to talk"))

    assert outcome.route == "unknown"
    assert outcome.actions == ()
    assert chats.texts() == [NOT_UNDERSTOOD]
    assert not (app.settings.vault.path / "Lists").exists()


async def test_the_same_request_twice_adds_nothing_the_second_time(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await chats.send(make_incoming("add oat milk and eggs to the shopping list"))
    again = await chats.send(make_incoming("add oat milk and eggs to the shopping list"))

    assert [(a.tool, a.status) for a in again.actions] == [("lists.add", "done")]
    assert chats.texts()[-1] == "Already on Shopping: oat milk and eggs."
    assert shopping(app).count("oat milk") == 1


async def test_forwarded_text_never_runs_a_fast_path_action(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    """Found with the Telegram channel: forwarded words are data, not the member's request."""
    outcome = await chats.send(
        make_incoming("add beer to the shopping list", forwarded_from="Uncle Bob")
    )

    assert outcome.actions == ()
    assert not (app.settings.vault.path / "Lists" / "Shopping.md").exists()
    assert "forwarding" in outcome.text


async def test_an_edited_message_does_not_run_its_action_again(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await chats.send(make_incoming("add milk to the shopping list"))
    outcome = await chats.send(make_incoming("add oat milk to the shopping list", edited=True))

    assert outcome.actions == ()
    shopping = (app.settings.vault.path / "Lists" / "Shopping.md").read_text()
    assert "oat milk" not in shopping

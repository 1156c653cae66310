"""Gepeto on a real Synapse: invites, addressing, threads, confirmations, restarts (issue 6)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot.channels.matrix_events import BUTTONS_KEY
from bot.messages import Reply
from tests.bot.channels.matrix_family import (
    BOT_NAME,
    bodies,
    matrix_household,
    messages,
    new_bot_account,
    phone,
    running_gepeto,
    saying,
)
from tests.fakes.ollama import FakeOllama, ScriptedReply
from tests.fakes.synapse import MatrixAccount, Synapse, matrix_client
from tests.support.household import household_log

pytestmark = pytest.mark.slow

Family = dict[str, tuple[str, MatrixAccount]]


async def accounts(synapse: Synapse) -> tuple[MatrixAccount, MatrixAccount, MatrixAccount]:
    """Gepeto, Ana (a parent) and Ben (an adult)."""
    return (
        await new_bot_account(synapse),
        await synapse.register_member("ana"),
        await synapse.register_member("ben"),
    )


def family(ana: MatrixAccount, ben: MatrixAccount) -> Family:
    return {"Ana": ("parent", ana), "Ben": ("adult", ben)}


async def test_issue10_item11_joins_a_members_invite_and_declines_a_strangers_logging_one_line(
    synapse_server: Synapse, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.channels.matrix")
    bot, ana, _ = await accounts(synapse_server)
    stranger = await synapse_server.register_member("stranger")
    toml = matrix_household(tmp_path, synapse_server, bot)
    async with (
        running_gepeto(toml, bot, {"Ana": ("parent", ana)}),
        phone(synapse_server, ana) as anas,
        phone(synapse_server, stranger) as strangers,
    ):
        family_room = await anas.create_room([bot.user_id], direct=True)
        other_room = await strangers.create_room([bot.user_id], direct=True)

        await anas.membership(family_room, bot.user_id, "join")
        await strangers.membership(other_room, bot.user_id, "leave")

        await anas.say(family_room, "/start")
        replies = await anas.read_until(family_room, bot.user_id, saying("Hi Ana"))
        assert bodies(replies) == [
            "Hi Ana! I'm Gepeto, the family assistant. Send /help to see what I can do."
        ]
    invites = [
        record.getMessage()
        for record in caplog.records
        if record.name == "bot.channels.matrix"
        and record.getMessage().startswith(("joined", "declined"))
    ]
    assert sorted(invites) == [
        f"declined {other_room} from non-member {stranger.user_id}",
        f"joined {family_room}, invited by Ana",
    ]


async def test_answers_in_the_thread_it_was_asked_in(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot, ana, ben = await accounts(synapse_server)
    toml = matrix_household(tmp_path, synapse_server, bot)
    async with (
        running_gepeto(toml, bot, family(ana, ben)) as gepeto,
        phone(synapse_server, ana) as anas,
    ):
        room = await anas.create_room([bot.user_id, ben.user_id])
        await anas.membership(room, bot.user_id, "join")
        root = await anas.say(room, "Weekend plans")
        thread = {"rel_type": "m.thread", "event_id": root, "is_falling_back": True}
        await anas.say(
            room,
            f"{BOT_NAME}, add pancakes to the shopping list",
            **{"m.relates_to": {**thread, "m.in_reply_to": {"event_id": root}}},
        )

        replies = await anas.read_until(room, bot.user_id, saying("pancakes"))

        (answer,) = messages(replies)
        relates = answer["content"]["m.relates_to"]
        assert relates["rel_type"] == "m.thread"
        assert relates["event_id"] == root
        shopping = (gepeto.app.settings.vault.path / "Lists" / "Shopping.md").read_text()
        assert "pancakes" in shopping


async def test_unaddressed_room_talk_is_ignored_and_mentions_are_answered(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot, ana, ben = await accounts(synapse_server)
    toml = matrix_household(tmp_path, synapse_server, bot)
    async with (
        running_gepeto(toml, bot, family(ana, ben)),
        phone(synapse_server, ana) as anas,
    ):
        room = await anas.create_room([bot.user_id, ben.user_id])
        await anas.membership(room, bot.user_id, "join")
        await anas.say(room, "we need eggs, Ben")
        pill = f'<a href="https://matrix.to/#/{bot.user_id}">{BOT_NAME}</a>: /start'
        asked = await anas.say(
            room,
            f"{BOT_NAME}: /start",
            format="org.matrix.custom.html",
            formatted_body=pill,
            **{"m.mentions": {"user_ids": [bot.user_id]}},
        )

        replies = await anas.read_until(room, bot.user_id, saying("Hi Ana"))

        # Replies keep the order of the messages, so an answer to the first would come first.
        (answer,) = messages(replies)
        assert answer["content"]["m.relates_to"] == {"m.in_reply_to": {"event_id": asked}}


async def test_assistant_rooms_answer_every_message(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot, ana, ben = await accounts(synapse_server)
    async with phone(synapse_server, ana) as anas:
        room = await anas.create_room([bot.user_id, ben.user_id])
        toml = matrix_household(tmp_path, synapse_server, bot, f'assistant_rooms = ["{room}"]\n')
        async with running_gepeto(toml, bot, family(ana, ben)):
            await anas.membership(room, bot.user_id, "join")
            await anas.say(room, "add flour to the shopping list")

            replies = await anas.read_until(room, bot.user_id, saying("flour"))

            assert len(messages(replies)) == 1


def reactions(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == "m.reaction"]


async def confirmation_question(anas: Any, room: str, bot: MatrixAccount) -> dict[str, Any]:
    """Ana asks for the front door to be unlocked; returns Gepeto's question."""
    await anas.say(room, f"{BOT_NAME}, unlock the front door")
    events = await anas.read_until(room, bot.user_id, lambda found: len(reactions(found)) == 2)
    (question,) = messages(events)
    assert "shall I unlock the front door" in question["content"]["body"]
    assert sorted(e["content"]["m.relates_to"]["key"] for e in reactions(events)) == ["✅", "❌"]
    return question


async def test_a_reaction_confirms_only_for_the_requester(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot, ana, ben = await accounts(synapse_server)
    toml = matrix_household(tmp_path, synapse_server, bot)
    async with (
        running_gepeto(toml, bot, family(ana, ben)) as gepeto,
        phone(synapse_server, ana) as anas,
        phone(synapse_server, ben) as bens,
    ):
        room = await anas.create_room([bot.user_id, ben.user_id])
        await bens.join(room)
        await anas.membership(room, bot.user_id, "join")
        question = await confirmation_question(anas, room, bot)
        data_dir = gepeto.app.settings.storage.data_dir

        await bens.react(room, question["event_id"], "✅")
        refused = await anas.read_until(room, bot.user_id, saying("Only the person who asked"))
        assert len(messages(refused)) == 1
        assert household_log(data_dir) == []

        await anas.react(room, question["event_id"], "✅")
        await anas.read_until(room, bot.user_id, saying("front"))
        assert len(household_log(data_dir)) == 1


async def test_yes_in_reply_to_the_question_confirms(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot, ana, ben = await accounts(synapse_server)
    toml = matrix_household(tmp_path, synapse_server, bot)
    async with (
        running_gepeto(toml, bot, family(ana, ben)) as gepeto,
        phone(synapse_server, ana) as anas,
    ):
        room = await anas.create_room([bot.user_id, ben.user_id])
        await anas.membership(room, bot.user_id, "join")
        question = await confirmation_question(anas, room, bot)
        assert question["content"][BUTTONS_KEY]["✅"].endswith(":yes")

        await anas.say(
            room, "yes", **{"m.relates_to": {"m.in_reply_to": {"event_id": question["event_id"]}}}
        )
        await anas.read_until(room, bot.user_id, saying("front"))

        assert len(household_log(gepeto.app.settings.storage.data_dir)) == 1


async def test_a_restart_handles_nothing_twice_and_history_is_not_replayed(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot, ana, _ = await accounts(synapse_server)
    toml = matrix_household(tmp_path, synapse_server, bot)
    members = {"Ana": ("parent", ana)}
    async with phone(synapse_server, ana) as anas, matrix_client(synapse_server, bot) as old_bot:
        # Gepeto's account was in the room before Gepeto ever ran: that history is not for it.
        room = await anas.create_room([bot.user_id], direct=True)
        await old_bot.join(room)
        await anas.say(room, "/start")

        async with running_gepeto(toml, bot, members):
            await anas.say(room, "add jam to the shopping list")
            first = await anas.read_until(room, bot.user_id, saying("jam"))
        async with running_gepeto(toml, bot, members):
            await anas.say(room, "add tea to the shopping list")
            second = await anas.read_until(room, bot.user_id, saying("tea"))

        assert len(messages(first)) == 1
        assert len(messages(second)) == 1
        assert not any("Hi Ana" in body for body in bodies(first + second))


async def test_events_missed_while_down_are_all_handled(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot, ana, _ = await accounts(synapse_server)
    toml = matrix_household(tmp_path, synapse_server, bot)
    members = {"Ana": ("parent", ana)}
    items = [f"item{number}" for number in range(8)]
    async with phone(synapse_server, ana) as anas:
        room = await anas.create_room([bot.user_id], direct=True)
        async with running_gepeto(toml, bot, members, timeline_limit=3):
            await anas.membership(room, bot.user_id, "join")
        for item in items:
            await anas.say(room, f"add {item} to the shopping list")
        async with running_gepeto(toml, bot, members, timeline_limit=3):
            replies = await anas.read_until(room, bot.user_id, saying(items[-1]))

    assert len(messages(replies)) == len(items)
    assert all(item in body for item, body in zip(items, bodies(replies), strict=True))


async def test_a_streamed_answer_ends_as_one_complete_edited_message(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot, ana, _ = await accounts(synapse_server)
    answer = "Mix **flour**, eggs and milk into a smooth batter, then fry thin pancakes in butter."
    async with FakeOllama(
        default_reply=ScriptedReply(content=answer), tokens_per_second=60
    ) as llm:
        toml = matrix_household(tmp_path, synapse_server, bot, ollama_url=llm.url)
        async with (
            running_gepeto(toml, bot, {"Ana": ("parent", ana)}),
            phone(synapse_server, ana) as anas,
        ):
            room = await anas.create_room([bot.user_id], direct=True)
            await anas.membership(room, bot.user_id, "join")
            await anas.say(room, "Any idea for Sunday breakfast?")

            def finished(found: list[dict[str, Any]]) -> bool:
                new = found[-1]["content"].get("m.new_content", {})
                return bool(new.get("body") == answer)

            events = await anas.read_until(room, bot.user_id, finished)

    (draft,) = messages(events)
    edits = [event for event in events if event["type"] == "m.room.message"][1:]
    assert len(edits) >= 2
    assert all(
        edit["content"]["m.relates_to"] == {"rel_type": "m.replace", "event_id": draft["event_id"]}
        for edit in edits
    )
    assert draft["content"]["body"].endswith("…")
    assert "<strong>flour</strong>" in edits[-1]["content"]["m.new_content"]["formatted_body"]


async def test_a_resent_reply_arrives_once(synapse_server: Synapse, tmp_path: Path) -> None:
    bot, ana, _ = await accounts(synapse_server)
    toml = matrix_household(tmp_path, synapse_server, bot)
    async with (
        running_gepeto(toml, bot, {"Ana": ("parent", ana)}) as gepeto,
        phone(synapse_server, ana) as anas,
    ):
        room = await anas.create_room([bot.user_id], direct=True)
        await anas.membership(room, bot.user_id, "join")
        reminder = Reply(text="Bins go out tonight")
        await gepeto.channel.send(room, reminder, "inbox:7:0")
        await gepeto.channel.send(room, reminder, "inbox:7:0")
        await gepeto.channel.send(room, Reply(text="Good night"), "inbox:8:0")

        events = await anas.read_until(room, bot.user_id, saying("Good night"))

        assert bodies(events) == ["Bins go out tonight", "Good night"]


async def test_reconnects_after_the_homeserver_comes_back(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot, ana, _ = await accounts(synapse_server)
    toml = matrix_household(tmp_path, synapse_server, bot)
    async with (
        running_gepeto(toml, bot, {"Ana": ("parent", ana)}),
        phone(synapse_server, ana) as anas,
    ):
        room = await anas.create_room([bot.user_id], direct=True)
        await anas.membership(room, bot.user_id, "join")

        await synapse_server.__aexit__(None, None, None)
        await synapse_server.__aenter__()
        await anas.say(room, "add rice to the shopping list")

        replies = await anas.read_until(room, bot.user_id, saying("rice"))
        assert len(messages(replies)) == 1


async def test_signs_in_with_an_access_token_on_the_tokens_device(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot, ana, _ = await accounts(synapse_server)
    toml = matrix_household(tmp_path, synapse_server, bot)
    token = {"MATRIX_ACCESS_TOKEN": bot.access_token}
    async with (
        running_gepeto(toml, bot, {"Ana": ("parent", ana)}, login=token) as gepeto,
        phone(synapse_server, ana) as anas,
    ):
        room = await anas.create_room([bot.user_id], direct=True)
        await anas.membership(room, bot.user_id, "join")
        await anas.say(room, "/start")

        replies = await anas.read_until(room, bot.user_id, saying("Hi Ana"))

        assert len(messages(replies)) == 1
        assert gepeto.channel.client.device_id == bot.device_id

"""Which Matrix messages are for Gepeto, and what they say once normalized."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nio
import pytest

from bot.channels.matrix_events import ANSWERS_KEY, BUTTONS_KEY, EventCache, EventReader
from bot.clock import ManualClock
from bot.messages import Incoming

BOT = "@gepeto:localhost"
ANA = "@ana:localhost"
BEN = "@ben:localhost"
FAMILY_ROOM = "!family:localhost"
QUESTION = "$question"
QUESTION_SOURCE: dict[str, Any] = {
    "type": "m.room.message",
    "event_id": QUESTION,
    "sender": BOT,
    "content": {
        "msgtype": "m.text",
        "body": "Ana, shall I unlock the front door?",
        BUTTONS_KEY: {"✅": "confirm:4:yes", "❌": "confirm:4:no"},
    },
}
DRAFT = "$draft"
DRAFT_SOURCE: dict[str, Any] = {
    "type": "m.room.message",
    "event_id": DRAFT,
    "sender": BOT,
    "content": {
        "msgtype": "m.text",
        "body": "Receipt from Backerei Korn: Total: 9.00 EUR",
        BUTTONS_KEY: {"✅": "confirm:5:yes", "✏️": "receipt:edit:5", "🗑️": "confirm:5:no"},
        ANSWERS_KEY: {
            "save": "confirm:5:yes",
            "edit": "receipt:edit:5",
            "discard": "confirm:5:no",
        },
    },
}
HEARD = "$heard"
HEARD_SOURCE: dict[str, Any] = {
    "type": "m.room.message",
    "event_id": HEARD,
    "sender": BOT,
    "content": {
        "msgtype": "m.text",
        "body": "I'm not sure I heard that right. Did you say “add eggs”?",
        BUTTONS_KEY: {"👍": "voice:yes:7", "✏️": "voice:edit"},
    },
}
_ids = itertools.count()


@pytest.fixture
async def reader(tmp_path: Path) -> AsyncIterator[EventReader]:
    client = nio.AsyncClient("http://127.0.0.1:9", BOT)
    client.user_id = BOT
    events = EventCache(client)
    events.remember(QUESTION, QUESTION_SOURCE)
    events.remember(DRAFT, DRAFT_SOURCE)
    events.remember(HEARD, HEARD_SOURCE)
    for event_id, sender in (("$chat", BEN), ("$root", ANA)):
        events.remember(event_id, {"type": "m.room.message", "sender": sender, "content": {}})
    reader = EventReader(client, ManualClock(), events, ["#kitchen:localhost"])
    reader.display_name = "Gepeto"
    yield reader
    await client.close()


def room(*members: str, alias: str | None = None) -> nio.MatrixRoom:
    matrix_room = nio.MatrixRoom(FAMILY_ROOM, BOT)
    for user_id in (BOT, *members):
        matrix_room.add_member(user_id, user_id[1:].split(":")[0].title(), None)
    matrix_room.canonical_alias = alias
    return matrix_room


def event(content: dict[str, Any], kind: str = "m.room.message", sender: str = ANA) -> nio.Event:
    return nio.Event.parse_event(
        {
            "type": kind,
            "event_id": f"$event{next(_ids)}",
            "sender": sender,
            "origin_server_ts": 1,
            "content": content,
        }
    )


def text(body: str, **content: Any) -> nio.Event:
    return event({"msgtype": "m.text", "body": body, **content})


async def read(reader: EventReader, matrix_room: nio.MatrixRoom, item: nio.Event) -> Incoming:
    incoming = await reader.read(matrix_room, item)
    assert incoming is not None
    return incoming


async def test_every_message_in_a_direct_chat_is_for_gepeto(reader: EventReader) -> None:
    incoming = await read(reader, room(ANA), text("we need eggs"))

    assert incoming.addressed_to_bot
    assert not incoming.is_group
    assert (incoming.chat_id, incoming.sender, incoming.text) == (FAMILY_ROOM, ANA, "we need eggs")


@pytest.mark.parametrize(
    ("body", "content", "said"),
    [
        ("Gepeto, we need eggs", {}, "we need eggs"),
        ("gepeto: we need eggs", {}, "we need eggs"),
        ("we need eggs, right gepeto?", {}, "we need eggs, right gepeto?"),
        ("Gepeto we need eggs", {"m.mentions": {"user_ids": [BOT]}}, "we need eggs"),
        (
            "Gepeto: we need eggs",
            {"formatted_body": f'<a href="https://matrix.to/#/{BOT}">Gepeto</a>: we need eggs'},
            "we need eggs",
        ),
        ("!list", {}, "/list"),
        ("/list add eggs", {}, "/list add eggs"),
    ],
)
async def test_mentions_and_commands_in_a_family_room_are_for_gepeto(
    reader: EventReader, body: str, content: dict[str, Any], said: str
) -> None:
    incoming = await read(reader, room(ANA, BEN), text(body, **content))

    assert incoming.is_group
    assert incoming.addressed_to_bot
    assert incoming.text == said


@pytest.mark.parametrize(
    "body", ["we need eggs", "Gepetos are puppets", "ask @ben about it", "!!!"]
)
async def test_other_family_room_talk_is_not(reader: EventReader, body: str) -> None:
    incoming = await read(reader, room(ANA, BEN), text(body))

    assert not incoming.addressed_to_bot


async def test_assistant_rooms_hear_everything(reader: EventReader) -> None:
    kitchen = room(ANA, BEN, alias="#kitchen:localhost")

    incoming = await read(reader, kitchen, text("we need eggs"))

    assert incoming.addressed_to_bot


async def test_a_reply_to_gepeto_is_for_gepeto_and_keeps_its_thread(reader: EventReader) -> None:
    thread = {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": QUESTION},
    }
    reply = text("> <@gepeto:localhost> Ana, shall I...\n\nwhat door?", **{"m.relates_to": thread})
    incoming = await read(reader, room(ANA, BEN), reply)

    assert incoming.addressed_to_bot
    assert incoming.text == "what door?"
    assert (incoming.thread_id, incoming.reply_to_event) == ("$root", QUESTION)
    assert incoming.reply_to_text == "Ana, shall I unlock the front door?"


async def test_a_reply_to_someone_else_is_not(reader: EventReader) -> None:
    reply = text("sure", **{"m.relates_to": {"m.in_reply_to": {"event_id": "$chat"}}})

    incoming = await read(reader, room(ANA, BEN), reply)

    assert not incoming.addressed_to_bot
    assert incoming.button is None


@pytest.mark.parametrize(("word", "answer"), [("yes", "confirm:4:yes"), ("Nein!", "confirm:4:no")])
async def test_yes_or_no_in_reply_to_a_question_answers_it(
    reader: EventReader, word: str, answer: str
) -> None:
    reply = text(word, **{"m.relates_to": {"m.in_reply_to": {"event_id": QUESTION}}})

    incoming = await read(reader, room(ANA, BEN), reply)

    assert (incoming.button, incoming.button_message_id, incoming.text) == (answer, QUESTION, "")


@pytest.mark.parametrize(
    ("word", "answer"), [("Save", "confirm:5:yes"), ("edit.", "receipt:edit:5")]
)
async def test_a_buttons_label_in_reply_to_a_question_presses_it(
    reader: EventReader, word: str, answer: str
) -> None:
    """Issue 14: the hint under a receipt draft says "or reply “save” / “edit” / “discard”"."""
    reply = text(word, **{"m.relates_to": {"m.in_reply_to": {"event_id": DRAFT}}})

    incoming = await read(reader, room(ANA), reply)

    assert (incoming.button, incoming.button_message_id, incoming.text) == (answer, DRAFT, "")


@pytest.mark.parametrize(
    ("key", "answer"),
    [
        ("✅", "confirm:4:yes"),
        ("👍", "confirm:4:yes"),
        ("❌", "confirm:4:no"),
        ("👎", "confirm:4:no"),
    ],
)
async def test_reactions_on_a_question_press_its_buttons(
    reader: EventReader, key: str, answer: str
) -> None:
    relates = {"rel_type": "m.annotation", "event_id": QUESTION, "key": key}
    reaction = event({"m.relates_to": relates}, kind="m.reaction", sender=BEN)

    incoming = await read(reader, room(ANA, BEN), reaction)

    assert (incoming.sender, incoming.button, incoming.button_message_id) == (
        BEN,
        answer,
        QUESTION,
    )
    assert incoming.addressed_to_bot


@pytest.mark.parametrize(
    ("key", "answer"),
    [
        ("👍", "voice:yes:7"),
        ("👍\ufe0f", "voice:yes:7"),
        ("✏", "voice:edit"),
        ("✅", "voice:yes:7"),
        ("✔️", "voice:yes:7"),
    ],
    ids=["thumbs up", "thumbs up, emoji style", "pencil, text style", "check", "tick"],
)
async def test_a_buttons_own_emoji_presses_it_even_when_it_looks_like_yes(
    reader: EventReader, key: str, answer: str
) -> None:
    """Issue 14: 👍 under "Did you say …?" pressed nothing, being read as ✅, which it lacks;
    and ✅ pressed nothing there either: any yes-like reaction presses the yes button."""
    relates = {"rel_type": "m.annotation", "event_id": HEARD, "key": key}

    incoming = await read(reader, room(ANA), event({"m.relates_to": relates}, kind="m.reaction"))

    assert (incoming.button, incoming.button_message_id) == (answer, HEARD)


async def test_reactions_elsewhere_and_own_events_are_not_messages(reader: EventReader) -> None:
    heart = {"rel_type": "m.annotation", "event_id": QUESTION, "key": "❤️"}
    on_chat = {"rel_type": "m.annotation", "event_id": "$chat", "key": "✅"}
    edit = {"rel_type": "m.replace", "event_id": "$chat"}
    family = room(ANA, BEN)

    assert await reader.read(family, event({"m.relates_to": heart}, kind="m.reaction")) is None
    assert await reader.read(family, event({"m.relates_to": on_chat}, kind="m.reaction")) is None
    assert await reader.read(family, text("* fixed", **{"m.relates_to": edit})) is None
    assert (
        await reader.read(family, event({"msgtype": "m.text", "body": "hi"}, sender=BOT)) is None
    )
    assert await reader.read(family, event({"msgtype": "m.notice", "body": "beep"})) is None

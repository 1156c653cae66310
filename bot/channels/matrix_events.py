"""Matrix events as Incoming messages: who is addressed, which thread, which question answered."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Collection
from typing import Any

import nio

from bot.channels.matrix_media import MEDIA_MSGTYPES, as_dict, attachment, caption
from bot.clock import Clock
from bot.confirmations import parse_word
from bot.messages import Attachment, Button, Incoming
from bot.text import DEFAULT_MAX_MESSAGE_CHARS, clean_incoming

log = logging.getLogger(__name__)

CHANNEL = "matrix"
BUTTONS_KEY = "org.gepeto.buttons"
ANSWERS_KEY = "org.gepeto.answers"
"""Beside the reactions: each button's label in lower case, so a typed reply can press it."""
YES, NO = "✅", "❌"
REACTION_ALIASES = {"👍": YES, "✔": YES, "☑": YES, "🆗": YES, "👎": NO, "✖": NO, "🚫": NO}
NUMBERED = tuple(f"{digit}\ufe0f\u20e3" for digit in "123456789")
TEXT_MSGTYPES = {"m.text", "m.emote"}
REPLY_FALLBACK = re.compile(r"^(?:> .*\n)+\n", re.MULTILINE)
CACHED_EVENTS = 1024


def reaction_keys(buttons: Collection[Button]) -> dict[str, str]:
    """Which reaction stands for which button: its own emoji, ✅ yes, ❌ no, else numbers."""
    keys: dict[str, str] = {}
    numbers = iter(NUMBERED)
    for button in buttons:
        if button.emoji and button.emoji not in keys:
            keys[button.emoji] = button.data
        elif button.data.endswith(":yes") and YES not in keys:
            keys[YES] = button.data
        elif button.data.endswith(":no") and NO not in keys:
            keys[NO] = button.data
        else:
            keys[next(numbers)] = button.data
    return keys


def typed_answers(buttons: Collection[Button]) -> dict[str, str]:
    """Which word, replied to a question, presses which button: its label, as the hint says."""
    return {button.label.casefold(): button.data for button in buttons}


def reaction_hint(buttons: Collection[Button], keys: dict[str, str]) -> str:
    labels = {button.data: button.label for button in buttons}
    choices = " or ".join(f"{key} for {labels[data]}" for key, data in keys.items())
    words = " / ".join(f"“{labels[data].lower()}”" for data in keys.values())
    return f"React {choices} — or reply {words}."


def pressed_button(choices: dict[str, str], key: str) -> str | None:
    """The button a reaction presses: the one with that very emoji, else ✅ / ❌ and their
    look-alikes (👍 is a yes unless a button wears 👍 itself), which press the question's one
    yes or no button whatever emoji it wears."""
    own = {emoji.replace("\ufe0f", ""): data for emoji, data in choices.items()}
    found = own.get(key.replace("\ufe0f", "")) or choices.get(canonical_reaction(key))
    answer = {YES: "yes", NO: "no"}.get(canonical_reaction(key))
    if found is not None or answer is None:
        return found
    matching = [data for data in choices.values() if answer in data.split(":")]
    return matching[0] if len(matching) == 1 else None


def canonical_reaction(key: str) -> str:
    bare = key.replace("\ufe0f", "")
    return REACTION_ALIASES.get(bare, YES if bare == YES else NO if bare == NO else key)


class EventCache:
    """Events Gepeto looked at recently (the questions it asked, messages replied to)."""

    def __init__(self, client: nio.AsyncClient) -> None:
        self._client = client
        self._events: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def remember(self, event_id: str, source: dict[str, Any]) -> None:
        self._events[event_id] = source
        self._events.move_to_end(event_id)
        while len(self._events) > CACHED_EVENTS:
            self._events.popitem(last=False)

    async def get(self, room_id: str, event_id: str) -> dict[str, Any] | None:
        """The event's source (decrypted where possible), from memory or the homeserver."""
        if event_id in self._events:
            return self._events[event_id]
        response = await self._client.room_get_event(room_id, event_id)
        if not isinstance(response, nio.RoomGetEventResponse):
            log.info("could not fetch event %s in %s: %s", event_id, room_id, response)
            return None
        # nio has already decrypted it when it could.
        source: dict[str, Any] = dict(response.event.source)
        self.remember(event_id, source)
        return source


class EventReader:
    """Turns one timeline event into an Incoming, or None when it is not for Gepeto."""

    def __init__(
        self,
        client: nio.AsyncClient,
        clock: Clock,
        events: EventCache,
        assistant_rooms: Collection[str],
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
    ) -> None:
        self._client = client
        self._max_chars = max_message_chars
        self._clock = clock
        self._events = events
        self._assistant_rooms = set(assistant_rooms)
        self.display_name = ""

    def add_assistant_room(self, room_id: str) -> None:
        self._assistant_rooms.add(room_id)

    @property
    def bot(self) -> str:
        user_id: str = self._client.user_id
        return user_id

    async def read(self, room: nio.MatrixRoom, event: nio.Event) -> Incoming | None:
        source: dict[str, Any] = event.source
        content = source.get("content")
        if event.sender == self.bot or not isinstance(content, dict):
            return None
        if isinstance(event, nio.MegolmEvent):
            log.warning("could not decrypt %s from %s in %s", event.event_id, event.sender, room)
            return None
        if source.get("type") == "m.reaction":
            return await self._reaction(room, event, content)
        if source.get("type") != "m.room.message":
            return None
        relates = as_dict(content.get("m.relates_to"))
        msgtype = content.get("msgtype")
        if relates.get("rel_type") == "m.replace" or not isinstance(content.get("body"), str):
            return None
        if msgtype in MEDIA_MSGTYPES:
            text = caption(content)
            found = attachment(content)
            attachments: tuple[Attachment, ...] = (found,) if found else ()
        elif msgtype in TEXT_MSGTYPES:
            text, attachments = content["body"], ()
        else:
            return None
        return await self._message(room, event, content, relates, text, attachments)

    async def _message(
        self,
        room: nio.MatrixRoom,
        event: nio.Event,
        content: dict[str, Any],
        relates: dict[str, Any],
        text: str,
        attachments: tuple[Attachment, ...],
    ) -> Incoming:
        thread_id = relates.get("event_id") if relates.get("rel_type") == "m.thread" else None
        quoted = (relates.get("m.in_reply_to") or {}).get("event_id")
        reply_to = None if thread_id and relates.get("is_falling_back") else quoted
        if quoted:
            text = REPLY_FALLBACK.sub("", text, count=1)
        replied = await self._events.get(room.room_id, reply_to) if reply_to else None
        root = await self._events.get(room.room_id, thread_id) if thread_id else None
        replied_to_bot = any(
            e is not None and e.get("sender") == self.bot for e in (replied, root)
        )
        button = None
        if replied is not None and replied.get("sender") == self.bot:
            button = self._answer_in_words(replied, text)
        command = _as_command(text)
        mentioned = self._mentions_bot(room, content, text)
        is_group = room.member_count > 2
        addressed = (
            not is_group
            or self._is_assistant_room(room)
            or command is not None
            or mentioned
            or replied_to_bot
        )
        if command is not None:
            text = command
        elif mentioned:
            text = self._without_leading_mention(room, text)
        incoming = Incoming(
            channel=CHANNEL,
            chat_id=room.room_id,
            sender=event.sender,
            sender_name=room.user_name(event.sender) or event.sender,
            event_id=event.event_id,
            received_at=self._clock.now(),
            text="" if button else text.strip(),
            is_group=is_group,
            addressed_to_bot=addressed,
            attachments=attachments,
            reply_to_text=_body(replied),
            reply_to_event=reply_to,
            thread_id=thread_id,
            button=button,
            button_message_id=reply_to if button else None,
        )
        return clean_incoming(incoming, self._max_chars)

    async def _reaction(
        self, room: nio.MatrixRoom, event: nio.Event, content: dict[str, Any]
    ) -> Incoming | None:
        relates = content.get("m.relates_to")
        if not isinstance(relates, dict) or relates.get("rel_type") != "m.annotation":
            return None
        question_id, key = relates.get("event_id"), relates.get("key")
        if not isinstance(question_id, str) or not isinstance(key, str):
            return None
        question = await self._events.get(room.room_id, question_id)
        choices = _choices(question, self.bot)
        button = pressed_button(choices, key) if choices else None
        if button is None:
            return None
        question_content = question.get("content", {}) if question else {}
        thread = (question_content.get("m.relates_to") or {}).get("event_id")
        is_thread = (question_content.get("m.relates_to") or {}).get("rel_type") == "m.thread"
        incoming = Incoming(
            channel=CHANNEL,
            chat_id=room.room_id,
            sender=event.sender,
            sender_name=room.user_name(event.sender) or event.sender,
            event_id=event.event_id,
            received_at=self._clock.now(),
            is_group=room.member_count > 2,
            addressed_to_bot=True,
            thread_id=thread if is_thread else None,
            button=button,
            button_message_id=question_id,
        )
        return clean_incoming(incoming, self._max_chars)

    def _answer_in_words(self, question: dict[str, Any], text: str) -> str | None:
        """A button's label ("save"), or 'yes' / 'no', replied to a question presses its button."""
        choices = _choices(question, self.bot)
        if not choices:
            return None
        labels = as_dict(question.get("content", {}).get(ANSWERS_KEY))
        pressed = labels.get(text.strip().strip(".!").casefold())
        if isinstance(pressed, str) and pressed in choices.values():
            return pressed
        answer = parse_word(text)
        return None if answer is None else choices.get(YES if answer else NO)

    def _is_assistant_room(self, room: nio.MatrixRoom) -> bool:
        return room.room_id in self._assistant_rooms or (
            room.canonical_alias is not None and room.canonical_alias in self._assistant_rooms
        )

    def _names(self, room: nio.MatrixRoom) -> list[str]:
        names = {self.display_name, room.user_name(self.bot) or "", self.bot}
        return sorted((name for name in names if name), key=len, reverse=True)

    def _mentions_bot(self, room: nio.MatrixRoom, content: dict[str, Any], text: str) -> bool:
        """A pill (m.mentions or a matrix.to link) or the bot's name written out."""
        mentions = content.get("m.mentions")
        if isinstance(mentions, dict) and self.bot in (mentions.get("user_ids") or []):
            return True
        formatted = content.get("formatted_body")
        if isinstance(formatted, str) and any(
            f"matrix.to/#/{user}" in formatted for user in (self.bot, self.bot.replace("@", "%40"))
        ):
            return True
        return any(_word(name).search(text) for name in self._names(room))

    def _without_leading_mention(self, room: nio.MatrixRoom, text: str) -> str:
        for name in self._names(room):
            stripped = re.sub(rf"^\s*@?{re.escape(name)}(?!\w)[\s:,]*", "", text, flags=re.I)
            if stripped != text:
                return stripped
        return text


def _choices(question: dict[str, Any] | None, bot: str) -> dict[str, str] | None:
    """The reaction → button map Gepeto put on its own question (never trusted from others)."""
    if question is None or question.get("sender") != bot:
        return None
    choices = question.get("content", {}).get(BUTTONS_KEY)
    if not isinstance(choices, dict):
        return None
    return {str(key): str(data) for key, data in choices.items()}


def _as_command(text: str) -> str | None:
    """'/list' or, since Element keeps '/' for itself, '!list' → '/list'."""
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        return stripped
    if re.match(r"^!\w", stripped):
        return "/" + stripped[1:]
    return None


def _word(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)


def _body(event: dict[str, Any] | None) -> str | None:
    body = (event or {}).get("content", {}).get("body")
    return body if isinstance(body, str) else None

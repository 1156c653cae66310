"""Telegram updates as Incoming messages: who wrote, where, whether to us, and their files.

Files stay references (file_id, size, type, duration); a handler fetches them when needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiogram.types import (
    Animation,
    Audio,
    CallbackQuery,
    Document,
    Message,
    MessageEntity,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    PhotoSize,
    Update,
    Video,
    Voice,
)

from bot.context import AppContext
from bot.messages import Attachment, AttachmentKind, Incoming
from bot.text import clean_incoming

TelegramFile = Voice | Audio | PhotoSize | Document | Video | Animation
CHANNEL = "telegram"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
GROUP_CHATS = frozenset({"group", "supergroup"})


@dataclass(frozen=True)
class BotIdentity:
    """The bot as Telegram knows it (from getMe): how members mention and reply to it."""

    id: int
    username: str


class UpdateReader:
    """Normalizes updates into Incoming messages; files become references, not downloads."""

    def __init__(self, app: AppContext, me: BotIdentity) -> None:
        self._app = app
        self._me = me
        self._mention = re.compile(rf"(?<![\w@])@{re.escape(me.username)}\b[,:]?", re.IGNORECASE)

    async def read(self, update: Update) -> Incoming | None:
        """The Incoming for an update, or None for kinds the family's bot does not act on."""
        if update.message is not None:
            message = update.message
            return await self._message(message, f"{message.chat.id}:{message.message_id}")
        if update.edited_message is not None:
            message = update.edited_message
            event_id = f"{message.chat.id}:{message.message_id}:edit:{update.update_id}"
            return await self._message(message, event_id, edited=True)
        if update.callback_query is not None:
            return self._button(update.callback_query)
        return None

    async def _message(
        self, message: Message, event_id: str, *, edited: bool = False
    ) -> Incoming | None:
        user = message.from_user
        chat = message.chat
        if user is None or chat.type == "channel":
            return None
        is_group = chat.type in GROUP_CHATS
        text = message.text or message.caption or ""
        entities = message.entities or message.caption_entities or []
        addressed = not is_group or self._addressed(message, text, entities)
        if is_group and addressed:
            text = re.sub(r"[ \t]{2,}", " ", self._mention.sub("", text)).strip()
        attachments = _attachments(message)
        if not text.strip() and not attachments:
            return None
        replied = message.reply_to_message
        incoming = Incoming(
            channel=CHANNEL,
            chat_id=str(chat.id),
            sender=str(user.id),
            sender_name=user.full_name,
            event_id=event_id,
            received_at=self._app.clock.now(),
            text=text,
            is_group=is_group,
            addressed_to_bot=addressed,
            attachments=attachments,
            reply_to_text=(replied.text or replied.caption) if replied else None,
            reply_to_event=f"{chat.id}:{replied.message_id}" if replied else None,
            thread_id=(
                str(message.message_thread_id)
                if message.is_topic_message and message.message_thread_id
                else None
            ),
            forwarded_from=_forwarded_from(message),
            edited=edited,
        )
        return clean_incoming(incoming, self._app.settings.safety.max_message_chars)

    def _addressed(self, message: Message, text: str, entities: list[MessageEntity]) -> bool:
        """In groups: a command for this bot, an @mention of it, or a reply to one of its own."""
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == self._me.id:
            return True
        for entity in entities:
            if entity.type == "bot_command" and entity.offset == 0:
                _, at, target = entity.extract_from(text).partition("@")
                return not at or target.casefold() == self._me.username.casefold()
            if entity.type == "text_mention" and entity.user and entity.user.id == self._me.id:
                return True
        return bool(self._me.username) and self._mention.search(text) is not None

    def _button(self, query: CallbackQuery) -> Incoming | None:
        question = query.message
        if question is None or query.data is None:
            return None
        chat = question.chat
        shown = (question.text or question.caption) if isinstance(question, Message) else None
        incoming = Incoming(
            channel=CHANNEL,
            chat_id=str(chat.id),
            sender=str(query.from_user.id),
            sender_name=query.from_user.full_name,
            event_id=f"button:{query.id}",
            received_at=self._app.clock.now(),
            is_group=chat.type in GROUP_CHATS,
            addressed_to_bot=True,
            reply_to_text=shown,
            button=query.data,
            button_message_id=str(question.message_id),
        )
        return clean_incoming(incoming, self._app.settings.safety.max_message_chars)


def _attachments(message: Message) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    if message.voice is not None:
        voice = message.voice
        found.append(_attachment("voice", voice, voice.mime_type, None, float(voice.duration)))
    if message.audio is not None:
        audio = message.audio
        found.append(
            _attachment("audio", audio, audio.mime_type, audio.file_name, float(audio.duration))
        )
    if message.photo:
        largest = max(message.photo, key=lambda size: size.width * size.height)
        found.append(_attachment("photo", largest, "image/jpeg", None, None))
    for file in (message.document, message.video, message.animation):
        if file is not None:
            found.append(_attachment("document", file, file.mime_type, file.file_name, None))
    return tuple(found)


def _attachment(
    kind: AttachmentKind,
    file: TelegramFile,
    mime: str | None,
    name: str | None,
    duration_s: float | None,
) -> Attachment:
    return Attachment(
        kind=kind,
        file_id=file.file_id,
        unique_id=file.file_unique_id,
        mime_type=mime,
        name=name,
        size=file.file_size,
        duration_s=duration_s,
    )


def _forwarded_from(message: Message) -> str | None:
    """Who first wrote a forwarded message (its text is theirs, not the forwarder's)."""
    origin = message.forward_origin
    if isinstance(origin, MessageOriginUser):
        return origin.sender_user.full_name
    if isinstance(origin, MessageOriginHiddenUser):
        return origin.sender_user_name
    if isinstance(origin, MessageOriginChat):
        return origin.sender_chat.title or "a chat"
    if isinstance(origin, MessageOriginChannel):
        return origin.chat.title or "a channel"
    return None

"""Telegram updates as Incoming messages: who wrote, where, whether to us, and their files."""

from __future__ import annotations

import logging
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiogram import Bot
from aiogram.exceptions import AiogramError
from aiogram.types import (
    CallbackQuery,
    Message,
    MessageEntity,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
)

from bot.context import AppContext
from bot.messages import Attachment, AttachmentKind, Incoming
from bot.text import clean_incoming

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
GROUP_CHATS = frozenset({"group", "supergroup"})
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
DOWNLOAD_TIMEOUT_S = 300


@dataclass(frozen=True)
class BotIdentity:
    """The bot as Telegram knows it (from getMe): how members mention and reply to it."""

    id: int
    username: str


class UpdateReader:
    """Normalizes updates; downloads the files that members send to the bot into media_dir."""

    def __init__(self, app: AppContext, bot: Bot, me: BotIdentity, media_dir: Path) -> None:
        self._app = app
        self._bot = bot
        self._me = me
        self._media_dir = media_dir
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
        if attachments and addressed:
            attachments = await self._download_for_member(str(user.id), chat.id, attachments)
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

    async def _download_for_member(
        self, sender: str, chat_id: int, attachments: tuple[Attachment, ...]
    ) -> tuple[Attachment, ...]:
        """Files are fetched only for family members: strangers cannot fill the disk."""
        if await self._app.family.resolve(CHANNEL, sender) is None:
            return attachments
        return tuple([await self._download(attachment, chat_id) for attachment in attachments])

    async def _download(self, attachment: Attachment, chat_id: int) -> Attachment:
        if attachment.size is not None and attachment.size > MAX_DOWNLOAD_BYTES:
            log.info("not downloading a %d-byte %s", attachment.size, attachment.kind)
            return attachment
        try:
            found = await self._bot.get_file(attachment.file_id)
            if not found.file_path:
                return attachment
            suffix = Path(found.file_path).suffix or _suffix_for(attachment)
            target = self._media_dir / str(chat_id) / f"{found.file_unique_id}{suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            await self._bot.download_file(
                found.file_path, destination=target, timeout=DOWNLOAD_TIMEOUT_S
            )
        except (AiogramError, aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning("could not download a %s: %s", attachment.kind, error)
            return attachment
        return attachment.model_copy(update={"path": str(target)})


def _attachments(message: Message) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    if message.voice is not None:
        voice = message.voice
        found.append(
            _attachment("voice", voice.file_id, voice.mime_type, None, voice.file_size).model_copy(
                update={"duration_s": float(voice.duration)}
            )
        )
    if message.audio is not None:
        audio = message.audio
        found.append(
            _attachment(
                "audio", audio.file_id, audio.mime_type, audio.file_name, audio.file_size
            ).model_copy(update={"duration_s": float(audio.duration)})
        )
    if message.photo:
        largest = max(message.photo, key=lambda size: size.width * size.height)
        found.append(_attachment("photo", largest.file_id, "image/jpeg", None, largest.file_size))
    for file in (message.document, message.video, message.animation):
        if file is not None:
            found.append(
                _attachment(
                    "document", file.file_id, file.mime_type, file.file_name, file.file_size
                )
            )
    return tuple(found)


def _attachment(
    kind: AttachmentKind, file_id: str, mime: str | None, name: str | None, size: int | None
) -> Attachment:
    return Attachment(kind=kind, file_id=file_id, mime_type=mime, name=name, size=size)


def _suffix_for(attachment: Attachment) -> str:
    if attachment.name and Path(attachment.name).suffix:
        return Path(attachment.name).suffix
    guessed = mimetypes.guess_extension(attachment.mime_type or "")
    return guessed or ""


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

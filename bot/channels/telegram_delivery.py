"""Replies into Telegram: formatted pieces, files, keyboards, and the edits that settle them.

A reply to a button press edits the question to show the outcome (and drops its buttons)
once the question is settled; a streamed reply replaces the message it grew in. Flood
control becomes RetryLater, a chat that is gone becomes DeliveryFailed, and pieces already
delivered are not sent again when the outbox retries the rest.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import (
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    ReplyParameters,
)

from bot import confirmations
from bot.channels.telegram_format import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    Formatted,
    after_plain,
    render,
    split,
)
from bot.channels.telegram_stream import EDIT_EVERY_S, TelegramStreams
from bot.context import AppContext
from bot.messages import Button, Incoming, Reply
from bot.outbox import DeliveryFailed, RetryLater
from storage.models import InboxEvent, PendingConfirmation

log = logging.getLogger(__name__)

REMEMBERED_ORIGINS = 1024
MediaKind = Literal["photo", "document"]


@dataclass(frozen=True)
class Piece:
    """One Telegram message of a reply: text, or a file with an optional caption."""

    text: Formatted | None = None
    media: tuple[MediaKind, Path] | None = None
    keyboard: InlineKeyboardMarkup | None = None


def pieces_of(reply: Reply, body: Formatted | None = None) -> list[Piece]:
    """The messages a reply becomes; buttons go under the last one."""
    body = body if body is not None else render(reply.text)
    media: list[tuple[MediaKind, Path]] = []
    if reply.image_path:
        media.append(("photo", Path(reply.image_path)))
    if reply.file_path:
        media.append(("document", Path(reply.file_path)))
    if len(media) == 1 and not body.is_empty and body.length <= CAPTION_LIMIT:
        pieces = [Piece(text=body, media=media[0])]
    else:
        pieces = [Piece(text=part) for part in split(body, TEXT_LIMIT)]
        pieces += [Piece(media=item) for item in media]
    if reply.buttons and pieces:
        last = pieces[-1]
        pieces[-1] = Piece(last.text, last.media, keyboard_for(reply.buttons))
    return pieces


def keyboard_for(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(text=button.label, callback_data=button.data) for button in buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row])


class TelegramDelivery:
    """Delivers outbox replies; knows which message each reply answers."""

    def __init__(self, app: AppContext, bot: Bot, streams: TelegramStreams) -> None:
        self._app = app
        self._bot = bot
        self._streams = streams
        self._origins: OrderedDict[int, Incoming] = OrderedDict()
        self._progress: dict[str, int] = {}
        self._settled: set[tuple[int, int]] = set()

    def remember(self, inbox_id: int, incoming: Incoming) -> None:
        """The message behind inbox row `inbox_id`, so its replies need no database read."""
        self._origins[inbox_id] = incoming
        while len(self._origins) > REMEMBERED_ORIGINS:
            self._origins.popitem(last=False)

    async def send(self, chat_id: str, reply: Reply, key: str) -> None:
        """The outbox's sender: RetryLater on flood control, DeliveryFailed when refused."""
        chat = int(chat_id)
        try:
            await self._deliver(chat, reply, key)
        except TelegramRetryAfter as flood:
            raise RetryLater(flood.retry_after, flood.message) from None
        except TelegramMigrateToChat as moved:
            raise DeliveryFailed(
                f"the group became supergroup {moved.migrate_to_chat_id}; its new messages "
                "will come from there"
            ) from None
        except (TelegramForbiddenError, TelegramBadRequest) as refused:
            raise DeliveryFailed(refused.message) from None
        self._progress.pop(key, None)

    async def _deliver(self, chat: int, reply: Reply, key: str) -> None:
        origin, index = await self._origin(key)
        body = render(reply.text)
        pieces = pieces_of(reply, body)
        replace: int | None = None
        if origin is not None and origin.button_message_id and index == 0:
            replace, pieces = await self._settling(chat, origin, reply, body, pieces)
        elif reply.streamed and origin is not None:
            left = self._streams.left_by(origin.event_id)
            if left is not None and left.chat_id == chat and pieces and pieces[0].media is None:
                await self._wait_for_edit(chat)
                replace = left.message_id
        reply_to = _reply_target(chat, reply, origin)
        topic = reply.thread_id or (origin.thread_id if origin else None)
        thread = int(topic) if topic else None
        done = self._progress.get(key, 0)
        for number, piece in enumerate(pieces):
            if number < done:
                continue
            if number > 0 or replace is None or not await self._edit(chat, replace, piece):
                await self._send_piece(chat, piece, reply_to if number == 0 else None, thread)
            self._progress[key] = number + 1
        if reply.streamed and origin is not None:
            self._streams.forget(origin.event_id)

    async def _settling(
        self, chat: int, origin: Incoming, reply: Reply, body: Formatted, pieces: list[Piece]
    ) -> tuple[int | None, list[Piece]]:
        """How to answer a button press: edit the question once it is settled, else just reply."""
        question_id = int(origin.button_message_id or 0)
        if (chat, question_id) in self._settled or not await self._question_closed(origin):
            return None, pieces
        self._settled.add((chat, question_id))
        shown = after_plain(origin.reply_to_text or "", body)
        if shown.length <= TEXT_LIMIT and not reply.image_path and not reply.file_path:
            return question_id, [Piece(text=shown)]
        question = Formatted((origin.reply_to_text or "").strip() or "…")
        return question_id, [Piece(text=question), *pieces]

    async def _question_closed(self, origin: Incoming) -> bool:
        """False while the question still waits for the requester (someone else pressed)."""
        parsed = confirmations.parse_button(origin.button or "")
        if parsed is None:
            return True
        async with self._app.sessions() as session:
            pending = await session.get(PendingConfirmation, parsed[0])
        return pending is None or pending.status != "pending"

    async def _wait_for_edit(self, chat: int) -> None:
        """Keeps the last streamed edit and the final one apart; long waits go to the outbox."""
        wait = self._streams.gate.wait_s(chat)
        if wait > 2 * EDIT_EVERY_S:
            raise RetryLater(wait, "waiting for Telegram's flood control")
        if wait > 0:
            await self._streams.pacing.sleep(wait)

    async def _edit(self, chat: int, message_id: int, piece: Piece) -> bool:
        """Replaces a message's text (and drops its buttons); False if it can't be edited here."""
        text = piece.text
        assert text is not None
        try:
            for entities in (text.api_entities(), None):
                try:
                    await self._bot.edit_message_text(
                        text.text,
                        chat_id=chat,
                        message_id=message_id,
                        entities=entities,
                        reply_markup=piece.keyboard,
                    )
                    break
                except TelegramBadRequest as error:
                    if entities is None or not _refused_formatting(error):
                        raise
        except TelegramNotFound:
            return False
        except TelegramBadRequest as error:
            if "not modified" in error.message:
                return True
            if "not found" in error.message or "can't be edited" in error.message:
                return False
            raise
        finally:
            self._streams.gate.used(chat, EDIT_EVERY_S)
        return True

    async def _send_piece(
        self, chat: int, piece: Piece, reply_to: int | None, thread: int | None
    ) -> None:
        replying = (
            ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to
            else None
        )
        if piece.media is None:
            assert piece.text is not None
            for entities in (piece.text.api_entities(), None):
                try:
                    await self._bot.send_message(
                        chat,
                        piece.text.text,
                        entities=entities,
                        reply_markup=piece.keyboard,
                        reply_parameters=replying,
                        message_thread_id=thread,
                    )
                    return
                except TelegramBadRequest as error:
                    if entities is None or not _refused_formatting(error):
                        raise
            return
        kind, path = piece.media
        if not path.is_file():
            log.error("the file for a reply is missing: %s", path)
            return
        caption = piece.text or Formatted("")
        for entities in (caption.api_entities(), None):
            try:
                await self._send_file(
                    chat, kind, path, caption.text, entities, piece, replying, thread
                )
                return
            except TelegramBadRequest as error:
                if entities is None or not _refused_formatting(error):
                    raise

    async def _send_file(
        self,
        chat: int,
        kind: MediaKind,
        path: Path,
        caption: str,
        entities: list[MessageEntity] | None,
        piece: Piece,
        replying: ReplyParameters | None,
        thread: int | None,
    ) -> None:
        """A photo (a document if Telegram refuses it as a photo) or a document, captioned."""
        if kind == "photo":
            try:
                await self._bot.send_photo(
                    chat,
                    FSInputFile(path),
                    caption=caption or None,
                    caption_entities=entities,
                    reply_markup=piece.keyboard,
                    reply_parameters=replying,
                    message_thread_id=thread,
                )
                return
            except TelegramBadRequest as error:
                log.info("Telegram refused %s as a photo (%s); sending it as a file", path, error)
        await self._bot.send_document(
            chat,
            FSInputFile(path),
            caption=caption or None,
            caption_entities=entities,
            reply_markup=piece.keyboard,
            reply_parameters=replying,
            message_thread_id=thread,
        )

    async def _origin(self, key: str) -> tuple[Incoming | None, int]:
        """The message an outbox key answers (`inbox:<id>:<n>`) and n; (None, 0) otherwise."""
        kind, _, rest = key.partition(":")
        inbox_text, _, index_text = rest.partition(":")
        if kind != "inbox" or not inbox_text.isdigit():
            return None, 0
        inbox_id, index = int(inbox_text), int(index_text) if index_text.isdigit() else 0
        origin = self._origins.get(inbox_id)
        if origin is None:
            async with self._app.sessions() as session:
                row = await session.get(InboxEvent, inbox_id)
            if row is not None and row.channel == "telegram":
                origin = Incoming.model_validate(row.payload)
        return origin, index


def _refused_formatting(error: TelegramBadRequest) -> bool:
    """Telegram refused an entity (a link it won't open, a bad range): send the words plainly."""
    if "entit" not in error.message:
        return False
    log.warning("Telegram refused the formatting (%s); sending plain text", error.message)
    return True


def _reply_target(chat: int, reply: Reply, origin: Incoming | None) -> int | None:
    """In groups a reply quotes the message it answers, so everyone sees whom it is for."""
    in_group = origin.is_group if origin is not None else chat < 0
    if not in_group or (origin is not None and origin.button):
        return None
    for event in (reply.reply_to_event, origin.event_id if origin else None):
        chat_text, _, rest = (event or "").partition(":")
        message_text = rest.split(":")[0]
        if chat_text == str(chat) and message_text.isdigit():
            return int(message_text)
    return None

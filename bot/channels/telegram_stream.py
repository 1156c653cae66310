"""Replies that grow in the chat while the model writes, paced to Telegram's limits.

Private chats get `sendMessageDraft` where the Bot API server has it; everywhere else (and
after a server says it lacks drafts) one message is sent and then edited, at most once per
`EDIT_EVERY_S` per chat. A 429 holds the chat for the server's `retry_after`, then the stream
goes on with the newest text. The typing indicator shows while a message takes longer than a
moment, until its stream is closed. The finished reply itself comes later through the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import ReplyParameters

from bot.channels.telegram_format import first_piece, render
from bot.messages import Incoming

log = logging.getLogger(__name__)

EDIT_EVERY_S = 1.5
"""Telegram allows about one edit per second and a half in a chat before flood control."""
DRAFT_EVERY_S = 1.0
TYPING_AFTER_S = 0.8
"""Answers quicker than this need no typing indicator (and cost no chat action)."""
TYPING_EVERY_S = 4.0
"""The typing indicator lasts five seconds; renewing it a little earlier keeps it steady."""
REMEMBERED_STREAMS = 256


class Pacing(Protocol):
    """Monotonic time and waiting, injectable so tests move time instead of sleeping."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class LoopPacing:
    """Real time: the event loop's clock."""

    def monotonic(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class EditGate:
    """When each chat may next see an edit or a draft."""

    def __init__(self, pacing: Pacing) -> None:
        self._pacing = pacing
        self._next: dict[int, float] = {}

    def wait_s(self, chat_id: int) -> float:
        """Seconds until the chat may be changed again (0 when it may now)."""
        return max(0.0, self._next.get(chat_id, 0.0) - self._pacing.monotonic())

    def used(self, chat_id: int, spacing: float) -> None:
        self._next[chat_id] = self._pacing.monotonic() + spacing
        if len(self._next) > 1000:
            now = self._pacing.monotonic()
            self._next = {chat: at for chat, at in self._next.items() if at > now}

    def hold(self, chat_id: int, seconds: float) -> None:
        """Flood control said wait: nothing changes in this chat before then."""
        until = self._pacing.monotonic() + seconds
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), until)


@dataclass(frozen=True)
class StreamedMessage:
    """What a closed stream left in the chat: the message to replace with the final reply."""

    chat_id: int
    message_id: int


def message_id_of(incoming: Incoming) -> int | None:
    """The Telegram message behind an Incoming (its event id is `chat:message[:edit:update]`)."""
    parts = incoming.event_id.split(":")
    if len(parts) >= 2 and parts[0] == incoming.chat_id and parts[1].isdigit():
        return int(parts[1])
    return None


class TelegramStreams:
    """Opens a stream per message and remembers what each left behind for the final reply."""

    def __init__(self, bot: Bot, pacing: Pacing) -> None:
        self.bot = bot
        self.pacing = pacing
        self.gate = EditGate(pacing)
        self.drafts_supported = True
        self.typing_supported = True
        self._left: OrderedDict[str, StreamedMessage] = OrderedDict()

    def open(self, incoming: Incoming) -> TelegramReplyStream | None:
        """A stream for a message the bot will answer; None for group chatter not for us."""
        if incoming.is_group and not incoming.addressed_to_bot:
            return None
        return TelegramReplyStream(self, incoming)

    def left_by(self, event_id: str) -> StreamedMessage | None:
        return self._left.get(event_id)

    def forget(self, event_id: str) -> None:
        self._left.pop(event_id, None)

    def remember(self, event_id: str, message: StreamedMessage) -> None:
        self._left[event_id] = message
        while len(self._left) > REMEMBERED_STREAMS:
            self._left.popitem(last=False)


class TelegramReplyStream:
    """One growing reply: a draft in private chats, else a message edited at a steady pace."""

    def __init__(self, streams: TelegramStreams, incoming: Incoming) -> None:
        self._streams = streams
        self._incoming = incoming
        self._chat_id = int(incoming.chat_id)
        self._thread_id = int(incoming.thread_id) if incoming.thread_id else None
        self._use_draft = not incoming.is_group and streams.drafts_supported
        self._draft_id = secrets.randbelow(2**31 - 2) + 1
        self._message_id: int | None = None
        self._latest = ""
        self._shown = ""
        self._changed = asyncio.Event()
        self._closed = False
        self._sending = False
        self._flusher: asyncio.Task[None] | None = None
        self._typing: asyncio.Task[None] | None = None
        if streams.typing_supported:
            self._typing = asyncio.create_task(self._keep_typing(), name="telegram-typing")

    async def update(self, text: str) -> None:
        if self._closed or not text.strip():
            return
        self._latest = text
        self._changed.set()
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(), name="telegram-stream")

    async def close(self) -> None:
        """Stops typing and streaming; an edit already on its way is allowed to finish.

        A draft on its way is not waited for: it matters no more, and a server that stalls
        on drafts must not hold the reply back.
        """
        if self._closed:
            return
        self._closed = True
        for task in (self._typing, self._flusher):
            if task is None:
                continue
            if task is self._flusher and self._sending and not self._use_draft:
                self._changed.set()
            else:
                task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("the streamed reply in chat %s failed", self._chat_id)
        if self._message_id is not None:
            self._streams.remember(
                self._incoming.event_id, StreamedMessage(self._chat_id, self._message_id)
            )

    async def _flush(self) -> None:
        streams = self._streams
        while not self._closed:
            await self._changed.wait()
            self._changed.clear()
            wait = streams.gate.wait_s(self._chat_id)
            if wait > 0:
                await streams.pacing.sleep(wait)
            if self._closed:
                return
            if self._latest == self._shown:
                continue
            text = self._latest
            self._sending = True
            try:
                await self._show(text)
                self._shown = text
            except TelegramRetryAfter as flood:
                streams.gate.hold(self._chat_id, flood.retry_after)
                self._changed.set()
            except (TelegramNetworkError, TelegramServerError) as error:
                if self._use_draft:
                    # Drafts are optional; this stream edits a message instead.
                    log.info("draft to chat %s failed (%s); editing instead", self._chat_id, error)
                    self._use_draft = False
                else:
                    log.info(
                        "stream update to chat %s failed (%s); trying again", self._chat_id, error
                    )
                    streams.gate.hold(self._chat_id, EDIT_EVERY_S)
                self._changed.set()
            except AiogramError as error:
                if not self._use_draft:
                    log.warning("streaming to chat %s stopped: %s", self._chat_id, error)
                    return
                log.info("no message drafts on this Bot API server (%s); editing instead", error)
                streams.drafts_supported = False
                self._use_draft = False
                self._changed.set()
            finally:
                self._sending = False

    async def _show(self, text: str) -> None:
        streams = self._streams
        shown = first_piece(render(text))
        if shown.is_empty:
            return
        bot, chat = streams.bot, self._chat_id
        if self._use_draft:
            await bot.send_message_draft(
                chat_id=chat,
                draft_id=self._draft_id,
                text=shown.text,
                entities=shown.api_entities(),
                message_thread_id=self._thread_id,
            )
            streams.gate.used(chat, DRAFT_EVERY_S)
            return
        if self._message_id is None:
            origin = message_id_of(self._incoming) if self._incoming.is_group else None
            sent = await bot.send_message(
                chat,
                shown.text,
                entities=shown.api_entities(),
                message_thread_id=self._thread_id,
                reply_parameters=(
                    ReplyParameters(message_id=origin, allow_sending_without_reply=True)
                    if origin
                    else None
                ),
            )
            self._message_id = sent.message_id
        else:
            try:
                await bot.edit_message_text(
                    shown.text,
                    chat_id=chat,
                    message_id=self._message_id,
                    entities=shown.api_entities(),
                )
            except TelegramBadRequest as error:
                if "not modified" not in error.message:
                    raise
        streams.gate.used(chat, EDIT_EVERY_S)

    async def _keep_typing(self) -> None:
        streams = self._streams
        await streams.pacing.sleep(TYPING_AFTER_S)
        while True:
            try:
                await streams.bot.send_chat_action(
                    self._chat_id, "typing", message_thread_id=self._thread_id
                )
            except TelegramRetryAfter as flood:
                await streams.pacing.sleep(flood.retry_after)
                continue
            except TelegramNotFound:
                log.info("this Bot API server has no sendChatAction; no typing indicator")
                streams.typing_supported = False
                return
            except (TelegramNetworkError, TelegramServerError) as error:
                log.debug("typing indicator in chat %s failed: %s", self._chat_id, error)
            except AiogramError as error:
                log.debug("typing indicator in chat %s failed: %s", self._chat_id, error)
                return
            await streams.pacing.sleep(TYPING_EVERY_S)

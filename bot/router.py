"""The router: inbox first, then one message at a time per chat, through the middlewares."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from bot import inbox, logs
from bot.context import AppContext
from bot.messages import Incoming, Outcome, Reply
from bot.middlewares import Handler, Middleware, Request, chain
from bot.outbox import Outbox
from bot.streaming import StreamOpener

log = logging.getLogger(__name__)

GAVE_UP = (
    "Sorry, I couldn't handle your message (“{text}”) even after several tries. "
    "Please send it again, perhaps in other words."
)


class Router:
    """Stores each event, then handles it in order within its chat; no chat waits for another."""

    def __init__(
        self,
        app: AppContext,
        outbox: Outbox,
        middlewares: list[Middleware],
        handler: Handler,
    ) -> None:
        self.app = app
        self.outbox = outbox
        self._pipeline = chain(middlewares, handler)
        self._locks = ChatLocks()
        self._tasks: set[asyncio.Task[Outcome | None]] = set()
        self.stream_openers: dict[str, StreamOpener] = {}

    async def receive(self, incoming: Incoming) -> int | None:
        """Stores the event (so the channel may acknowledge it) and schedules its handling."""
        inbox_id = await inbox.store(self.app.sessions, incoming)
        if inbox_id is None:
            log.info("duplicate event %s/%s ignored", incoming.channel, incoming.event_id)
            return None
        task = asyncio.create_task(
            self.process(inbox_id, incoming.chat_key), name=f"inbox-{inbox_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return inbox_id

    async def handle_now(self, incoming: Incoming) -> Outcome | None:
        """Stores and handles the event, waiting for the outcome (console and tests)."""
        inbox_id = await inbox.store(self.app.sessions, incoming)
        return None if inbox_id is None else await self.process(inbox_id, incoming.chat_key)

    async def resume(self) -> int:
        """Handles what a crash or shutdown left unfinished; returns how many events."""
        pending = await inbox.unfinished(self.app.sessions)
        for inbox_id, chat_key in pending:
            await self.process(inbox_id, chat_key)
        return len(pending)

    async def drain(self) -> None:
        """Waits for every message being handled (graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def process(self, inbox_id: int, chat_key: tuple[str, str]) -> Outcome | None:
        """Handles one stored event under its chat's lock (taken first, so order is kept)."""
        with logs.request(logs.request_id_for(inbox_id)):
            return await self._process(inbox_id, chat_key)

    async def _process(self, inbox_id: int, chat_key: tuple[str, str]) -> Outcome | None:
        async with self._locks.hold(chat_key):
            claimed = await inbox.claim(self.app.sessions, inbox_id)
            if claimed is None:
                return None
            incoming, attempt = claimed
            if attempt > inbox.MAX_ATTEMPTS:
                log.error("inbox %s failed %d times; giving up", inbox_id, attempt - 1)
                outcome = Outcome(
                    route="error", replies=(Reply(text=GAVE_UP.format(text=incoming.text[:80])),)
                )
                status = "failed"
            else:
                opener = self.stream_openers.get(incoming.channel)
                request = Request(
                    incoming=incoming,
                    inbox_id=inbox_id,
                    stream=opener(incoming) if opener else None,
                )
                try:
                    outcome = await self._pipeline(request)
                finally:
                    if request.stream is not None:
                        await request.stream.close()
                status = "done"
            await inbox.finish(
                self.app.sessions,
                self.app.clock,
                inbox_id,
                incoming,
                in_same_thread(incoming, outcome.replies),
                status=status,
            )
        self.outbox.wake()
        return outcome


def in_same_thread(incoming: Incoming, replies: tuple[Reply, ...]) -> tuple[Reply, ...]:
    """Replies answer the message (or the question whose button was pressed), in its thread."""
    answered = incoming.button_message_id if incoming.button else incoming.event_id
    return tuple(
        reply
        if reply.reply_to_event or reply.thread_id
        else reply.model_copy(update={"reply_to_event": answered, "thread_id": incoming.thread_id})
        for reply in replies
    )


class ChatLocks:
    """One FIFO lock per chat, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: tuple[str, str]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)

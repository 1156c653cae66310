"""Middlewares around every message: logging, errors, addressing, who is speaking, rate limits."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.context import AppContext
from bot.family import Member
from bot.messages import Incoming, Outcome, Reply
from bot.metrics import Metrics, outcome_of
from bot.notify import PRIVATE_CHAT_CHANNELS, record_private_chat
from bot.streaming import ReplyStream

log = logging.getLogger("gepeto.messages")

SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on my side while handling that. Nothing was lost; "
    "please try again, and if it keeps happening tell whoever runs Gepeto."
)
SLOW_DOWN = "That's a lot of messages at once! Give me a moment, then try again."
TOO_LONG = (
    "That message is too long for me: I read up to {limit:,} characters and it had {length:,}. "
    "Could you send just the part that matters, or save the rest as a note in the vault?"
)


@dataclass
class Request:
    incoming: Incoming
    inbox_id: int | None = None
    member: Member | None = None
    stream: ReplyStream | None = None


Handler = Callable[[Request], Awaitable[Outcome]]
Middleware = Callable[[Request, Handler], Awaitable[Outcome]]
StrangerHandler = Callable[[AppContext, Incoming], Awaitable[Outcome]]


def chain(middlewares: Sequence[Middleware], handler: Handler) -> Handler:
    """Wraps the handler so the first middleware runs first."""
    wrapped = handler
    for middleware in reversed(middlewares):
        wrapped = _bind(middleware, wrapped)
    return wrapped


def _bind(middleware: Middleware, next_handler: Handler) -> Handler:
    async def run(request: Request) -> Outcome:
        return await middleware(request, next_handler)

    return run


def log_messages(metrics: Metrics) -> Middleware:
    """One structured log line per message (where from, who, which route, how long), counted."""

    async def middleware(request: Request, call_next: Handler) -> Outcome:
        started = time.perf_counter()
        outcome = await call_next(request)
        seconds = time.perf_counter() - started
        incoming = request.incoming
        log.info(
            "message handled",
            extra={
                "channel": incoming.channel,
                "chat": incoming.chat_id,
                "member": request.member.name if request.member else None,
                "route": outcome.route,
                "actions": [f"{a.tool}:{a.status}" for a in outcome.actions],
                "ms": round(seconds * 1000, 1),
            },
        )
        statuses = (action.status for action in outcome.actions)
        result = outcome_of(outcome.route, statuses, bool(outcome.replies))
        metrics.message_handled(incoming.channel, outcome.route, result, seconds)
        return outcome

    return middleware


async def catch_errors(request: Request, call_next: Handler) -> Outcome:
    """A bad message never stops the bot: the chat gets a kind sentence, the log the traceback."""
    try:
        return await call_next(request)
    except Exception:
        log.exception(
            "handling failed",
            extra={"channel": request.incoming.channel, "chat": request.incoming.chat_id},
        )
        return Outcome(route="error", replies=(Reply(text=SOMETHING_WENT_WRONG),))


async def skip_unaddressed(request: Request, call_next: Handler) -> Outcome:
    """In group chats only commands, mentions and replies to the bot are for us."""
    if request.incoming.is_group and not request.incoming.addressed_to_bot:
        return Outcome(route="ignored")
    return await call_next(request)


def identify(app: AppContext, strangers: StrangerHandler) -> Middleware:
    """Finds the family member behind the sender; anyone else goes to the stranger handler."""

    async def middleware(request: Request, call_next: Handler) -> Outcome:
        incoming = request.incoming
        member = await app.family.resolve(incoming.channel, incoming.sender)
        if member is None:
            return await strangers(app, incoming)
        request.member = member
        if not incoming.is_group and incoming.channel in PRIVATE_CHAT_CHANNELS:
            # Remembered so that pushes (reminders, nags) can reach the member here later.
            await record_private_chat(
                app.sessions, app.clock, member.id, incoming.channel, incoming.chat_id
            )
        return await call_next(request)

    return middleware


def refuse_too_long(max_chars: int) -> Middleware:
    """A message the channel had to cut gets a kind note; its text never reaches the model."""

    async def middleware(request: Request, call_next: Handler) -> Outcome:
        length = request.incoming.cut_from_chars
        if length is None:
            return await call_next(request)
        reply = TOO_LONG.format(limit=max_chars, length=length)
        return Outcome(route="refused", replies=(Reply(text=reply),))

    return middleware


class RateLimit:
    """A token bucket per member: bursts are fine, floods get one gentle note and then silence."""

    def __init__(self, clock: Clock, per_minute: int, burst: int) -> None:
        self._clock = clock
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._buckets: dict[int, tuple[float, float, bool]] = {}

    def allow(self, member_id: int) -> tuple[bool, bool]:
        """(allowed, should_warn)."""
        now = self._clock.now().timestamp()
        tokens, last, warned = self._buckets.get(member_id, (self._burst, now, False))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if tokens >= 1.0:
            self._buckets[member_id] = (tokens - 1.0, now, False)
            return True, False
        self._buckets[member_id] = (tokens, now, True)
        return False, not warned

    async def __call__(self, request: Request, call_next: Handler) -> Outcome:
        if request.member is None or request.incoming.button:
            return await call_next(request)
        allowed, warn = self.allow(request.member.id)
        if allowed:
            return await call_next(request)
        return Outcome(route="refused", replies=(Reply(text=SLOW_DOWN),) if warn else ())

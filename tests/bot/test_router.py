"""The router: order within a chat, no chat waits for another, and each event handled once."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot import inbox
from bot.app import build_router
from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from bot.messages import Outcome, Reply
from bot.middlewares import SOMETHING_WENT_WRONG, Request, catch_errors, log_messages
from bot.outbox import Outbox
from bot.router import ChatLocks, Router
from storage.models import InboxEvent
from tests.support.home import MakeIncoming

WAIT_S = 5.0


@dataclass
class Recorder:
    """A handler that notes when each message starts and ends, and can hold one back."""

    held: dict[str, asyncio.Event] = field(default_factory=dict)
    started: defaultdict[str, asyncio.Event] = field(
        default_factory=lambda: defaultdict(asyncio.Event)
    )
    finished: defaultdict[str, asyncio.Event] = field(
        default_factory=lambda: defaultdict(asyncio.Event)
    )
    log: list[tuple[str, str]] = field(default_factory=list)

    async def __call__(self, request: Request) -> Outcome:
        text = request.incoming.text
        self.log.append(("start", text))
        self.started[text].set()
        if text in self.held:
            await self.held[text].wait()
        if text == "crash":
            raise RuntimeError("a bug in a handler")
        self.log.append(("end", text))
        self.finished[text].set()
        return Outcome(route="command", replies=(Reply(text=f"done: {text}"),))

    def hold(self, text: str) -> asyncio.Event:
        self.held[text] = asyncio.Event()
        return self.held[text]

    def starts(self) -> list[str]:
        return [text for what, text in self.log if what == "start"]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def router(app: AppContext, recorder: Recorder) -> Router:
    """A router with the real error and logging middlewares around the recorder."""
    return Router(
        app, Outbox(app.sessions, app.clock), [log_messages(app.metrics), catch_errors], recorder
    )


@pytest.fixture
def chats_router(app: AppContext) -> Router:
    """The router as `gepeto run` builds it, with every middleware and handler."""
    return build_router(app, Outbox(app.sessions, app.clock))


async def statuses(app: AppContext) -> list[str]:
    async with app.sessions() as session:
        rows = await session.exec(select(InboxEvent).order_by(col(InboxEvent.id)))
        return [row.status for row in rows]


async def test_messages_in_one_chat_are_handled_in_the_order_they_came(
    router: Router, recorder: Recorder, make_incoming: MakeIncoming
) -> None:
    texts = [f"message {number}" for number in range(10)]
    for text in texts:
        await router.receive(make_incoming(text))
    await router.drain()

    assert recorder.starts() == texts
    assert recorder.log == [(what, t) for t in texts for what in ("start", "end")]


async def test_a_slow_message_holds_its_chat_but_no_other_chat(
    router: Router, recorder: Recorder, make_incoming: MakeIncoming
) -> None:
    release = recorder.hold("kitchen 1")
    await router.receive(make_incoming("kitchen 1", chat_id="kitchen"))
    await router.receive(make_incoming("kitchen 2", chat_id="kitchen"))
    await router.receive(make_incoming("garage 1", chat_id="garage"))

    await asyncio.wait_for(recorder.started["kitchen 1"].wait(), WAIT_S)
    await asyncio.wait_for(recorder.finished["garage 1"].wait(), WAIT_S)

    assert "kitchen 2" not in recorder.starts()

    release.set()
    await router.drain()

    assert recorder.log.index(("end", "kitchen 1")) < recorder.log.index(("start", "kitchen 2"))


async def test_a_repeated_event_id_is_handled_once(
    app: AppContext, router: Router, recorder: Recorder, make_incoming: MakeIncoming
) -> None:
    message = make_incoming("we need milk")

    first = await router.receive(message)
    second = await router.receive(message)
    await router.drain()
    third = await router.handle_now(message)

    assert first is not None
    assert second is None
    assert third is None
    assert recorder.starts() == ["we need milk"]
    assert await statuses(app) == ["done"]


async def test_the_same_event_id_on_another_channel_is_another_event(
    router: Router, recorder: Recorder, make_incoming: MakeIncoming
) -> None:
    await router.handle_now(make_incoming("hello", event_id="42"))
    await router.handle_now(make_incoming("hello", event_id="42", channel="matrix"))

    assert recorder.starts() == ["hello", "hello"]


async def test_events_stored_but_never_handled_are_handled_at_the_next_start(
    app: AppContext, router: Router, recorder: Recorder, make_incoming: MakeIncoming
) -> None:
    for text in ("first", "second", "third"):
        await inbox.store(app.sessions, make_incoming(text))

    assert await router.resume() == 3
    assert await router.resume() == 0
    assert recorder.starts() == ["first", "second", "third"]
    assert await statuses(app) == ["done", "done", "done"]


async def test_a_failing_message_gets_a_kind_reply_and_a_logged_traceback(
    app: AppContext,
    router: Router,
    recorder: Recorder,
    make_incoming: MakeIncoming,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="gepeto.messages"):
        failed = await router.handle_now(make_incoming("crash"))
        after = await router.handle_now(make_incoming("still there?"))

    assert failed == Outcome(route="error", replies=(Reply(text=SOMETHING_WENT_WRONG),))
    assert "Traceback" not in SOMETHING_WENT_WRONG
    assert after is not None
    assert after.replies == (Reply(text="done: still there?"),)
    [error] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert error.getMessage() == "handling failed"
    assert error.exc_info is not None
    assert str(error.exc_info[1]) == "a bug in a handler"
    assert await statuses(app) == ["done", "done"]


async def test_one_log_line_per_message_says_where_who_and_which_route(
    app: AppContext,
    parent: Member,
    chats_router: Router,
    make_incoming: MakeIncoming,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="gepeto.messages"):
        await chats_router.handle_now(make_incoming("we need bread"))

    [line] = [r for r in caplog.records if r.getMessage() == "message handled"]
    assert line.__dict__["member"] == "Ana"
    assert line.__dict__["route"] == "fast"
    assert line.__dict__["actions"] == ["lists.add:done"]
    assert line.__dict__["chat"] == "1001"


async def test_chat_locks_are_forgotten_once_nobody_needs_them() -> None:
    locks = ChatLocks()
    inside = asyncio.Event()
    release = asyncio.Event()

    async def hold(key: tuple[str, str]) -> None:
        async with locks.hold(key):
            inside.set()
            await release.wait()

    first = asyncio.create_task(hold(("telegram", "1")))
    second = asyncio.create_task(hold(("telegram", "1")))
    await asyncio.wait_for(inside.wait(), WAIT_S)

    assert len(locks) == 1

    release.set()
    await asyncio.gather(first, second)

    assert len(locks) == 0


async def test_the_rate_limit_allows_a_burst_warns_once_then_stays_quiet(
    app: AppContext,
    clock: ManualClock,
    parent: Member,
    child: Member,
    chats_router: Router,
    make_incoming: MakeIncoming,
) -> None:
    burst = app.settings.safety.burst
    outcomes = [await chats_router.handle_now(make_incoming("/start")) for _ in range(burst + 3)]

    routes = [outcome.route if outcome else None for outcome in outcomes]
    assert routes == ["command"] * burst + ["refused"] * 3
    refused = [outcome for outcome in outcomes[burst:] if outcome]
    assert [len(outcome.replies) for outcome in refused] == [1, 0, 0]
    assert refused[0].replies[0].text.startswith("That's a lot of messages at once!")

    other = await chats_router.handle_now(make_incoming("/start", sender="1002"))
    assert other is not None
    assert other.route == "command"

    clock.advance(timedelta(seconds=60 / app.settings.safety.messages_per_minute))
    again = await chats_router.handle_now(make_incoming("/start"))
    assert again is not None
    assert again.route == "command"


async def test_button_presses_are_never_rate_limited(
    app: AppContext, parent: Member, chats_router: Router, make_incoming: MakeIncoming
) -> None:
    for _ in range(app.settings.safety.burst + 1):
        await chats_router.handle_now(make_incoming("/start"))

    pressed = await chats_router.handle_now(make_incoming(button="confirm:999:no"))

    assert pressed is not None
    assert pressed.route == "confirmation"

"""A failing channel is restarted with growing pauses while the others keep serving (issue 10)."""

from __future__ import annotations

import asyncio
import io

import pytest

from bot.app import serve
from bot.channels.console import ConsoleChannel
from bot.channels.supervisor import (
    FIRST_PAUSE_S,
    HEALTHY_AFTER_S,
    MAX_PAUSE_S,
    ChannelFatal,
    supervise,
)
from bot.context import AppContext
from bot.family import Member
from bot.messages import Reply
from bot.router import Router

NO_ROUTER = Router.__new__(Router)
"""What `supervise` hands the broken channel, which never reads it."""


class BrokenChannel:
    """A chat platform that fails on each start, then runs until told what to end with."""

    name = "broken"

    def __init__(self, failures: int, ending: BaseException | None = None) -> None:
        self.failures = failures
        self.ending = ending
        self.starts = 0
        self.may_end = asyncio.Event()
        self.may_end.set()

    async def run(self, router: Router) -> None:
        self.starts += 1
        if self.starts <= self.failures:
            raise RuntimeError(f"the platform broke (start {self.starts})")
        await self.may_end.wait()
        if self.ending is not None:
            raise self.ending

    async def send(self, chat_id: str, reply: Reply, key: str) -> None:
        raise AssertionError("nothing is sent to the broken channel")


class Waits:
    """Records the pauses instead of taking them; time moves by each pause."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self.now = 0.0

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


async def test_issue10_item10_a_failing_channel_restarts_with_capped_growing_pauses() -> None:
    channel = BrokenChannel(failures=12)
    waits = Waits()

    await supervise(channel, NO_ROUTER, sleep=waits.sleep, monotonic=waits.monotonic)

    assert channel.starts == 13
    assert waits.pauses[:4] == [FIRST_PAUSE_S, 2 * FIRST_PAUSE_S, 4 * FIRST_PAUSE_S, 8.0]
    assert max(waits.pauses) == MAX_PAUSE_S
    assert waits.pauses == sorted(waits.pauses)


async def test_issue10_item10_a_channel_that_ran_long_enough_starts_its_pauses_over() -> None:
    waits = Waits()

    class RecoveringChannel(BrokenChannel):
        async def run(self, router: Router) -> None:
            if self.starts == 3:
                waits.now += HEALTHY_AFTER_S  # served well for a long while, then broke again
            await super().run(router)

    channel = RecoveringChannel(failures=4)
    await supervise(channel, NO_ROUTER, sleep=waits.sleep, monotonic=waits.monotonic)

    assert waits.pauses == [FIRST_PAUSE_S, 2 * FIRST_PAUSE_S, 4 * FIRST_PAUSE_S, FIRST_PAUSE_S]


async def test_issue10_item10_channel_fatal_is_not_restarted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = BrokenChannel(failures=0, ending=ChannelFatal("the token was revoked"))
    waits = Waits()

    with pytest.raises(ChannelFatal):
        await supervise(channel, NO_ROUTER, sleep=waits.sleep, monotonic=waits.monotonic)

    assert channel.starts == 1
    assert waits.pauses == []
    assert "the broken channel cannot work: the token was revoked" in caplog.text


class Screen(io.StringIO):
    """The console's terminal; tells when a line with `expected` was printed."""

    def __init__(self, expected: str) -> None:
        super().__init__()
        self.expected = expected
        self.shown = asyncio.Event()

    def write(self, text: str) -> int:
        written = super().write(text)
        if self.expected in self.getvalue():
            self.shown.set()
        return written


async def test_issue10_item10_the_console_keeps_serving_while_another_channel_fails(
    app: AppContext, parent: Member
) -> None:
    screen = Screen("Added milk to Shopping.")
    lines = iter(["add milk to the shopping list\n"])
    console = ConsoleChannel(app.clock, parent.name, screen, lambda: next(lines, None))
    broken = BrokenChannel(failures=1, ending=ChannelFatal("the token was revoked"))
    broken.may_end = screen.shown  # it gives up only after the console has answered

    with pytest.raises(ChannelFatal, match="the token was revoked"):
        await asyncio.wait_for(serve(app, [broken, console]), timeout=30)

    assert broken.starts == 2  # failed, restarted, then fatal
    assert "gepeto> Added milk to Shopping." in screen.getvalue()
    shopping = app.settings.vault.path / "Lists" / "Shopping.md"
    assert "- [ ] milk" in shopping.read_text(encoding="utf-8")

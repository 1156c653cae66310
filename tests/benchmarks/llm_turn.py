"""Prints the LLM turn's figures against the fake Ollama: added latency, queueing, outage.

Run: `python tests/benchmarks/llm_turn.py`. A real app (temp dir, real router and outbox) talks to
the fake Ollama answering with a 300 ms time to first token at 40 tokens/s, 4 requests at a time
(the bot's endpoint also allows 4). Nothing here asserts: it reports figures and their targets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import re
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.app import open_app  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.context import AppContext  # noqa: E402
from bot.messages import Incoming, Outcome  # noqa: E402
from bot.streaming import ReplyStream  # noqa: E402
from tests.fakes.ollama import FakeOllama, ScriptedReply  # noqa: E402
from tests.support.home import FamilyChats  # noqa: E402
from tests.support.llm_household import write_llm_bot_toml  # noqa: E402

TTFT_S = 0.3
TOKENS_PER_S = 40.0
PARALLEL = 4
CHATS = 50
SINGLE_RUNS = 20
COMMANDS = 20
ANSWER = (
    "Here is a small idea for this evening: bake a loaf of bread together, then read "
    "the dragon story by the window while it cools."
)
TOKENS = len(re.findall(r"\s*\S{1,5}|\s+", ANSWER))  # as the fake splits it
NO_LIMITS = "[safety]\nmessages_per_minute = 100000\nburst = 100000\n"
PARENT = "1001"


@dataclass
class FirstWords:
    """A chat's draft message that notes when the first words arrived."""

    at: float | None = None

    async def update(self, text: str) -> None:
        if self.at is None:
            self.at = time.perf_counter()

    async def close(self) -> None:
        return None


@dataclass
class Household:
    """A real app with its router, outbox loop and members; `ask` times one message."""

    app: AppContext
    chats: FamilyChats
    streams: dict[str, FirstWords] = field(default_factory=dict)
    sent: int = 0

    def open_stream(self, incoming: Incoming) -> ReplyStream | None:
        return self.streams.setdefault(incoming.event_id, FirstWords())

    def message(self, sender: str, text: str) -> Incoming:
        self.sent += 1
        return Incoming(
            channel="telegram",
            chat_id=sender,
            sender=sender,
            event_id=f"bench-{self.sent}",
            received_at=datetime.now(UTC),
            text=text,
        )

    async def ask(self, sender: str, text: str) -> tuple[Outcome, float, float | None]:
        """(outcome, seconds until it was handled, seconds until the first streamed words)."""
        incoming = self.message(sender, text)
        started = time.perf_counter()
        outcome = await self.chats.router.handle_now(incoming)
        finished = time.perf_counter()
        if outcome is None:
            raise RuntimeError(f"{incoming.event_id} was handled before")
        first = self.streams.get(incoming.event_id, FirstWords()).at
        return outcome, finished - started, None if first is None else first - started


@contextlib.asynccontextmanager
async def household(url: str, chatters: int) -> AsyncIterator[Household]:
    with tempfile.TemporaryDirectory(prefix="gepeto-bench-") as folder:
        bot_toml = write_llm_bot_toml(Path(folder), [url], max_parallel=PARALLEL, extra=NO_LIMITS)
        async with open_app(load_config(bot_toml, environ={})) as app:
            await app.family.add("Ana", "parent")
            await app.family.link("Ana", f"telegram:{PARENT}")
            for number in range(chatters):
                await app.family.add(f"Cousin{number:02}", "adult")
                await app.family.link(f"Cousin{number:02}", f"telegram:{3000 + number}")
            home = Household(app, FamilyChats.open(app))
            home.chats.router.stream_openers["telegram"] = home.open_stream
            delivering = asyncio.create_task(home.chats.outbox.run())
            try:
                yield home
            finally:
                delivering.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await delivering


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def spread(values: Sequence[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)]
    return f"median {ms(statistics.median(ordered))}, p90 {ms(p90)}, max {ms(ordered[-1])}"


async def single_replies(home: Household) -> float:
    """(a) the bot's own latency to the first streamed words; returns one reply's time."""
    _cold, _total, cold_first = await home.ask("3000", "tell me something nice")
    added, totals, routes = [], [], set()
    for run in range(SINGLE_RUNS):
        outcome, total, first = await home.ask(f"{3000 + run % CHATS}", "any idea for tonight?")
        routes.add(outcome.route)
        if first is not None:
            added.append(first - TTFT_S)
        totals.append(total)
    single = statistics.median(totals)
    print("(a) added latency to the first streamed words (target ≤ 50 ms)")
    print(f"    first request (model list, capabilities): {ms((cold_first or 0) - TTFT_S)}")
    print(f"    warm, {len(added)} streamed of {SINGLE_RUNS} one after another: {spread(added)}")
    print(f"    routes {sorted(routes)}")
    print(
        f"    one whole reply: {ms(single)} (the fake alone: {ms(TTFT_S + TOKENS / TOKENS_PER_S)})"
    )
    return single


async def list_commands(home: Household) -> list[float]:
    """How long `/list` takes, one command after another."""
    timings = []
    for _ in range(COMMANDS):
        outcome, total, _first = await home.ask(PARENT, "/list")
        if outcome.route == "command":
            timings.append(total)
    return timings


async def lists_while_busy(home: Household) -> tuple[list[float], int]:
    """(c) /list timings once the LLM queue is full."""
    llm = home.app.llm
    if llm is None:
        raise RuntimeError("the language model is off in this household")
    async with asyncio.timeout(30):
        while (queued := (await llm.status())[0].queue) < CHATS // 2:
            pass  # each look is a round trip to the fake's /api/ps
    return await list_commands(home), queued


async def many_at_once(home: Household, fake: FakeOllama, single: float) -> None:
    """(b) fifty chats asking at the same moment, and (c) a command meanwhile."""
    await list_commands(home)  # warm-up: the first commands open the list file and caches
    idle = await list_commands(home)
    fake.peak_running = 0
    started = time.perf_counter()
    asking = [
        asyncio.create_task(home.ask(f"{3000 + n}", "what should we cook this weekend?"))
        for n in range(CHATS)
    ]
    listing = asyncio.create_task(lists_while_busy(home))
    results = await asyncio.gather(*asking)
    total = time.perf_counter() - started
    list_timings, queued = await listing
    routes = sorted({outcome.route for outcome, _, _ in results})
    bound = math.ceil(CHATS / PARALLEL) * single
    print(f"(b) {CHATS} chats at once, {PARALLEL} at a time (target within 10 % of the bound)")
    print(
        f"    all answered in {total:6.2f} s; bound ceil({CHATS}/{PARALLEL}) × one reply = "
        f"{bound:6.2f} s → {100 * (total / bound - 1):+5.1f} %"
    )
    print(f"    routes {routes}; peak parallel at the fake {fake.peak_running}")
    print(f"(c) /list while {queued} LLM requests wait (target ≤ 50 ms)")
    print(f"    {len(list_timings)} commands: {spread(list_timings)}")
    print(f"    the same with nothing else going on: {spread(idle)}")


async def outage(port: int) -> None:
    """(d) the outage sentence when nothing listens at the endpoint."""
    async with household(f"http://127.0.0.1:{port}", 1) as home:
        timings, texts = [], set()
        for _ in range(5):
            outcome, total, _first = await home.ask(PARENT, "tell me a bedtime story")
            timings.append(total)
            texts.add((outcome.route, outcome.text))
    print("(d) Ollama unreachable: time to the outage sentence (target < 1 s)")
    print(f"    first {ms(timings[0])}; then {', '.join(ms(t).strip() for t in timings[1:])}")
    for route, text in sorted(texts):
        print(f"    route {route}: {text}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the outage warnings are expected here
    reply = ScriptedReply(content=ANSWER)
    async with FakeOllama(
        time_to_first_token=TTFT_S,
        tokens_per_second=TOKENS_PER_S,
        max_parallel=PARALLEL,
        default_reply=reply,
    ) as fake:
        print(
            f"fake Ollama: TTFT {TTFT_S * 1000:.0f} ms, {TOKENS_PER_S:.0f} tokens/s, "
            f"{PARALLEL} at a time; answers are {TOKENS} tokens"
        )
        load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
        print(f"machine: {os.cpu_count()} cores, load average {load}\n")
        async with household(fake.url, CHATS) as home:
            single = await single_replies(home)
            await many_at_once(home, fake, single)
    await outage(free_port())


if __name__ == "__main__":
    asyncio.run(main())

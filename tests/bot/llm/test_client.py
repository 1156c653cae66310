"""The LLM client against the fake Ollama: failover, breaker, fair queues, status, fallbacks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import open_app
from bot.clock import ManualClock
from bot.config import LLMSettings, ModelRoles, OllamaEndpoint, load_config
from bot.context import AppContext
from bot.llm.client import BREAKER_COOLDOWN_S, LLMClient
from tests.fakes.ollama import DEFAULT_MODELS, FakeOllama, ScriptedReply
from tests.support.home import PARENT_ID, FamilyChats, MakeIncoming
from tests.support.llm_household import MODEL, write_llm_bot_toml

LLAMA_SIZE = next(model.size for model in DEFAULT_MODELS if model.name == MODEL)
NO_TOOLS_MODEL = "gemma3:1b"  # the fake's gemma3:1b has no "tools" capability
RAW_CALL_MARKS = ("<tool_call>", '"arguments"', "lists.add")


def llm_settings(*urls: str, max_parallel: int = 2, chat: str = MODEL) -> LLMSettings:
    endpoints = [
        OllamaEndpoint(name=f"gpu{number}", url=url, max_parallel=max_parallel)
        for number, url in enumerate(urls, start=1)
    ]
    return LLMSettings(endpoints=endpoints, models=ModelRoles(fast=MODEL, chat=chat))


def echo(release: asyncio.Event | None = None) -> Any:
    """A responder that answers each request with its own last message (after `release`)."""

    def respond(body: dict[str, Any]) -> ScriptedReply:
        return ScriptedReply(content=f"re: {body['messages'][-1]['content']}", hold=release)

    return respond


async def ask(client: LLMClient, text: str = "hello", role: Any = "fast") -> str:
    messages = [{"role": "user", "content": text}]
    return "".join([chunk.content async for chunk in client.chat(role, messages)])


async def until_queued(client: LLMClient, depth: int, endpoint: int = 0) -> None:
    """Waits (bounded) until `depth` requests wait for a slot, as status() reports it."""
    async with asyncio.timeout(5):
        while (await client.status())[endpoint].queue < depth:
            pass


def failures_logged(caplog: pytest.LogCaptureFixture, endpoint: str) -> int:
    return sum(
        record.getMessage().startswith(f"ollama {endpoint} failed") for record in caplog.records
    )


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama(default_reply=ScriptedReply(content="Hello there.")) as fake:
        yield fake


@pytest.fixture
def dead_url(unused_tcp_port: int) -> str:
    """A loopback port nobody listens on."""
    return f"http://127.0.0.1:{unused_tcp_port}"


async def test_a_dead_endpoint_fails_over_to_the_live_one(
    ollama: FakeOllama, dead_url: str, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    client = LLMClient(llm_settings(dead_url, ollama.url), clock)
    try:
        assert await ask(client) == "Hello there."
    finally:
        await client.aclose()
    assert failures_logged(caplog, "gpu1") == 1
    assert len(ollama.chat_requests) == 1


async def test_the_breaker_skips_a_dead_endpoint_until_its_cooldown_is_over(
    ollama: FakeOllama, dead_url: str, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    client = LLMClient(llm_settings(dead_url, ollama.url), clock)
    try:
        tried = []
        for _ in range(4):
            assert await ask(client) == "Hello there."
            tried.append(failures_logged(caplog, "gpu1"))
        assert tried == [1, 2, 2, 2]

        clock.advance(timedelta(seconds=BREAKER_COOLDOWN_S - 1))
        assert await ask(client) == "Hello there."
        assert failures_logged(caplog, "gpu1") == 2

        clock.advance(timedelta(seconds=2))
        assert await ask(client) == "Hello there."
        assert failures_logged(caplog, "gpu1") == 3
    finally:
        await client.aclose()
    assert len(ollama.chat_requests) == 6


async def test_requests_beyond_max_parallel_wait_their_turn_first_come_first_served(
    ollama: FakeOllama, clock: ManualClock
) -> None:
    release = asyncio.Event()
    ollama.respond_with(echo(release))
    client = LLMClient(llm_settings(ollama.url, max_parallel=1), clock)
    try:
        tasks = [asyncio.create_task(ask(client, "request 1"))]
        await ollama.wait_until(lambda: ollama.running[MODEL] == 1)
        for number in range(2, 6):
            tasks.append(asyncio.create_task(ask(client, f"request {number}")))
            await until_queued(client, number - 1)
        assert len(ollama.chat_requests) == 1
        release.set()
        answers = await asyncio.gather(*tasks)
    finally:
        await client.aclose()
    asked = [f"request {number}" for number in range(1, 6)]
    assert answers == [f"re: {text}" for text in asked]
    assert [r.body["messages"][-1]["content"] for r in ollama.chat_requests] == asked
    assert ollama.peak_running == 1


async def test_an_endpoint_never_answers_more_than_max_parallel_at_once(
    ollama: FakeOllama, clock: ManualClock
) -> None:
    release = asyncio.Event()
    ollama.respond_with(echo(release))
    client = LLMClient(llm_settings(ollama.url, max_parallel=2), clock)
    try:
        tasks = [asyncio.create_task(ask(client, f"request {n}")) for n in range(6)]
        await ollama.wait_until(lambda: ollama.running[MODEL] == 2)
        await until_queued(client, 4)
        [busy] = await client.status()
        assert (busy.active, busy.queue) == (2, 4)
        release.set()
        answers = await asyncio.gather(*tasks)
        [idle] = await client.status()
    finally:
        await client.aclose()
    assert answers == [f"re: request {n}" for n in range(6)]
    assert ollama.peak_running == 2
    assert (idle.active, idle.queue) == (0, 0)


async def test_status_shows_loaded_models_and_an_unreachable_endpoint_plainly(
    ollama: FakeOllama, dead_url: str, clock: ManualClock
) -> None:
    client = LLMClient(llm_settings(dead_url, ollama.url), clock)
    try:
        before = await client.status()
        await ask(client)
        dead, live = await client.status()
    finally:
        await client.aclose()
    assert before[1].loaded == ()
    assert (live.name, live.url, live.reachable) == ("gpu2", ollama.url, True)
    assert live.loaded == ((MODEL, LLAMA_SIZE),)
    assert (dead.name, dead.url, dead.reachable, dead.loaded) == ("gpu1", dead_url, False, ())
    assert dead.error


async def test_a_missing_model_falls_back_to_another_roles_model_and_says_so_once(
    ollama: FakeOllama, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    client = LLMClient(llm_settings(ollama.url, chat="qwen9:70b"), clock)
    try:
        answers = [await ask(client, role="chat") for _ in range(3)]
    finally:
        await client.aclose()
    assert answers == ["Hello there."] * 3
    assert [request.model for request in ollama.chat_requests] == [MODEL] * 3
    warnings = [r for r in caplog.records if "qwen9:70b" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert MODEL in warnings[0].getMessage()


async def test_supports_tools_reads_the_models_capabilities(
    ollama: FakeOllama, clock: ManualClock
) -> None:
    client = LLMClient(
        LLMSettings(
            endpoints=[OllamaEndpoint(url=ollama.url)],
            models=ModelRoles(fast=NO_TOOLS_MODEL, chat=MODEL),
        ),
        clock,
    )
    try:
        assert await client.supports_tools("fast") is False
        assert await client.supports_tools("chat") is True
    finally:
        await client.aclose()


# ------------------------------------------------------------------ through a whole turn


@contextlib.asynccontextmanager
async def household(
    tmp_path: Path, clock: ManualClock, *urls: str, fast: str = MODEL
) -> AsyncIterator[AppContext]:
    config = load_config(write_llm_bot_toml(tmp_path, urls, fast=fast), environ={})
    async with open_app(config, clock=clock) as app:
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", f"telegram:{PARENT_ID}")
        yield app


class RecordingStream:
    """A chat that shows every streamed update, as a channel's draft message would."""

    def __init__(self) -> None:
        self.updates: list[str] = []

    async def update(self, text: str) -> None:
        self.updates.append(text)

    async def close(self) -> None:
        return None


def streamed_into(chats: FamilyChats) -> RecordingStream:
    stream = RecordingStream()

    chats.router.stream_openers["telegram"] = lambda incoming: stream
    return stream


async def test_a_model_without_native_tools_answers_in_json_and_its_call_runs(
    tmp_path: Path, ollama: FakeOllama, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    call = {"name": "lists.add", "arguments": {"items": ["flour"], "list_name": "shopping"}}
    ollama.script(
        NO_TOOLS_MODEL,
        ScriptedReply(content=json.dumps({"say": "", "tool": call})),
        ScriptedReply(content=json.dumps({"say": "Flour is on the shopping list.", "tool": None})),
    )
    async with household(tmp_path, clock, ollama.url, fast=NO_TOOLS_MODEL) as app:
        chats = FamilyChats.open(app)
        outcome = await chats.send(make_incoming("could you make sure we don't run out of flour"))
        shopping = (app.settings.vault.path / "Lists" / "Shopping.md").read_text()
    assert outcome.route == "llm"
    assert [(a.tool, a.status) for a in outcome.actions] == [("lists.add", "done")]
    assert "- [ ] flour" in shopping
    assert chats.texts() == ["Flour is on the shopping list."]
    first = ollama.chat_requests[0].body
    assert "tools" not in first or not first["tools"]
    assert first["format"]["type"] == "object"
    assert (
        "lists.add"
        in first["format"]["properties"]["tool"]["anyOf"][1]["properties"]["name"]["enum"]
    )


async def test_an_error_line_mid_stream_gives_the_clear_sentence_and_nothing_half_parsed(
    tmp_path: Path, ollama: FakeOllama, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    ollama.script(
        MODEL,
        ScriptedReply(
            pieces=['<tool_call>{"name": "lists.add", ', '"arguments": {"items": ["beer"]}}'],
            stream_error="llama runner process has terminated: signal: killed",
            error_after=1,
        ),
    )
    async with household(tmp_path, clock, ollama.url) as app:
        chats = FamilyChats.open(app)
        stream = streamed_into(chats)
        outcome = await chats.send(make_incoming("could we get some beer for the weekend"))
        assert app.llm is not None
        assert chats.texts() == [app.llm.describe_outage()]
        assert not (app.settings.vault.path / "Lists" / "Shopping.md").exists()
    assert outcome.route == "error"
    assert outcome.actions == ()
    assert "still work" in outcome.text
    assert "signal: killed" not in outcome.text
    shown = " ".join([*stream.updates, *chats.texts()])
    assert not any(mark in shown for mark in RAW_CALL_MARKS), shown


async def test_an_error_line_before_any_words_fails_over_to_the_other_endpoint(
    tmp_path: Path, ollama: FakeOllama, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    async with FakeOllama() as broken:
        broken.default_reply = ScriptedReply(
            content="never shown",
            stream_error="model runner has unexpectedly stopped",
            error_after=0,
        )
        ollama.script(MODEL, ScriptedReply(content="Pancakes, of course."))
        async with household(tmp_path, clock, broken.url, ollama.url) as app:
            chats = FamilyChats.open(app)
            outcome = await chats.send(make_incoming("what should we cook on sunday morning"))
    assert outcome.route == "llm"
    assert chats.texts() == ["Pancakes, of course."]
    assert len(broken.chat_requests) == 1

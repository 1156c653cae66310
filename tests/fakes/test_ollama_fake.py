"""The fake Ollama server answers the real `ollama.AsyncClient` the way a real server does."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import ollama
import pytest

from bot.llm.toolcalls import ParsedCall, VisibleTextFilter, parse_tool_calls
from tests.fakes.ollama import FakeModel, FakeOllama, QueueEvent, ScriptedReply, embedding_of

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "llm"
SAMPLES = SAMPLES / "toolcall-samples.jsonl"
ADD_TO_LIST = {
    "type": "function",
    "function": {
        "name": "lists.add",
        "description": "Add an item to a family list",
        "parameters": {
            "type": "object",
            "properties": {"item": {"type": "string"}, "list": {"type": "string"}},
            "required": ["item"],
        },
    },
}
ASK = [{"role": "user", "content": "Put milk on the shopping list"}]


@pytest.fixture
async def fake() -> AsyncIterator[FakeOllama]:
    async with FakeOllama() as server:
        yield server


@pytest.fixture
async def client(fake: FakeOllama) -> AsyncIterator[ollama.AsyncClient]:
    async with ollama.AsyncClient(host=fake.url) as client:
        yield client


async def collect(parts: AsyncIterator[ollama.ChatResponse]) -> list[ollama.ChatResponse]:
    return [part async for part in parts]


# ---------------------------------------------------------------- small endpoints


async def test_root_and_version_answer_like_ollama(fake: FakeOllama) -> None:
    assert fake.url.startswith("http://127.0.0.1:")
    async with httpx.AsyncClient(base_url=fake.url) as http:
        root = await http.get("/")
        version = await http.get("/api/version")
        head = await http.head("/api/tags")
    assert root.text == "Ollama is running"
    assert version.json() == {"version": "0.12.6"}
    assert head.status_code == 200


async def test_list_show_and_ps(fake: FakeOllama, client: ollama.AsyncClient) -> None:
    listed = await client.list()
    assert [model.model for model in listed.models] == [
        "qwen3:8b",
        "llama3.2:3b",
        "gemma3:1b",
        "all-minilm:latest",
    ]
    assert listed.models[0].details is not None
    assert listed.models[0].details.family == "qwen3"

    shown = await client.show("qwen3:8b")
    assert shown.capabilities == ["completion", "tools", "thinking"]
    assert shown.modelinfo is not None
    assert shown.modelinfo["qwen3.context_length"] == 40960
    assert (await client.show("gemma3:1b")).capabilities == ["completion"]

    assert (await client.ps()).models == []
    fake.script("llama3.2:3b", ScriptedReply(content="Hi!"))
    await client.chat("llama3.2:3b", messages=ASK)
    running = await client.ps()
    assert [model.name for model in running.models] == ["llama3.2:3b"]
    assert running.models[0].context_length == 32768


async def test_empty_chat_loads_and_keep_alive_zero_unloads(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    loaded = await client.chat("qwen3:8b", messages=[])
    assert (loaded.done, loaded.done_reason) == (True, "load")
    assert [model.name for model in (await client.ps()).models] == ["qwen3:8b"]
    unloaded = await client.chat("qwen3:8b", messages=[], keep_alive=0)
    assert unloaded.done_reason == "unload"
    assert (await client.ps()).models == []


# ---------------------------------------------------------------- chat


async def test_chat_without_streaming_returns_the_whole_reply(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.script("llama3.2:3b", ScriptedReply(content="Pasta tonight, with a big salad."))
    reply = await client.chat("llama3.2:3b", messages=ASK, options={"temperature": 0})
    assert reply.message.content == "Pasta tonight, with a big salad."
    assert (reply.done, reply.done_reason) == (True, "stop")
    assert (reply.eval_count or 0) > 1
    assert (reply.total_duration or 0) > 0
    assert fake.chat_requests[0].body["options"] == {"temperature": 0}
    assert fake.chat_requests[0].body["messages"] == ASK


async def test_chat_streams_token_sized_pieces_then_a_final_chunk(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.script("llama3.2:3b", ScriptedReply(content="The bins go out on Tuesday evening."))
    parts = await collect(await client.chat("llama3.2:3b", messages=ASK, stream=True))
    assert len(parts) > 5
    assert "".join(part.message.content or "" for part in parts) == (
        "The bins go out on Tuesday evening."
    )
    assert [part.done for part in parts] == [False] * (len(parts) - 1) + [True]
    assert parts[-1].done_reason == "stop"
    assert parts[-1].eval_duration is not None
    assert parts[0].eval_duration is None  # metrics only on the last chunk


async def test_streamed_tool_calls_arrive_whole_after_thinking_and_text(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.script(
        "qwen3:8b",
        ScriptedReply(
            thinking="They want milk on the list.",
            content="Adding it.",
            tool_calls=[
                {"name": "lists.add", "arguments": {"item": "milk", "list": "shopping"}},
                {"function": {"name": "lists.add", "arguments": {"item": "bread"}}},
            ],
        ),
    )
    parts = await collect(
        await client.chat("qwen3:8b", messages=ASK, tools=[ADD_TO_LIST], stream=True)
    )
    kinds = [
        "thinking" if part.message.thinking else "calls" if part.message.tool_calls else "text"
        for part in parts[:-1]
    ]
    assert kinds == sorted(kinds, key=["thinking", "text", "calls"].index)
    assert "".join(part.message.thinking or "" for part in parts) == "They want milk on the list."
    calls = [call for part in parts for call in part.message.tool_calls or []]
    assert [(call.function.name, dict(call.function.arguments)) for call in calls] == [
        ("lists.add", {"item": "milk", "list": "shopping"}),
        ("lists.add", {"item": "bread"}),
    ]
    assert not parts[-1].message.tool_calls
    assert fake.chat_requests[0].body["tools"][0]["function"]["name"] == "lists.add"


async def test_non_streamed_reply_merges_text_thinking_and_calls(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.script(
        "qwen3:8b",
        ScriptedReply(
            thinking="Two items.",
            content="Done.",
            tool_calls=[
                {"name": "lists.add", "arguments": {"item": "milk"}},
                {"name": "lists.add", "arguments": {"item": "eggs"}},
            ],
        ),
    )
    reply = await client.chat("qwen3:8b", messages=ASK, tools=[ADD_TO_LIST])
    assert reply.message.content == "Done."
    assert reply.message.thinking == "Two items."
    assert [dict(call.function.arguments) for call in reply.message.tool_calls or []] == [
        {"item": "milk"},
        {"item": "eggs"},
    ]


async def test_thinking_follows_the_think_flag_and_the_model(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.script("qwen3:8b", *[ScriptedReply(content="Yes.", thinking="Hmm.")] * 2)
    assert (await client.chat("qwen3:8b", messages=ASK)).message.thinking == "Hmm."
    assert (await client.chat("qwen3:8b", messages=ASK, think=False)).message.thinking is None
    with pytest.raises(ollama.ResponseError) as refused:
        await client.chat("llama3.2:3b", messages=ASK, think=True)
    assert (refused.value.status_code, refused.value.error) == (
        400,
        '"llama3.2:3b" does not support thinking',
    )


async def test_responder_sees_each_request(fake: FakeOllama, client: ollama.AsyncClient) -> None:
    def echo(body: dict[str, Any]) -> ScriptedReply:
        return ScriptedReply(content=f"You said: {body['messages'][-1]['content']}")

    async def shout(body: dict[str, Any]) -> ScriptedReply:
        return ScriptedReply(content=body["messages"][-1]["content"].upper())

    fake.respond_with(echo)
    fake.respond_with(shout, model="gemma3:1b")
    said = await client.chat("llama3.2:3b", messages=[{"role": "user", "content": "hi"}])
    shouted = await client.chat("gemma3:1b", messages=[{"role": "user", "content": "hi"}])
    assert (said.message.content, shouted.message.content) == ("You said: hi", "HI")


async def test_scripted_queue_is_used_before_the_responder(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.script("llama3.2:3b", ScriptedReply(content="first"))
    fake.respond_with(lambda body: ScriptedReply(content="later"))
    answers = [(await client.chat("llama3.2:3b", messages=ASK)).message.content for _ in range(3)]
    assert answers == ["first", "later", "later"]


async def test_num_predict_cuts_the_reply_with_done_reason_length(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.script("llama3.2:3b", ScriptedReply(content="one two three four five six"))
    reply = await client.chat("llama3.2:3b", messages=ASK, options={"num_predict": 3})
    assert (reply.message.content, reply.done_reason) == ("one two three", "length")


async def test_generate_streams_response_pieces(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.script("llama3.2:3b", ScriptedReply(content="Once upon a time"))
    parts = [part async for part in await client.generate("llama3.2:3b", "A story", stream=True)]
    assert "".join(part.response or "" for part in parts) == "Once upon a time"
    assert (parts[-1].done, parts[-1].context) == (True, [1, 2, 3])
    fake.script("llama3.2:3b", ScriptedReply(content="The end."))
    assert (await client.generate("llama3.2:3b", "More")).response == "The end."
    assert (await client.generate("llama3.2:3b")).done_reason == "load"


# ---------------------------------------------------------------- errors


async def test_unknown_model_is_a_404_in_either_wording(client: ollama.AsyncClient) -> None:
    with pytest.raises(ollama.ResponseError) as missing:
        await client.chat("qwen9:7b", messages=ASK)
    assert missing.value.status_code == 404
    assert missing.value.error == 'model "qwen9:7b" not found, try pulling it first'
    with pytest.raises(ollama.ResponseError) as not_shown:
        await client.show("qwen9:7b")
    assert (not_shown.value.status_code, not_shown.value.error) == (
        404,
        "model 'qwen9:7b' not found",
    )
    async with FakeOllama(not_found="plain") as newer, ollama.AsyncClient(newer.url) as other:
        with pytest.raises(ollama.ResponseError, match="model 'qwen9:7b' not found"):
            await other.chat("qwen9:7b", messages=ASK)


async def test_tools_for_a_model_without_the_capability_are_refused(
    client: ollama.AsyncClient,
) -> None:
    with pytest.raises(ollama.ResponseError) as refused:
        await client.chat("gemma3:1b", messages=ASK, tools=[ADD_TO_LIST])
    assert refused.value.status_code == 400
    assert refused.value.error == "registry.ollama.ai/library/gemma3:1b does not support tools"
    with pytest.raises(ollama.ResponseError, match="does not support chat"):
        await client.chat("all-minilm", messages=ASK)


async def test_mid_stream_error_surfaces_after_the_first_pieces(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.script(
        "llama3.2:3b",
        ScriptedReply(
            content="I will now explain everything",
            stream_error="llama runner process has terminated: signal: killed",
            error_after=2,
        ),
    )
    received: list[str] = []

    async def read_all() -> None:
        async for part in await client.chat("llama3.2:3b", messages=ASK, stream=True):
            received.append(part.message.content or "")

    with pytest.raises(ollama.ResponseError) as broken:
        await read_all()
    assert received == ["I", " will"]
    assert broken.value.error == "llama runner process has terminated: signal: killed"


async def test_scripted_http_errors_and_empty_replies(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    parse_error = "error parsing tool call: raw='ls -R\\n', err=invalid character 'l'"
    fake.script(
        "llama3.2:3b",
        ScriptedReply(error=parse_error, status=500),
        ScriptedReply(stream_error="boom"),
        ScriptedReply(),
    )
    with pytest.raises(ollama.ResponseError) as failed:
        await client.chat("llama3.2:3b", messages=ASK, tools=[ADD_TO_LIST])
    assert (failed.value.status_code, failed.value.error) == (500, parse_error)
    with pytest.raises(ollama.ResponseError, match="boom"):
        await client.chat("llama3.2:3b", messages=ASK)  # not streamed: a 500 with the error
    empty = await client.chat("llama3.2:3b", messages=ASK)
    assert (empty.message.content, empty.message.tool_calls) == ("", None)


async def test_nothing_scripted_is_a_loud_500(client: ollama.AsyncClient) -> None:
    with pytest.raises(ollama.ResponseError, match="nothing scripted"):
        await client.chat("llama3.2:3b", messages=ASK)


async def test_malformed_requests_are_400s(fake: FakeOllama) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as http:
        empty = await http.post("/api/chat", content=b"")
        no_model = await http.post("/api/chat", json={"messages": ASK})
        bad_think = await http.post(
            "/api/chat", json={"model": "qwen3:8b", "messages": ASK, "think": "lots"}
        )
        bad_format = await http.post(
            "/api/chat", json={"model": "qwen3:8b", "messages": ASK, "format": "yaml"}
        )
        not_json = await http.post("/api/chat", content=b"{nope")
    assert (empty.status_code, empty.json()) == (400, {"error": "missing request body"})
    assert (no_model.status_code, no_model.json()) == (400, {"error": "model is required"})
    assert bad_think.json()["error"].startswith('invalid think value: "lots"')
    assert bad_format.json()["error"].startswith('invalid format: "yaml"')
    assert not_json.status_code == 400
    assert [request.path for request in fake.requests] == ["/api/chat"] * 5


# ---------------------------------------------------------------- embeddings


async def test_embeddings_are_deterministic_unit_vectors(client: ollama.AsyncClient) -> None:
    first = await client.embed("all-minilm", input=["oat milk", "dentist on Friday"])
    again = await client.embed("all-minilm", input="oat milk")
    assert len(first.embeddings) == 2
    assert [len(vector) for vector in first.embeddings] == [384, 384]
    assert list(again.embeddings[0]) == list(first.embeddings[0])
    assert list(first.embeddings[0]) != list(first.embeddings[1])
    assert math.isclose(sum(value * value for value in first.embeddings[1]), 1.0)
    assert list(first.embeddings[1]) == embedding_of("dentist on Friday", 384)
    smaller = await client.embed("all-minilm", input="oat milk", dimensions=64)
    assert len(smaller.embeddings[0]) == 64
    assert (await client.embed("all-minilm", input=[])).embeddings == []


async def test_embedding_size_is_the_model_s(client: ollama.AsyncClient) -> None:
    models = [FakeModel("nomic-embed-text", ("embedding",), "nomic-bert", embedding_length=768)]
    async with FakeOllama(models) as other, ollama.AsyncClient(other.url) as client_two:
        vectors = await client_two.embed("nomic-embed-text", input="chores")
        legacy = await client_two.embeddings("nomic-embed-text", prompt="chores")
    assert len(vectors.embeddings[0]) == 768
    assert list(legacy.embedding) == list(vectors.embeddings[0])


# ---------------------------------------------------------------- latency and parallelism


async def test_a_slow_first_token_holds_the_stream_while_others_are_answered(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    fake.script("qwen3:8b", ScriptedReply(content="slow answer", time_to_first_token=600))
    fake.script("llama3.2:3b", ScriptedReply(content="quick answer"))
    slow_stream = await client.chat("qwen3:8b", messages=ASK, think=False, stream=True)

    async def first_piece() -> ollama.ChatResponse:
        return await anext(slow_stream)

    first_slow_piece = asyncio.create_task(first_piece())
    await fake.wait_until(lambda: QueueEvent("started", 1, "qwen3:8b") in fake.events)
    quick = await client.chat("llama3.2:3b", messages=ASK)
    assert quick.message.content == "quick answer"
    assert not first_slow_piece.done()
    first_slow_piece.cancel()
    await fake.wait_until(lambda: QueueEvent("finished", 1, "qwen3:8b") in fake.events)
    assert [event.request for event in fake.events if event.kind == "finished"] == [2, 1]
    assert fake.running["qwen3:8b"] == 0


async def test_token_rate_streams_every_piece_in_order() -> None:
    async with (
        FakeOllama(time_to_first_token=0.05, tokens_per_second=500) as fake,
        ollama.AsyncClient(fake.url) as client,
    ):
        fake.script("llama3.2:3b", ScriptedReply(content="Milk, eggs and bread are on the list."))
        parts = await collect(await client.chat("llama3.2:3b", messages=ASK, stream=True))
    text = [part.message.content for part in parts[:-1]]
    assert "".join(t or "" for t in text) == "Milk, eggs and bread are on the list."
    assert parts[-1].prompt_eval_duration == 50_000_000
    assert parts[-1].eval_duration == len(text) * 2_000_000


async def test_requests_beyond_the_parallel_limit_wait_their_turn() -> None:
    release = asyncio.Event()
    async with (
        FakeOllama(max_parallel=2) as fake,
        ollama.AsyncClient(fake.url) as client,
    ):
        fake.respond_with(
            lambda body: ScriptedReply(content=body["messages"][0]["content"], hold=release)
        )
        asks = [
            asyncio.create_task(
                client.chat("llama3.2:3b", messages=[{"role": "user", "content": f"job {n}"}])
            )
            for n in range(4)
        ]
        await fake.wait_until(lambda: fake.running["llama3.2:3b"] == 2 and fake.waiting == 2)
        assert not any(ask.done() for ask in asks)
        release.set()
        answers = await asyncio.gather(*asks)
    assert sorted(answer.message.content or "" for answer in answers) == [
        f"job {n}" for n in range(4)
    ]
    assert fake.peak_running == 2
    started_late = [e.request for e in fake.events if e.kind == "started"][2:]
    for request in started_late:
        started_at = fake.events.index(QueueEvent("started", request, "llama3.2:3b"))
        finished_before = [e for e in fake.events[:started_at] if e.kind == "finished"]
        assert finished_before, "a queued request started before any slot was given back"


async def test_a_full_queue_answers_503_busy() -> None:
    release = asyncio.Event()
    async with (
        FakeOllama(max_parallel=1, max_queue=1) as fake,
        ollama.AsyncClient(fake.url) as client,
    ):
        fake.respond_with(lambda body: ScriptedReply(content="ok", hold=release))
        running = asyncio.create_task(client.chat("llama3.2:3b", messages=ASK))
        queued = asyncio.create_task(client.chat("llama3.2:3b", messages=ASK))
        await fake.wait_until(lambda: fake.waiting == 1)
        with pytest.raises(ollama.ResponseError) as busy:
            await client.chat("llama3.2:3b", messages=ASK)
        release.set()
        assert [(await running).message.content, (await queued).message.content] == ["ok", "ok"]
    assert busy.value.status_code == 503
    assert busy.value.error.startswith("server busy, please try again.")


# ---------------------------------------------------------------- with the recorded samples


@pytest.mark.skipif(not SAMPLES.is_file(), reason="toolcall-samples.jsonl is absent")
async def test_recorded_samples_stream_through_unchanged(
    fake: FakeOllama, client: ollama.AsyncClient
) -> None:
    samples = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines()]
    bare_json = next(s for s in samples if s["id"] == "homellm-310-prose-then-json")
    native = next(s for s in samples if s["id"] == "ollama-8337-llama31-valid-call-empty-content")
    fake.script(
        "qwen3:8b", ScriptedReply.from_sample(bare_json), ScriptedReply.from_sample(native)
    )
    known = {bare_json["intended_call"]["name"], native["intended_call"]["name"]}
    for sample in (bare_json, native):
        visible = VisibleTextFilter(known)
        shown: list[str] = []
        calls: list[Any] = []
        parts = await client.chat("qwen3:8b", messages=ASK, tools=[ADD_TO_LIST], stream=True)
        async for part in parts:
            shown.append(visible.feed(part.message.content or ""))
            calls.extend(part.message.tool_calls or [])
        shown.append(visible.finish())
        reply = parse_tool_calls(visible.content, calls, known)
        assert visible.content == sample["assistant_content"]
        intended = sample["intended_call"]
        assert reply.calls == [ParsedCall(intended["name"], intended["arguments"])]
        assert "".join(shown) == reply.text
        assert "{" not in reply.text

"""A fake Ollama server on loopback that speaks the real wire format, scripted by each test.

It follows `../shared/data/llm/OLLAMA_WIRE.md`, so the real `ollama.AsyncClient(host=fake.url)`
talks to it unchanged. Each test scripts what the simulated model answers (a queue of
`ScriptedReply` per model, or a responder called with the request JSON) and sets server-wide
knobs: time to first token, token rate, parallel requests per model and queue length. Latency
is simulated inside the server with `asyncio.sleep`; tests wait on `wait_until`, never on time.

    async with FakeOllama() as fake:
        fake.script("qwen3:8b", ScriptedReply(content="Pasta tonight!"))
        reply = await ollama.AsyncClient(host=fake.url).chat("qwen3:8b", messages=[...])
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import math
import random
import re
import struct
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Literal

from aiohttp import web

__all__ = ["DEFAULT_MODELS", "FakeModel", "FakeOllama", "QueueEvent", "Recorded", "ScriptedReply"]

Responder = Callable[[dict[str, Any]], "ScriptedReply | Awaitable[ScriptedReply]"]
_TOKEN = re.compile(r"\s*\S{1,5}|\s+")
_THINK_LEVELS = (True, False, "low", "medium", "high", "max")


@dataclass(frozen=True)
class FakeModel:
    """A model the fake server has pulled, with what `/api/show` and `/api/tags` say about it."""

    name: str
    capabilities: tuple[str, ...] = ("completion", "tools")
    family: str = "llama"
    parameter_size: str = "3.2B"
    quantization_level: str = "Q4_K_M"
    context_length: int = 32768
    embedding_length: int = 768
    size: int = 2_019_393_189


DEFAULT_MODELS = (
    FakeModel(
        "qwen3:8b", ("completion", "tools", "thinking"), "qwen3", "8.2B", context_length=40960
    ),
    FakeModel("llama3.2:3b"),
    FakeModel("gemma3:1b", ("completion",), "gemma3", "1B"),
    FakeModel("all-minilm:latest", ("embedding",), "bert", "23M", "F16", 512, 384, 45_960_996),
)


@dataclass(frozen=True)
class ScriptedReply:
    """What the simulated model answers to one request.

    `content` may be any text, including raw or malformed call text (see toolcall-samples);
    `tool_calls` are `{"name", "arguments"}` or `{"function": {...}}` and are sent as given.
    """

    content: str = ""
    thinking: str = ""
    tool_calls: Sequence[Mapping[str, Any]] = ()
    pieces: Sequence[str] | None = None  # exact content chunks instead of token-sized ones
    error: str | None = None  # answer `status` with {"error": error} before any output
    status: int = 500
    stream_error: str | None = None  # after `error_after` content pieces, an {"error": …} line
    error_after: int = 1
    done_reason: str = "stop"
    hold: asyncio.Event | None = None  # the model starts only once this is set
    time_to_first_token: float | None = None  # overrides the server-wide knob
    tokens_per_second: float | None = None  # overrides the server-wide knob

    @classmethod
    def from_sample(cls, sample: Mapping[str, Any]) -> ScriptedReply:
        """The reply recorded in a line of toolcall-samples.jsonl."""
        return cls(content=sample["assistant_content"], tool_calls=sample["tool_calls"])


@dataclass(frozen=True)
class Recorded:
    """One request the server received, in arrival order."""

    number: int
    method: str
    path: str
    body: Any

    @property
    def model(self) -> str | None:
        """The model the request named, if any."""
        model = self.body.get("model") if isinstance(self.body, dict) else None
        return model if isinstance(model, str) else None


@dataclass(frozen=True)
class QueueEvent:
    """A generation request waiting for, getting, or giving back a model slot."""

    kind: Literal["queued", "started", "finished"]
    request: int
    model: str


class _RequestError(Exception):
    """An error answer, as the real server words it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Generation:
    """One chat or generate request on its way through a model."""

    request: Recorded
    model: FakeModel
    body: dict[str, Any]
    thinking: bool


class FakeOllama:
    """A scriptable Ollama HTTP server on 127.0.0.1 with a random port."""

    def __init__(
        self,
        models: Iterable[FakeModel] = DEFAULT_MODELS,
        *,
        time_to_first_token: float = 0.0,
        tokens_per_second: float | None = None,
        max_parallel: int | None = None,
        max_queue: int | None = None,
        default_reply: ScriptedReply | None = None,
        version: str = "0.12.6",
        not_found: Literal["pull", "plain"] = "pull",
        seed: int = 0,
    ) -> None:
        self.models = {_canonical(model.name): model for model in models}
        self.time_to_first_token = time_to_first_token
        self.tokens_per_second = tokens_per_second
        self.max_parallel = max_parallel  # per model, like OLLAMA_NUM_PARALLEL
        self.max_queue = max_queue  # waiting requests, like OLLAMA_MAX_QUEUE
        self.default_reply = default_reply
        self.version = version
        self.not_found = not_found
        self.requests: list[Recorded] = []
        self.events: list[QueueEvent] = []
        self.running: Counter[str] = Counter()
        self.waiting = 0
        self.peak_running = 0
        self.loaded: dict[str, datetime] = {}
        self.prompt_eval_counts: dict[int, int] = {}  # request number → what it reported
        self._scripts: defaultdict[str, deque[ScriptedReply]] = defaultdict(deque)
        self._responders: dict[str | None, Responder] = {}
        self._ids = random.Random(seed)
        self._changed = asyncio.Condition()
        self._handlers: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> FakeOllama:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen on a free loopback port and set `url`."""
        app = web.Application(middlewares=[self._track])
        app.router.add_get("/", self._root)
        app.router.add_get("/api/version", self._version)
        app.router.add_get("/api/tags", self._tags)
        app.router.add_get("/api/ps", self._ps)
        app.router.add_post("/api/show", self._show)
        app.router.add_post("/api/chat", self._chat)
        app.router.add_post("/api/generate", self._generate)
        app.router.add_post("/api/embed", self._embed)
        app.router.add_post("/api/embeddings", self._embeddings)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def close(self) -> None:
        """Stop answering; requests still held or generating are cut off."""
        for task in list(self._handlers):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def script(self, model: str, *replies: ScriptedReply) -> None:
        """Queue replies for a model; each request takes the next one."""
        self._scripts[_canonical(model)].extend(replies)

    def respond_with(self, responder: Responder, model: str | None = None) -> None:
        """Answer a model's requests (or every model's, if None) by calling `responder(body)`."""
        self._responders[None if model is None else _canonical(model)] = responder

    @property
    def chat_requests(self) -> list[Recorded]:
        """The `/api/chat` requests received so far."""
        return [request for request in self.requests if request.path == "/api/chat"]

    async def wait_until(self, condition: Callable[[], bool], seconds: float = 5.0) -> None:
        """Wait until `condition()` holds for the server's state; TimeoutError after `seconds`."""
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(condition)

    # ------------------------------------------------------------------ plumbing

    @web.middleware
    async def _track(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            return await handler(request)
        except _RequestError as error:
            return web.json_response({"error": error.message}, status=error.status)
        finally:
            if task is not None:
                self._handlers.discard(task)

    async def _record(self, request: web.Request, body: Any) -> Recorded:
        recorded = Recorded(len(self.requests) + 1, request.method, request.path, body)
        self.requests.append(recorded)
        await self._notify()
        return recorded

    async def _notify(self, event: QueueEvent | None = None) -> None:
        async with self._changed:
            if event is not None:
                self.events.append(event)
            self._changed.notify_all()

    async def _body(self, request: web.Request) -> tuple[Recorded, dict[str, Any]]:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError as error:
            await self._record(request, raw.decode(errors="replace"))
            raise _RequestError(400, str(error)) from None
        recorded = await self._record(request, body)
        if body is None:
            raise _RequestError(400, "missing request body")
        if not isinstance(body, dict):
            raise _RequestError(400, "json: cannot unmarshal into Go value of type api.Request")
        return recorded, body

    def _model(self, body: dict[str, Any], *, plain_not_found: bool = False) -> FakeModel:
        name = body.get("model")
        if not isinstance(name, str) or not name:
            raise _RequestError(400, "model is required")
        model = self.models.get(_canonical(name))
        if model is None:
            if plain_not_found or self.not_found == "plain":
                raise _RequestError(404, f"model '{name}' not found")
            raise _RequestError(404, f'model "{name}" not found, try pulling it first')
        return model

    async def _take_slot(self, request: Recorded, model: FakeModel) -> None:
        async with self._changed:
            if self.max_queue is not None and self.waiting >= self.max_queue:
                raise _RequestError(
                    503, "server busy, please try again.  maximum pending requests exceeded"
                )
            self.waiting += 1
            self.events.append(QueueEvent("queued", request.number, model.name))
            self._changed.notify_all()
            limit = self.max_parallel or math.inf
            try:
                await self._changed.wait_for(lambda: self.running[model.name] < limit)
            finally:
                self.waiting -= 1
            self.running[model.name] += 1
            self.peak_running = max(self.peak_running, self.running[model.name])
            self.events.append(QueueEvent("started", request.number, model.name))
            self._changed.notify_all()

    async def _give_slot(self, request: Recorded, model: FakeModel, keep_alive: Any) -> None:
        self.running[model.name] -= 1
        if keep_alive in (0, "0", "0s", "0m"):
            self.loaded.pop(model.name, None)
        else:
            self.loaded[model.name] = datetime.now(UTC) + _duration(keep_alive)
        await self._notify(QueueEvent("finished", request.number, model.name))

    async def _scripted(self, model: FakeModel, body: dict[str, Any]) -> ScriptedReply:
        queue = self._scripts[model.name]
        if queue:
            return queue.popleft()
        responder = self._responders.get(model.name) or self._responders.get(None)
        if responder is not None:
            reply = responder(body)
            return await reply if inspect.isawaitable(reply) else reply
        if self.default_reply is not None:
            return self.default_reply
        raise _RequestError(500, f'fake ollama: nothing scripted for "{model.name}"')

    # ------------------------------------------------------------------ small endpoints

    async def _root(self, request: web.Request) -> web.StreamResponse:
        await self._record(request, None)
        return web.Response(text="Ollama is running")

    async def _version(self, request: web.Request) -> web.StreamResponse:
        await self._record(request, None)
        return web.json_response({"version": self.version})

    async def _tags(self, request: web.Request) -> web.StreamResponse:
        await self._record(request, None)
        return web.json_response({"models": [_listing(model) for model in self.models.values()]})

    async def _ps(self, request: web.Request) -> web.StreamResponse:
        await self._record(request, None)
        now = datetime.now(UTC)
        running = []
        for name, expires in list(self.loaded.items()):
            if expires <= now:
                del self.loaded[name]
                continue
            model = self.models[name]
            entry = _listing(model) | {"expires_at": _timestamp(expires), "size_vram": model.size}
            running.append(entry | {"context_length": model.context_length})
        return web.json_response({"models": running})

    async def _show(self, request: web.Request) -> web.StreamResponse:
        _, body = await self._body(request)
        model = self._model(body, plain_not_found=True)
        info: dict[str, Any] = {
            "general.architecture": model.family,
            f"{model.family}.context_length": model.context_length,
            f"{model.family}.embedding_length": model.embedding_length,
        }
        return web.json_response(
            {
                "modelfile": f"FROM {model.name}\n",
                "parameters": "temperature 0.7",
                "template": "{{ .Prompt }}",
                "license": "",
                "details": _listing(model)["details"],
                "model_info": info,
                "capabilities": list(model.capabilities),
                "modified_at": _timestamp(datetime(2025, 5, 4, tzinfo=UTC)),
            }
        )

    async def _embed(self, request: web.Request) -> web.StreamResponse:
        recorded, body = await self._body(request)
        model = self._model(body)
        texts = body.get("input", [])
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
            raise _RequestError(400, "invalid input type")
        if body.get("truncate") is False and any(
            len(text.split()) > model.context_length for text in texts
        ):
            raise _RequestError(400, "the input length exceeds the context length")
        size = body.get("dimensions") or model.embedding_length
        await self._take_slot(recorded, model)
        try:
            vectors = [embedding_of(text, size) for text in texts]
        finally:
            await self._give_slot(recorded, model, body.get("keep_alive"))
        if not texts:
            return web.json_response({"model": model.name, "embeddings": []})
        count = sum(len(text.split()) for text in texts)
        return web.json_response(
            {
                "model": model.name,
                "embeddings": vectors,
                "total_duration": 14_143_917,
                "load_duration": 1_019_500,
                "prompt_eval_count": count,
            }
        )

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        recorded, body = await self._body(request)
        model = self._model(body)
        await self._take_slot(recorded, model)
        try:
            vector = embedding_of(str(body.get("prompt", "")), model.embedding_length)
        finally:
            await self._give_slot(recorded, model, body.get("keep_alive"))
        return web.json_response({"embedding": vector})

    # ------------------------------------------------------------------ generation

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        recorded, body = await self._body(request)
        model = self._model(body)
        messages = body.get("messages")
        if "completion" not in model.capabilities:
            raise _RequestError(400, f'"{body["model"]}" does not support chat')
        if body.get("tools") and "tools" not in model.capabilities:
            name = model.name if "/" in model.name else f"registry.ollama.ai/library/{model.name}"
            raise _RequestError(400, f"{name} does not support tools")
        generation = _Generation(recorded, model, body, self._thinking(body, model))
        if messages in (None, []):
            return await self._load(generation, "message")
        return await self._answer(request, generation, "message")

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        recorded, body = await self._body(request)
        model = self._model(body)
        if "completion" not in model.capabilities:
            raise _RequestError(400, f'"{body["model"]}" does not support generate')
        generation = _Generation(recorded, model, body, self._thinking(body, model))
        if not body.get("prompt") and not body.get("images"):
            return await self._load(generation, "response")
        return await self._answer(request, generation, "response")

    def _thinking(self, body: dict[str, Any], model: FakeModel) -> bool:
        """Whether the model thinks for this request; bad `think` or `format` values are 400s."""
        think, answer_format = body.get("think"), body.get("format")
        if think is not None and think not in _THINK_LEVELS:
            raise _RequestError(
                400,
                f"invalid think value: {json.dumps(think)} "
                '(must be "high", "medium", "low", "max", true, or false)',
            )
        if answer_format not in (None, "", "json") and not isinstance(answer_format, dict):
            raise _RequestError(
                400,
                f"invalid format: {json.dumps(answer_format)}; "
                'expected "json" or a valid JSON Schema object',
            )
        if think is None:
            return "thinking" in model.capabilities
        if think is not False and "thinking" not in model.capabilities:
            raise _RequestError(400, f'"{body["model"]}" does not support thinking')
        return think is not False

    async def _load(
        self, generation: _Generation, key: Literal["message", "response"]
    ) -> web.StreamResponse:
        """An empty request loads the model, or unloads it with keep_alive 0."""
        keep_alive = generation.body.get("keep_alive")
        unload = keep_alive in (0, "0", "0s", "0m")
        if unload:
            self.loaded.pop(generation.model.name, None)
        else:
            self.loaded[generation.model.name] = datetime.now(UTC) + _duration(keep_alive)
        reply = _chunk(generation.model.name, key, content="", done=True)
        reply["done_reason"] = "unload" if unload else "load"
        return web.json_response(reply)

    async def _answer(
        self, request: web.Request, generation: _Generation, key: Literal["message", "response"]
    ) -> web.StreamResponse:
        model, body = generation.model, generation.body
        await self._take_slot(generation.request, model)
        try:
            reply = await self._scripted(model, body)
            if reply.hold is not None:
                await reply.hold.wait()
            if reply.error is not None:
                raise _RequestError(reply.status, reply.error)
            chunks = self._chunks(generation, reply, key)
            if body.get("stream", True) is False:
                return await self._whole(chunks, key)
            return await self._stream(request, chunks)
        finally:
            await self._give_slot(generation.request, model, body.get("keep_alive"))

    async def _stream(
        self, request: web.Request, chunks: AsyncIterator[dict[str, Any]]
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        async for chunk in chunks:
            await response.write(json.dumps(chunk, ensure_ascii=False).encode() + b"\n")
        await response.write_eof()
        return response

    async def _whole(
        self, chunks: AsyncIterator[dict[str, Any]], key: Literal["message", "response"]
    ) -> web.StreamResponse:
        """Non-streaming: the server concatenates every chunk's text and appends every call."""
        merged: dict[str, Any] = {}
        texts: defaultdict[str, str] = defaultdict(str)
        calls: list[Any] = []
        async for chunk in chunks:
            if "error" in chunk:
                raise _RequestError(500, chunk["error"])
            part = chunk[key] if key == "message" else chunk
            for text_key in ("content", "thinking", "response"):
                texts[text_key] += part.get(text_key) or ""
            calls.extend(part.get("tool_calls") or [])
            merged = chunk
        if key == "message":
            merged["message"] = {"role": "assistant", "content": texts["content"]}
            if texts["thinking"]:
                merged["message"]["thinking"] = texts["thinking"]
            if calls:
                merged["message"]["tool_calls"] = calls
        else:
            merged["response"] = texts["response"]
            if texts["thinking"]:
                merged["thinking"] = texts["thinking"]
        return web.json_response(merged)

    async def _chunks(
        self, generation: _Generation, reply: ScriptedReply, key: Literal["message", "response"]
    ) -> AsyncIterator[dict[str, Any]]:
        """The simulated model: waits, then yields thinking, content, calls and the last chunk."""
        name = generation.model.name
        first = reply.time_to_first_token
        first = self.time_to_first_token if first is None else first
        rate = reply.tokens_per_second or self.tokens_per_second
        pause = 1 / rate if rate else 0.0
        pieces = list(reply.pieces) if reply.pieces is not None else _TOKEN.findall(reply.content)
        thoughts = _TOKEN.findall(reply.thinking) if generation.thinking else []
        options = generation.body.get("options") or {}
        limit = options.get("num_predict") if isinstance(options, dict) else None
        done_reason, calls = reply.done_reason, list(reply.tool_calls)
        if isinstance(limit, int) and limit >= 0 and len(pieces) > limit:
            pieces, calls, done_reason = pieces[:limit], [], "length"
        await asyncio.sleep(first)
        for thought in thoughts:
            yield _chunk(name, key, content="", thinking=thought)
            await asyncio.sleep(pause)
        for number, piece in enumerate(pieces):
            if reply.stream_error is not None and number == reply.error_after:
                yield {"error": reply.stream_error}
                return
            yield _chunk(name, key, content=piece)
            await asyncio.sleep(pause)
        if reply.stream_error is not None:
            yield {"error": reply.stream_error}
            return
        for index, call in enumerate(calls if key == "message" else []):
            yield _chunk(name, key, content="", tool_calls=[self._wire_call(call, index)])
        final = _chunk(name, key, content="", done=True)
        eval_count = len(thoughts) + len(pieces) + 8 * len(calls)
        prompt = generation.body.get("messages") or generation.body.get("prompt")
        tools = generation.body.get("tools") or []  # the real server renders these in too
        prompt_count = max(1, len(json.dumps([prompt, tools] if tools else prompt).split()))
        self.prompt_eval_counts[generation.request.number] = prompt_count
        eval_ns = round(eval_count * 1e9 / rate) if rate else 1_000_000
        final |= {
            "done_reason": done_reason,
            "total_duration": int(first * 1e9) + eval_ns + 1_334_875,
            "load_duration": 1_334_875,
            "prompt_eval_count": prompt_count,
            "prompt_eval_duration": int(first * 1e9),
            "eval_count": eval_count,
            "eval_duration": eval_ns,
        }
        if key == "response":
            final["context"] = [1, 2, 3]
        yield final

    def _wire_call(self, call: Mapping[str, Any], index: int) -> dict[str, Any]:
        function = call.get("function", call)
        call_id = "call_" + "".join(self._ids.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=8))
        arguments = function.get("arguments", {})
        return {
            "id": call_id,
            "function": {"index": index, "name": function["name"], "arguments": arguments},
        }


def embedding_of(text: str, size: int) -> list[float]:
    """A unit vector derived from a hash of the text: the same text always gives the same one."""
    numbers: list[float] = []
    block = 0
    while len(numbers) < size:
        digest = hashlib.sha256(f"{block}\0{text}".encode()).digest()
        numbers.extend(value / 2**31 - 1 for value in struct.unpack("<8I", digest))
        block += 1
    norm = math.sqrt(sum(value * value for value in numbers[:size])) or 1.0
    return [value / norm for value in numbers[:size]]


def _chunk(name: str, key: Literal["message", "response"], **fields: Any) -> dict[str, Any]:
    done = fields.pop("done", False)
    chunk: dict[str, Any] = {"model": name, "created_at": _timestamp(datetime.now(UTC))}
    if key == "message":
        chunk["message"] = {"role": "assistant", **fields}
    else:
        chunk["response"] = fields.pop("content", "")
        chunk.update({k: v for k, v in fields.items() if k == "thinking"})
    chunk["done"] = done
    return chunk


def _listing(model: FakeModel) -> dict[str, Any]:
    return {
        "name": model.name,
        "model": model.name,
        "modified_at": _timestamp(datetime(2025, 5, 4, 17, 37, 44, tzinfo=UTC)),
        "size": model.size,
        "digest": hashlib.sha256(model.name.encode()).hexdigest(),
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": model.family,
            "families": [model.family],
            "parameter_size": model.parameter_size,
            "quantization_level": model.quantization_level,
        },
    }


def _canonical(name: str) -> str:
    """`llama3.2` and `llama3.2:latest` are the same model."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _duration(keep_alive: Any) -> timedelta:
    """keep_alive as seconds or a Go duration (`"10m"`, `"24h"`); negative means forever."""
    if keep_alive is None:
        return timedelta(minutes=5)
    if isinstance(keep_alive, int | float):
        seconds = float(keep_alive)
    else:
        units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
        parts = re.findall(r"(-?[\d.]+)(ms|s|m|h)", str(keep_alive))
        seconds = sum(float(number) * units[unit] for number, unit in parts)
    return timedelta(days=3650) if seconds < 0 else timedelta(seconds=seconds)


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")

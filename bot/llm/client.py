"""Talking to Ollama: several endpoints, model roles, a fair queue each, failover, a breaker."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from bot.clock import Clock
from bot.config import LLMSettings, OllamaEndpoint

if TYPE_CHECKING:
    from bot.llm.ollama_sdk import TolerantClient
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

ModelRole = Literal["fast", "chat", "embed", "vision"]
FALLBACK_ROLES: dict[ModelRole, tuple[ModelRole, ...]] = {
    "fast": ("chat",),
    "chat": ("fast",),
    "vision": (),
    "embed": (),
}
BREAKER_FAILURES = 2
BREAKER_COOLDOWN_S = 30.0
MODELS_REFRESH_S = 60.0


class LLMUnavailable(Exception):
    """No endpoint could answer; the message says which and what still works."""


@dataclass(frozen=True)
class ChatChunk:
    """One streamed piece of an answer, independent of the ollama SDK's types."""

    content: str = ""
    thinking: str = ""
    tool_calls: tuple[dict[str, Any], ...] = ()
    done: bool = False


@dataclass
class Breaker:
    """Stops hammering a dead endpoint: after a few failures, skip it for a while."""

    clock: Clock
    failures: int = 0
    open_until: float = 0.0

    def allows(self) -> bool:
        return self.clock.now().timestamp() >= self.open_until

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= BREAKER_FAILURES:
            self.open_until = self.clock.now().timestamp() + BREAKER_COOLDOWN_S

    def succeeded(self) -> None:
        self.failures = 0
        self.open_until = 0.0


@dataclass
class Endpoint:
    settings: OllamaEndpoint
    timeouts: tuple[float, float]
    """Seconds for a whole request and for connecting."""
    slots: asyncio.Semaphore
    breaker: Breaker
    waiting: int = 0
    active: int = 0
    models: set[str] | None = None
    models_checked_at: float = -1e18
    warned: set[str] = field(default_factory=set)
    capabilities: dict[str, set[str]] = field(default_factory=dict)
    opened: TolerantClient | None = None

    @property
    def client(self) -> TolerantClient:
        """The SDK client, made on first use (issue 11 item 10: the SDK is slow to import)."""
        if self.opened is None:
            from bot.llm.ollama_sdk import open_client

            self.opened = open_client(self.settings.url, *self.timeouts)
        return self.opened

    @property
    def load(self) -> float:
        return (self.active + self.waiting) / self.settings.max_parallel


@dataclass(frozen=True)
class EndpointStatus:
    name: str
    url: str
    reachable: bool
    queue: int
    active: int
    loaded: tuple[tuple[str, int], ...] = ()
    error: str = ""


class LLMClient:
    """Picks the least busy healthy endpoint that has the model, and queues fairly on it."""

    def __init__(
        self, settings: LLMSettings, clock: Clock, metrics: Metrics | None = None
    ) -> None:
        self.settings = settings
        self._metrics = metrics
        self._clock = clock
        timeouts = (settings.request_timeout_s, settings.connect_timeout_s)
        self.endpoints = [
            Endpoint(
                settings=endpoint,
                timeouts=timeouts,
                slots=asyncio.Semaphore(endpoint.max_parallel),
                breaker=Breaker(clock),
            )
            for endpoint in settings.endpoints
        ]

    async def aclose(self) -> None:
        for endpoint in self.endpoints:
            if endpoint.opened is not None:
                await endpoint.opened.close()  # type: ignore[no-untyped-call]

    def describe_outage(self) -> str:
        names = ", ".join(e.settings.url for e in self.endpoints) or "no endpoint configured"
        return (
            f"I can't reach my language model right now ({names}). Commands, lists and the "
            "quick phrases still work — try /help."
        )

    async def chat(
        self,
        role: ModelRole,
        messages: Sequence[dict[str, Any]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> AsyncIterator[ChatChunk]:
        """Streams an answer; fails over to another endpoint if one fails before answering."""
        last_error: Exception | None = None
        num_ctx: int = getattr(self.settings.num_ctx, role, 0)
        options = {"num_ctx": num_ctx} if num_ctx > 0 else None
        for endpoint in self._candidates():
            model = await self._model_for(endpoint, role)
            if model is None:
                continue
            started = False
            try:
                async with self._slot(endpoint):
                    sent = time.perf_counter()
                    first_token_s: float | None = None
                    stream = await endpoint.client.chat(
                        model=model,
                        messages=list(messages),
                        tools=list(tools) if tools else None,
                        format=response_format,
                        options=options,
                        stream=True,
                        keep_alive=self.settings.keep_alive,
                        think=False,
                    )
                    async for part in stream:
                        if first_token_s is None:
                            first_token_s = time.perf_counter() - sent
                        started = True
                        if part.done and self._metrics is not None:
                            self._metrics.llm_answered(
                                model,
                                first_token_s,
                                int(getattr(part, "eval_count", None) or 0),
                                int(getattr(part, "eval_duration", None) or 0) / 1e9,
                            )
                        yield _chunk(part)
                endpoint.breaker.succeeded()
                return
            except _unreachable() as error:
                last_error = error
                # An `{"error": …}` line mid-stream (status -1) is the server failing, not a no.
                refusal = _refusal(error)
                if refusal is not None:
                    raise LLMUnavailable(f"The model said no: {refusal}") from error
                endpoint.breaker.failed()
                log.warning("ollama %s failed: %s", endpoint.settings.name, error)
                if started:
                    raise LLMUnavailable(self.describe_outage()) from error
        if last_error is None and not self.endpoints:
            raise LLMUnavailable(self.describe_outage())
        raise LLMUnavailable(self.describe_outage()) from last_error

    async def complete(self, role: ModelRole, messages: Sequence[dict[str, Any]]) -> str:
        """The whole answer text of one request without tools (for vault answers)."""
        return "".join([chunk.content async for chunk in self.chat(role, messages)])

    async def supports_tools(self, role: ModelRole) -> bool:
        """Whether the role's model calls tools natively (`/api/show` capabilities)."""
        for endpoint in self._candidates():
            model = await self._model_for(endpoint, role)
            if model is None:
                continue
            if model not in endpoint.capabilities:
                try:
                    shown = await asyncio.wait_for(
                        endpoint.client.show(model), timeout=self.settings.connect_timeout_s
                    )
                    endpoint.capabilities[model] = set(shown.capabilities or ["tools"])
                except _unreachable(TimeoutError):
                    return True
            return "tools" in endpoint.capabilities[model]
        return True

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        for endpoint in self._candidates():
            model = await self._model_for(endpoint, "embed")
            if model is None:
                continue
            try:
                async with self._slot(endpoint):
                    response = await endpoint.client.embed(
                        model=model, input=list(texts), keep_alive=self.settings.keep_alive
                    )
                endpoint.breaker.succeeded()
                return [list(vector) for vector in response.embeddings]
            except _unreachable() as error:
                endpoint.breaker.failed()
                log.warning("ollama %s embed failed: %s", endpoint.settings.name, error)
        raise LLMUnavailable(self.describe_outage())

    async def status(self) -> list[EndpointStatus]:
        found = []
        for endpoint in self.endpoints:
            name, url = endpoint.settings.name, endpoint.settings.url
            queue, active = endpoint.waiting, endpoint.active
            try:
                running = await asyncio.wait_for(
                    endpoint.client.ps(), timeout=self.settings.connect_timeout_s
                )
            except _unreachable(TimeoutError) as e:
                found.append(
                    EndpointStatus(name, url, False, queue, active, error=type(e).__name__)
                )
                continue
            loaded = tuple((m.model or "?", int(m.size_vram or 0)) for m in running.models)
            found.append(EndpointStatus(name, url, True, queue, active, loaded=loaded))
        return found

    def _candidates(self) -> list[Endpoint]:
        healthy = [e for e in self.endpoints if e.breaker.allows()]
        return sorted(healthy, key=lambda endpoint: endpoint.load)

    def _slot(self, endpoint: Endpoint) -> _Slot:
        return _Slot(endpoint)

    async def _model_for(self, endpoint: Endpoint, role: ModelRole) -> str | None:
        """The role's model, or another role's when this endpoint lacks it (logged once)."""
        wanted: str | None = getattr(self.settings.models, role) or None
        available = await self._models(endpoint)
        if available is None or wanted is None:
            return wanted
        if _has(available, wanted):
            return wanted
        for other in FALLBACK_ROLES[role]:
            substitute: str = getattr(self.settings.models, other)
            if substitute and _has(available, substitute):
                if wanted not in endpoint.warned:
                    endpoint.warned.add(wanted)
                    log.warning(
                        "%s has no %s (%s model); using %s instead",
                        endpoint.settings.name,
                        wanted,
                        role,
                        substitute,
                    )
                return str(substitute)
        return wanted

    async def _models(self, endpoint: Endpoint) -> set[str] | None:
        now = self._clock.now().timestamp()
        if now - endpoint.models_checked_at < MODELS_REFRESH_S:
            return endpoint.models
        endpoint.models_checked_at = now
        try:
            listing = await asyncio.wait_for(
                endpoint.client.list(), timeout=self.settings.connect_timeout_s
            )
            endpoint.models = {m.model for m in listing.models if m.model}
        except _unreachable(TimeoutError):
            endpoint.models = None
        return endpoint.models


def _unreachable(*also: type[Exception]) -> tuple[type[Exception], ...]:
    """What a failed call to an endpoint raises (the SDK is loaded once a call was made)."""
    from bot.llm.ollama_sdk import UNREACHABLE

    return (*UNREACHABLE, *also)


def _refusal(error: BaseException) -> str | None:
    from bot.llm.ollama_sdk import refusal

    return refusal(error)


def _has(available: set[str], model: str) -> bool:
    return model in available or f"{model}:latest" in available


class _Slot:
    """Waits for a free request slot on an endpoint, counting who waits (FIFO, so fair)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint

    async def __aenter__(self) -> None:
        self._endpoint.waiting += 1
        try:
            await self._endpoint.slots.acquire()
        finally:
            self._endpoint.waiting -= 1
        self._endpoint.active += 1

    async def __aexit__(self, *_exc: object) -> None:
        self._endpoint.active -= 1
        self._endpoint.slots.release()


def _chunk(part: Any) -> ChatChunk:
    message = part.message
    calls = tuple(call.model_dump() for call in (message.tool_calls or ()))
    return ChatChunk(
        content=message.content or "",
        thinking=message.thinking or "",
        tool_calls=calls,
        done=bool(part.done),
    )

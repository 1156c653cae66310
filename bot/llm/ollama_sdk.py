"""The ollama SDK, imported only when an endpoint is first used: it is slow to import, and most
commands (a quick phrase, a list, `gepeto --help`) never talk to the model (issue 11 item 10)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import ollama

UNREACHABLE: tuple[type[Exception], ...] = (
    ConnectionError,
    httpx.HTTPError,
    ollama.ResponseError,
)
"""What a failed call to an endpoint raises."""


def refusal(error: BaseException) -> str | None:
    """Why the endpoint refused the request itself (another endpoint would too), if it did."""
    if isinstance(error, ollama.ResponseError) and 400 <= error.status_code < 500:
        return error.error
    return None


def open_client(url: str, request_timeout_s: float, connect_timeout_s: float) -> TolerantClient:
    return TolerantClient(
        host=url, timeout=httpx.Timeout(request_timeout_s, connect=connect_timeout_s)
    )


class TolerantClient(ollama.AsyncClient):
    """The SDK client, except that a streamed reply whose tool-call arguments arrive as a JSON
    string (as OpenAI-style proxies send them) is read instead of failing the whole reply."""

    async def _request(
        self, cls: type[Any], *args: Any, stream: bool = False, **kwargs: Any
    ) -> Any:
        if cls is not ollama.ChatResponse or not stream:
            return await super()._request(cls, *args, stream=stream, **kwargs)
        parts = await super()._request(dict, *args, stream=True, **kwargs)

        async def tolerant() -> AsyncIterator[ollama.ChatResponse]:
            async for part in parts:
                yield ollama.ChatResponse(**_arguments_as_objects(part))

        return tolerant()


def _arguments_as_objects(part: dict[str, Any]) -> dict[str, Any]:
    for call in (part.get("message") or {}).get("tool_calls") or ():
        function = call.get("function") or {}
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            try:
                decoded = json.loads(arguments or "{}")
            except json.JSONDecodeError:
                decoded = None
            function["arguments"] = decoded if isinstance(decoded, dict) else {"_raw": arguments}
    return part

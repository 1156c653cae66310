"""The shared HTTP client opens when a skill first needs it and closes with the app (issue 11
item 10: a message that never touches the web does not pay for httpx)."""

from __future__ import annotations

import pytest
from aiohttp import web

from bot.http_client import SharedHttpClient


async def hello(_request: web.Request) -> web.Response:
    return web.Response(text="hello")


async def test_the_client_opens_on_first_use_is_shared_and_closes_with_the_app() -> None:
    server = web.Application()
    server.router.add_get("/", hello)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    shared = SharedHttpClient()
    try:
        assert not shared.opened

        answer = await shared.client.get(f"http://127.0.0.1:{port}/")

        assert answer.text == "hello"
        assert shared.opened
        assert shared.client is shared.client
        client = shared.client
        await shared.aclose()
        assert client.is_closed
        with pytest.raises(RuntimeError, match="shutting down"):
            _ = shared.client
    finally:
        await shared.aclose()
        await runner.cleanup()


async def test_closing_a_client_nobody_used_opens_nothing() -> None:
    shared = SharedHttpClient()

    await shared.aclose()

    assert not shared.opened

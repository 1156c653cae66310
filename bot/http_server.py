"""The one small HTTP server in the process: health, metrics, the API and Telegram's webhook.

Routes known at start-up are added before it starts; a channel that comes up later (Telegram in
webhook mode, after it reached the Bot API) mounts its exact path while it runs and takes it away
when it stops.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_BODY_BYTES = 1024 * 1024


def split_listen(listen: str) -> tuple[str, int]:
    """("127.0.0.1", 8088) from "127.0.0.1:8088" (IPv6 hosts may keep their brackets)."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


class HttpServer:
    """An aiohttp server on one address; `add` before `start`, `mount` at any time."""

    def __init__(self, listen: str) -> None:
        self._host, self._port = split_listen(listen)
        self._application = web.Application(client_max_size=MAX_BODY_BYTES)
        self._mounted: dict[tuple[str, str], RouteHandler] = {}
        self._runner: web.AppRunner | None = None
        self.address: tuple[str, int] | None = None
        """Where it listens once started (the real port when 0 was configured)."""

    def add(self, method: str, path: str, handler: RouteHandler) -> None:
        """A route with aiohttp's patterns (`/api/v1/lists/{name}`); only before `start`."""
        if self._runner is not None:
            raise RuntimeError("routes are added before the HTTP server starts; mount() after")
        self._application.router.add_route(method, path, handler)

    def mount(self, method: str, path: str, handler: RouteHandler) -> Callable[[], None]:
        """An exact path served from now on; returns the call that takes it away again."""
        key = (method.upper(), path)
        if key in self._mounted:
            raise RuntimeError(f"{method} {path} is already served")
        self._mounted[key] = handler

        def unmount() -> None:
            self._mounted.pop(key, None)

        return unmount

    async def start(self) -> None:
        self._application.router.add_route("*", "/{path:.*}", self._serve_mounted)
        self._runner = web.AppRunner(self._application, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        address = self._runner.addresses[0]
        self.address = (str(address[0]), int(address[1]))
        log.info("HTTP server listening on %s:%s", *self.address)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve_mounted(self, request: web.Request) -> web.StreamResponse:
        handler = self._mounted.get((request.method, request.path))
        if handler is None:
            return web.Response(status=404)
        return await handler(request)

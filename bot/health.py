"""/healthz, /readyz and /metrics: is the bot alive, can it serve the family, what is it doing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, func, select

from bot.channels.base import Channel
from bot.context import AppContext
from bot.database_guard import DatabaseGuard
from bot.gpus import read_gpus
from bot.http_server import HttpServer
from bot.metrics import CONTENT_TYPE, GPUReading, LLMSlots
from storage.models import InboxEvent, OutboxMessage

log = logging.getLogger(__name__)

DATABASE_TIMEOUT_S = 3.0


def channel_states(channels: Sequence[Channel]) -> dict[str, bool]:
    """Each channel's `connected` (a channel that does not say counts as connected)."""
    return {channel.name: bool(getattr(channel, "connected", True)) for channel in channels}


@dataclass(frozen=True)
class Readiness:
    database: bool
    channels: dict[str, bool]
    scheduler: bool
    ollama: bool | None
    """None when no LLM is configured."""

    @property
    def ready(self) -> bool:
        """The family can be served: the database is there and some channel is connected."""
        return self.database and (not self.channels or any(self.channels.values()))

    def as_data(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "database": self.database,
            "channels": self.channels,
            "scheduler": self.scheduler,
            "ollama": self.ollama,
        }


class Health:
    """Answers the three endpoints for the running bot."""

    def __init__(self, app: AppContext, channels: Sequence[Channel], guard: DatabaseGuard) -> None:
        self._app = app
        self._channels = channels
        self._guard = guard

    def add_routes(self, server: HttpServer) -> None:
        server.add("GET", "/healthz", self.healthz)
        server.add("GET", "/readyz", self.readyz)
        server.add("GET", "/metrics", self.metrics)

    async def healthz(self, _request: web.Request) -> web.Response:
        """Liveness: answering at all means the event loop turns."""
        return web.json_response({"alive": True})

    async def readyz(self, _request: web.Request) -> web.Response:
        readiness = await self.readiness()
        return web.json_response(readiness.as_data(), status=200 if readiness.ready else 503)

    async def metrics(self, _request: web.Request) -> web.Response:
        await self.refresh()
        return web.Response(
            body=self._app.metrics.render(), headers={"Content-Type": CONTENT_TYPE}
        )

    async def readiness(self) -> Readiness:
        ollama = None
        if self._app.llm is not None:
            ollama = any(status.reachable for status in await self._app.llm.status())
        return Readiness(
            database=await self._database_answers(),
            channels=channel_states(self._channels),
            scheduler=self._app.scheduler.running,
            ollama=ollama,
        )

    async def _database_answers(self) -> bool:
        if not self._guard.intact():
            return False
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT_S), self._app.engine.connect() as db:
                await db.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            log.warning("readiness: the database does not answer (%s)", type(error).__name__)
            return False
        return True

    async def refresh(self) -> None:
        """Sets the gauges that are read rather than counted: queues, channels, GPUs."""
        metrics = self._app.metrics
        metrics.set_channels(channel_states(self._channels))
        slots = [
            LLMSlots(e.settings.name, e.settings.max_parallel, e.active, e.waiting)
            for e in (self._app.llm.endpoints if self._app.llm else [])
        ]
        try:
            inbox, outbox = await self._queue_depths()
        except SQLAlchemyError as error:
            log.warning("metrics: could not count the queues (%s)", type(error).__name__)
        else:
            metrics.set_queues(inbox, outbox, slots)
        gpus, _why_none = await asyncio.to_thread(read_gpus)
        metrics.set_gpus(
            GPUReading(
                gpu.index,
                gpu.name,
                gpu.memory_used_mib * 2**20,
                gpu.memory_total_mib * 2**20,
                gpu.utilisation_pct,
            )
            for gpu in gpus
        )

    async def _queue_depths(self) -> tuple[int, int]:
        async with self._app.sessions() as session:
            inbox = await session.exec(
                select(func.count())
                .select_from(InboxEvent)
                .where(col(InboxEvent.status).in_(("received", "processing")))
            )
            outbox = await session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "pending")
            )
            return int(inbox.one()), int(outbox.one())

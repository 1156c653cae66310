"""A small Home Assistant that speaks its WebSocket and REST protocol, for failure cases.

The end-to-end tests use the real Home Assistant (tests/fakes/home_assistant_core.py); this
fake exists for what the real one will not do on demand: drop connections, refuse calls,
accept a call and never change, or change only when the test says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aiohttp import WSMsgType, web

from tests.fakes.synapse import free_loopback_port

TOKEN = "fake-home-assistant-token"
Behaviour = Literal["apply", "ignore", "refuse", "later"]

RESULTS = {"turn_off": "off", "turn_on": "on", "lock": "locked", "unlock": "unlocked"}
RESULTS |= {"open_cover": "open", "close_cover": "closed"}


_TICKS = itertools.count()


def now() -> str:
    """A `last_updated` as Home Assistant writes it (UTC, ISO 8601), later on every call."""
    moment = datetime(2024, 3, 3, 12, tzinfo=UTC) + timedelta(microseconds=next(_TICKS))
    return moment.isoformat(timespec="microseconds")


def state(entity_id: str, value: str, name: str, **attributes: Any) -> dict[str, Any]:
    return {
        "entity_id": entity_id,
        "state": value,
        "attributes": {"friendly_name": name, **attributes},
        "context": {"id": f"{entity_id}-{value}"},
        "last_updated": now(),
    }


@dataclass
class FakeHomeAssistant:
    states: dict[str, dict[str, Any]]
    areas: list[dict[str, Any]]
    entity_areas: dict[str, str]
    behaviour: Behaviour = "apply"
    run_state: str = "RUNNING"
    """What `get_config` says: "STARTING" while integrations load, as after a restart."""
    port: int = field(default_factory=free_loopback_port)
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    """The type of every WebSocket command received, in order."""
    after_answer: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    """Something that happens in the house once, right after a command of this type is answered."""
    _sockets: list[tuple[web.WebSocketResponse, dict[str, int]]] = field(default_factory=list)
    """Each open connection with its subscriptions (event type → subscription id)."""
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/api/websocket", self._websocket)
        app.router.add_post("/api/services/{domain}/{service}", self._service)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Like Home Assistant going down: connections drop, nothing answers."""
        for socket, _ in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def drop_connections(self) -> None:
        for socket, _ in list(self._sockets):
            await socket.close()

    @property
    def connections(self) -> int:
        return len(self._sockets)

    async def set_state(self, entity_id: str, value: str) -> None:
        """A change in the house (or a slow device finishing), sent to every subscriber."""
        old = self.states[entity_id]
        context = {"id": f"{entity_id}-{value}-{len(self.calls)}"}
        new = {**old, "state": value, "context": context, "last_updated": now()}
        self.states[entity_id] = new
        await self._fire(
            "state_changed", {"entity_id": entity_id, "old_state": old, "new_state": new}
        )

    async def add_area(self, area_id: str, name: str) -> None:
        """A room created in Home Assistant's settings while Gepeto runs."""
        self.areas.append({"area_id": area_id, "name": name, "aliases": []})
        await self._fire("area_registry_updated", {"action": "create", "area_id": area_id})

    async def move(self, entity_id: str, area_id: str) -> None:
        """A device put into another room in Home Assistant's settings."""
        self.entity_areas[entity_id] = area_id
        changes = {"area_id": area_id}
        data = {"action": "update", "entity_id": entity_id, "changes": changes}
        await self._fire("entity_registry_updated", data)

    async def _fire(self, event_type: str, data: dict[str, Any]) -> None:
        event = {"type": "event", "event": {"event_type": event_type, "data": data}}
        for socket, subscriptions in list(self._sockets):
            if event_type in subscriptions and not socket.closed:
                await socket.send_json({**event, "id": subscriptions[event_type]})

    async def _service(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"message": "Unauthorized"}, status=401)
        domain, service = request.match_info["domain"], request.match_info["service"]
        body = await request.json()
        self.calls.append((domain, service, body))
        if self.behaviour == "refuse":
            return web.json_response({"message": "Entity is jammed"}, status=400)
        if self.behaviour == "apply" and service in RESULTS:
            for entity_id in body["entity_id"]:
                await self.set_state(entity_id, RESULTS[service])
        return web.json_response([])

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "auth_required", "ha_version": "2024.3.3"})
        auth = await socket.receive_json()
        if auth.get("access_token") != TOKEN:
            await socket.send_json({"type": "auth_invalid", "message": "Invalid access token"})
            await socket.close()
            return socket
        await socket.send_json({"type": "auth_ok", "ha_version": "2024.3.3"})
        entry: tuple[web.WebSocketResponse, dict[str, int]] = (socket, {})
        self._sockets.append(entry)
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    break
                command = message.json()
                if command["type"] == "subscribe_events":
                    entry[1][command["event_type"]] = command["id"]
                await socket.send_json(self._answer(command))
                happening = self.after_answer.pop(command["type"], None)
                if happening is not None:
                    await happening()
        finally:
            with contextlib.suppress(ValueError):
                self._sockets.remove(entry)
        return socket

    def _answer(self, command: dict[str, Any]) -> dict[str, Any]:
        number, kind = command["id"], command["type"]
        self.asked.append(kind)
        if kind == "ping":
            return {"id": number, "type": "pong"}
        results: dict[str, Any] = {
            "subscribe_events": None,
            "get_config": {"state": self.run_state, "version": "2024.3.3"},
            "get_states": list(self.states.values()),
            "config/area_registry/list": self.areas,
            "config/device_registry/list": [],
            "config/entity_registry/list": [
                {"entity_id": e, "area_id": a, "device_id": None, "aliases": []}
                for e, a in self.entity_areas.items()
            ],
            "get_services": {
                "light": {
                    "turn_on": {"fields": {"brightness_pct": {}}},
                    "turn_off": {"fields": {}},
                },
                "lock": {"lock": {"fields": {"code": {}}}, "unlock": {"fields": {"code": {}}}},
                "cover": {"open_cover": {"fields": {}}, "close_cover": {"fields": {}}},
                "shell_command": {"wipe": {"fields": {}}},
            },
        }
        if kind not in results:
            return {
                "id": number,
                "type": "result",
                "success": False,
                "error": {"code": "unknown_command", "message": "Unknown command."},
            }
        return {"id": number, "type": "result", "success": True, "result": results[kind]}


def small_house() -> FakeHomeAssistant:
    """A kitchen with two lights, a front door lock, a garage door, and a hidden safe."""
    return FakeHomeAssistant(
        states={
            "light.kitchen_ceiling": state("light.kitchen_ceiling", "on", "Kitchen Ceiling"),
            "light.kitchen_counter": state("light.kitchen_counter", "on", "Kitchen Counter"),
            "lock.front_door": state("lock.front_door", "locked", "Front Door"),
            "cover.garage_door": state("cover.garage_door", "open", "Garage Door"),
            "lock.safe": state("lock.safe", "locked", "Safe"),
        },
        areas=[
            {"area_id": "kitchen", "name": "Kitchen", "aliases": ["Küche"]},
            {"area_id": "garage", "name": "Garage", "aliases": []},
            {"area_id": "hall", "name": "Hall", "aliases": []},
        ],
        entity_areas={
            "light.kitchen_ceiling": "kitchen",
            "light.kitchen_counter": "kitchen",
            "cover.garage_door": "garage",
            "lock.front_door": "hall",
            "lock.safe": "hall",
        },
    )


@contextlib.asynccontextmanager
async def running(house: FakeHomeAssistant) -> AsyncIterator[FakeHomeAssistant]:
    await house.start()
    try:
        yield house
    finally:
        await house.stop()


async def until(condition: Any, timeout_s: float = 5.0) -> None:
    """Yields to the event loop until `condition()` holds (bounded), never a fixed sleep."""
    async with asyncio.timeout(timeout_s):
        # A bare yield lets the tasks being waited on run; no fixed sleep.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0)

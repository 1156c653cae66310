"""Home Assistant's APIs: one authenticated WebSocket for state, REST for service calls.

The WebSocket waits until Home Assistant has finished starting (its integrations load after the
API answers), then fetches every state, the area/device/entity registries and the service
catalog (a change that arrives meanwhile is kept over the older state read); it follows
`state_changed`, reads the registries and services again when Home Assistant says they changed
(a new lamp, a room renamed, an integration added), pings, and reconnects with backoff when
Home Assistant restarts. Service calls go through the shared `httpx.AsyncClient`.
Failures become two domain errors: `HomeUnreachable` (nothing answered) and `HomeRefused` (it
answered no).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # aiohttp takes ≈1 s to import, httpx ≈0.1 s: only once the skill connects
    import aiohttp
    import httpx

State = dict[str, Any]
"""One entity's state object as Home Assistant sends it (entity_id, state, attributes...)."""
StateListener = Callable[[str, State | None, State | None], None]
"""Called with (entity_id, old, new) on every state change."""

RETRY_DELAYS_S = (1.0, 2.0, 5.0, 10.0, 30.0)
PING_EVERY_S = 30.0
FIRST_CONNECT_S = 5.0
STARTING_POLL_S = 0.5
"""How often to ask a Home Assistant that is still starting whether it has finished."""
REREAD_AFTER_S = 1.0
"""Registry changes come in bursts (a new device brings its entities): read once, a bit later."""
HOUSE_CHANGES = (
    "area_registry_updated",
    "device_registry_updated",
    "entity_registry_updated",
    "service_registered",
    "service_removed",
)
"""Events after which the registries and the service catalog are read again."""


class HomeUnreachable(Exception):
    """Home Assistant did not answer (down, restarting, wrong address, bad token)."""


class HomeRefused(Exception):
    """Home Assistant answered, and refused the request; the message is its reason."""


class _ConnectionLost(Exception):
    pass


@dataclass(frozen=True)
class Area:
    area_id: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registered:
    """What the entity registry knows of an entity beyond its state."""

    area_id: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass
class Snapshot:
    """Everything fetched on connect and kept current by `state_changed` events."""

    states: dict[str, State] = field(default_factory=dict)
    areas: dict[str, Area] = field(default_factory=dict)
    entities: dict[str, Registered] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: int = 0
    """Grows whenever names, areas or the set of entities may have changed."""


class HomeAssistant:
    """The family's Home Assistant, as seen through one long-lived WebSocket."""

    def __init__(
        self,
        url: str,
        token: str,
        http: httpx.AsyncClient,
        log: logging.Logger,
        *,
        timeout_s: float = 10.0,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
        ping_every_s: float = PING_EVERY_S,
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self._http = http
        self._log = log
        self.timeout_s = timeout_s
        self._retry_delays = tuple(retry_delays_s)
        self._ping_every_s = ping_every_s
        self.snapshot = Snapshot()
        self.connected = False
        self._connected_event = asyncio.Event()
        self._first_attempt = asyncio.Event()
        self._listeners: list[StateListener] = []
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._subscriptions: dict[int, str] = {}
        """Subscription id → the event type it follows, on the current connection."""
        self._house_changed = False
        self._rereading: asyncio.Task[None] | None = None
        self._changes_while_reading: dict[str, State | None] | None = None
        """Each entity's last change seen while all states are being read (see `_refresh`)."""
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connects in the background; waits (bounded) only for the first attempt to end."""
        import aiohttp

        self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._stay_connected(), name="home-assistant")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(min(self.timeout_s, FIRST_CONNECT_S)):
                await self._first_attempt.wait()

    async def aclose(self) -> None:
        self.connected = False  # a goodbye, not a lost connection worth a warning
        for task in (self._task, self._rereading):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._session is not None:
            await self._session.close()
        self.connected = False

    def listen(self, listener: StateListener) -> Callable[[], None]:
        """Calls `listener` on every state change until the returned function is called."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def ready(self) -> Snapshot:
        """The current snapshot; `HomeUnreachable` when the connection is down."""
        if not self.connected:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(1.0, self.timeout_s)):
                    await self._connected_event.wait()
        if not self.connected:
            raise HomeUnreachable("not connected to Home Assistant")
        return self.snapshot

    async def call_service(
        self, domain: str, service: str, entity_ids: Sequence[str], data: dict[str, Any]
    ) -> None:
        """POST /api/services/<domain>/<service>; returns once Home Assistant accepted it."""
        import httpx

        try:
            answer = await self._http.post(
                f"{self.url}/api/services/{domain}/{service}",
                json={**data, "entity_id": list(entity_ids)},
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=self.timeout_s,
            )
        except httpx.HTTPError as error:
            raise HomeUnreachable(f"{domain}.{service}: {error!r}") from error
        if answer.status_code in (401, 403):
            raise HomeUnreachable(f"{domain}.{service}: the token was refused")
        if answer.status_code >= 400:
            raise HomeRefused(answer.text.strip()[:300] or f"HTTP {answer.status_code}")

    async def _stay_connected(self) -> None:
        import aiohttp

        failures = 0
        while True:
            try:
                await self._connect_once()
                failures = 0
            except (aiohttp.ClientError, OSError, TimeoutError, _ConnectionLost) as error:
                self._log.warning("Home Assistant at %s: %s", self.url, error or type(error))
            except HomeRefused as error:
                self._log.error("Home Assistant at %s refused Gepeto: %s", self.url, error)
            finally:
                self._went_down()
                self._first_attempt.set()
            await asyncio.sleep(self._retry_delays[min(failures, len(self._retry_delays) - 1)])
            failures += 1

    def _went_down(self) -> None:
        if self.connected:
            self._log.warning("lost the connection to Home Assistant at %s", self.url)
        self.connected = False
        self._connected_event.clear()
        self._socket = None
        for waiting in self._pending.values():
            if not waiting.done():
                waiting.set_exception(_ConnectionLost("connection closed"))
        self._pending.clear()

    async def _connect_once(self) -> None:
        import aiohttp

        assert self._session is not None
        async with self._session.ws_connect(
            f"{self.url}/api/websocket", timeout=aiohttp.ClientWSTimeout(ws_close=self.timeout_s)
        ) as socket:
            async with asyncio.timeout(self.timeout_s):
                await socket.receive_json()
                await socket.send_json({"type": "auth", "access_token": self._token})
                answer = await socket.receive_json()
            if answer.get("type") != "auth_ok":
                raise HomeRefused("the access token was not accepted")
            self._socket = socket
            reader = asyncio.create_task(self._read(socket))
            try:
                await self._until_started()
                await self._refresh()
                self.connected = True
                self._connected_event.set()
                self._first_attempt.set()
                self._log.info("connected to Home Assistant at %s", self.url)
                pinger = asyncio.create_task(self._ping())
                try:
                    done, _ = await asyncio.wait(
                        (reader, pinger), return_when=asyncio.FIRST_COMPLETED
                    )
                    for finished in done:
                        finished.result()
                finally:
                    pinger.cancel()
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, _ConnectionLost):
                    await reader

    async def _until_started(self) -> None:
        """Returns once Home Assistant runs: while it starts, devices and services are missing."""
        said_so = False
        while True:
            config = await self._command({"type": "get_config"})
            if config.get("state", "RUNNING") == "RUNNING":
                return
            if not said_so:
                self._log.info("Home Assistant at %s is starting; waiting for it", self.url)
                said_so = True
            await asyncio.sleep(STARTING_POLL_S)

    async def _refresh(self) -> None:
        """Everything a fresh connection needs: subscribe first, so no change falls between."""
        self._subscriptions.clear()
        for event_type in ("state_changed", *HOUSE_CHANGES):
            await self._subscribe(event_type)
        self._house_changed = False
        self._changes_while_reading = {}
        try:
            states, house = await asyncio.gather(
                self._command({"type": "get_states"}), self._read_house()
            )
            fresh = {state["entity_id"]: state for state in states}
            # A change that came after Home Assistant answered `get_states` (while the
            # registries were still being read) is newer than that answer: it must not be lost.
            for entity_id, changed in self._changes_while_reading.items():
                if changed is None:
                    fresh.pop(entity_id, None)
                elif _updated(changed) >= _updated(fresh.get(entity_id)):
                    fresh[entity_id] = changed
        finally:
            self._changes_while_reading = None
        self.snapshot = dataclasses.replace(house, states=fresh, version=self.snapshot.version + 1)

    async def _subscribe(self, event_type: str) -> None:
        number = next(self._ids)
        self._subscriptions[number] = event_type  # before asking: events may precede the answer
        await self._command({"type": "subscribe_events", "event_type": event_type}, number)

    async def _read_house(self) -> Snapshot:
        """The area/device/entity registries and the service catalog, without states."""
        areas, devices, entities, services = await asyncio.gather(
            self._command({"type": "config/area_registry/list"}),
            self._command({"type": "config/device_registry/list"}),
            self._command({"type": "config/entity_registry/list"}),
            self._command({"type": "get_services"}),
        )
        device_areas = {device["id"]: device.get("area_id") for device in devices}
        return Snapshot(
            areas={
                area["area_id"]: Area(
                    area["area_id"], area["name"], tuple(area.get("aliases", ()))
                )
                for area in areas
            },
            entities={
                entry["entity_id"]: Registered(
                    area_id=entry.get("area_id") or device_areas.get(entry.get("device_id")),
                    aliases=tuple(entry.get("aliases") or ()),
                )
                for entry in entities
            },
            services=services,
        )

    def _reread_house_soon(self) -> None:
        self._house_changed = True
        if self._rereading is None or self._rereading.done():
            self._rereading = asyncio.create_task(self._reread_house(), name="home-registries")

    async def _reread_house(self) -> None:
        while self._house_changed and self._socket is not None:
            await asyncio.sleep(REREAD_AFTER_S)
            self._house_changed = False
            try:
                house = await self._read_house()
            except (_ConnectionLost, HomeRefused, TimeoutError) as error:
                # A lost connection reads everything again when it comes back.
                self._log.warning("could not read Home Assistant's registries again: %s", error)
                return
            self.snapshot = dataclasses.replace(
                house, states=self.snapshot.states, version=self.snapshot.version + 1
            )
            self._log.info("read Home Assistant's devices and rooms again after a change")

    async def _command(self, message: dict[str, Any], number: int | None = None) -> Any:
        socket = self._socket
        if socket is None:
            raise _ConnectionLost("not connected")
        if number is None:
            number = next(self._ids)
        waiting: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[number] = waiting
        try:
            await socket.send_json({"id": number, **message})
            async with asyncio.timeout(self.timeout_s):
                return await waiting
        finally:
            self._pending.pop(number, None)

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self._ping_every_s)
            await self._command({"type": "ping"})

    async def _read(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        import aiohttp

        async for message in socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            body = message.json()
            for each in body if isinstance(body, list) else [body]:
                self._dispatch(each)
        raise _ConnectionLost("Home Assistant closed the connection")

    def _dispatch(self, body: dict[str, Any]) -> None:
        kind = body.get("type")
        followed = self._subscriptions.get(body.get("id", -1)) if kind == "event" else None
        if followed == "state_changed":
            data = body.get("event", {}).get("data", {})
            self._changed(data.get("entity_id", ""), data.get("old_state"), data.get("new_state"))
            return
        if followed is not None:
            self._reread_house_soon()
            return
        waiting = self._pending.get(body.get("id", -1))
        if waiting is None or waiting.done():
            return
        if kind == "pong" or body.get("success"):
            waiting.set_result(body.get("result"))
        else:
            error = body.get("error", {})
            waiting.set_exception(HomeRefused(str(error.get("message", "refused"))))

    def _changed(self, entity_id: str, old: State | None, new: State | None) -> None:
        if self._changes_while_reading is not None:
            self._changes_while_reading[entity_id] = new
        if new is None:
            self.snapshot.states.pop(entity_id, None)
            self.snapshot.version += 1
        else:
            if entity_id not in self.snapshot.states or _name(old) != _name(new):
                self.snapshot.version += 1
            self.snapshot.states[entity_id] = new
        for listener in list(self._listeners):
            try:
                listener(entity_id, old, new)
            except Exception:
                self._log.exception("a Home Assistant listener failed on %s", entity_id)

    @contextlib.asynccontextmanager
    async def watching(self, entity_ids: Sequence[str]) -> AsyncIterator[asyncio.Event]:
        """An event set on every state change of these entities while the block runs."""
        changed = asyncio.Event()
        wanted = set(entity_ids)

        def listener(entity_id: str, _old: State | None, _new: State | None) -> None:
            if entity_id in wanted:
                changed.set()

        stop = self.listen(listener)
        try:
            yield changed
        finally:
            stop()


def _updated(state: State | None) -> str:
    """When Home Assistant last updated the state: ISO 8601 in UTC, so the text sorts by time."""
    return str(state.get("last_updated", "")) if state else ""


def _name(state: State | None) -> object:
    return (state or {}).get("attributes", {}).get("friendly_name")

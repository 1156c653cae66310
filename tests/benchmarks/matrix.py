"""Prints Gepeto's Matrix figures: throughput and send-to-reply time, next to Synapse's floor.

Run: `python tests/benchmarks/matrix.py [--rooms 20] [--messages 10]` (GEPETO_BENCH_DIR picks
where Synapse keeps its files, e.g. /dev/shm). Starts a Synapse of its
own (scripts/synapse-venv), puts Gepeto in one direct chat per family member, and has every
member send their messages one after another (all rooms at once), each waiting for the answer
before the next. The floor is the same traffic answered by a bare nio client that echoes each
message as soon as its sync delivers it. Nothing here asserts: it reports.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import nio  # noqa: E402

from tests.bot.channels.matrix_family import (  # noqa: E402
    matrix_household,
    new_bot_account,
    phone,
    running_gepeto,
)
from tests.fakes.synapse import (  # noqa: E402
    MatrixAccount,
    Synapse,
    ensure_synapse_venv,
    matrix_client,
)

FAST_REPLY = "/start"
SCRATCH = os.environ.get("GEPETO_BENCH_DIR")
ALONE = 20
NO_RATE_LIMIT = "[safety]\nmessages_per_minute = 1000000\nburst = 1000000\n"


async def main(rooms: int, per_room: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    venv = await asyncio.to_thread(ensure_synapse_venv)
    with tempfile.TemporaryDirectory(prefix="gepeto-matrix-bench-", dir=SCRATCH) as scratch:
        workdir = Path(scratch)
        async with Synapse(workdir / "synapse", venv) as synapse:
            bot = await new_bot_account(synapse)
            echo = await synapse.register_member("echo")
            members = [await synapse.register_member(f"member{n}") for n in range(rooms)]
            family = {f"Member {n}": ("adult", account) for n, account in enumerate(members)}
            toml = matrix_household(workdir, synapse, bot, NO_RATE_LIMIT)
            async with running_gepeto(toml, bot, family, sync_timeout_ms=30_000):
                gepeto = await round_trips(synapse, members, bot.user_id, per_room)
                gepeto_alone = await round_trips(synapse, members[:1], bot.user_id, ALONE)
            async with echoing(synapse, echo):
                floor = await round_trips(synapse, members, echo.user_id, per_room)
                floor_alone = await round_trips(synapse, members[:1], echo.user_id, ALONE)
    print(f"{rooms} rooms × {per_room} messages, all rooms at once (Synapse on SQLite)")
    report("Gepeto: Synapse → inbox → pipeline → outbox → Synapse", *gepeto)
    report("Floor: a bare nio client echoing each message", *floor)
    print(f"\nOne room alone, {ALONE} messages one after another (no load)")
    report("Gepeto", *gepeto_alone)
    report("Floor", *floor_alone)


async def round_trips(
    synapse: Synapse, members: list[MatrixAccount], responder: str, per_room: int
) -> tuple[list[float], float]:
    """(send-to-reply seconds per message, wall seconds for all of them)."""
    rooms = []
    for account in members:
        async with phone(synapse, account) as member:
            room = await member.create_room([responder], direct=True)
            await member.membership(room, responder, "join")
            rooms.append(room)
    limits = httpx.Limits(max_connections=4 * len(members))
    async with httpx.AsyncClient(
        base_url=synapse.base_url, trust_env=False, timeout=60.0, limits=limits
    ) as http:
        handsets = [
            Handset(http, account, room, responder)
            for account, room in zip(members, rooms, strict=True)
        ]
        for handset in handsets:
            await handset.catch_up()
        started = time.perf_counter()
        async with asyncio.TaskGroup() as traffic:
            runs = [traffic.create_task(handset.converse(per_room)) for handset in handsets]
        wall = time.perf_counter() - started
    return [latency for run in runs for latency in run.result()], wall


class Handset:
    """A member's phone cut to the bone (send, then a sync filtered to one room) so it costs ~0."""

    def __init__(
        self, http: httpx.AsyncClient, account: MatrixAccount, room: str, responder: str
    ) -> None:
        self._http = http
        self._room = room
        self._responder = responder
        self._headers = {"Authorization": f"Bearer {account.access_token}"}
        self._filter = json.dumps(
            {
                "room": {
                    "rooms": [room],
                    "timeline": {"limit": 50, "types": ["m.room.message"]},
                    "state": {"types": []},
                    "ephemeral": {"types": []},
                    "account_data": {"types": []},
                },
                "presence": {"types": []},
                "account_data": {"types": []},
            }
        )
        self._since = ""

    async def catch_up(self) -> None:
        await self._sync(timeout_ms=0)

    async def converse(self, count: int) -> list[float]:
        latencies = []
        for _ in range(count):
            started = time.perf_counter()
            sent = await self._http.put(
                f"/_matrix/client/v3/rooms/{self._room}/send/m.room.message/{uuid.uuid4().hex}",
                headers=self._headers,
                json={"msgtype": "m.text", "body": FAST_REPLY},
            )
            sent.raise_for_status()
            while not await self._sync(timeout_ms=30_000):
                pass
            latencies.append(time.perf_counter() - started)
        return latencies

    async def _sync(self, timeout_ms: int) -> bool:
        """One sync; True when the responder said something in the room."""
        params = {"filter": self._filter, "timeout": str(timeout_ms)}
        if self._since:
            params["since"] = self._since
        response = await self._http.get(
            "/_matrix/client/v3/sync", params=params, headers=self._headers
        )
        response.raise_for_status()
        body = response.json()
        self._since = body["next_batch"]
        room = body.get("rooms", {}).get("join", {}).get(self._room, {})
        events = room.get("timeline", {}).get("events", [])
        return any(event.get("sender") == self._responder for event in events)


class echoing:  # noqa: N801 - used as `async with echoing(...)`
    """A plain nio client that joins every invite and echoes every text message at once."""

    def __init__(self, synapse: Synapse, account: MatrixAccount) -> None:
        self._synapse = synapse
        self._account = account
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> echoing:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        async with matrix_client(self._synapse, self._account) as client:
            first = await client.sync(timeout=0)
            assert isinstance(first, nio.SyncResponse), first
            while True:
                response = await client.sync(timeout=30_000)
                if not isinstance(response, nio.SyncResponse):
                    continue
                for room_id in response.rooms.invite:
                    await client.join(room_id)
                for room_id, info in response.rooms.join.items():
                    for event in info.timeline.events:
                        if (
                            isinstance(event, nio.RoomMessageText)
                            and event.sender != client.user_id
                        ):
                            await client.room_send(
                                room_id,
                                "m.room.message",
                                {"msgtype": "m.text", "body": event.body},
                            )


def report(title: str, latencies: list[float], wall: float) -> None:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    print(f"\n{title}")
    print(f"  messages answered    {len(latencies):8d}")
    print(f"  throughput           {len(latencies) / wall:8.1f} messages/s")
    print(f"  send → reply p50     {cuts[49] * 1000:8.0f} ms")
    print(f"  send → reply p99     {cuts[98] * 1000:8.0f} ms")
    print(f"  send → reply max     {max(latencies) * 1000:8.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10, help="per room")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rooms, arguments.messages))

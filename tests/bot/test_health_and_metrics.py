"""Issue 17 item 3: /healthz, /readyz and /metrics on the bot's own HTTP server, on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import serve
from bot.clock import ManualClock
from bot.context import AppContext
from bot.database_guard import DatabaseGuard
from bot.family import Member
from bot.health import Health
from bot.http_server import HttpServer
from bot.llm.client import LLMClient
from bot.messages import Reply
from bot.metrics import Metrics
from bot.router import Router
from bot.scheduler import Firing, Scheduler
from bot.workers import WorkerPool
from tests.bot.llm.test_client import ask, llm_settings
from tests.fakes.ollama import FakeOllama, ScriptedReply
from tests.support.home import REPO, MakeIncoming, write_bot_toml
from tests.support.llm_household import MODEL

HTTP_ON_ANY_PORT = '[http]\nenabled = true\nlisten = "127.0.0.1:0"\n'


@pytest.fixture
def bot_toml(tmp_path: Path) -> Path:
    return write_bot_toml(tmp_path, HTTP_ON_ANY_PORT)


class Phone:
    """A chat channel stand-in: says whether it is connected, keeps what it is sent."""

    name = "telegram"

    def __init__(self) -> None:
        self.connected = True
        self.server: HttpServer | None = None
        self.router: Router | None = None
        self.sent: list[tuple[str, str]] = []
        self.running = asyncio.Event()
        self.hang_up = asyncio.Event()

    def use_http_server(self, server: HttpServer) -> None:
        self.server = server

    async def run(self, router: Router) -> None:
        self.router = router
        self.running.set()
        await self.hang_up.wait()

    async def send(self, chat_id: str, reply: Reply, key: str) -> None:
        self.sent.append((chat_id, reply.text))

    def url(self, path: str) -> str:
        assert self.server is not None
        assert self.server.address is not None
        host, port = self.server.address
        return f"http://{host}:{port}{path}"


@contextlib.asynccontextmanager
async def running_bot(app: AppContext) -> AsyncIterator[Phone]:
    """`serve` with one phone, until the test is done with it."""
    phone = Phone()
    bot = asyncio.create_task(serve(app, [phone]))
    async with asyncio.timeout(30):
        await phone.running.wait()
    try:
        yield phone
    finally:
        phone.hang_up.set()
        await bot


def sample(text: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus text; 0 when that series has no sample yet."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def test_issue17_metrics_count_a_message_its_tool_and_its_time(
    app: AppContext, parent: Member, make_incoming: MakeIncoming
) -> None:
    async with running_bot(app) as phone:
        status, content_type, before = await get(phone.url("/metrics"))
        assert status == 200
        assert content_type.startswith("text/plain")
        assert sample(before, "gepeto_messages_total", route="command") == 0

        assert phone.router is not None
        await phone.router.receive(make_incoming("/list add milk"))
        await phone.router.drain()

        _, _, after = await get(phone.url("/metrics"))
    handled = {"channel": "telegram", "route": "command", "outcome": "replied"}
    assert sample(after, "gepeto_messages_total", **handled) == 1
    assert sample(after, "gepeto_tool_calls_total", tool="lists.add", status="done") == 1
    assert sample(after, "gepeto_message_handling_seconds_count", route="command") == 1
    assert sample(after, "gepeto_inbox_unfinished") == 0
    assert sample(after, "gepeto_channel_connected", channel="telegram") == 1
    assert "milk" in (app.settings.vault.path / "Lists" / "Shopping.md").read_text()


async def test_issue17_readyz_reports_each_part_and_turns_503_when_all_channels_are_down(
    app: AppContext,
) -> None:
    async with running_bot(app) as phone:
        status, _, _ = await get(phone.url("/healthz"))
        assert status == 200
        async with aiohttp.ClientSession() as http:
            async with http.get(phone.url("/readyz")) as ready:
                assert ready.status == 200
                assert await ready.json() == {
                    "ready": True,
                    "database": True,
                    "channels": {"telegram": True},
                    "scheduler": True,
                    "ollama": None,
                }
            phone.connected = False
            async with http.get(phone.url("/readyz")) as down:
                assert down.status == 503
                answer = await down.json()
    assert answer["channels"] == {"telegram": False}
    assert answer["database"] is True


async def test_issue17_readyz_turns_503_when_the_database_file_is_gone(app: AppContext) -> None:
    phone = Phone()
    guard = DatabaseGuard(app, [phone])
    server = HttpServer("127.0.0.1:0")
    Health(app, [phone], guard).add_routes(server)
    await server.start()
    phone.use_http_server(server)
    try:
        assert (await get(phone.url("/readyz")))[0] == 200
        (app.settings.storage.data_dir / "gepeto.db").unlink()
        status, _, body = await get(phone.url("/readyz"))
        alive, _, _ = await get(phone.url("/healthz"))
    finally:
        await server.close()
    assert status == 503
    assert '"database": false' in body
    assert alive == 200
    assert phone.sent == [], "asking whether the bot is ready tells no parent anything"


async def test_issue17_llm_time_to_first_token_and_speed_are_measured_per_model(
    clock: ManualClock,
) -> None:
    metrics = Metrics()
    async with FakeOllama(default_reply=ScriptedReply(content="Hello there.")) as ollama:
        client = LLMClient(llm_settings(ollama.url), clock, metrics)
        try:
            assert await ask(client) == "Hello there."
        finally:
            await client.aclose()
    text = metrics.render().decode()
    assert sample(text, "gepeto_llm_first_token_seconds_count", model=MODEL) == 1
    assert sample(text, "gepeto_llm_tokens_per_second_count", model=MODEL) == 1
    assert sample(text, "gepeto_llm_generated_tokens_total", model=MODEL) > 0


async def test_issue17_worker_time_is_measured_by_kind() -> None:
    metrics = Metrics()
    pool = WorkerPool({"ocr": 1}, metrics=metrics)
    try:
        assert await pool.run("ocr", len, "receipt") == 7
    finally:
        pool.close()
    text = metrics.render().decode()
    assert sample(text, "gepeto_work_seconds_count", kind="ocr") == 1
    assert sample(text, "gepeto_work_seconds_count", kind="transcribe") == 0


async def test_issue17_firings_are_counted_due_late_and_missed(
    app: AppContext, clock: ManualClock
) -> None:
    metrics = Metrics()
    fired: list[Firing] = []

    async def dispatch(firing: Firing) -> None:
        fired.append(firing)

    scheduler = Scheduler(app.sessions, clock, dispatch, "UTC", metrics)
    now = clock.now()
    await scheduler.schedule("drill", "remind", "on-time", at=now)
    await scheduler.schedule("drill", "remind", "late", at=now - timedelta(minutes=20))
    await scheduler.schedule("drill", "remind", "missed", at=now - timedelta(hours=3))
    await scheduler.run_due(now)

    text = metrics.render().decode()
    assert sorted(f.job_key for f in fired if f.skill == "drill") == ["late", "missed", "on-time"]
    for timing, result in (("due", "done"), ("late", "done"), ("missed", "missed")):
        labels = {"skill": "drill", "timing": timing, "result": result}
        assert sample(text, "gepeto_job_firings_total", **labels) == 1, timing


def test_issue17_the_grafana_dashboard_asks_only_for_metrics_gepeto_serves() -> None:
    served = {
        family.name for family in text_string_to_metric_families(Metrics().render().decode())
    }
    dashboard = json.loads((REPO / "deploy" / "grafana-dashboard.json").read_text())
    asked = {
        re.sub(r"_(bucket|total|count|sum)$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"gepeto_[a-z_]+", target["expr"])
    }
    assert len(asked) >= 12
    assert asked - served == set()

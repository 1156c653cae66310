"""Issue 17 item 5: the household's HTTP API — each member's key acts as them, nothing more."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.api_keys import create_key, member_for_key
from bot.app import open_app, serve
from bot.config import Config
from bot.context import AppContext
from bot.family import Member
from storage.models import ApiKey
from tests.bot.test_health_and_metrics import Phone
from tests.support.cli import Gepeto
from tests.support.home import CHILD_ID, write_bot_toml

API_ON_ANY_PORT = (
    '[http]\nenabled = true\nlisten = "127.0.0.1:0"\n'
    "[api]\nenabled = true\nrequests_per_minute = 1\nburst = 4\n"
)


@pytest.fixture
def bot_toml(tmp_path: Path) -> Path:
    return write_bot_toml(tmp_path, API_ON_ANY_PORT)


class Api:
    """The running bot's API, called like a Home Assistant automation would."""

    def __init__(self, phone: Phone, http: aiohttp.ClientSession) -> None:
        self.phone = phone
        self.http = http

    async def call(
        self, method: str, path: str, key: str | None, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
        url = self.phone.url(f"/api/v1{path}")
        async with self.http.request(method, url, json=body, headers=headers) as response:
            text = await response.text()
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, text


@contextlib.asynccontextmanager
async def running_api(app: AppContext) -> AsyncIterator[Api]:
    phone = Phone()
    bot = asyncio.create_task(serve(app, [phone]))
    async with asyncio.timeout(30):
        await phone.running.wait()
    try:
        async with aiohttp.ClientSession() as http:
            yield Api(phone, http)
    finally:
        phone.hang_up.set()
        await bot


async def test_issue17_a_valid_key_sends_a_message_and_gets_the_say_json(
    app: AppContext, parent: Member
) -> None:
    key = await create_key(app.sessions, app.clock, parent)
    async with running_api(app) as api:
        status, answer = await api.call("POST", "/messages", key, {"text": "/list add milk"})
    assert status == 200
    assert set(answer) == {"reply", "route", "actions", "transcript", "files"}
    assert answer["route"] == "command"
    assert "milk" in answer["reply"]
    assert [(a["tool"], a["status"]) for a in answer["actions"]] == [("lists.add", "done")]
    assert "milk" in (app.settings.vault.path / "Lists" / "Shopping.md").read_text()


async def test_issue17_wrong_missing_or_another_members_key_gets_401_and_nothing_else(
    app: AppContext, parent: Member, child: Member
) -> None:
    child_key = await create_key(app.sessions, app.clock, child)
    async with running_api(app) as api:
        refused = [
            await api.call("POST", "/messages", None, {"text": "/list add cake"}),
            await api.call("POST", "/messages", "gepeto_not-a-key", {"text": "/list add cake"}),
            await api.call("GET", "/lists/Shopping", "Basic " + child_key, None),
            await api.call(
                "POST", "/messages", child_key, {"text": "/list add cake", "member": "Ana"}
            ),
        ]
    assert refused == [(401, "")] * 4
    assert not (app.settings.vault.path / "Lists" / "Shopping.md").exists()


async def test_issue17_a_childs_key_cannot_do_what_a_child_cannot(
    app: AppContext, parent: Member, child: Member
) -> None:
    child_key = await create_key(app.sessions, app.clock, child)
    async with running_api(app) as api:
        limit = await api.call("POST", "/messages", child_key, {"text": "/budget limit toys 5"})
        push = await api.call("POST", "/notify", child_key, {"member": "Ana", "text": "hi"})
        shown = await api.call("GET", "/lists/Shopping", child_key)
    status, answer = limit
    assert status == 200
    assert [(a["tool"], a["status"]) for a in answer["actions"]] == [
        ("budget.set_limit", "denied")
    ]
    assert "children can't use budget.set_limit" in answer["reply"]
    assert push[0] == 403
    assert shown == (
        200,
        {"text": "The Shopping list is empty.", "list": "Shopping", "open": [], "ticked_off": 0},
    )


async def test_issue17_a_parent_pushes_a_text_to_a_member_once_per_key(
    app: AppContext, parent: Member, child: Member
) -> None:
    key = await create_key(app.sessions, app.clock, parent)
    dinner = {"member": "Leo", "text": "Dinner is ready!", "key": "dinner-2026-12-12"}
    async with running_api(app) as api:
        first = await api.call("POST", "/notify", key, dinner)
        again = await api.call("POST", "/notify", key, dinner)
        nobody = await api.call("POST", "/notify", key, {"member": "Zoe", "text": "hi"})
        assert api.phone.router is not None
        await api.phone.router.outbox.deliver_due()
        sent = list(api.phone.sent)
    assert (first, again) == ((202, {"queued": True}), (202, {"queued": False}))
    assert nobody == (404, {"error": "Nobody called Zoe lives here."})
    assert sent == [(CHILD_ID, "Dinner is ready!")]


async def test_issue17_api_calls_are_rate_limited_per_member(
    app: AppContext, parent: Member
) -> None:
    key = await create_key(app.sessions, app.clock, parent)
    async with running_api(app) as api:
        statuses = [(await api.call("GET", "/lists/Shopping", key))[0] for _ in range(5)]
        described = await api.call("GET", "/openapi.json", None)
    assert statuses == [200, 200, 200, 200, 429]
    status, document = described
    assert status == 200
    assert set(document["paths"]) == {
        "/api/v1/messages",
        "/api/v1/lists/{name}",
        "/api/v1/notify",
    }


def test_issue17_members_api_key_is_shown_once_and_stored_hashed(
    gepeto: Gepeto, config: Config
) -> None:
    assert gepeto("members", "add", "Ana", "--role", "parent").exit_code == 0
    made = [gepeto("members", "api-key", "Ana") for _ in range(2)]
    assert [result.exit_code for result in made] == [0, 0], made[0].stderr
    old_key, new_key = (
        next(word for word in result.stdout.split() if word.startswith("gepeto_"))
        for result in made
    )

    async def check() -> None:
        async with open_app(config) as app:
            async with app.sessions() as session:
                stored = [row.key_hash for row in await session.exec(select(ApiKey))]
            assert len(stored) == 1
            assert new_key not in stored[0]
            assert await member_for_key(app.sessions, app.clock, old_key) is None
            found = await member_for_key(app.sessions, app.clock, new_key)
            assert found is not None
            assert found.name == "Ana"

    asyncio.run(check())

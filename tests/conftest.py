"""Fixtures the whole suite shares."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import open_app
from bot.clock import ManualClock
from bot.config import Config, load_config
from bot.context import AppContext
from bot.family import Member
from bot.messages import Incoming
from tests.support.cli import Gepeto
from tests.support.home import (
    CHILD_ID,
    FOREIGN_SETTINGS,
    PARENT_ID,
    FamilyChats,
    MakeIncoming,
    write_bot_toml,
)

# The real Synapse homeserver (session-scoped fixtures `synapse_venv`, `synapse_server`), and
# `--database=postgres`: the households of the run in a throw-away PostgreSQL cluster.
pytest_plugins = ["tests.fakes.synapse", "tests.support.databases"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def bot_toml(tmp_path: Path) -> Path:
    """A household in tmp_path: data/ and vault/ beside its bot.toml, the test skill loaded."""
    return write_bot_toml(tmp_path)


@pytest.fixture
def config(bot_toml: Path) -> Config:
    return load_config(bot_toml, environ={})


@pytest.fixture
async def app(config: Config, clock: ManualClock) -> AsyncIterator[AppContext]:
    async with open_app(config, clock=clock) as context:
        yield context


@pytest.fixture
async def parent(app: AppContext) -> Member:
    """Ana, a parent, writing from Telegram user 1001."""
    member = await app.family.add("Ana", "parent")
    await app.family.link("Ana", f"telegram:{PARENT_ID}")
    return member


@pytest.fixture
async def child(app: AppContext) -> Member:
    """Leo, a child, writing from Telegram user 1002."""
    member = await app.family.add("Leo", "child")
    await app.family.link("Leo", f"telegram:{CHILD_ID}")
    return member


@pytest.fixture
def make_incoming(clock: ManualClock) -> MakeIncoming:
    """Builds a Telegram message; private chat with the sender unless chat_id is given."""
    event_ids = itertools.count(1)

    def make(
        text: str = "", *, sender: str = PARENT_ID, chat_id: str | None = None, **fields: Any
    ) -> Incoming:
        values: dict[str, Any] = {
            "channel": "telegram",
            "chat_id": chat_id or sender,
            "sender": sender,
            "event_id": f"event-{next(event_ids)}",
            "received_at": clock.now(),
            "text": text,
        }
        return Incoming(**(values | fields))

    return make


@pytest.fixture
def chats(app: AppContext) -> FamilyChats:
    """The real router and outbox of `app`; `await chats.send(incoming)` handles a message."""
    return FamilyChats.open(app)


@pytest.fixture
def no_outside_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hides the GEPETO_*, TELEGRAM_*, MATRIX_* and OLLAMA_* settings of the machine itself."""
    for name in list(os.environ):
        if name.startswith(FOREIGN_SETTINGS):
            monkeypatch.delenv(name)


@pytest.fixture
def gepeto(bot_toml: Path, no_outside_settings: None) -> Gepeto:
    """The `gepeto` command for the household in tmp_path."""
    return Gepeto(bot_toml)

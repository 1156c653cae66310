"""A CalDAV server that asks for a sign-in gets the username from bot.toml and the password
from CALDAV_PASSWORD, never from the file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from bot.config import Config, load_config
from bot.context import AppContext
from tests.fakes.radicale import Radicale
from tests.skills.calendar.conftest import CALENDAR_TOML, Ask
from tests.support.home import write_bot_toml


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    with Radicale(tmp_path / "radicale", users={"family": "s3cret-word"}) as server:
        yield server


@pytest.fixture
def bot_toml(tmp_path: Path, radicale: Radicale) -> Path:
    caldav = f'[skills.calendar.caldav]\nurl = "{radicale.calendar_url}"\nusername = "family"\n'
    return write_bot_toml(tmp_path, CALENDAR_TOML + caldav)


@pytest.fixture
def config(bot_toml: Path) -> Config:
    return load_config(bot_toml, environ={"CALDAV_PASSWORD": "s3cret-word"})


async def test_events_reach_a_server_that_asks_for_a_sign_in(
    app: AppContext, ask: Ask, radicale: Radicale
) -> None:
    await ask("calendar.add_event", title="dentist", when="friday at 10")

    await app.scheduler.run_due(app.clock.now())

    async with httpx.AsyncClient(trust_env=False, auth=("family", "s3cret-word")) as http:
        listing = await http.request("PROPFIND", radicale.calendar_url, headers={"Depth": "1"})
        hrefs = [h.text or "" for h in ElementTree.fromstring(listing.content).iter("{DAV:}href")]
        bodies = [
            (await http.get(radicale.base_url + h)).text for h in hrefs if h.endswith(".ics")
        ]
    assert len(bodies) == 1
    assert "SUMMARY:dentist" in bodies[0]

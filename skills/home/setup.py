"""The skill's life: one Home Assistant connection from start-up to shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

from pydantic import SecretStr

from bot.services import SkillServices
from skills.home.client import HomeAssistant
from skills.home.events import EventTeller
from skills.home.fast import Recognizer
from skills.home.link import HomeLink
from skills.home.settings import TOKEN_ENV


@contextlib.asynccontextmanager
async def open_home(
    services: SkillServices,
    secrets: Mapping[str, SecretStr],
    link: HomeLink,
    recognizer: Recognizer,
) -> AsyncIterator[HomeLink]:
    """Connects when `[skills.home] url` and the token are set; the rest of Gepeto never waits
    on Home Assistant (a down house is one sentence when someone asks)."""
    token = secrets.get(TOKEN_ENV)
    if not link.settings.url:
        yield link
        return
    if token is None:
        services.log.warning("home: %s is not set, so Home Assistant stays unreachable", TOKEN_ENV)
        yield link
        return
    client = HomeAssistant(
        link.settings.url,
        token.get_secret_value(),
        services.http,
        services.log,
        timeout_s=link.settings.timeout_s,
    )
    teller = EventTeller(services, link)
    stop_listening = client.listen(teller.changed)
    warming = asyncio.create_task(asyncio.to_thread(recognizer.warm_up))
    await client.start()
    link.client = client
    link.pushes = teller
    try:
        await warming
        yield link
    finally:
        link.client = None
        link.pushes = None
        stop_listening()
        await teller.settle()
        await client.aclose()

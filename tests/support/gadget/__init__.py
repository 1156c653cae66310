"""A plugin skill for platform tests: a setting, a secret, and a client its setup opens.

The client records whether it is open, so a test sees it started before the first message
and closed at shutdown; the secret reaches only the setup, never a tool or a log line.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping

from pydantic import BaseModel, Field, SecretStr

from bot.config import Section
from bot.services import SkillServices
from bot.skills import Skill
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult

OPENED: list[GadgetClient] = []
"""Every client the setup opened, for tests to inspect after the app closed."""


class GadgetSettings(Section):
    greeting: str = "hello"
    volume: int = Field(default=3, ge=0, le=10)


class GadgetClient:
    def __init__(self, token: str, greeting: str) -> None:
        self.token = token
        self.greeting = greeting
        self.open = True


@contextlib.asynccontextmanager
async def connect(
    services: SkillServices, secrets: Mapping[str, SecretStr]
) -> AsyncIterator[GadgetClient]:
    token = secrets.get("GADGET_TOKEN")
    settings = services.settings_as(GadgetSettings)
    client = GadgetClient(token.get_secret_value() if token else "", settings.greeting)
    OPENED.append(client)
    logging.getLogger("tests.gadget").info("connected with token %s", client.token)
    try:
        yield client
    finally:
        client.open = False


class NoArgs(BaseModel):
    pass


async def greet(ctx: ToolContext, _args: NoArgs) -> ToolResult:
    client = ctx.services.client_as(GadgetClient)
    if not client.open:
        raise ToolError("The gadget is not connected.")
    volume = ctx.services.settings_as(GadgetSettings).volume
    return ToolResult(text=f"{client.greeting} at volume {volume}")


GREET = Tool(
    name="gadget.greet",
    description="Greet through the gadget.",
    args=NoArgs,
    risk=Risk.READ,
    run=greet,
)

SKILL = Skill(
    name="gadget",
    tools=(GREET,),
    settings=GadgetSettings,
    secrets=("GADGET_TOKEN",),
    setup=connect,
)

"""Home Assistant from the family chat: only what is exposed, never a "done" it did not see."""

from __future__ import annotations

import dataclasses
import functools

from pydantic import BaseModel

from bot.skills import Skill
from skills.home.commands import home_command
from skills.home.fast import Recognizer
from skills.home.link import HomeLink
from skills.home.settings import TOKEN_ENV, HomeSettings
from skills.home.setup import open_home
from skills.home.tools import home_tools

KEYWORDS = (
    "light",
    "lights",
    "lamp",
    "heating",
    "thermostat",
    "garage",
    "door",
    "lock",
    "unlock",
    "blinds",
    "alarm",
    "temperature",
    "warm",
    "cold",
    "scene",
    "licht",
    "heizung",
    "tür",
    "luz",
    "porta",
    "garagem",
    "puerta",
    "garaje",
    "calefacción",
)


def configure(settings: BaseModel) -> Skill:
    """This family's house: tools, `/home`, the fast path and the connection share one link."""
    home = settings if isinstance(settings, HomeSettings) else HomeSettings()
    link = HomeLink(home)
    recognizer = Recognizer(link, tuple(home.languages))
    return dataclasses.replace(
        SKILL,
        tools=home_tools(link),
        commands=(home_command(link),),
        setup=functools.partial(open_home, link=link, recognizer=recognizer),
        recognize=lambda _services, text: recognizer(text),
    )


_DEFAULT = HomeLink(HomeSettings())

SKILL = Skill(
    name="home",
    roles={"child": ("home.state", "home.list", "home.call")},
    tools=home_tools(_DEFAULT),
    settings=HomeSettings,
    secrets=(TOKEN_ENV,),
    commands=(home_command(_DEFAULT),),
    keywords=KEYWORDS,
    configure=configure,
)

"""A plugin skill that tries to take a command another skill already has."""

from __future__ import annotations

from bot.actions import Turn
from bot.messages import Outcome
from bot.replies import say
from bot.skills import Command, Skill


async def shout(turn: Turn, _argument: str) -> Outcome:
    return say(turn, "command", "LIST!")


SKILL = Skill(name="copycat", commands=(Command("list", shout, "another list"),))

"""/home: the areas Gepeto can see and what is on in each."""

from __future__ import annotations

from bot.actions import ROLE_PLURALS, Turn
from bot.markdown import escape
from bot.messages import Outcome
from bot.replies import say
from bot.skills import Command
from bot.tools import ToolError, is_allowed
from skills.home.link import HomeLink, shown_state

OFF_STATES = frozenset(
    {"off", "closed", "locked", "idle", "standby", "disarmed", "unavailable", "unknown"}
)


def home_command(link: HomeLink) -> Command:
    async def home(turn: Turn, argument: str) -> Outcome:
        member = turn.member
        if not is_allowed(turn.app.permissions(member.role), "home.list"):
            return say(
                turn,
                "command",
                f"Sorry {escape(member.name)}, {ROLE_PLURALS[member.role]} "
                "can't look into the house.",
            )
        try:
            house = await link.ready()
        except ToolError as error:
            return say(turn, "command", str(error))
        areas = house.areas()
        if not areas:
            return say(
                turn,
                "command",
                "Nothing in the house is shared with me yet: a parent lists it in bot.toml "
                "([skills.home] expose\\_entities or expose\\_areas).",
            )
        lines = ["**The house**"]
        for area, things in areas.items():
            on = [
                f"{escape(t.name)} ({escape(shown_state(house.state(t.entity_id)))})"
                for t in things
                if str((house.state(t.entity_id) or {}).get("state")) not in OFF_STATES
            ]
            lines.append(f"- **{escape(area)}**: {', '.join(on) if on else 'all off/closed'}")
        return say(turn, "command", "\n".join(lines))

    return Command("home", home, "the house: areas and what is on", ("home.list",))

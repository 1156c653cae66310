"""Slash commands: /start and /help here; every other command comes from the skill that owns it."""

from __future__ import annotations

from collections.abc import Iterable

from bot.actions import Turn, needs_second_adult
from bot.markdown import escape
from bot.messages import Outcome
from bot.replies import say
from bot.skills import Command, Skill
from bot.tools import AnyTool, Risk, is_allowed


async def start(turn: Turn, _argument: str) -> Outcome:
    return say(
        turn,
        "command",
        f"Hi {escape(turn.member.name)}! I'm Gepeto, the family assistant. "
        "Send /help to see what I can do.",
    )


async def help_(turn: Turn, _argument: str) -> Outcome:
    """What this member may do: their commands and, in words, their tools."""
    permissions = turn.app.permissions(turn.member.role)
    lines = [f"**What I can do for you, {escape(turn.member.name)}** ({turn.member.role})", ""]
    for command in turn.app.commands:
        if all(is_allowed(permissions, tool) for tool in command.tools):
            lines.append(f"/{command.name} — {command.usage}")
    tools = turn.app.tools.allowed(permissions)
    if tools:
        lines += ["", "You can also just ask, for example:"]
        lines += [f"- {tool.description}{_second_adult_note(turn, tool)}" for tool in tools]
    return say(turn, "command", "\n".join(lines))


def _second_adult_note(turn: Turn, tool: AnyTool) -> str:
    """Tools that are always critical need another parent's or adult's yes (when that is on)."""
    if isinstance(tool.risk, Risk) and needs_second_adult(turn.app, tool.risk):
        return " (needs a yes from another parent or adult too)"
    return ""


CORE = (
    Command("start", start, "say hello"),
    Command("help", help_, "what I can do for you"),
)


def table(skills: Iterable[Skill]) -> tuple[Command, ...]:
    """Every command, in the order /help shows them: the core ones, then each skill's."""
    return (*CORE, *(command for skill in skills for command in skill.commands))


async def handle(turn: Turn) -> Outcome:
    head, _, argument = turn.incoming.text.strip().partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    command = next((c for c in turn.app.commands if c.name == name), None)
    if command is None:
        return say(turn, "command", f"I don't know /{name}. Send /help to see the commands.")
    return await command.run(turn, argument.strip())

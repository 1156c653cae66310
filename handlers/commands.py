"""Slash commands: the table below says where each one goes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.actions import Turn, run_action
from bot.fastpath import split_items
from bot.markdown import escape
from bot.messages import Outcome
from bot.tools import is_allowed
from handlers.replies import outcome, say


@dataclass(frozen=True)
class Command:
    run: Callable[[Turn, str], Awaitable[Outcome]]
    usage: str
    tools: tuple[str, ...] = ()


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
    for name, command in COMMANDS.items():
        if all(is_allowed(permissions, tool) for tool in command.tools):
            lines.append(f"/{name} — {command.usage}")
    tools = turn.app.tools.allowed(permissions)
    if tools:
        lines += ["", "You can also just ask, for example:"]
        lines += [f"- {tool.description}" for tool in tools]
    return say(turn, "command", "\n".join(lines))


LIST_VERBS = {
    "add": "lists.add",
    "check": "lists.check",
    "tick": "lists.check",
    "done": "lists.check",
}


async def list_(turn: Turn, argument: str) -> Outcome:
    """/list [name] [add|check ITEMS]; with no verb it shows the list."""
    words = argument.split()
    verb_at = next((i for i, word in enumerate(words) if word.lower() in LIST_VERBS), None)
    if verb_at is None:
        result = await run_action(turn, "lists.show", {"list_name": argument.strip()})
        return outcome(turn, "command", result)
    list_name = " ".join(words[:verb_at])
    items = split_items(" ".join(words[verb_at + 1 :]))
    if not items:
        return say(turn, "command", "Which items? For example: /list add milk, eggs")
    tool = LIST_VERBS[words[verb_at].lower()]
    result = await run_action(turn, tool, {"list_name": list_name, "items": items})
    return outcome(turn, "command", result)


async def status(turn: Turn, _argument: str) -> Outcome:
    result = await run_action(turn, "system.status", {})
    return outcome(turn, "command", result)


async def search(turn: Turn, argument: str) -> Outcome:
    if not argument:
        return say(turn, "command", "What should I look for? For example: /search wifi password")
    result = await run_action(turn, "knowledge.search", {"query": argument})
    return outcome(turn, "command", result)


async def remember(turn: Turn, argument: str) -> Outcome:
    if not argument:
        result = await run_action(turn, "memory.list", {})
    else:
        result = await run_action(turn, "memory.remember", {"fact": argument})
    return outcome(turn, "command", result)


COMMANDS: dict[str, Command] = {
    "start": Command(start, "say hello"),
    "help": Command(help_, "what I can do for you"),
    "list": Command(
        list_,
        "show a list; /list add milk, eggs; /list check milk; /list to-do add call grandma",
        ("lists.show",),
    ),
    "search": Command(search, "/search WORDS finds notes in the vault", ("knowledge.search",)),
    "remember": Command(
        remember, "/remember FACT keeps it for you; /remember alone lists it", ("memory.list",)
    ),
    "status": Command(status, "GPUs, language models and queues", ("system.status",)),
}


async def handle(turn: Turn) -> Outcome:
    head, _, argument = turn.incoming.text.strip().partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    command = COMMANDS.get(name)
    if command is None:
        return say(turn, "command", f"I don't know /{name}. Send /help to see the commands.")
    return await command.run(turn, argument.strip())

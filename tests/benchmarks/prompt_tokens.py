"""Prints the prompt tokens of each LLM round with 35 tools, before and after preselection.

Run: `python tests/benchmarks/prompt_tokens.py`. A real app (temp dir, real router) has the
built-in skills plus six stand-ins for the chores, budget, calendar, reminders, Home Assistant
and SSH skills (35 tools, with realistic names, descriptions, arguments and keywords). The same
typical messages go to the fake Ollama twice — `[llm] preselect_tools = false`, then `true` —
and each request it received is measured: the estimate the bot budgets with (characters / 4 of
the messages and tool schemas) and the fake's `prompt_eval_count` (its words of the same JSON,
tools included, as the real server counts its template). Nothing here asserts.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import types
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.actions import Turn  # noqa: E402
from bot.app import open_app  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.llm import history, preselect  # noqa: E402
from bot.messages import Incoming  # noqa: E402
from bot.skills import Skill  # noqa: E402
from bot.tools import Risk, Tool, ToolContext, ToolResult  # noqa: E402
from tests.fakes.ollama import FakeOllama, ScriptedReply  # noqa: E402
from tests.support.home import HOUSEHOLD_SKILL, FamilyChats  # noqa: E402
from tests.support.llm_household import write_llm_bot_toml  # noqa: E402

PARENT = "1001"
NO_LIMITS = "[safety]\nmessages_per_minute = 100000\nburst = 100000\n"
MESSAGES: tuple[tuple[str, str], ...] = (
    # (chat, text): a shared chat makes the second message a follow-up of the first.
    ("a", "can you put the dishes chore on Leo for tomorrow"),
    ("a", "and the laundry on Saturday"),
    ("b", "I spent 42.50 on groceries at Lidl today"),
    ("c", "what's on the calendar this weekend?"),
    ("d", "remind me to call grandma at six"),
    ("e", "is the garage door still open?"),
    ("f", "restart jellyfin on the nas please"),
    ("g", "Kannst du Hafermilch auf die Einkaufsliste setzen?"),
    ("g", "und Eier auch"),
    ("h", "Quanto gastámos em comida este mês?"),
    ("i", "¿Quién tiene que sacar la basura hoy?"),
    ("j", "where did we put the passports?"),
    ("k", "tell me a bedtime story about a dragon and a cat"),
)


async def _done(_ctx: ToolContext, _args: BaseModel) -> ToolResult:
    return ToolResult(text="Done.")


class ChoreArgs(BaseModel):
    chore: str = Field(description="what needs doing, e.g. 'dishes' or 'take out the trash'")
    who: str = Field(description="the family member who does it")
    due: str = Field(default="today", description="the day it is due: 'tomorrow', a weekday")
    repeat: Literal["never", "daily", "weekly", "monthly"] = "never"


class ChoreRef(BaseModel):
    chore: str = Field(description="the chore, as the family calls it")
    who: str = Field(default="", description="whose chore; empty for the sender's own")


class WhoArgs(BaseModel):
    who: str = Field(default="", description="a family member; empty for everyone")
    period: Literal["week", "month", "year"] = "week"


class ExpenseArgs(BaseModel):
    amount: str = Field(description="the amount as written, e.g. '42.50'")
    category: str = Field(description="groceries, transport, school, fun, home...")
    note: str = Field(default="", description="where or what, e.g. 'Lidl'")
    when: str = Field(default="today", description="the day of the expense")


class LimitArgs(BaseModel):
    category: str = Field(description="the budget category")
    monthly_limit: str = Field(description="the most to spend in a month, e.g. '400'")


class PeriodArgs(BaseModel):
    month: str = Field(default="", description="YYYY-MM; empty for this month")
    category: str = Field(default="", description="one category; empty for all")


class EventArgs(BaseModel):
    title: str = Field(description="what happens, e.g. 'Dentist (Mia)'")
    start: str = Field(description="date and time, e.g. '2025-06-03 15:30'")
    end: str = Field(default="", description="date and time it ends; empty for one hour")
    who: list[str] = Field(default_factory=list, description="family members taking part")
    place: str = Field(default="", description="where")


class EventRef(BaseModel):
    title: str = Field(description="the event's title, or words from it")
    day: str = Field(default="", description="the day it is on, to tell repeats apart")


class EventChange(EventRef):
    start: str = Field(default="", description="the new start; empty to keep it")
    place: str = Field(default="", description="the new place; empty to keep it")


class AgendaArgs(BaseModel):
    start: str = Field(default="today", description="first day shown")
    days: int = Field(default=7, ge=1, le=31, description="how many days")


class ReminderArgs(BaseModel):
    text: str = Field(description="what to remind about")
    at: str = Field(description="when: '18:00', 'tomorrow 8am', 'in 20 minutes'")
    who: str = Field(default="", description="whom to remind; empty for the sender")
    repeat: Literal["never", "daily", "weekly"] = "never"


class ReminderRef(BaseModel):
    reminder: str = Field(description="the reminder's text, or words from it")


class SnoozeArgs(ReminderRef):
    minutes: int = Field(default=10, ge=1, le=1440, description="how long to wait")


class EntityArgs(BaseModel):
    entity: str = Field(description="an exposed entity, e.g. 'light.living_room'")


class ServiceArgs(BaseModel):
    entity: str = Field(description="an exposed entity, e.g. 'cover.garage_door'")
    service: str = Field(description="turn_on, turn_off, open, close, lock, unlock, set...")
    value: str = Field(default="", description="brightness, temperature or position if any")


class AreaArgs(BaseModel):
    area: str = Field(default="", description="a room; empty for the whole house")


class SshArgs(BaseModel):
    host: str = Field(description="a host from the catalog, e.g. 'nas'")
    action: str = Field(description="a named action of that host, e.g. 'restart jellyfin'")
    argument: str = Field(default="", description="the action's argument, if it takes one")


def tool(name: str, description: str, args: type[BaseModel], risk: Risk = Risk.READ) -> Tool[Any]:
    return Tool(name=name, description=description, args=args, risk=risk, run=_done)


STAND_INS = (
    Skill(
        name="chores",
        tools=(
            tool("chores.add", "Create a household chore for a member.", ChoreArgs, Risk.WRITE),
            tool("chores.complete", "Mark a chore as done.", ChoreRef, Risk.WRITE),
            tool("chores.list", "List open chores, a member's or everyone's.", WhoArgs),
            tool("chores.assign", "Give an existing chore to someone else.", ChoreRef, Risk.WRITE),
            tool("chores.stats", "Who did how many chores in a period.", WhoArgs),
        ),
        keywords=(
            "chore",
            "dishes",
            "laundry",
            "vacuum",
            "trash",
            "hausarbeit",
            "abwasch",
            "müll",
            "tarefa",
            "tarea",
            "basura",
            "lixo",
        ),
    ),
    Skill(
        name="budget",
        tools=(
            tool("budget.add_expense", "Record money spent.", ExpenseArgs, Risk.WRITE),
            tool("budget.set_limit", "Set a monthly limit for a category.", LimitArgs, Risk.WRITE),
            tool("budget.summary", "Spending against the limits for a month.", PeriodArgs),
            tool("budget.list", "The expenses of a month, newest first.", PeriodArgs),
        ),
        keywords=(
            "budget",
            "spent",
            "spend",
            "expense",
            "money",
            "euro",
            "cost",
            "paid",
            "ausgabe",
            "ausgegeben",
            "gast",
            "gasto",
            "dinheiro",
            "dinero",
        ),
    ),
    Skill(
        name="calendar",
        tools=(
            tool(
                "calendar.add_event", "Put an event in the family calendar.", EventArgs, Risk.WRITE
            ),
            tool("calendar.agenda", "The family's events for some days.", AgendaArgs),
            tool("calendar.remove_event", "Delete an event.", EventRef, Risk.WRITE),
            tool("calendar.update_event", "Move or change an event.", EventChange, Risk.WRITE),
        ),
        keywords=(
            "calendar",
            "event",
            "appointment",
            "meeting",
            "schedule",
            "agenda",
            "weekend",
            "termin",
            "kalender",
            "compromisso",
            "cita",
            "calendario",
        ),
    ),
    Skill(
        name="reminders",
        tools=(
            tool(
                "reminders.add",
                "Remind a member of something at a time.",
                ReminderArgs,
                Risk.WRITE,
            ),
            tool("reminders.list", "The reminders still to come.", AreaArgs),
            tool("reminders.cancel", "Cancel a reminder.", ReminderRef, Risk.WRITE),
            tool(
                "reminders.snooze", "Push a reminder back a few minutes.", SnoozeArgs, Risk.WRITE
            ),
        ),
        keywords=("remind", "reminder", "erinner", "lembr", "recordar", "recordatorio"),
    ),
    Skill(
        name="home",
        tools=(
            tool("home.state", "The state of an exposed Home Assistant entity.", EntityArgs),
            tool(
                "home.call",
                "Switch, open, close or set an exposed entity.",
                ServiceArgs,
                Risk.SENSITIVE,
            ),
            tool("home.list", "The exposed entities of a room or the house.", AreaArgs),
        ),
        keywords=(
            "light",
            "lamp",
            "heating",
            "thermostat",
            "temperature",
            "door",
            "garage",
            "window",
            "licht",
            "heizung",
            "tür",
            "luz",
            "porta",
            "puerta",
        ),
    ),
    Skill(
        name="ssh",
        tools=(
            tool(
                "ssh.run", "Run a named catalog action on a home server.", SshArgs, Risk.CRITICAL
            ),
        ),
        keywords=("restart", "nas", "jellyfin", "ssh", "backup", "plex", "neustart"),
    ),
)


def register_stand_ins() -> list[str]:
    """Each stand-in skill as an importable plugin module; returns their module names."""
    names = []
    for skill in STAND_INS:
        module = types.ModuleType(f"gepeto_bench_{skill.name}")
        module.SKILL = skill  # type: ignore[attr-defined]
        sys.modules[module.__name__] = module
        names.append(module.__name__)
    return names


@dataclass
class Round:
    """One request the model received: tools offered, estimated and reported prompt tokens."""

    tools: int
    estimated: int
    reported: int


def estimate(body: dict[str, Any]) -> int:
    """The bot's own estimate of a request's prompt: characters / 4 of messages and tools."""
    text = "".join(m.get("content") or "" for m in body["messages"])
    return history.tokens(text + json.dumps(body.get("tools") or [], ensure_ascii=False))


def write_household(folder: Path, url: str, plugins: list[str], preselecting: bool) -> Path:
    """bot.toml: the built-in skills and the stand-ins, preselection on or off."""
    bot_toml = write_llm_bot_toml(folder, [url], extra=NO_LIMITS)
    listing = ", ".join(f'"{name}"' for name in plugins)
    text = bot_toml.read_text()
    text = text.replace(f'plugins = ["{HOUSEHOLD_SKILL}"]', f"plugins = [{listing}]")
    flag = f"preselect_tools = {str(preselecting).lower()}"
    bot_toml.write_text(text.replace("enabled = true\n", f"enabled = true\n{flag}\n", 1))
    return bot_toml


def message(number: int, chat: str, text: str) -> Incoming:
    return Incoming(
        channel="telegram",
        chat_id=f"{PARENT}{chat}",
        sender=PARENT,
        event_id=f"bench-{number}",
        received_at=datetime.now(UTC),
        text=text,
    )


@dataclass
class Run:
    """What one pass over the messages showed."""

    catalog: int
    rounds: list[list[Round]]
    choosing_ms: list[float]


async def measure(fake: FakeOllama, plugins: list[str], preselecting: bool) -> Run:
    """Sends every message once through a fresh household; the figures of each LLM round."""
    with tempfile.TemporaryDirectory(prefix="gepeto-bench-") as folder:
        bot_toml = write_household(Path(folder), fake.url, plugins, preselecting)
        async with open_app(load_config(bot_toml, environ={})) as app:
            ana = await app.family.add("Ana", "parent")
            await app.family.link("Ana", f"telegram:{PARENT}")
            chats = FamilyChats.open(app)
            allowed = app.tools.allowed(app.permissions("parent"))
            run = Run(catalog=len(app.tools), rounds=[], choosing_ms=[])
            for number, (chat, text) in enumerate(MESSAGES):
                incoming = message(number, chat, text)
                started = time.perf_counter()
                await preselect.tools_for(Turn(app, incoming, ana), allowed, [])
                run.choosing_ms.append((time.perf_counter() - started) * 1000)
                seen = len(fake.chat_requests)
                await chats.send(incoming)
                run.rounds.append(
                    [
                        Round(
                            tools=len(request.body.get("tools") or []),
                            estimated=estimate(request.body),
                            reported=fake.prompt_eval_counts.get(request.number, 0),
                        )
                        for request in fake.chat_requests[seen:]
                    ]
                )
            return run


def first(rounds: Sequence[Round]) -> Round | None:
    return rounds[0] if rounds else None


def report(before: Run, after: Run) -> None:
    print(f"{before.catalog} tools registered; one LLM round per message (the model answers)")
    print("prompt tokens per round: estimate (chars/4) · fake's prompt_eval_count · tools offered")
    print(f"{'message':52} {'before':>22} {'after':>22}")
    pairs: list[tuple[Round, Round]] = []
    for (_chat, text), was, now in zip(MESSAGES, before.rounds, after.rounds, strict=True):
        old, new = first(was), first(now)
        if old is None or new is None:
            print(f"{text[:52]:52} {'(no LLM: fast path)':>45}")
            continue
        pairs.append((old, new))
        print(
            f"{text[:52]:52} {old.estimated:6} · {old.reported:5} · {old.tools:2}t"
            f"   {new.estimated:6} · {new.reported:5} · {new.tools:2}t"
        )
    for label, pick in (("estimate", "estimated"), ("prompt_eval_count", "reported")):
        was = [getattr(old, pick) for old, _ in pairs]
        now = [getattr(new, pick) for _, new in pairs]
        saved = 100 * (1 - sum(now) / sum(was))
        print(
            f"mean {label}: {statistics.mean(was):7.0f} before, {statistics.mean(now):7.0f} "
            f"after ({saved:.0f} % fewer); median {statistics.median(was):.0f} → "
            f"{statistics.median(now):.0f}"
        )
    tools_was = statistics.mean(old.tools for old, _ in pairs)
    tools_now = statistics.mean(new.tools for _, new in pairs)
    print(f"mean tools offered: {tools_was:.1f} before, {tools_now:.1f} after")
    warm = sorted(after.choosing_ms[1:])
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    print(
        f"choosing the tools: first message {after.choosing_ms[0]:.1f} ms (builds the words), "
        f"then median {statistics.median(warm):.1f} ms, max {warm[-1]:.1f} ms "
        f"({os.cpu_count()} cores, load average {load})"
    )


async def main() -> None:
    plugins = register_stand_ins()
    async with FakeOllama(default_reply=ScriptedReply(content="OK.")) as fake:
        before = await measure(fake, plugins, preselecting=False)
        after = await measure(fake, plugins, preselecting=True)
    report(before, after)


if __name__ == "__main__":
    asyncio.run(main())

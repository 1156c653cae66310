"""A plugin skill for tests: a chore rota kept as lines in `<data_dir>/chores.txt`.

It stands in for the real chores skill where a test needs tools of another skill with their own
keywords and phrases (choosing which tools the model is offered).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import BaseModel, Field

from bot.skills import Skill
from bot.tools import Risk, Tool, ToolContext, ToolResult

ROTA_NAME = "chores.txt"


class ChoreArgs(BaseModel):
    chore: str = Field(description="what needs doing, e.g. 'dishes'")
    who: str = Field(description="the family member who does it")
    when: str = Field(default="today", description="the day, e.g. 'tomorrow' or '2025-06-01'")


class WhoArgs(BaseModel):
    who: str = Field(default="", description="whose chores; empty for everyone's")


def rota(data_dir: Path) -> list[str]:
    """The chores given so far, oldest first, as 'chore | who | when'."""
    path = data_dir / ROTA_NAME
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _give(data_dir: Path, line: str) -> None:
    with (data_dir / ROTA_NAME).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


async def add_chore(ctx: ToolContext, args: ChoreArgs) -> ToolResult:
    await asyncio.to_thread(
        _give, ctx.services.data_dir, f"{args.chore} | {args.who} | {args.when}"
    )
    return ToolResult(text=f"{args.who} has the {args.chore} {args.when}.")


async def list_chores(ctx: ToolContext, args: WhoArgs) -> ToolResult:
    lines = await asyncio.to_thread(rota, ctx.services.data_dir)
    mine = [line for line in lines if not args.who or f"| {args.who} |" in line]
    return ToolResult(text="\n".join(mine) or "No chores yet.", data={"chores": mine})


ADD = Tool(
    name="chores.add",
    description="Give a household chore to a family member for a day.",
    args=ChoreArgs,
    risk=Risk.WRITE,
    run=add_chore,
)
LIST = Tool(
    name="chores.list",
    description="Show the household chores given to a family member, or everyone's.",
    args=WhoArgs,
    risk=Risk.READ,
    run=list_chores,
)

SKILL = Skill(
    name="chores",
    tools=(ADD, LIST),
    phrases=(Path(__file__).with_name("phrases.toml"),),
    keywords=("chore", "chores", "dishes", "laundry", "hausarbeit", "abwasch", "tarefa", "tarea"),
)

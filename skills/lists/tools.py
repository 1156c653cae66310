"""Tools for the family's lists: add, tick off and show items in `Lists/<Name>.md`."""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import BaseModel, Field, field_validator

from bot.markdown import escape
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from knowledge.vault import NoteChangedError
from skills.lists import checklist
from skills.lists.settings import ListsSettings

LIST_NAME = re.compile(r"^[\w][\w' -]{0,59}$")
ATTEMPTS_ON_CONFLICT = 3


class ListArgs(BaseModel):
    list_name: str = Field(
        default="", description="which list, e.g. Shopping or To-do; empty means the shopping list"
    )


class ListItemsArgs(ListArgs):
    items: list[str] = Field(min_length=1, max_length=50, description="the items, one per entry")

    @field_validator("items")
    @classmethod
    def _clean(cls, items: list[str]) -> list[str]:
        cleaned = [" ".join(item.split())[:200] for item in items]
        cleaned = [item for item in cleaned if item]
        if not cleaned:
            raise ValueError("no items given")
        return cleaned


def list_title(ctx: ToolContext, requested: str) -> str:
    """The list's note title: aliases first ("Einkaufsliste" → Shopping), else the name itself."""
    settings = ctx.services.settings_as(ListsSettings)
    name = " ".join(requested.split()) or settings.default_list
    aliases = {key.casefold(): value for key, value in settings.aliases.items()}
    name = aliases.get(name.casefold().removesuffix(" list").strip(), name)
    if not LIST_NAME.match(name):
        raise ToolError(f"“{requested}” is not a list name I can use")
    return name[0].upper() + name[1:]


def list_path(ctx: ToolContext, requested: str) -> str:
    """The list's note path, matching an existing file whatever its capitalisation."""
    title = list_title(ctx, requested)
    folder = ctx.services.settings_as(ListsSettings).folder
    directory = ctx.services.vault.resolve(folder)
    if directory.is_dir():
        for existing in directory.glob("*.md"):
            if existing.stem.casefold() == title.casefold():
                return f"{folder}/{existing.name}"
    return f"{folder}/{title}.md"


def _title_of(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".md")


def _join(items: list[str]) -> str:
    shown = [escape(item) for item in items]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


Edit = Callable[[str], tuple[str, list[str], list[str]]]


async def _edit_list(ctx: ToolContext, path: str, edit: Edit) -> tuple[list[str], list[str]]:
    """Applies `edit` to the note and writes it back, re-reading if someone else changed it."""
    vault = ctx.services.vault
    async with vault.lock(path):
        for _ in range(ATTEMPTS_ON_CONFLICT):
            note = await vault.read(path)
            updated, changed, unchanged = edit(note.text or f"# {_title_of(path)}\n\n")
            if not changed:
                return changed, unchanged
            try:
                await vault.write(path, updated, expected_version=note.version)
            except NoteChangedError:
                continue
            return changed, unchanged
    raise ToolError("The list keeps changing on disk; please try again in a moment.")


async def add_items(ctx: ToolContext, args: ListItemsArgs) -> ToolResult:
    path = list_path(ctx, args.list_name)
    title = _title_of(path)
    added, present = await _edit_list(ctx, path, lambda text: checklist.add(text, args.items))
    parts = []
    if added:
        parts.append(f"Added {_join(added)} to {escape(title)}.")
    if present:
        parts.append(f"Already on {escape(title)}: {_join(present)}.")
    return ToolResult(
        text=" ".join(parts), data={"list": title, "added": added, "already_there": present}
    )


async def tick_items(ctx: ToolContext, args: ListItemsArgs) -> ToolResult:
    path = list_path(ctx, args.list_name)
    title = _title_of(path)
    if not (await ctx.services.vault.read(path)).exists:
        raise ToolError(f"There is no {escape(title)} list yet.")
    ticked, missing = await _edit_list(ctx, path, lambda text: checklist.tick(text, args.items))
    parts = []
    if ticked:
        parts.append(f"Ticked off {_join(ticked)} on {escape(title)}.")
    if missing:
        parts.append(f"Not on {escape(title)}: {_join(missing)}.")
    return ToolResult(
        text=" ".join(parts), data={"list": title, "ticked": ticked, "not_found": missing}
    )


async def show_list(ctx: ToolContext, args: ListArgs) -> ToolResult:
    path = list_path(ctx, args.list_name)
    title = _title_of(path)
    entries = checklist.entries((await ctx.services.vault.read(path)).text)
    open_items = [entry.text for entry in entries if not entry.done]
    done = len(entries) - len(open_items)
    if not open_items:
        text = f"The {escape(title)} list is empty."
    else:
        text = f"**{escape(title)}**\n" + "\n".join(f"- {escape(item)}" for item in open_items)
    if done:
        text += f"\n({done} ticked off)"
    return ToolResult(text=text, data={"list": title, "open": open_items, "ticked_off": done})


ADD = Tool(
    name="lists.add",
    description="Add items to a family list (shopping list by default).",
    args=ListItemsArgs,
    risk=Risk.WRITE,
    run=add_items,
    describe=lambda a: f"add {_join(a.items)} to {a.list_name or 'the shopping list'}",
)
CHECK = Tool(
    name="lists.check",
    description="Tick items off a family list once they are bought or done.",
    args=ListItemsArgs,
    risk=Risk.WRITE,
    run=tick_items,
    describe=lambda a: f"tick off {_join(a.items)} on {a.list_name or 'the shopping list'}",
)
SHOW = Tool(
    name="lists.show",
    description="Show what is still open on a family list.",
    args=ListArgs,
    risk=Risk.READ,
    run=show_list,
    untrusted_output=True,
)

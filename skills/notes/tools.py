"""notes.*: Obsidian-friendly notes (frontmatter, tags, wikilinks), written atomically."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from bot.markdown import escape
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from knowledge.vault import NoteChangedError, NoteText, Vault
from skills.notes.settings import NotesSettings

NOTE_TITLE = re.compile(r"^[^\\:*?\"<>|#^\[\]]{1,120}$")
ATTEMPTS_ON_CONFLICT = 3
MAX_READ_CHARS = 6000


class NoteArgs(BaseModel):
    title: str = Field(description="the note's title or vault path, e.g. 'Recipes/Lasagne'")


class CreateArgs(NoteArgs):
    text: str = Field(default="", max_length=20000, description="the note's Markdown body")
    tags: list[str] = Field(default_factory=list, description="tags without #")


class AppendArgs(NoteArgs):
    text: str = Field(min_length=1, max_length=20000, description="Markdown to add at the end")


class DailyArgs(BaseModel):
    text: str = Field(min_length=1, max_length=20000, description="what to add to today's note")


def note_path(title: str) -> str:
    """'Recipes/Lasagne' → 'Recipes/Lasagne.md', refusing names Obsidian can't use."""
    cleaned = "/".join(part.strip() for part in title.strip().removesuffix(".md").split("/"))
    if not cleaned or not all(NOTE_TITLE.match(part) for part in cleaned.split("/")):
        raise ToolError(f"“{title}” can't be a note name (avoid \\ : * ? \" < > | # ^ [ ])")
    return f"{cleaned}.md"


def _tag(tag: str) -> str:
    return re.sub(r"[^\w/-]", "-", tag.strip().lstrip("#")).strip("-")


def new_note(text: str, tags: list[str], created: datetime) -> str:
    """A note body with Obsidian properties (YAML frontmatter) for tags and creation time."""
    lines = ["---", f"created: {created.isoformat(timespec='minutes')}"]
    clean_tags = [t for t in (_tag(tag) for tag in tags) if t]
    if clean_tags:
        lines.append("tags:")
        lines += [f"  - {tag}" for tag in clean_tags]
    lines += ["---", ""]
    return "\n".join(lines) + (text.rstrip() + "\n" if text.strip() else "")


async def append_to(
    vault: Vault, path: str, text: str, start: str = "", separator: str = "\n\n"
) -> NoteText:
    """Adds text at the end, re-reading when someone else saved the note in between."""
    async with vault.lock(path):
        for _ in range(ATTEMPTS_ON_CONFLICT):
            note = await vault.read(path)
            body = note.text if note.exists else start
            joined = body.rstrip("\n") + (separator if body.strip() else "") + text.rstrip() + "\n"
            try:
                return await vault.write(path, joined, expected_version=note.version)
            except NoteChangedError:
                continue
    raise ToolError("That note keeps changing on disk; please try again in a moment.")


async def create(ctx: ToolContext, args: CreateArgs) -> ToolResult:
    path = note_path(args.title)
    try:
        await ctx.services.vault.write(
            path, new_note(args.text, args.tags, ctx.services.clock.now()), expected_version=""
        )
    except NoteChangedError:
        raise ToolError(f"There is already a note called [[{escape(path[:-3])}]].") from None
    return ToolResult(text=f"Created [[{escape(path[:-3])}]].", data={"path": path})


async def append(ctx: ToolContext, args: AppendArgs) -> ToolResult:
    path = note_path(args.title)
    if not (await ctx.services.vault.read(path)).exists:
        raise ToolError(f"There is no note called [[{escape(path[:-3])}]] yet.")
    await append_to(ctx.services.vault, path, args.text)
    return ToolResult(text=f"Added to [[{escape(path[:-3])}]].", data={"path": path})


async def read(ctx: ToolContext, args: NoteArgs) -> ToolResult:
    path = note_path(args.title)
    note = await ctx.services.vault.read(path)
    if not note.exists:
        raise ToolError(f"There is no note called [[{escape(path[:-3])}]].")
    text = note.text if len(note.text) <= MAX_READ_CHARS else note.text[:MAX_READ_CHARS] + "…"
    return ToolResult(
        text=f"**[[{escape(path[:-3])}]]**\n{text}", data={"path": path, "text": text}
    )


async def delete(ctx: ToolContext, args: NoteArgs) -> ToolResult:
    path = note_path(args.title)
    moved = await ctx.services.vault.trash(path)
    return ToolResult(
        text=f"Moved [[{escape(path[:-3])}]] to the trash ({moved}).", data={"trash": moved}
    )


async def daily(ctx: ToolContext, args: DailyArgs) -> ToolResult:
    settings = ctx.services.settings_as(NotesSettings)
    today = ctx.services.clock.now().astimezone(ZoneInfo(ctx.services.household.timezone))
    path = f"{settings.daily_folder}/{today.strftime(settings.daily_format)}.md".lstrip("/")
    stamp = today.strftime("%H:%M")
    await append_to(ctx.services.vault, path, f"- {stamp} {args.text.strip()}", separator="\n")
    return ToolResult(text=f"Added to today's note [[{escape(path[:-3])}]].", data={"path": path})


CREATE = Tool(
    name="notes.create",
    description="Create a new note in the family's Obsidian vault.",
    args=CreateArgs,
    risk=Risk.WRITE,
    run=create,
    describe=lambda a: f"create the note “{a.title}”",
    idempotent=False,
)
APPEND = Tool(
    name="notes.append",
    description="Add text to the end of an existing note.",
    args=AppendArgs,
    risk=Risk.WRITE,
    run=append,
    describe=lambda a: f"add to the note “{a.title}”",
    idempotent=False,
)
READ = Tool(
    name="notes.read",
    description="Read a note from the vault by its title.",
    args=NoteArgs,
    risk=Risk.READ,
    run=read,
    untrusted_output=True,
)
DELETE = Tool(
    name="notes.delete",
    description="Move a note to the vault's trash (it can be restored in Obsidian).",
    args=NoteArgs,
    risk=Risk.SENSITIVE,
    run=delete,
    describe=lambda a: f"move the note “{a.title}” to the trash",
)
DAILY = Tool(
    name="notes.daily",
    description="Add a line to today's daily note (a journal entry, something that happened).",
    args=DailyArgs,
    risk=Risk.WRITE,
    run=daily,
    describe=lambda a: f"add “{a.text}” to today's note",
    idempotent=False,
)

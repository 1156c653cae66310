"""memory.remember / forget / list: a member's facts are theirs; household facts are shared."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlmodel import col, or_, select

from bot.markdown import escape
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from storage.database import SessionFactory
from storage.models import MemoryFact

MAX_FACTS = 200


class RememberArgs(BaseModel):
    fact: str = Field(min_length=2, max_length=500, description="the fact, as a short sentence")
    household: bool = Field(
        default=False, description="true when the whole family should know it, else private"
    )


class ForgetArgs(BaseModel):
    fact: str = Field(min_length=2, max_length=500, description="words from the fact to forget")


class NoArgs(BaseModel):
    pass


async def facts_for(
    sessions: SessionFactory, member_id: int
) -> tuple[list[MemoryFact], list[MemoryFact]]:
    """(this member's private facts, the household's facts), oldest first."""
    async with sessions() as session:
        rows = await session.exec(
            select(MemoryFact)
            .where(or_(MemoryFact.member_id == member_id, col(MemoryFact.member_id).is_(None)))
            .order_by(col(MemoryFact.id))
        )
        private: list[MemoryFact] = []
        shared: list[MemoryFact] = []
        for row in rows:
            (private if row.member_id is not None else shared).append(row)
        return private, shared


async def remember(ctx: ToolContext, args: RememberArgs) -> ToolResult:
    text = " ".join(args.fact.split())
    private, shared = await facts_for(ctx.services.sessions, ctx.member.id)
    if text.casefold() in {fact.text.casefold() for fact in (*private, *shared)}:
        return ToolResult(text=f"I already know that: {escape(text)}")
    if len(private) + len(shared) >= MAX_FACTS:
        raise ToolError("My memory is full; ask me to forget something first.")
    async with ctx.services.sessions() as session:
        session.add(
            MemoryFact(
                member_id=None if args.household else ctx.member.id,
                text=text,
                created_by=ctx.member.id,
                created_at=ctx.services.clock.now(),
            )
        )
        await session.commit()
    whose = "for the whole family" if args.household else f"for you, {escape(ctx.member.name)}"
    return ToolResult(
        text=f"I'll remember that {whose}: {escape(text)}", data={"remembered": text}
    )


async def forget(ctx: ToolContext, args: ForgetArgs) -> ToolResult:
    """Forgets matching facts the member owns; household facts only for parents and adults."""
    words = args.fact.casefold().split()
    may_forget_shared = ctx.member.role in ("parent", "adult")
    async with ctx.services.sessions() as session:
        rows = await session.exec(
            select(MemoryFact).where(
                or_(MemoryFact.member_id == ctx.member.id, col(MemoryFact.member_id).is_(None))
            )
        )
        matches = [row for row in rows if all(word in row.text.casefold() for word in words)]
        allowed = [row for row in matches if row.member_id is not None or may_forget_shared]
        for row in allowed:
            await session.delete(row)
        await session.commit()
    if not matches:
        return ToolResult(text="I don't remember anything like that.")
    if not allowed:
        raise ToolError("Only a parent or an adult can make me forget household facts.")
    gone = "; ".join(escape(row.text) for row in allowed)
    return ToolResult(text=f"Forgotten: {gone}", data={"forgotten": [r.text for r in allowed]})


async def list_facts(ctx: ToolContext, _args: NoArgs) -> ToolResult:
    rows = await facts_for(ctx.services.sessions, ctx.member.id)
    private, shared = ([fact.text for fact in part] for part in rows)
    if not private and not shared:
        return ToolResult(text="I haven't been asked to remember anything yet.")
    lines = []
    if private:
        lines += [
            f"**Just for you, {escape(ctx.member.name)}**",
            *(f"- {escape(fact)}" for fact in private),
        ]
    if shared:
        lines += ["**For the whole family**", *(f"- {escape(fact)}" for fact in shared)]
    return ToolResult(text="\n".join(lines), data={"private": private, "household": shared})


REMEMBER = Tool(
    name="memory.remember",
    description="Remember a fact for the member who asks (or for the household).",
    args=RememberArgs,
    risk=Risk.WRITE,
    run=remember,
    describe=lambda a: f"remember “{a.fact}”",
)
FORGET = Tool(
    name="memory.forget",
    description="Forget a remembered fact.",
    args=ForgetArgs,
    risk=Risk.WRITE,
    run=forget,
    describe=lambda a: f"forget “{a.fact}”",
    untrusted_output=True,
)
LIST = Tool(
    name="memory.list",
    description="List what Gepeto remembers for the member who asks and for the household.",
    args=NoArgs,
    risk=Risk.READ,
    run=list_facts,
    untrusted_output=True,
)

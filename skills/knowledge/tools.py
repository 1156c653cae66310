"""knowledge.search and knowledge.ask: the vault's notes found by meaning and by words."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from knowledge import answers
from skills.knowledge.settings import KnowledgeSkillSettings


class SearchArgs(BaseModel):
    query: str = Field(min_length=1, max_length=500, description="what to look for")
    k: int | None = Field(default=None, ge=1, le=20, description="how many notes")


class AskArgs(BaseModel):
    question: str = Field(min_length=1, max_length=1000, description="the question")


async def search(ctx: ToolContext, args: SearchArgs) -> ToolResult:
    if ctx.services.search is None:
        raise ToolError("The vault search is switched off.")
    index = await ctx.services.search.current()
    building = index.building
    hits = await index.search_async(
        args.query, args.k or ctx.services.settings_as(KnowledgeSkillSettings).results
    )
    indexing = {} if building is None else {"indexing": building.as_data()}
    lines = [] if building is None else [answers.still_reading(building), ""]
    if not hits:
        lines.append(answers.NOTHING_FOUND)
        return ToolResult(text="\n".join(lines), data={"hits": [], **indexing})
    lines.append(f"**Notes about “{args.query}”**")
    for hit in hits:
        where = (
            f"{answers.citation(hit)} › {hit.heading}" if hit.heading else answers.citation(hit)
        )
        lines.append(f"- {where}: {hit.snippet}")
    return ToolResult(
        text="\n".join(lines), data={"hits": [h.as_data() for h in hits], **indexing}
    )


async def ask(ctx: ToolContext, args: AskArgs) -> ToolResult:
    if ctx.services.search is None:
        raise ToolError("The vault search is switched off.")
    index = await ctx.services.search.current()
    building = index.building
    llm = ctx.services.llm
    chat = (lambda messages: llm.complete("chat", messages)) if llm else None
    also = await ctx.services.search.rewritten(args.question) if llm else ""
    answer = await answers.ask(
        index,
        args.question,
        chat,
        k=ctx.services.settings_as(KnowledgeSkillSettings).results,
        also=also,
    )
    return ToolResult(
        text=answer.text,
        data={
            "sources": [hit.as_data() for hit in answer.sources],
            "from_chat_model": answer.from_chat_model,
            **({} if building is None else {"indexing": building.as_data()}),
        },
    )


SEARCH = Tool(
    name="knowledge.search",
    description="Search the family's notes (Obsidian vault) and list the best matches.",
    args=SearchArgs,
    risk=Risk.READ,
    run=search,
    untrusted_output=True,
)
ASK = Tool(
    name="knowledge.ask",
    description="Answer a question from the family's notes, citing the notes used.",
    args=AskArgs,
    risk=Risk.READ,
    run=ask,
    untrusted_output=True,
)

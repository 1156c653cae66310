"""system.status: per GPU memory, load and temperature; per endpoint models and queue."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from bot.gpus import read_gpus
from bot.tools import Risk, Tool, ToolContext, ToolResult


class NoArgs(BaseModel):
    pass


async def status(ctx: ToolContext, _args: NoArgs) -> ToolResult:
    gpus, why_none = await asyncio.to_thread(read_gpus)
    lines = ["**GPUs**"]
    if gpus:
        lines += [
            f"- {g.index}: {g.name} — {g.memory_used_mib:,} / {g.memory_total_mib:,} MiB used "
            f"({g.memory_free_mib:,} free), {g.utilisation_pct}% busy, {g.temperature_c} °C"
            for g in gpus
        ]
    else:
        lines.append(f"- {why_none}")
    lines.append("**Language models**")
    endpoints = await ctx.services.llm.status() if ctx.services.llm else []
    if not endpoints:
        lines.append("- The language model is switched off in bot.toml.")
    for endpoint in endpoints:
        if not endpoint.reachable:
            lines.append(
                f"- {endpoint.name} ({endpoint.url}): not answering — is Ollama running there?"
            )
            continue
        loaded = ", ".join(f"{m} ({vram // 2**20:,} MiB VRAM)" for m, vram in endpoint.loaded)
        lines.append(
            f"- {endpoint.name} ({endpoint.url}): {loaded or 'no model loaded'}; "
            f"{endpoint.active} answering, {endpoint.queue} waiting"
        )
    data = {
        "gpus": [vars(g) for g in gpus],
        "endpoints": [
            {"name": e.name, "reachable": e.reachable, "queue": e.queue, "loaded": e.loaded}
            for e in endpoints
        ],
    }
    return ToolResult(text="\n".join(lines), data=data)


STATUS = Tool(
    name="system.status",
    description="Show the GPUs, the language-model servers, loaded models and queues.",
    args=NoArgs,
    risk=Risk.READ,
    run=status,
)

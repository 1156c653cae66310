"""The LLM turn: the model sees the member, the household and their tools, and may call them.

Every call it proposes — natively or written into its text — is parsed, validated, checked
against the member's permissions and run through `run_action`, at most N rounds. The family
sees only clean text: never raw call JSON, `<think>` text or a half-parsed call.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from bot.actions import ActionResult, Turn, run_action
from bot.llm import history, preselect, prompts
from bot.llm.client import LLMClient, LLMUnavailable
from bot.llm.repair import mend_arguments
from bot.llm.toolcalls import ParsedCall, VisibleTextFilter, parse_tool_calls
from bot.messages import Reply
from bot.tools import Risk, is_allowed
from bot.untrusted import fence

log = logging.getLogger(__name__)

NOTHING_TO_SAY = "Done."
GAVE_UP = "I got a bit tangled up there. Could you say that again, perhaps more simply?"


@dataclass
class TurnResult:
    """What the model's turn produced: the final text and any confirmation questions."""

    text: str
    questions: list[Reply] = field(default_factory=list)
    results: list[ActionResult] = field(default_factory=list)


async def answer(turn: Turn, llm: LLMClient) -> TurnResult:
    """Runs the model with the member's tools until it answers in words (or rounds run out)."""
    app = turn.app
    member = turn.member
    known = app.tools.names()  # all names: a call outside the role is denied, not ignored
    messages, schemas, json_mode = await _opening(turn, llm)
    result = TurnResult(text="")
    repaired = False
    for _round in range(app.settings.llm.max_tool_rounds):
        if json_mode:
            content, native_calls = await _json_round(llm, messages, known)
        else:
            content, native_calls = await _stream_round(turn, llm, messages, schemas, known)
        parsed = parse_tool_calls(content, native_calls, known)
        if not parsed.calls and not parsed.problems:
            result.text = parsed.text or NOTHING_TO_SAY
            break
        messages.append(_assistant_message(parsed.text, parsed.calls))
        if parsed.problems and not parsed.calls:
            if repaired:
                result.text = parsed.text or GAVE_UP
                break
            repaired = True
            messages.append({"role": "user", "content": _repair_note(parsed.problems, known)})
            continue
        stop = await _run_calls(turn, parsed.calls, messages, result)
        if stop:
            result.text = parsed.text
            break
    else:
        result.text = result.text or _summarise(result.results) or GAVE_UP
    await turn.stream.close()
    await history.record(
        app.sessions,
        app.clock,
        member.id,
        turn.incoming.channel,
        turn.incoming.chat_id,
        turn.incoming.text,
        result.text,
    )
    return result


async def _opening(
    turn: Turn, llm: LLMClient
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
    """The first request's messages and tool schemas, and whether the model needs JSON mode.

    Only the tools the message is about are offered (see `preselect`), and the history is cut
    to what fits beside the prompt and the tools in the fast model's context (`num_ctx`).
    """
    app = turn.app
    member = turn.member
    allowed = app.tools.allowed(app.permissions(member.role))
    earlier = await history.recent(
        app.sessions, member.id, turn.incoming.channel, turn.incoming.chat_id
    )
    tools = allowed
    if app.settings.llm.preselect_tools:
        tools = await preselect.tools_for(turn, allowed, earlier)
    schemas = [tool.schema() for tool in tools]
    system = await _system_prompt(turn)
    json_mode = bool(schemas) and not await llm.supports_tools("fast")
    if json_mode:
        system += "\n\n" + prompts.json_mode_instructions(schemas)
    asked = _user_message(turn)
    fixed = len(system) + len(asked["content"]) + (0 if json_mode else len(json.dumps(schemas)))
    budget = history.budget_chars(app.settings.llm.num_ctx.fast, fixed)
    messages = [{"role": "system", "content": system}, *history.within(earlier, budget), asked]
    return messages, schemas, json_mode


async def _system_prompt(turn: Turn) -> str:
    app = turn.app
    member = turn.member
    others = [m for m in await app.family.members() if m.id != member.id]
    return prompts.system_prompt(
        household=app.settings.household.name,
        member=member,
        others=others,
        timezone=app.settings.household.timezone,
        now=app.clock.now(),
        language=member.language or app.settings.household.language,
        context=await skill_context(turn),
    )


async def skill_context(turn: Turn) -> list[str]:
    """Each skill's lines about this member, from skills whose data the member may read."""
    app = turn.app
    permissions = app.permissions(turn.member.role)
    lines: list[str] = []
    for loaded in app.skills:
        skill = loaded.skill
        readable = any(
            is_allowed(permissions, tool.name) and tool.risk == Risk.READ for tool in skill.tools
        )
        if skill.context is not None and readable:
            context = await skill.context(loaded.services, turn.member)
            lines += context.lines
            if context.from_others:
                turn.read_untrusted = True
    return lines


def _user_message(turn: Turn) -> dict[str, Any]:
    """The member's words; forwarded text and the message replied to are fenced as data."""
    incoming = turn.incoming
    parts = []
    if incoming.reply_to_text:
        turn.read_untrusted = True  # whoever wrote it, it is not the member's request
        parts.append(fence("the message being replied to", incoming.reply_to_text))
    if incoming.forwarded_from:
        turn.read_untrusted = True
        parts.append(fence(f"forwarded from {incoming.forwarded_from}", incoming.text))
        parts.append("(forwarded by me — what should I do with it?)")
    else:
        parts.append(incoming.text)
    return {"role": "user", "content": "\n\n".join(parts)}


async def _stream_round(
    turn: Turn,
    llm: LLMClient,
    messages: list[dict[str, Any]],
    schemas: list[dict[str, Any]],
    known: list[str],
) -> tuple[str, list[dict[str, Any]]]:
    """One model call, streaming only clean text to the chat; returns content and native calls."""
    visible = VisibleTextFilter(known)
    shown = ""
    native: list[dict[str, Any]] = []
    async for chunk in llm.chat("fast", messages, tools=schemas or None):
        native.extend(chunk.tool_calls)
        fresh = visible.feed(chunk.content) if chunk.content else ""
        if fresh:
            shown += fresh
            await turn.stream.update(shown)
    rest = visible.finish()
    if rest:
        await turn.stream.update(shown + rest)
    return visible.content, native


async def _json_round(
    llm: LLMClient, messages: list[dict[str, Any]], known: list[str]
) -> tuple[str, list[dict[str, Any]]]:
    """For models without native tools: Ollama's JSON-schema `format` makes every answer parse."""
    content = ""
    async for chunk in llm.chat("fast", messages, response_format=prompts.json_mode_schema(known)):
        content += chunk.content
    try:
        answer = json.loads(content)
    except json.JSONDecodeError:
        return content, []
    if not isinstance(answer, dict):
        return content, []
    call = answer.get("tool")
    if isinstance(call, dict) and call.get("name"):
        arguments = call.get("arguments") if isinstance(call.get("arguments"), dict) else {}
        return str(answer.get("say") or ""), [
            {"function": {"name": call["name"], "arguments": arguments}}
        ]
    return str(answer.get("say") or ""), []


async def _run_calls(
    turn: Turn, calls: list[ParsedCall], messages: list[dict[str, Any]], result: TurnResult
) -> bool:
    """Runs each call; True when the turn should end (a question waits for a human)."""
    waiting = False
    for call in calls:
        tool = turn.app.tools.get(call.name)
        arguments = mend_arguments(tool.args, call.arguments) if tool else call.arguments
        outcome = await run_action(turn, call.name, arguments)
        result.results.append(outcome)
        untrusted = bool(tool and tool.untrusted_output)
        if untrusted and outcome.status == "done":
            turn.read_untrusted = True
        if outcome.reply is not None:
            result.questions.append(outcome.reply)
            waiting = True
        messages.append(
            {
                "role": "tool",
                "tool_name": call.name,
                "content": prompts.tool_result(
                    call.name, outcome.status, outcome.text, outcome.data, untrusted
                ),
            }
        )
    return waiting


def _assistant_message(text: str, calls: list[ParsedCall]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": text,
        "tool_calls": [
            {"function": {"name": call.name, "arguments": call.arguments}} for call in calls
        ],
    }


def _repair_note(problems: list[str], known: list[str]) -> str:
    return (
        "Your last tool call could not be used: "
        + "; ".join(problems)
        + f". Available tools: {', '.join(known) or 'none'}. Call the tool again with valid "
        "arguments, or answer in plain words."
    )


def _summarise(results: list[ActionResult]) -> str:
    return " ".join(r.text for r in results if r.text)


async def reply_for(turn: Turn, llm: LLMClient) -> tuple[list[Reply], str]:
    """The replies for the chat (the answer, then any questions), or the outage sentence."""
    try:
        outcome = await answer(turn, llm)
    except LLMUnavailable as error:
        await turn.stream.close()
        log.warning("LLM unavailable for %s: %s", turn.member.name, error)
        return [Reply(text=str(error))], "error"
    replies = []
    if outcome.text:
        replies.append(Reply(text=outcome.text, streamed=True))
    replies.extend(outcome.questions)
    return replies, "llm"

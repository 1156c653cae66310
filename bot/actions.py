"""Running a tool for a member: permission, validation, confirmation, exactly-once, audit.

Slash commands, the fast path and the LLM all come through `run_action`, so they can never
disagree about what an action does or who may run it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlmodel import select

from bot import audit
from bot.context import AppContext
from bot.family import Member
from bot.messages import ActionReport, ActionStatus, Button, Incoming, Reply
from bot.streaming import NoStream, ReplyStream
from bot.tools import AnyTool, Risk, ToolContext, ToolError, is_allowed
from knowledge.vault import VaultError
from storage.models import ActionRecord, PendingConfirmation

log = logging.getLogger(__name__)

ROLE_PLURALS = {"parent": "parents", "adult": "adults", "child": "children", "guest": "guests"}
APPROVERS = ("parent", "adult")
"""Roles whose yes counts as the second adult's for a critical action."""


@dataclass(frozen=True)
class ActionResult:
    """`text` is for the family; `data` is what the LLM sees of the outcome."""

    status: ActionStatus
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    reply: Reply | None = None


@dataclass
class Turn:
    """One incoming message being handled: who sent it, and the actions it has run so far."""

    app: AppContext
    incoming: Incoming
    member: Member
    inbox_id: int | None = None
    reports: list[ActionReport] = field(default_factory=list)
    read_untrusted: bool = False
    stream: ReplyStream = field(default_factory=NoStream)
    _next_seq: int = 0

    def next_seq(self) -> int:
        self._next_seq += 1
        return self._next_seq


def needs_second_adult(app: AppContext, risk: Risk) -> bool:
    """True when this call also needs another parent's or adult's yes before it runs."""
    return risk == Risk.CRITICAL and app.settings.safety.two_adults_for_critical


async def run_action(
    turn: Turn,
    tool_name: str,
    raw_args: dict[str, Any],
    *,
    confirmed: bool = False,
    approved_by: Member | None = None,
) -> ActionResult:
    """Checks and runs one tool call; sensitive ones, or writes after untrusted text, ask first.

    A critical call, with `[safety] two_adults_for_critical` on, also needs `approved_by`:
    the other parent or adult who said yes (see bot/confirmations.py).
    """
    app = turn.app
    tool = app.tools.get(tool_name)
    if tool is None:
        return _report(turn, tool_name, raw_args, "failed", f"I don't know how to {tool_name}.")
    if not is_allowed(app.permissions(turn.member.role), tool.name):
        await audit.record(app.sessions, app.clock, turn.member, tool.name, raw_args, "denied")
        return _report(
            turn,
            tool.name,
            raw_args,
            "denied",
            f"Sorry {turn.member.name}, {ROLE_PLURALS[turn.member.role]} can't use {tool.name}. "
            "Ask a parent if you need it.",
        )
    try:
        args = tool.args.model_validate(raw_args)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in error.errors()
        )
        await audit.record(
            app.sessions, app.clock, turn.member, tool.name, raw_args, "invalid", problems
        )
        return _report(
            turn, tool.name, raw_args, "failed", f"That request was incomplete ({problems})."
        )
    clean_args = args.model_dump(mode="json")
    if tool.refuse is not None:
        reason = tool.refuse(_context(turn, tool), args)
        if reason is not None:
            await audit.record(
                app.sessions, app.clock, turn.member, tool.name, clean_args, "refused", reason
            )
            return _report(turn, tool.name, clean_args, "denied", reason)
    risk = tool.risk_for(args)
    after_untrusted = risk != Risk.READ or tool.asks_after_untrusted_text
    must_ask = risk.needs_confirmation or (turn.read_untrusted and after_untrusted)
    if must_ask and not confirmed:
        return await _ask_first(turn, tool, args)
    if needs_second_adult(app, risk) and approved_by is None:
        text = f"Another parent or adult has to approve that before I {tool.summary(args)}."
        return _report(turn, tool.name, clean_args, "denied", text)
    approval = f"approved by {approved_by.name}" if approved_by else ""
    return await _execute(turn, tool, args, clean_args, approval)


def _report(
    turn: Turn,
    tool: str,
    args: dict[str, Any],
    status: ActionStatus,
    text: str,
    data: dict[str, Any] | None = None,
    reply: Reply | None = None,
) -> ActionResult:
    turn.reports.append(ActionReport(tool=tool, args=args, status=status, detail=text))
    turn.app.metrics.tool_called(tool, status)
    return ActionResult(status=status, text=text, data=data or {}, reply=reply)


async def _execute(
    turn: Turn, tool: AnyTool, args: BaseModel, clean_args: dict[str, Any], approval: str = ""
) -> ActionResult:
    app = turn.app
    seq = turn.next_seq()
    # Read-only tools change nothing, so running one again after a crash is harmless.
    journaled = turn.inbox_id is not None and tool.risk_for(args) != Risk.READ
    record = functools.partial(_journal_write, journaled, turn, seq, tool.name, clean_args)
    if journaled:
        earlier = await _journal_lookup(turn, seq)
        if earlier is not None and earlier.status == "done":
            log.info("replay: %s already ran for inbox %s", tool.name, turn.inbox_id)
            text = str(earlier.result.get("text", ""))
            return _report(turn, tool.name, clean_args, "done", text, earlier.result.get("data"))
        if earlier is not None and earlier.status == "started" and not tool.idempotent:
            text = (
                f"I was interrupted while trying to {tool.summary(args)} and can't tell whether "
                "it happened. Please check before asking again."
            )
            await record("failed", {"text": text})
            return _report(turn, tool.name, clean_args, "failed", text)
        await record("started", {})
    try:
        async with asyncio.timeout(tool.timeout_s):
            result = await tool.run(_context(turn, tool), args)
    except TimeoutError:
        log.warning(
            "tool %s timed out after %.0f s for %s", tool.name, tool.timeout_s, turn.member.name
        )
        if tool.idempotent:
            text = (
                f"That took too long, so I stopped trying to {tool.summary(args)}. "
                "Please try again later."
            )
        else:
            text = (
                f"That took too long, so I stopped waiting while trying to {tool.summary(args)}; "
                "I can't tell whether it happened. Please check before asking again."
            )
        await audit.record(
            app.sessions, app.clock, turn.member, tool.name, clean_args, "failed", "timed out"
        )
        await record("failed", {"text": text})
        return _report(turn, tool.name, clean_args, "failed", text)
    except (ToolError, VaultError) as error:
        await audit.record(
            app.sessions, app.clock, turn.member, tool.name, clean_args, "failed", str(error)
        )
        await record("failed", {"text": str(error)})
        return _report(turn, tool.name, clean_args, "failed", str(error))
    except Exception:
        log.exception("tool %s failed for %s", tool.name, turn.member.name)
        text = f"Something went wrong while trying to {tool.summary(args)}. Nothing else changed."
        await audit.record(
            app.sessions, app.clock, turn.member, tool.name, clean_args, "failed", "crashed"
        )
        await record("failed", {"text": text})
        return _report(turn, tool.name, clean_args, "failed", text)
    data = dict(result.data)
    await record("done", {"text": result.text, "data": data})
    await audit.record(
        app.sessions, app.clock, turn.member, tool.name, clean_args, "done", approval
    )
    files = {"image_path": result.image_path, "file_path": result.file_path}
    reply = Reply(text=result.text, **files) if any(files.values()) else None
    return _report(turn, tool.name, clean_args, "done", result.text, data, reply)


def _context(turn: Turn, tool: AnyTool) -> ToolContext:
    return ToolContext(
        services=turn.app.services_for(tool),
        member=turn.member,
        channel=turn.incoming.channel,
        chat_id=turn.incoming.chat_id,
    )


async def _journal_lookup(turn: Turn, seq: int) -> ActionRecord | None:
    async with turn.app.sessions() as session:
        statement = select(ActionRecord).where(
            ActionRecord.inbox_id == turn.inbox_id, ActionRecord.seq == seq
        )
        return (await session.exec(statement)).first()


async def _journal_write(
    journaled: bool,
    turn: Turn,
    seq: int,
    tool: str,
    args: dict[str, Any],
    status: str,
    result: dict[str, Any],
) -> None:
    if not journaled or turn.inbox_id is None:
        return
    async with turn.app.sessions() as session:
        statement = select(ActionRecord).where(
            ActionRecord.inbox_id == turn.inbox_id, ActionRecord.seq == seq
        )
        record = (await session.exec(statement)).first() or ActionRecord(
            inbox_id=turn.inbox_id,
            seq=seq,
            tool=tool,
            status=status,
            created_at=turn.app.clock.now(),
        )
        record.args = args
        record.status = status
        record.result = result
        session.add(record)
        await session.commit()


async def _ask_first(turn: Turn, tool: AnyTool, args: BaseModel) -> ActionResult:
    """Stores a pending confirmation and shows the exact action with yes/no buttons."""
    app = turn.app
    now = app.clock.now()
    summary = tool.summary(args)
    clean_args = args.model_dump(mode="json")
    pending = PendingConfirmation(
        member_id=turn.member.id,
        channel=turn.incoming.channel,
        chat_id=turn.incoming.chat_id,
        tool=tool.name,
        args=clean_args,
        summary=summary,
        created_at=now,
        expires_at=now + timedelta(seconds=app.settings.safety.confirmation_timeout_s),
    )
    async with app.sessions() as session:
        session.add(pending)
        await session.commit()
    assert pending.id is not None
    minutes = max(1, app.settings.safety.confirmation_timeout_s // 60)
    second = (
        " Another parent or adult will have to approve it too."
        if needs_second_adult(app, tool.risk_for(args))
        else ""
    )
    reply = Reply(
        text=f"{turn.member.name}, shall I {summary}?{second} (Answer within {minutes} min; "
        "no answer means no.)",
        buttons=(
            Button(label="Yes", data=f"confirm:{pending.id}:yes"),
            Button(label="No", data=f"confirm:{pending.id}:no"),
        ),
        confirmation_id=pending.id,
    )
    await audit.record(app.sessions, app.clock, turn.member, tool.name, clean_args, "asked")
    return _report(
        turn,
        tool.name,
        clean_args,
        "needs_confirmation",
        f"Waiting for {turn.member.name} to confirm: {summary}.",
        reply=reply,
    )

"""Answers to pending confirmations: only the requester decides, and silence means no.

With `[safety] two_adults_for_critical` on, a critical action needs two people: the requester's
yes moves the question to `awaiting_second` and asks the family's other parents and adults in
their private chats; the first of them to answer decides, and the action runs at most once.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import update
from sqlmodel import col, select

from bot import audit
from bot.actions import APPROVERS, Turn, needs_second_adult, run_action
from bot.context import AppContext
from bot.family import Member
from bot.messages import Button, Incoming, Reply
from bot.notify import ChatRecipient, MemberRecipient, NoChatForMember
from bot.tools import is_allowed
from storage.models import Member as MemberRow
from storage.models import PendingConfirmation

log = logging.getLogger(__name__)

BUTTON = re.compile(r"^confirm:(?P<id>\d+):(?P<answer>yes|no)$")
YES_WORDS = {"yes", "y", "yeah", "yep", "ok", "okay", "sure", "ja", "j", "sim", "si", "sí", "oui"}
NO_WORDS = {"no", "n", "nope", "cancel", "stop", "nein", "não", "nao", "non"}
AWAITING_SECOND = "awaiting_second"


def parse_button(data: str) -> tuple[int, bool] | None:
    match = BUTTON.match(data)
    return (int(match["id"]), match["answer"] == "yes") if match else None


def parse_word(text: str) -> bool | None:
    """'yes' → True, 'nein' → False, anything else → None."""
    word = text.strip().strip(".!").casefold()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return None


async def latest_pending(turn: Turn) -> PendingConfirmation | None:
    """The newest open question this member was asked in this chat, if any."""
    incoming = turn.incoming
    async with turn.app.sessions() as session:
        statement = (
            select(PendingConfirmation)
            .where(
                PendingConfirmation.member_id == turn.member.id,
                PendingConfirmation.channel == incoming.channel,
                PendingConfirmation.chat_id == incoming.chat_id,
                PendingConfirmation.status == "pending",
            )
            .order_by(col(PendingConfirmation.id).desc())
            .limit(1)
        )
        return (await session.exec(statement)).first()


async def answer(turn: Turn, confirmation_id: int, yes: bool) -> Reply:
    """Applies an answer; the wrong person's, a second and a late answer change nothing."""
    app = turn.app
    async with app.sessions() as session:
        pending = await session.get(PendingConfirmation, confirmation_id)
    if pending is None:
        return Reply(text="I can't find that question any more.")
    if pending.status == AWAITING_SECOND:
        return await _answer_second(turn, pending, yes)
    if pending.status != "pending":
        return _already_answered(pending)
    if pending.member_id != turn.member.id:
        return Reply(text="Only the person who asked can answer that question.")
    if pending.expires_at <= app.clock.now():
        status = "expired"
        reply = Reply(text=f"That question expired, so I did not {pending.summary}.")
    elif not yes:
        status = "denied"
        reply = Reply(text=f"Okay, I won't {pending.summary}.")
    elif _needs_second_adult(app, pending):
        return await _ask_other_adults(turn, pending)
    else:
        status = "approved"
        reply = Reply(text="")
    if not await _settle(app, pending, "pending", status):
        return await _answered_meanwhile(app, pending)
    await audit.record(app.sessions, app.clock, turn.member, pending.tool, pending.args, status)
    if status != "approved":
        return reply
    result = await run_action(turn, pending.tool, pending.args, confirmed=True)
    return Reply(text=result.text)


def _needs_second_adult(app: AppContext, pending: PendingConfirmation) -> bool:
    tool = app.tools.get(pending.tool)
    if tool is None:
        return False  # run_action tells the member it no longer knows this action
    try:
        args = tool.args.model_validate(pending.args)
    except ValidationError:
        return False  # run_action tells the member what no longer fits
    return needs_second_adult(app, tool.risk_for(args))


async def _ask_other_adults(turn: Turn, pending: PendingConfirmation) -> Reply:
    """After the requester's yes: asks every other parent or adult in their private chat."""
    app = turn.app
    requester = turn.member
    others = [
        other
        for other in await app.family.members()
        if other.id != requester.id
        and other.role in APPROVERS
        and is_allowed(app.permissions(other.role), pending.tool)
    ]
    if not others:
        await _settle(app, pending, "pending", "denied")
        return await _refuse(turn, pending, "there is no other parent or adult to ask")
    timeout_s = app.settings.safety.confirmation_timeout_s
    deadline = app.clock.now() + timedelta(seconds=timeout_s)
    if not await _settle(app, pending, "pending", AWAITING_SECOND, expires_at=deadline):
        return await _answered_meanwhile(app, pending)
    minutes = max(1, timeout_s // 60)
    question = Reply(
        text=f"{requester.name} asks me to {pending.summary}. Do you approve? "
        f"(Answer within {minutes} min; no answer means no.)",
        buttons=(
            Button(label="Yes", data=f"confirm:{pending.id}:yes"),
            Button(label="No", data=f"confirm:{pending.id}:no"),
        ),
        confirmation_id=pending.id,
    )
    asked = []
    for other in others:
        try:
            await app.notify.push(
                MemberRecipient(other.id), question, key=f"second-adult:{pending.id}:{other.id}"
            )
        except NoChatForMember:
            log.info("%s can't be asked to approve: no private chat with Gepeto yet", other.name)
            continue
        asked.append(other)
    if not asked:
        await _settle(app, pending, AWAITING_SECOND, "denied")
        why = f"I can't reach {_names(others, 'or')} (they need to write to me once first)"
        return await _refuse(turn, pending, why)
    names = _names(asked, "and")
    await audit.record(
        app.sessions,
        app.clock,
        requester,
        pending.tool,
        pending.args,
        "confirmed",
        f"asked {names} to approve",
    )
    return Reply(
        text=f"Asked {names} to approve: {pending.summary}. I'll tell you here when one of "
        f"them answers; no answer within {minutes} min means no."
    )


async def _refuse(turn: Turn, pending: PendingConfirmation, why: str) -> Reply:
    """A critical action nobody else can approve is not done."""
    app = turn.app
    await audit.record(
        app.sessions, app.clock, turn.member, pending.tool, pending.args, "denied", why
    )
    return Reply(
        text=f"Sorry {turn.member.name}, that needs a yes from another parent or adult too, "
        f"and {why}, so I won't {pending.summary}."
    )


async def _answer_second(turn: Turn, pending: PendingConfirmation, yes: bool) -> Reply:
    """Another adult's answer runs or cancels the action; the requester may still cancel."""
    app = turn.app
    adult = turn.member
    if adult.id == pending.member_id:
        if yes:
            return Reply(text="I'm still waiting for another parent or adult to approve that.")
        if not await _settle(app, pending, AWAITING_SECOND, "denied"):
            return await _answered_meanwhile(app, pending)
        await audit.record(
            app.sessions, app.clock, adult, pending.tool, pending.args, "denied", "withdrawn"
        )
        return Reply(text=f"Okay, I won't {pending.summary}.")
    if adult.role not in APPROVERS or not is_allowed(app.permissions(adult.role), pending.tool):
        return Reply(text="Only another parent or adult can approve that.")
    requester = await _member(app, pending.member_id)
    if requester is None:
        return Reply(text="I can't find that question any more.")
    if pending.expires_at <= app.clock.now():
        status = "expired"
    else:
        status = "approved" if yes else "denied"
    if not await _settle(app, pending, AWAITING_SECOND, status, second_adult=adult):
        return await _answered_meanwhile(app, pending)
    detail = {
        "approved": f"approved by {adult.name}",
        "denied": f"refused by {adult.name}",
        "expired": f"{adult.name} answered too late",
    }[status]
    await audit.record(
        app.sessions, app.clock, requester, pending.tool, pending.args, status, detail
    )
    if status == "expired":
        return Reply(text=f"That question expired, so I did not {pending.summary}.")
    if status == "denied":
        await _tell_requester(app, pending, f"{adult.name} said no, so I won't {pending.summary}.")
        return Reply(text=f"Okay, I won't {pending.summary}. I told {requester.name}.")
    in_requesters_name = _turn_for(app, requester, pending)
    result = await run_action(
        in_requesters_name, pending.tool, pending.args, confirmed=True, approved_by=adult
    )
    turn.reports.extend(in_requesters_name.reports)  # this press is what ran it
    await _tell_requester(app, pending, f"{adult.name} approved. {result.text}")
    return Reply(text=f"Thanks, {adult.name}. {result.text}")


async def _settle(
    app: AppContext,
    pending: PendingConfirmation,
    was: str,
    status: str,
    *,
    expires_at: datetime | None = None,
    second_adult: Member | None = None,
) -> bool:
    """Moves the question from `was` to `status`; False when someone else moved it first."""
    values: dict[str, Any] = {"status": status, "decided_at": app.clock.now()}
    if expires_at is not None:
        values["expires_at"] = expires_at
    if second_adult is not None:
        values["second_adult_id"] = second_adult.id
    statement = (
        update(PendingConfirmation)
        .where(col(PendingConfirmation.id) == pending.id, col(PendingConfirmation.status) == was)
        .values(**values)
    )
    async with app.sessions() as session:
        moved = (await session.exec(statement)).rowcount == 1
        await session.commit()
    if moved:
        pending.status = status
    return moved


def _already_answered(pending: PendingConfirmation) -> Reply:
    return Reply(text=f"That question was already answered ({pending.status}).")


async def _answered_meanwhile(app: AppContext, pending: PendingConfirmation) -> Reply:
    """Someone else's answer got there first (two adults pressing yes at once)."""
    async with app.sessions() as session:
        current = await session.get(PendingConfirmation, pending.id)
    return _already_answered(current or pending)


async def _member(app: AppContext, member_id: int) -> Member | None:
    async with app.sessions() as session:
        row = await session.get(MemberRow, member_id)
    return Member.from_row(row) if row else None


def _names(members: list[Member], joiner: str) -> str:
    """'Ben', 'Ben and Cleo', 'Ben, Cleo and Dan'."""
    names = [member.name for member in members]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {joiner} {names[-1]}"


def _turn_for(app: AppContext, requester: Member, pending: PendingConfirmation) -> Turn:
    """The requester's turn in the chat they asked from: the action runs in their name."""
    incoming = Incoming(
        channel=pending.channel,
        chat_id=pending.chat_id,
        sender="",
        event_id=f"confirmation-{pending.id}",
        received_at=app.clock.now(),
    )
    return Turn(app=app, incoming=incoming, member=requester)


async def _tell_requester(app: AppContext, pending: PendingConfirmation, text: str) -> None:
    await app.notify.push(
        ChatRecipient(pending.channel, pending.chat_id),
        Reply(text=text),
        key=f"second-adult-answer:{pending.id}",
    )

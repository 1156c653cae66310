"""Answers to pending confirmations: only the requester decides, and silence means no."""

from __future__ import annotations

import re

from sqlmodel import col, select

from bot import audit
from bot.actions import Turn, run_action
from bot.messages import Reply
from storage.models import PendingConfirmation

BUTTON = re.compile(r"^confirm:(?P<id>\d+):(?P<answer>yes|no)$")
YES_WORDS = {"yes", "y", "yeah", "yep", "ok", "okay", "sure", "ja", "j", "sim", "si", "sí", "oui"}
NO_WORDS = {"no", "n", "nope", "cancel", "stop", "nein", "não", "nao", "non"}


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
    """Applies the requester's answer; others' answers and late answers change nothing."""
    app = turn.app
    now = app.clock.now()
    async with app.sessions() as session:
        pending = await session.get(PendingConfirmation, confirmation_id)
        if pending is None:
            return Reply(text="I can't find that question any more.")
        if pending.member_id != turn.member.id:
            return Reply(text="Only the person who asked can answer that question.")
        if pending.status != "pending":
            return Reply(text=f"That question was already answered ({pending.status}).")
        if pending.expires_at <= now:
            pending.status = "expired"
            reply = Reply(text=f"That question expired, so I did not {pending.summary}.")
        elif not yes:
            pending.status = "denied"
            reply = Reply(text=f"Okay, I won't {pending.summary}.")
        else:
            pending.status = "approved"
            reply = Reply(text="")
        pending.decided_at = now
        session.add(pending)
        await session.commit()
    await audit.record(
        app.sessions, app.clock, turn.member, pending.tool, pending.args, pending.status
    )
    if pending.status != "approved":
        return reply
    result = await run_action(turn, pending.tool, pending.args, confirmed=True)
    return Reply(text=result.text)

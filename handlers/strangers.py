"""Senders who are not (yet) family members: pairing, a greeting, and one polite refusal."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bot.context import AppContext
from bot.family import FamilyError
from bot.markdown import escape
from bot.messages import Incoming, Outcome, Reply
from storage.models import StrangerNotice

PAIRING_HINT = (
    "Hi! I'm Gepeto, this family's assistant, and I only talk to family members. "
    "If that's you, ask a parent for a pairing code and send it to me as /pair CODE."
)


async def handle(app: AppContext, incoming: Incoming) -> Outcome:
    command, _, argument = incoming.text.strip().partition(" ")
    command = command.split("@", 1)[0].lower()
    if command == "/pair" and argument.strip():
        return await _pair(app, incoming, argument.strip())
    if command in ("/start", "/pair") and not incoming.is_group:
        return Outcome(route="refused", replies=(Reply(text=PAIRING_HINT),))
    if await _first_time(app, incoming):
        return Outcome(route="refused", replies=(Reply(text=PAIRING_HINT),))
    return Outcome(route="refused")


async def _pair(app: AppContext, incoming: Incoming, code: str) -> Outcome:
    try:
        member = await app.family.pair(
            code, incoming.channel, incoming.sender, chat_id=incoming.chat_id
        )
    except FamilyError as error:
        return Outcome(route="refused", replies=(Reply(text=str(error)),))
    text = (
        f"Welcome, {escape(member.name)}! You're linked now. "
        "Send /help to see what I can do for you."
    )
    return Outcome(route="command", replies=(Reply(text=text),))


async def _first_time(app: AppContext, incoming: Incoming) -> bool:
    """True only the first time a stranger writes in this chat."""
    async with app.sessions() as session:
        session.add(
            StrangerNotice(channel=incoming.channel, chat_id=incoming.chat_id, at=app.clock.now())
        )
        try:
            await session.commit()
        except IntegrityError:
            return False
    return True

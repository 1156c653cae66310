"""Pushes: what Gepeto says on its own (a reminder, a nag, a warning) rather than in answer.

A push goes into the same outbox as replies, under the key `push:{key}`; the outbox's unique key
makes pushing twice with one key queue one message, even when two pushes race. A member is
reached in their private chat: the one they last wrote from (recorded by `record_private_chat`
as messages come in), else, on Telegram, the private chat whose id is their user id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.clock import Clock
from bot.messages import Reply
from storage.database import SessionFactory
from storage.models import Identity, MemberChat, OutboxMessage

PRIVATE_CHAT_CHANNELS = ("telegram", "matrix", "console")
"""Channels whose private chats are remembered for pushes. The console is a passing session, so
it is used only for a member who has no Telegram or Matrix chat (a console-only household)."""
SEEN_AGAIN_AFTER = timedelta(hours=1)
"""A known private chat's `last_seen_at` is refreshed at most this often (one write an hour)."""
KEY_PREFIX = "push:"
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class MemberRecipient:
    """A member, in their private chat: on `channel` when given, else where they last wrote."""

    member_id: int
    channel: str | None = None


@dataclass(frozen=True)
class ChatRecipient:
    """A chat as it is (a family group, say)."""

    channel: str
    chat_id: str


Recipient = MemberRecipient | ChatRecipient


class NoChatForMember(Exception):
    """Gepeto knows no private chat of this member (they have never written to it)."""

    def __init__(self, member_id: int, channel: str | None) -> None:
        where = f" on {channel}" if channel else ""
        super().__init__(
            f"member {member_id} has no private chat with Gepeto{where} yet; "
            "they need to write to Gepeto once"
        )
        self.member_id = member_id
        self.channel = channel


async def record_private_chat(
    sessions: SessionFactory, clock: Clock, member_id: int, channel: str, chat_id: str
) -> None:
    """Remembers the member's private chat on this channel, for pushes."""
    now = clock.now()
    async with sessions() as session:
        row = (
            await session.exec(
                select(MemberChat).where(
                    MemberChat.member_id == member_id, MemberChat.channel == channel
                )
            )
        ).first()
        if row is None:
            row = MemberChat(member_id=member_id, channel=channel, chat_id=chat_id)
        elif row.chat_id == chat_id and now - row.last_seen_at < SEEN_AGAIN_AFTER:
            return
        row.chat_id = chat_id
        row.last_seen_at = now
        session.add(row)
        try:
            await session.commit()
        except IntegrityError:
            return  # the same chat was recorded by a message handled alongside this one


class Notifier:
    """The public way into the outbox for anything that is not an answer."""

    def __init__(
        self, sessions: SessionFactory, clock: Clock, wake: Callable[[], None] | None = None
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._wake = wake

    def wake_with(self, wake: Callable[[], None]) -> None:
        """Wakes this outbox whenever a push is queued (the outbox of the running bot)."""
        self._wake = wake

    async def push(self, recipient: Recipient, reply: Reply, key: str) -> bool:
        """Queues the reply for the recipient; False when a push with this key was queued before.

        Raises `NoChatForMember` when a member has no private chat Gepeto knows of.
        """
        outbox_key = f"{KEY_PREFIX}{key}"
        if not key or len(outbox_key) > MAX_KEY_LENGTH:
            raise ValueError(f"a push key needs 1 to {MAX_KEY_LENGTH - len(KEY_PREFIX)} chars")
        async with self._sessions() as session:
            queued = await session.exec(
                select(OutboxMessage.id).where(OutboxMessage.key == outbox_key)
            )
            if queued.first() is not None:
                return False
        channel, chat_id = await self.address(recipient)
        now = self._clock.now()
        async with self._sessions() as session:
            session.add(
                OutboxMessage(
                    key=outbox_key,
                    channel=channel,
                    chat_id=chat_id,
                    payload=reply.model_dump(mode="json"),
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            try:
                await session.commit()
            except IntegrityError:
                return False
        if self._wake is not None:
            self._wake()
        return True

    async def address(self, recipient: Recipient) -> tuple[str, str]:
        """The (channel, chat id) a push to this recipient goes to."""
        if isinstance(recipient, ChatRecipient):
            return recipient.channel, recipient.chat_id
        async with self._sessions() as session:
            chats = select(MemberChat).where(MemberChat.member_id == recipient.member_id)
            if recipient.channel is not None:
                chats = chats.where(MemberChat.channel == recipient.channel)
            chats = chats.order_by(
                col(MemberChat.channel) == "console",  # a real chat app first
                col(MemberChat.last_seen_at).desc(),
                col(MemberChat.id).desc(),
            )
            chat = (await session.exec(chats)).first()
            if chat is not None:
                return chat.channel, chat.chat_id
            if recipient.channel in (None, "telegram"):
                # A Telegram user's private chat with a bot has the user's id as its chat id.
                identity = (
                    await session.exec(
                        select(Identity)
                        .where(
                            Identity.member_id == recipient.member_id,
                            Identity.channel == "telegram",
                        )
                        .order_by(col(Identity.id))
                    )
                ).first()
                if identity is not None:
                    return "telegram", identity.address
        raise NoChatForMember(recipient.member_id, recipient.channel)

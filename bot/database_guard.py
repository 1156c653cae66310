"""Notices the database file being deleted or replaced under a running bot, and stops the bot.

SQLite keeps writing to a deleted file through the connections it has open, so replies would
carry on while everything said went nowhere, and the next start would create an empty family.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, func, select

from bot.channels.base import Channel
from bot.context import AppContext
from bot.messages import Reply
from storage.database import DatabaseLost, database_file
from storage.models import ConversationMessage, Identity
from storage.models import Member as MemberRow

log = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0
NOTICE_TIMEOUT_S = 10.0
LOST_NOTICE = (
    "I have lost the family's database ({reason}), so I am stopping rather than forget what "
    "you tell me. Please restore {path} from a backup and start me again."
)

FileIdentity = tuple[int, int]
"""(device, inode): a file deleted or replaced by another has a different one, or none."""


def file_identity(path: Path) -> FileIdentity | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


class DatabaseGuard:
    """Checks the database file's identity on a timer and after every database error."""

    def __init__(
        self, app: AppContext, channels: Sequence[Channel], every_s: float = CHECK_EVERY_S
    ) -> None:
        self._app = app
        self._path = database_file(app.engine)
        self._identity = file_identity(self._path) if self._path is not None else None
        self._senders = {channel.name: channel.send for channel in channels}
        self._every_s = every_s
        self._parent_chats: list[tuple[str, str]] = []
        self._error_seen = asyncio.Event()
        self.lost: DatabaseLost | None = None

    def intact(self) -> bool:
        """True while the file is the one the bot opened; tells nobody (for /readyz)."""
        if self.lost is not None:
            return False
        return self._path is None or file_identity(self._path) == self._identity

    async def check(self) -> bool:
        """True while the file is the one the bot opened; otherwise tells the parents."""
        if self._path is None or self.lost is not None:
            return self.lost is None
        now = file_identity(self._path)
        if now == self._identity:
            await self._remember_parent_chats()
            return True
        reason = "it is gone" if now is None else "it was replaced by another file"
        self.lost = DatabaseLost(
            f"{self._path} changed under the running bot ({reason}): restore it from your "
            "latest backup, then start Gepeto again."
        )
        log.critical("database lost: %s; stopping", reason, extra={"path": str(self._path)})
        await self._tell_parents(LOST_NOTICE.format(reason=reason, path=self._path))
        return False

    async def watch(self) -> None:
        """Checks every few seconds, and at once after a database error; returns on a loss."""
        loop = asyncio.get_running_loop()

        def on_error(_context: Any) -> None:
            loop.call_soon_threadsafe(self._error_seen.set)

        engine = self._app.engine.sync_engine
        event.listen(engine, "handle_error", on_error)
        try:
            while await self.check():
                self._error_seen.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._every_s):
                        await self._error_seen.wait()
        finally:
            event.remove(engine, "handle_error", on_error)

    def raise_if_lost(self) -> None:
        if self.lost is not None:
            raise self.lost

    async def _remember_parent_chats(self) -> None:
        """Where each parent can be reached, read while the database is still there to ask."""
        try:
            self._parent_chats = await parent_chats(self._app, set(self._senders))
        except SQLAlchemyError:
            log.warning("could not read the parents' chats; keeping the last known ones")

    async def _tell_parents(self, text: str) -> None:
        """Straight through the channels: with the database gone the outbox cannot be used."""
        for channel, chat_id in self._parent_chats:
            key = f"database-lost:{channel}:{chat_id}"
            try:
                async with asyncio.timeout(NOTICE_TIMEOUT_S):
                    await self._senders[channel](chat_id, Reply(text=text), key)
            except Exception as error:
                log.warning("could not tell %s:%s: %s", channel, chat_id, error)


async def parent_chats(app: AppContext, channels: set[str]) -> list[tuple[str, str]]:
    """(channel, chat) for every parent: their latest chat per channel, else their own address.

    On Telegram a user's id is also their private chat with the bot; on Matrix only a room they
    wrote from reaches them; on the console a member's chat is their name.
    """
    chats: dict[tuple[int, str], str] = {}
    async with app.sessions() as session:
        parents = list(await session.exec(select(MemberRow).where(MemberRow.role == "parent")))
        ids = [parent.id for parent in parents]
        for parent in parents:
            assert parent.id is not None
            chats[(parent.id, "console")] = parent.name_key
        identities = await session.exec(
            select(Identity).where(
                col(Identity.member_id).in_(ids), Identity.channel == "telegram"
            )
        )
        for identity in identities:
            chats[(identity.member_id, identity.channel)] = identity.address
        latest = (
            select(func.max(ConversationMessage.id))
            .where(col(ConversationMessage.member_id).in_(ids))
            .group_by(col(ConversationMessage.member_id), col(ConversationMessage.channel))
        )
        spoken = await session.exec(
            select(ConversationMessage).where(col(ConversationMessage.id).in_(latest))
        )
        for message in spoken:
            chats[(message.member_id, message.channel)] = message.chat_id
    found = {(channel, chat_id) for (_member, channel), chat_id in chats.items()}
    return sorted(pair for pair in found if pair[0] in channels)

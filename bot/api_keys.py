"""Members' keys to the household's HTTP API: shown once when made, kept only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import col, select

from bot.clock import Clock
from bot.family import Member
from storage.database import SessionFactory
from storage.models import ApiKey
from storage.models import Member as MemberRow

KEY_PREFIX = "gepeto_"
USED_AGAIN_AFTER = timedelta(hours=1)
"""`last_used_at` is refreshed at most this often (one write an hour, not one per request)."""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_key(sessions: SessionFactory, clock: Clock, member: Member) -> str:
    """A new key for the member; any key they had before stops working."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    async with sessions() as session:
        for old in await session.exec(select(ApiKey).where(ApiKey.member_id == member.id)):
            await session.delete(old)
        session.add(ApiKey(member_id=member.id, key_hash=_hash(key), created_at=clock.now()))
        await session.commit()
    return key


async def member_for_key(sessions: SessionFactory, clock: Clock, key: str) -> Member | None:
    """The member whose key this is, or None for any other string."""
    if not key.startswith(KEY_PREFIX):
        return None
    async with sessions() as session:
        found = (
            await session.exec(
                select(ApiKey, MemberRow)
                .join(MemberRow, col(MemberRow.id) == col(ApiKey.member_id))
                .where(ApiKey.key_hash == _hash(key))
            )
        ).first()
        if found is None:
            return None
        row, member = found
        now = clock.now()
        if row.last_used_at is None or now - row.last_used_at >= USED_AGAIN_AFTER:
            row.last_used_at = now
            session.add(row)
            await session.commit()
        return Member.from_row(member)

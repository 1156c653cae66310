"""Who belongs to the household: members, their chat identities, and pairing codes."""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from bot.clock import Clock
from bot.config import ROLES, Role
from storage.database import SessionFactory
from storage.models import AuditEntry, Household, Identity, PairingCode
from storage.models import Member as MemberRow

PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PAIRING_LENGTH = 8
PAIRING_LIFETIME = timedelta(hours=24)
PAIRING_ATTEMPTS = 5
"""Wrong codes one chat may send within PAIRING_WINDOW before /pair stops listening to it."""
PAIRING_WINDOW = timedelta(minutes=10)
WRONG_PAIRING = "family.pair"
CHANNELS = ("telegram", "matrix", "console")


log = logging.getLogger(__name__)


class FamilyError(Exception):
    """A request about members that cannot be done; the message is for a person."""


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    role: Role
    language: str | None = None

    @classmethod
    def from_row(cls, row: MemberRow) -> Member:
        assert row.id is not None
        role = row.role if row.role in ROLES else "guest"
        return cls(id=row.id, name=row.name, role=role, language=row.language)


def parse_address(text: str) -> tuple[str, str]:
    """'telegram:123' or 'matrix:@ana:example.org' → (channel, address), checked."""
    channel, _, address = text.partition(":")
    channel = channel.strip().lower()
    address = address.strip()
    if channel not in CHANNELS or not address:
        raise FamilyError(
            f"{text!r} is not an address; use telegram:<user id> or matrix:@user:server"
        )
    if channel == "telegram" and not address.lstrip("-").isdigit():
        raise FamilyError(f"a Telegram address is the numeric user id, not {address!r}")
    if channel == "matrix" and not (address.startswith("@") and ":" in address[1:]):
        raise FamilyError(f"a Matrix address looks like @name:server, not {address!r}")
    return channel, address


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


class Family:
    """Reads and changes the household's members; every method is one short transaction."""

    def __init__(self, sessions: SessionFactory, clock: Clock, household_name: str) -> None:
        self._sessions = sessions
        self._clock = clock
        self._household_name = household_name

    async def _household_id(self) -> int:
        async with self._sessions() as session:
            household = (await session.exec(select(Household).limit(1))).first()
            if household is None:
                household = Household(name=self._household_name, created_at=self._clock.now())
                session.add(household)
                await session.commit()
            assert household.id is not None
            return household.id

    async def add(self, name: str, role: str, language: str | None = None) -> Member:
        name = " ".join(name.split())
        if not name or len(name) > 80:
            raise FamilyError("a member needs a name of 1 to 80 characters")
        if role not in ROLES:
            raise FamilyError(f"{role!r} is not a role; choose one of {', '.join(ROLES)}")
        household_id = await self._household_id()
        row = MemberRow(
            household_id=household_id,
            name=name,
            name_key=name.casefold(),
            role=role,
            language=language,
            created_at=self._clock.now(),
        )
        async with self._sessions() as session:
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:
                raise FamilyError(f"there is already a member called {name}") from None
        return Member.from_row(row)

    async def members(self) -> list[Member]:
        async with self._sessions() as session:
            rows = await session.exec(select(MemberRow).order_by(col(MemberRow.id)))
            return [Member.from_row(row) for row in rows]

    async def identities(self, member: Member) -> list[str]:
        async with self._sessions() as session:
            rows = await session.exec(
                select(Identity).where(Identity.member_id == member.id).order_by(col(Identity.id))
            )
            return [f"{row.channel}:{row.address}" for row in rows]

    async def find(self, name: str) -> Member | None:
        async with self._sessions() as session:
            row = (
                await session.exec(select(MemberRow).where(MemberRow.name_key == name.casefold()))
            ).first()
            return Member.from_row(row) if row else None

    async def get(self, name: str) -> Member:
        member = await self.find(name)
        if member is None:
            raise FamilyError(f"there is no member called {name}")
        return member

    async def is_empty(self) -> bool:
        async with self._sessions() as session:
            return (await session.exec(select(MemberRow.id).limit(1))).first() is None

    async def remove(self, name: str) -> Member:
        member = await self.get(name)
        async with self._sessions() as session:
            row = await session.get(MemberRow, member.id)
            if row is not None:
                await session.delete(row)
                await session.commit()
        return member

    async def link(self, name: str, address: str) -> Member:
        member = await self.get(name)
        channel, parsed = parse_address(address)
        await self._link(member, channel, parsed)
        return member

    async def _link(self, member: Member, channel: str, address: str) -> None:
        async with self._sessions() as session:
            existing = (
                await session.exec(
                    select(Identity).where(
                        Identity.channel == channel, Identity.address == address
                    )
                )
            ).first()
            if existing is not None:
                if existing.member_id == member.id:
                    return
                raise FamilyError(f"{channel}:{address} already belongs to another member")
            session.add(
                Identity(
                    member_id=member.id,
                    channel=channel,
                    address=address,
                    created_at=self._clock.now(),
                )
            )
            await session.commit()

    async def resolve(self, channel: str, address: str) -> Member | None:
        """The member behind a chat identity; on the console and the API, the member's name."""
        if channel in ("console", "api"):
            return await self.find(address)
        async with self._sessions() as session:
            row = (
                await session.exec(
                    select(MemberRow)
                    .join(Identity, col(Identity.member_id) == col(MemberRow.id))
                    .where(Identity.channel == channel, Identity.address == address)
                )
            ).first()
            return Member.from_row(row) if row else None

    async def invite(self, name: str) -> tuple[str, Member]:
        """A one-time pairing code for a member to send as /pair CODE from their chat."""
        member = await self.get(name)
        code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_LENGTH))
        now = self._clock.now()
        async with self._sessions() as session:
            session.add(
                PairingCode(
                    member_id=member.id,
                    code_hash=_code_hash(code),
                    expires_at=now + PAIRING_LIFETIME,
                    created_at=now,
                )
            )
            await session.commit()
        return code, member

    async def pair(
        self, code: str, channel: str, address: str, chat_id: str | None = None
    ) -> Member:
        """Links the sender to the member the code was made for; each code works once.

        Wrong codes are kept in the audit log, which also throttles guessing: a chat (the
        sender's own when `chat_id` is not given) gets PAIRING_ATTEMPTS per PAIRING_WINDOW.
        """
        now = self._clock.now()
        chat = f"{channel}:{chat_id or address}"
        async with self._sessions() as session:
            recent = (
                await session.exec(
                    select(func.count(), func.min(AuditEntry.at)).where(
                        AuditEntry.action == WRONG_PAIRING,
                        AuditEntry.detail == chat,
                        AuditEntry.at > now - PAIRING_WINDOW,
                    )
                )
            ).one()
            wrong, oldest = recent
            if wrong >= PAIRING_ATTEMPTS:
                minutes = max(1, math.ceil((oldest + PAIRING_WINDOW - now).total_seconds() / 60))
                log.info("ignored /pair from %s (sender %s): too many wrong codes", chat, address)
                raise FamilyError(
                    "Too many wrong pairing codes from this chat. "
                    f"Please try again in {minutes} minute{'s' if minutes > 1 else ''}."
                )
            pairing = (
                await session.exec(
                    select(PairingCode).where(PairingCode.code_hash == _code_hash(code))
                )
            ).first()
            if pairing is None or pairing.used_at is not None or pairing.expires_at <= now:
                session.add(
                    AuditEntry(
                        at=now,
                        action=WRONG_PAIRING,
                        args={
                            "channel": channel,
                            "chat_id": chat_id or address,
                            "sender": address,
                        },
                        status="refused",
                        detail=chat,
                    )
                )
                await session.commit()
                log.warning(
                    "wrong pairing code from %s (sender %s), %d of %d allowed in %d minutes",
                    chat,
                    address,
                    wrong + 1,
                    PAIRING_ATTEMPTS,
                    PAIRING_WINDOW.total_seconds() // 60,
                )
                raise FamilyError(
                    "That pairing code is not valid (codes work once and expire after a day). "
                    "Ask a parent for a new one."
                )
            row = await session.get(MemberRow, pairing.member_id)
            if row is None:
                raise FamilyError("That pairing code belongs to a member who was removed.")
            pairing.used_at = now
            session.add(pairing)
            await session.commit()
        member = Member.from_row(row)
        await self._link(member, channel, address)
        return member

"""The append-only audit log: one row for every action attempted for the family."""

from __future__ import annotations

from typing import Any

from bot.clock import Clock
from bot.family import Member
from storage.database import SessionFactory
from storage.models import AuditEntry


async def record(
    sessions: SessionFactory,
    clock: Clock,
    member: Member | None,
    action: str,
    args: dict[str, Any],
    status: str,
    detail: str = "",
) -> None:
    async with sessions() as session:
        session.add(
            AuditEntry(
                at=clock.now(),
                member_id=member.id if member else None,
                member_name=member.name if member else "",
                action=action,
                args=args,
                status=status,
                detail=detail[:1000],
            )
        )
        await session.commit()

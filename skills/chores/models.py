"""The chores' tables: chores and who takes part, each turn (occurrence), absences, claims."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime

ROTATIONS = ("round_robin", "fewest_points", "random")
"""Fixed order; fewest effort-weighted points per day present; random, never the last doer."""


def _member(ondelete: str, *, nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete=ondelete), nullable=nullable, index=index
        ),
    )


def _text(length: int, default: str = "") -> Any:
    return Field(default=default, sa_column=Column(String(length), nullable=False))


def _when(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class Chore(SQLModel, table=True):
    """Something that needs doing again and again (or once), and how it is shared out."""

    __tablename__ = "chore"

    id: int | None = Field(default=None, primary_key=True)
    name: str = _text(80)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    effort: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    rrule: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    """When it repeats (RFC 5545, in the household's timezone); None with `after_days` or once."""
    after_days: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    """Due this many days after it was last done."""
    due_minute: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    """Minutes after local midnight it is due by; None: the household's default time."""
    rotation: str = _text(16, "round_robin")
    anyone: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    """Whoever gets to it first: no assignee, the whole group is nagged once."""
    needs_approval: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    """A parent confirms before its points count."""
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    channel: str = _text(20)
    chat_id: str = _text(120)
    """Where it was set up: "Anyone" chores are announced there."""
    created_by: int | None = _member("SET NULL")
    created_at: datetime = _when()


class ChoreMember(SQLModel, table=True):
    """A member taking part in a chore, at their place in its fixed order."""

    __tablename__ = "chore_member"
    __table_args__ = (UniqueConstraint("chore_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chore_id: int = Field(
        sa_column=Column(Integer, ForeignKey("chore.id", ondelete="CASCADE"), nullable=False)
    )
    member_id: int = _member("CASCADE", nullable=False)
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class ChoreTurn(SQLModel, table=True):
    """One occurrence of a chore: whose turn, why, and how it ended."""

    __tablename__ = "chore_turn"
    __table_args__ = (
        UniqueConstraint("chore_id", "due_at"),
        Index("ix_chore_turn_state", "state", "chore_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chore_id: int = Field(
        sa_column=Column(Integer, ForeignKey("chore.id", ondelete="CASCADE"), nullable=False)
    )
    due_at: datetime = _when()
    assignee_id: int | None = _member("SET NULL")
    reason: str = _text(300)
    """"Why me?" in one line, written when the turn was given."""
    state: str = _text(16, "open")
    """open · done · awaiting (a parent's approval) · declined · missed."""
    done_by: int | None = _member("SET NULL", index=True)
    done_at: datetime | None = _when(nullable=True)
    recorded_by: int | None = _member("SET NULL")
    points: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    """Effort points earned; counted only when the state is `done`."""
    swap_with: int | None = _member("SET NULL")
    """A swap asked of this member, waiting for their yes."""
    swapped_from: int | None = _member("SET NULL")
    """Whose turn it was before a swap: they take the helper's next turn in return."""
    swap_settled: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = _when()


class Absence(SQLModel, table=True):
    """A member away (holiday, a sleepover): skipped by every rotation, not penalised."""

    __tablename__ = "chore_absence"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = _member("CASCADE", nullable=False, index=True)
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    until: date = Field(sa_column=Column(Date, nullable=False))
    """The last day away (inclusive)."""
    created_at: datetime = _when()


class RewardClaim(SQLModel, table=True):
    """A reward a member asked to spend points on; a parent approves it in chat."""

    __tablename__ = "chore_claim"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = _member("CASCADE", nullable=False, index=True)
    reward: str = _text(120)
    cost: int = Field(sa_column=Column(Integer, nullable=False))
    state: str = _text(16, "asked")
    """asked · approved · declined; asked and approved claims hold their points."""
    decided_by: int | None = _member("SET NULL")
    created_at: datetime = _when()

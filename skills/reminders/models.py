"""The reminders' tables: what to remind whom of, and the state of every occurrence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime


class Reminder(SQLModel, table=True):
    """One reminder, one-off or recurring (an RRULE in the household's timezone)."""

    __tablename__ = "reminder"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_by: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False)
    )
    text: str = Field(max_length=500)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=255)
    first_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    rrule: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    important: bool = False
    catch_up_s: int
    state: str = Field(default="active", max_length=16, index=True)
    """active, done (a one-off that fired) or cancelled."""
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReminderOccurrence(SQLModel, table=True):
    """One time a reminder comes due: scheduled → sent → acknowledged / snoozed / missed."""

    __tablename__ = "reminder_occurrence"
    __table_args__ = (UniqueConstraint("reminder_id", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    reminder_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("reminder.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    state: str = Field(default="scheduled", max_length=16, index=True)
    late_by_s: int = 0
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    resent: int = 0
    """How many times it was sent again while nobody acknowledged it."""
    snoozed_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    missed_told: bool = False
    """True once the member was told, in one line, that it was missed while Gepeto was offline."""
    settled_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )

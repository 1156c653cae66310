"""The calendar's table: one row per event (a recurring event is one row with its RRULE)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime


def _time(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


def _list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class CalendarEvent(SQLModel, table=True):
    __tablename__ = "calendar_event"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=255, unique=True, description="the iCalendar UID")
    title: str = Field(max_length=200)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    ends_at: datetime = _time()
    """Exclusive; an all-day event ends at midnight after its last day."""
    all_day: bool = False
    timezone: str = Field(max_length=64, description="where its wall-clock times live")
    rrule: str | None = Field(default=None, max_length=500)
    exdates: list[str] = _list()
    """Skipped occurrences of a recurring event, as UTC ISO times."""
    members: list[int] = _list()
    """Member ids it is for; empty means the whole family."""
    location: str | None = Field(default=None, max_length=200)
    alarms: list[int] = _list()
    """Minutes before each occurrence that an alarm rings."""
    created_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = _time()
    updated_at: datetime = _time()


class CalendarRemote(SQLModel, table=True):
    """What the CalDAV server held of an event when it was last in step with ours."""

    __tablename__ = "calendar_remote"

    uid: str = Field(primary_key=True, max_length=255)
    href: str = Field(max_length=1000, description="where the server keeps it")
    etag: str | None = Field(default=None, max_length=255)
    synced_at: datetime = _time()
    """The local event's `updated_at` when both sides last matched."""

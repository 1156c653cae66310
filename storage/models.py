"""The family's tables: household, members, inbox, outbox, confirmations, audit, scheduled jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Every constraint gets a predictable name, so SQLite batch alters and PostgreSQL can find it.
Set before any table is defined; skills' tables import from this module and get it too."""
SQLModel.metadata.naming_convention = NAMING_CONVENTION


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always gives them back aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _time(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Household(SQLModel, table=True):
    __tablename__ = "household"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    created_at: datetime = _time()


class Member(SQLModel, table=True):
    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("household_id", "name_key"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(
        sa_column=Column(Integer, ForeignKey("household.id", ondelete="CASCADE"), nullable=False)
    )
    name: str = Field(max_length=80)
    name_key: str = Field(max_length=80, description="lower-cased name for lookups")
    role: str = Field(max_length=16)
    language: str | None = Field(default=None, max_length=16)
    created_at: datetime = _time()


class Identity(SQLModel, table=True):
    """A member's address on one channel: telegram user id, matrix user id, console name."""

    __tablename__ = "identity"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False)
    )
    channel: str = Field(max_length=16)
    address: str = Field(max_length=255)
    created_at: datetime = _time()


class PairingCode(SQLModel, table=True):
    __tablename__ = "pairing_code"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False)
    )
    code_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = _time()
    used_at: datetime | None = _time(nullable=True)
    created_at: datetime = _time()


class InboxEvent(SQLModel, table=True):
    """Every incoming event, stored before it is acknowledged; the unit of exactly-once work."""

    __tablename__ = "inbox_event"
    __table_args__ = (UniqueConstraint("channel", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    event_id: str = Field(max_length=255)
    chat_id: str = Field(max_length=255, index=True)
    payload: dict[str, Any] = _json()
    status: str = Field(default="received", max_length=16, index=True)
    attempts: int = 0
    received_at: datetime = _time()
    finished_at: datetime | None = _time(nullable=True)


class ActionRecord(SQLModel, table=True):
    """The tools one inbox event ran, so a replay after a crash never runs one twice."""

    __tablename__ = "action_record"
    __table_args__ = (UniqueConstraint("inbox_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    inbox_id: int = Field(
        sa_column=Column(Integer, ForeignKey("inbox_event.id", ondelete="CASCADE"), nullable=False)
    )
    seq: int
    tool: str = Field(max_length=64)
    args: dict[str, Any] = _json()
    status: str = Field(max_length=24)
    result: dict[str, Any] = _json()
    created_at: datetime = _time()


class OutboxMessage(SQLModel, table=True):
    """A reply waiting to be delivered; the key makes retries idempotent."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    channel: str = Field(max_length=16, index=True)
    chat_id: str = Field(max_length=255)
    payload: dict[str, Any] = _json()
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = _time()
    last_error: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    created_at: datetime = _time()
    sent_at: datetime | None = _time(nullable=True)


class PendingConfirmation(SQLModel, table=True):
    """A sensitive action waiting for its requester's yes or no (a critical one: two adults').

    `status`: pending → approved | denied | expired; with `two_adults_for_critical`, a critical
    action's yes leads to awaiting_second, then another adult's answer to approved or denied.
    """

    __tablename__ = "pending_confirmation"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False)
    )
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=255)
    tool: str = Field(max_length=64)
    args: dict[str, Any] = _json()
    summary: str = Field(max_length=500)
    status: str = Field(default="pending", max_length=16, index=True)
    created_at: datetime = _time()
    expires_at: datetime = _time()
    decided_at: datetime | None = _time(nullable=True)
    second_adult_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True),
    )
    """The other parent or adult who answered a critical action's second question."""


class AuditEntry(SQLModel, table=True):
    """Append-only record of every action attempted on the family's behalf."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _time()
    member_id: int | None = Field(default=None, index=True)
    member_name: str = Field(default="", max_length=80)
    action: str = Field(max_length=64)
    args: dict[str, Any] = _json()
    status: str = Field(max_length=24)
    detail: str = Field(default="", sa_column=Column(String(1000), nullable=False))


class StrangerNotice(SQLModel, table=True):
    """Chats where an unknown sender has already had their one refusal."""

    __tablename__ = "stranger_notice"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=255)
    at: datetime = _time()


class ConversationMessage(SQLModel, table=True):
    """What a member and Gepeto said in a chat, for the LLM's short-term memory."""

    __tablename__ = "conversation_message"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=255)
    role: str = Field(max_length=16)
    content: str = Field(sa_column=Column(String(8000), nullable=False))
    at: datetime = _time()


class MemoryFact(SQLModel, table=True):
    """Something worth remembering: a member's own (private) or the whole household's."""

    __tablename__ = "memory_fact"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    text: str = Field(sa_column=Column(String(500), nullable=False))
    created_by: int | None = Field(default=None)
    created_at: datetime = _time()


class MemberChat(SQLModel, table=True):
    """A member's private chat on one channel, recorded when they write from it, for pushes."""

    __tablename__ = "member_chat"
    __table_args__ = (UniqueConstraint("member_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False)
    )
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=255)
    last_seen_at: datetime = _time()


class ApiKey(SQLModel, table=True):
    """A member's key to the household's HTTP API: only its hash is kept; it acts as them."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False)
    )
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _time()
    last_used_at: datetime | None = _time(nullable=True)


class ScheduledJob(SQLModel, table=True):
    """Timed work (a reminder, a chore nag, an agenda); the truth the scheduler re-reads."""

    __tablename__ = "scheduled_job"

    id: int | None = Field(default=None, primary_key=True)
    skill: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=64)
    key: str = Field(max_length=255, unique=True)
    member_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    channel: str | None = Field(default=None, max_length=16)
    chat_id: str | None = Field(default=None, max_length=255)
    payload: dict[str, Any] = _json()
    rrule: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    starts_at: datetime | None = _time(nullable=True)
    timezone: str | None = Field(default=None, max_length=64)
    next_run_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    catch_up_s: int
    state: str = Field(default="scheduled", max_length=16, index=True)
    last_fired_at: datetime | None = _time(nullable=True)
    created_at: datetime = _time()


class JobFiring(SQLModel, table=True):
    """One occurrence of a job, claimed before it is dispatched; the key of exactly-once firing."""

    __tablename__ = "job_firing"
    __table_args__ = (UniqueConstraint("job_id", "occurrence"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("scheduled_job.id", ondelete="CASCADE"), nullable=False
        )
    )
    occurrence: datetime = _time()
    status: str = Field(default="started", max_length=16, index=True)
    late_by_s: int = 0
    coalesced: int = 0
    attempts: int = 1
    error: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    started_at: datetime = _time()
    finished_at: datetime | None = _time(nullable=True)

"""The skill's own table; its migration lives in `migrations/`, a branch on the core schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime


class Glass(SQLModel, table=True):
    """One glass of water a member drank. Tables are named after their skill."""

    __tablename__ = "example_glass"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    drunk_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

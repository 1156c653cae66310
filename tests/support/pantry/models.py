"""The pantry skill's table: what each member keeps in the cupboard."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime


class PantryItem(SQLModel, table=True):
    __tablename__ = "pantry_item"
    __table_args__ = (UniqueConstraint("member_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(max_length=80)
    added_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

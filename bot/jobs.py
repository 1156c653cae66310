"""A skill's view of the scheduler: its own jobs only, keys namespaced by the skill's name."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.scheduler import DEFAULT_CATCH_UP, Job, Scheduler


class SkillJobs:
    """`services.jobs.schedule("nag", "chore-12", at=...)` files the job under the skill."""

    def __init__(self, scheduler: Scheduler, skill: str) -> None:
        self._scheduler = scheduler
        self._skill = skill

    def key(self, key: str) -> str:
        """The scheduler-wide key of one of this skill's jobs."""
        return f"{self._skill}:{key}"

    async def schedule(
        self,
        kind: str,
        key: str,
        *,
        at: datetime | None = None,
        rrule: str | None = None,
        starts: datetime | None = None,
        member_id: int | None = None,
        channel: str | None = None,
        chat_id: str | None = None,
        payload: Mapping[str, Any] | None = None,
        catch_up: timedelta = DEFAULT_CATCH_UP,
    ) -> int:
        """Creates (or replaces) this skill's job `key` of `kind`; returns its id."""
        return await self._scheduler.schedule(
            self._skill,
            kind,
            self.key(key),
            at=at,
            rrule=rrule,
            starts=starts,
            member_id=member_id,
            channel=channel,
            chat_id=chat_id,
            payload=payload,
            catch_up=catch_up,
        )

    async def cancel(self, key: str) -> bool:
        return await self._scheduler.cancel(self.key(key))

    async def jobs(self, *, member_id: int | None = None) -> list[Job]:
        """This skill's scheduled jobs, soonest first."""
        return await self._scheduler.jobs(skill=self._skill, member_id=member_id)

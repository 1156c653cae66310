"""The scheduler: timed work that survives restarts, each occurrence fired exactly once.

The truth lives in the `scheduled_job` table; nothing about a job is kept only in memory.
All the logic is in `run_due(now)`, which tests drive with a `ManualClock`:

- A job whose `next_run_at` has come is *claimed*: one transaction inserts a `job_firing` row,
  unique by `(job, occurrence)`, with status `started`, and advances the job (a one-off job is
  `done`; a recurring one moves to its first occurrence after `now`). Then the owning skill's
  `dispatch` runs, and the firing becomes `done`, `missed` or `failed`.
- Within `GRACE` of its occurrence a firing is `due`; later, but inside the job's catch-up window,
  it is `late`; later still it is `missed` — recorded, and still dispatched, so the skill decides
  whether to say anything. A recurring job that missed several occurrences while the bot was down
  fires once, for the latest of them, and counts the others in `coalesced`: a long downtime gives
  one catch-up, never a burst.
- A crash between the claim and the end of the dispatch leaves a `started` firing; the next pass
  (the next start) dispatches it again, up to `MAX_ATTEMPTS` times. Dispatch is therefore
  at-least-once, and a skill makes it exactly-once for the family by pushing with `firing.key`:
  `notify.push` is idempotent by key, so a second attempt finds its message already queued.
  A crash before the claim commits loses nothing either: the job is still due.
- A dispatch that raises is logged and its firing marked `failed`; the job has already advanced,
  so a broken skill can never make a job fire in a loop.

Recurrence is an RFC 5545 RRULE evaluated by dateutil in the job's timezone (the household's)
from a local start, so a daily 07:00 stays 07:00 local across daylight-saving changes.

The alarm clock: `run()` repeats `run_due`, then awaits `clock.sleep_until(next due time)` raced
against `wake()` (which `schedule` and `cancel` call). With the `SystemClock` that sleep is an
APScheduler `AsyncIOScheduler` holding one `DateTrigger` job at the next due time (no misfire
grace, coalesced) plus a safety wake every minute for suspended machines and clock jumps; with the
`ManualClock` it returns when a test advances time past it. APScheduler only ever holds that
alarm — never a job of ours, and its SQLAlchemy job store is not used — so a restart loses
nothing: `run()` starts with a pass over the table. One scheduler runs per database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from dateutil import rrule as recurrence
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.clock import Clock
from storage.database import SessionFactory
from storage.models import JobFiring, ScheduledJob

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=60)
"""A firing this close to its occurrence is on time."""
DEFAULT_CATCH_UP = timedelta(hours=1)
MAX_ATTEMPTS = 3
"""How often a firing interrupted by a crash is dispatched before it is given up as failed."""
DISPATCH_TIMEOUT_S = 60.0
RETRY_AFTER = timedelta(seconds=30)
"""How long `run()` waits after a pass failed (the database was unreachable, say)."""
WALL_CLOCK_STEPS = {
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
}
"""Rule frequencies whose periods have one length on the wall clock (see `_anchor`)."""
ANCHOR_MARGIN = timedelta(days=1)

Timing = Literal["due", "late", "missed"]


class ScheduleError(ValueError):
    """A job that cannot be scheduled as asked; the message says why."""


@dataclass(frozen=True)
class Job:
    """A scheduled job, as a skill lists it."""

    id: int
    skill: str
    kind: str
    key: str
    member_id: int | None
    channel: str | None
    chat_id: str | None
    payload: Mapping[str, Any]
    rrule: str | None
    next_run_at: datetime
    catch_up: timedelta
    state: str
    last_fired_at: datetime | None

    @classmethod
    def from_row(cls, row: ScheduledJob) -> Job:
        assert row.id is not None
        return cls(
            id=row.id,
            skill=row.skill,
            kind=row.kind,
            key=row.key,
            member_id=row.member_id,
            channel=row.channel,
            chat_id=row.chat_id,
            payload=dict(row.payload),
            rrule=row.rrule,
            next_run_at=row.next_run_at,
            catch_up=timedelta(seconds=row.catch_up_s),
            state=row.state,
            last_fired_at=row.last_fired_at,
        )


@dataclass(frozen=True)
class Firing:
    """One occurrence of a job, handed to the skill that owns it."""

    job_id: int
    skill: str
    kind: str
    job_key: str
    member_id: int | None
    channel: str | None
    chat_id: str | None
    payload: Mapping[str, Any]
    occurrence: datetime
    status: Timing
    late_by: timedelta
    coalesced: int = 0
    """Earlier occurrences, missed while the bot was down, that this firing stands for."""

    @property
    def key(self) -> str:
        """`(job, occurrence)`: push with it and a firing dispatched again sends nothing twice."""
        return f"job:{self.job_id}:{self.occurrence.astimezone(UTC):%Y%m%dT%H%M%SZ}"


Dispatch = Callable[[Firing], Awaitable[None]]
"""Runs one firing: the app routes it to the skill that scheduled the job."""


def timing(late_by: timedelta, catch_up: timedelta) -> Timing:
    if late_by <= GRACE:
        return "due"
    return "late" if late_by <= catch_up else "missed"


def _seconds(delta: timedelta) -> int:
    return round(delta.total_seconds())


def _aware(when: datetime, name: str) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ScheduleError(f"{name} must be a timezone-aware time")
    return when


def _rule_text(text: str) -> str:
    rule = text.strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[len("RRULE:") :]
    if not rule or ":" in rule or "\n" in rule:
        raise ScheduleError(
            f"{text!r} is not a single RRULE; give one like FREQ=DAILY;BYHOUR=7;BYMINUTE=0"
        )
    return rule.upper()


def _recurrence(text: str, local_start: datetime) -> recurrence.rrule:
    try:
        rule = recurrence.rrulestr(text, dtstart=local_start)
    except (ValueError, TypeError) as error:
        raise ScheduleError(f"{text!r} is not a recurrence I understand: {error}") from None
    if not isinstance(rule, recurrence.rrule):
        raise ScheduleError(f"{text!r} is not a single RRULE")
    return rule


def _anchor(rule: str, starts: datetime, next_run: datetime, zone: ZoneInfo) -> datetime:
    """Where a recurring job's occurrences are counted from: its start, moved forward by whole
    periods of its rule to a day before its next run.

    dateutil walks every occurrence from the start on each claim: an every-15-minutes sync
    walked 35,000 of them, for about a second on the event loop, after a year. Moved by whole
    INTERVALs of minutes, hours, days or weeks on the wall clock (as dateutil counts), the rule
    keeps the same occurrences from there on: the same clock time, weekday and steps. The day
    of margin keeps a summer-time hour out of the sum. Months and years stay as they are (a
    few dozen occurrences in years), and so does a rule with COUNT, which counts from its start.
    """
    start = starts.astimezone(zone)
    parts = dict(part.split("=", 1) for part in rule.split(";") if "=" in part)
    step = WALL_CLOCK_STEPS.get(parts.get("FREQ", ""))
    if step is None or "COUNT" in parts:
        return start
    period = step * int(parts.get("INTERVAL", "1"))
    wall_start = start.replace(tzinfo=None)
    wall_next = next_run.astimezone(zone).replace(tzinfo=None)
    periods = (wall_next - wall_start - ANCHOR_MARGIN) // period
    if periods <= 0:
        return start
    return (wall_start + periods * period).replace(tzinfo=zone)


def _utc(when: datetime | None) -> datetime | None:
    return None if when is None else when.astimezone(UTC)


class Scheduler:
    """Durable scheduled jobs: stored, claimed once per occurrence, dispatched to their skill."""

    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        dispatch: Dispatch,
        timezone: str,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics
        self.running = False
        """True while `run()` is looping (for /readyz)."""
        self._sessions = sessions
        self._clock = clock
        self._dispatch = dispatch
        self._timezone = ZoneInfo(timezone)
        self._woken = asyncio.Event()
        self._passing = asyncio.Lock()

    async def schedule(
        self,
        skill: str,
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
        """Creates the job, or replaces the one with this key; returns its id.

        A one-off job runs `at`; a recurring one follows `rrule` (e.g.
        `FREQ=DAILY;BYHOUR=7;BYMINUTE=0`) in the household's timezone from `starts` (default:
        now, to the minute), and its first run is its first occurrence from now on.
        """
        now = self._clock.now()
        if (at is None) == (rrule is None):
            raise ScheduleError("a job needs a time (at) or a recurrence (rrule), not both")
        if catch_up < timedelta(0):
            raise ScheduleError("the catch-up window cannot be negative")
        values: dict[str, Any] = {
            "skill": skill,
            "kind": kind,
            "member_id": member_id,
            "channel": channel,
            "chat_id": chat_id,
            "payload": dict(payload or {}),
            "catch_up_s": _seconds(catch_up),
            "state": "scheduled",
        }
        if at is not None:
            if starts is not None:
                raise ScheduleError("`starts` goes with a recurrence, not with a one-off time")
            values |= {
                "rrule": None,
                "starts_at": None,
                "timezone": None,
                "next_run_at": _aware(at, "at").astimezone(UTC),
            }
        else:
            assert rrule is not None
            text = _rule_text(rrule)
            if starts is None:
                local_start = now.astimezone(self._timezone).replace(second=0, microsecond=0)
            else:
                local_start = _aware(starts, "starts").astimezone(self._timezone)
            first = _recurrence(text, local_start).after(now, inc=True)
            if first is None:
                raise ScheduleError(f"{text!r} has no occurrence left")
            values |= {
                "rrule": text,
                "starts_at": local_start,
                "timezone": self._timezone.key,
                "next_run_at": first.astimezone(UTC),
            }
        try:
            job_id = await self._upsert(key, values, now)
        except IntegrityError:
            # Two callers created this key at once: the later one updates the earlier's job.
            job_id = await self._upsert(key, values, now)
        self.wake()
        return job_id

    async def _upsert(self, key: str, values: dict[str, Any], now: datetime) -> int:
        async with self._sessions() as session:
            row = (await session.exec(select(ScheduledJob).where(ScheduledJob.key == key))).first()
            if row is None:
                row = ScheduledJob(key=key, created_at=now, **values)
            elif row.skill != values["skill"]:
                raise ScheduleError(f"the job {key!r} belongs to the {row.skill} skill")
            else:
                row.sqlmodel_update(values)
            session.add(row)
            await session.commit()
            assert row.id is not None
            return row.id

    async def cancel(self, key: str) -> bool:
        """Stops the job; False when there was no scheduled job with this key."""
        async with self._sessions() as session:
            row = (await session.exec(select(ScheduledJob).where(ScheduledJob.key == key))).first()
            if row is None or row.state != "scheduled":
                return False
            row.state = "cancelled"
            session.add(row)
            await session.commit()
        self.wake()
        return True

    async def jobs(self, *, skill: str | None = None, member_id: int | None = None) -> list[Job]:
        """The jobs still to run, soonest first."""
        statement = select(ScheduledJob).where(ScheduledJob.state == "scheduled")
        if skill is not None:
            statement = statement.where(ScheduledJob.skill == skill)
        if member_id is not None:
            statement = statement.where(ScheduledJob.member_id == member_id)
        statement = statement.order_by(col(ScheduledJob.next_run_at), col(ScheduledJob.id))
        async with self._sessions() as session:
            return [Job.from_row(row) for row in await session.exec(statement)]

    async def next_due(self) -> datetime | None:
        """When the next job is due, or None when nothing is scheduled."""
        statement = (
            select(ScheduledJob)
            .where(ScheduledJob.state == "scheduled")
            .order_by(col(ScheduledJob.next_run_at))
            .limit(1)
        )
        async with self._sessions() as session:
            row = (await session.exec(statement)).first()
            return row.next_run_at if row else None

    def wake(self) -> None:
        """Makes `run()` look at the table again (a job was added, moved or cancelled)."""
        self._woken.set()

    async def run_due(self, now: datetime) -> list[Firing]:
        """Fires what is due at `now`: firings a crash interrupted first, then due jobs."""
        async with self._passing:
            fired: list[Firing] = []
            for firing_id in await self._interrupted():
                firing = await self._resume(firing_id, now)
                if firing is not None:
                    await self._fire(firing_id, firing)
                    fired.append(firing)
            for job_id in await self._due(now):
                claimed = await self._claim(job_id, now)
                if claimed is not None:
                    firing_id, firing = claimed
                    await self._fire(firing_id, firing)
                    fired.append(firing)
            return fired

    async def run(self) -> None:
        """Fires jobs until cancelled: at once (catching up on downtime), then as they come due."""
        self.running = True
        try:
            await self._run()
        finally:
            self.running = False

    async def _run(self) -> None:
        while True:
            self._woken.clear()
            try:
                await self.run_due(self._clock.now())
                until = await self.next_due()
            except Exception:
                log.exception("scheduler pass failed; trying again shortly")
                until = self._clock.now() + RETRY_AFTER
            await self._sleep(until)

    async def _sleep(self, until: datetime | None) -> None:
        """Until `until` comes (never, when None) or someone calls `wake()`."""
        waits: list[asyncio.Task[object]] = [asyncio.create_task(self._woken.wait())]
        if until is not None:
            waits.append(asyncio.create_task(self._clock.sleep_until(until)))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    async def _interrupted(self) -> list[int]:
        statement = (
            select(JobFiring.id).where(JobFiring.status == "started").order_by(col(JobFiring.id))
        )
        async with self._sessions() as session:
            return [firing_id for firing_id in await session.exec(statement) if firing_id]

    async def _due(self, now: datetime) -> list[int]:
        statement = (
            select(ScheduledJob.id)
            .where(ScheduledJob.state == "scheduled", col(ScheduledJob.next_run_at) <= now)
            .order_by(col(ScheduledJob.next_run_at), col(ScheduledJob.id))
        )
        async with self._sessions() as session:
            return [job_id for job_id in await session.exec(statement) if job_id]

    def _plan(self, job: ScheduledJob, now: datetime) -> tuple[datetime, int, datetime | None]:
        """(the occurrence to fire, how many earlier ones it stands for, the next run or None)."""
        if job.rrule is None:
            return job.next_run_at, 0, None
        if job.starts_at is None:
            raise ScheduleError(f"the recurring job {job.key!r} has no start")
        zone = ZoneInfo(job.timezone) if job.timezone else self._timezone
        anchor = _anchor(job.rrule, job.starts_at, job.next_run_at, zone)
        rule = _recurrence(job.rrule, anchor)
        latest: datetime | None = rule.before(now, inc=True)
        if latest is None or latest < job.next_run_at:
            latest = job.next_run_at
        skipped = len(rule.between(job.next_run_at, latest, inc=True)) - 1
        following: datetime | None = rule.after(now)
        return latest.astimezone(UTC), max(skipped, 0), _utc(following)

    async def _claim(self, job_id: int, now: datetime) -> tuple[int, Firing] | None:
        """Records the firing and advances the job in one transaction; None if not ours to fire."""
        async with self._sessions() as session:
            # Locked until the firing is recorded: a second scheduler on the same PostgreSQL
            # database waits, then sees the job moved on (the unique firing is the backstop).
            job = await session.get(ScheduledJob, job_id, with_for_update=True)
            if job is None or job.state != "scheduled" or job.next_run_at > now:
                return None
            try:
                occurrence, coalesced, following = self._plan(job, now)
            except ScheduleError:
                log.exception("job %s cannot compute its next run; cancelling it", job.key)
                job.state = "cancelled"
                session.add(job)
                await session.commit()
                return None
            if following is None:
                job.state = "done"
            else:
                job.next_run_at = following
            late_by = now - occurrence
            firing = Firing(
                job_id=job_id,
                skill=job.skill,
                kind=job.kind,
                job_key=job.key,
                member_id=job.member_id,
                channel=job.channel,
                chat_id=job.chat_id,
                payload=dict(job.payload),
                occurrence=occurrence,
                status=timing(late_by, timedelta(seconds=job.catch_up_s)),
                late_by=late_by,
                coalesced=coalesced,
            )
            fired_before = (
                await session.exec(
                    select(JobFiring.id).where(
                        JobFiring.job_id == job_id, JobFiring.occurrence == occurrence
                    )
                )
            ).first()
            row: JobFiring | None = None
            if fired_before is None:
                job.last_fired_at = now
                row = JobFiring(
                    job_id=job_id,
                    occurrence=occurrence,
                    status="started",
                    late_by_s=_seconds(late_by),
                    coalesced=coalesced,
                    started_at=now,
                )
                session.add(row)
            session.add(job)
            try:
                await session.commit()
            except IntegrityError:
                log.warning("job %s at %s was claimed elsewhere", job_id, occurrence)
                return None
        if row is None or row.id is None:
            log.info("job %s already fired for %s; moved on", job_id, occurrence)
            return None
        return row.id, firing

    async def _resume(self, firing_id: int, now: datetime) -> Firing | None:
        """A firing a crash interrupted, ready to be dispatched again; None when given up."""
        async with self._sessions() as session:
            row = await session.get(JobFiring, firing_id, with_for_update=True)
            if row is None or row.status != "started":
                return None
            job = await session.get(ScheduledJob, row.job_id)
            if job is None:
                return None
            firing: Firing | None = None
            if job.state == "cancelled":
                row.status = "failed"
                row.error = "the job was cancelled before this firing was delivered"
            elif row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
                row.error = f"interrupted {row.attempts} times; given up"
                log.error("job %s at %s: %s", job.key, row.occurrence, row.error)
            else:
                row.attempts += 1
                late_by = now - row.occurrence
                row.late_by_s = _seconds(late_by)
                firing = Firing(
                    job_id=row.job_id,
                    skill=job.skill,
                    kind=job.kind,
                    job_key=job.key,
                    member_id=job.member_id,
                    channel=job.channel,
                    chat_id=job.chat_id,
                    payload=dict(job.payload),
                    occurrence=row.occurrence,
                    status=timing(late_by, timedelta(seconds=job.catch_up_s)),
                    late_by=late_by,
                    coalesced=row.coalesced,
                )
                log.warning(
                    "job %s at %s was interrupted; dispatching it again (attempt %d)",
                    job.key,
                    row.occurrence,
                    row.attempts,
                )
            if firing is None:
                row.finished_at = now
            session.add(row)
            await session.commit()
            return firing

    async def _fire(self, firing_id: int, firing: Firing) -> None:
        """Dispatches the firing and counts how it went (`gepeto_job_firings`)."""
        status = await self._dispatch_and_record(firing_id, firing)
        if self.metrics is not None:
            self.metrics.job_fired(firing.skill, firing.kind, firing.status, status)

    async def _dispatch_and_record(self, firing_id: int, firing: Firing) -> str:
        """Dispatches the firing and records how it went; a cancelled dispatch stays `started`."""
        error: str | None = None
        try:
            async with asyncio.timeout(DISPATCH_TIMEOUT_S):
                await self._dispatch(firing)
        except Exception as failure:
            log.exception(
                "job %s (%s/%s) failed for %s",
                firing.job_key,
                firing.skill,
                firing.kind,
                firing.occurrence,
            )
            status = "failed"
            error = f"{type(failure).__name__}: {failure}"[:500]
        else:
            status = "missed" if firing.status == "missed" else "done"
        async with self._sessions() as session:
            row = await session.get(JobFiring, firing_id)
            if row is not None:
                row.status = status
                row.error = error
                row.finished_at = self._clock.now()
                session.add(row)
                await session.commit()
        return status

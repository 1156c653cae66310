"""Time as the bot sees it: injectable, so tests move time instead of sleeping.

`sleep_until(when)` waits for a moment on the wall clock, not for a duration: a laptop that
was suspended, or a clock stepped by NTP, still wakes a sleeper once the moment has passed.
`SystemClock` rings it with APScheduler's `AsyncIOScheduler`: one `DateTrigger` job per sleeper,
run however late, plus a safety wake every minute after which each sleeper looks at the clock
again (event-loop timers stand still while a machine is suspended, so this bounds the delay after
a resume or a clock jump to a minute). `ManualClock` wakes its sleepers when `advance` moves time
past their moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

SAFETY_WAKE = timedelta(seconds=60)
SAFETY_JOB = "safety-wake"


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep_until(self, when: datetime) -> None:
        """Returns once `now()` has reached `when` (at once when it already has)."""
        ...


async def _ring(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)


class SystemClock:
    """The wall clock, with APScheduler as the alarm that wakes sleepers."""

    def __init__(self) -> None:
        self._alarms: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sleepers: set[asyncio.Future[None]] = set()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime) -> None:
        while self.now() < when:
            alarms = await self._alarm_clock()
            from apscheduler.jobstores.base import JobLookupError
            from apscheduler.triggers.date import DateTrigger
            from apscheduler.triggers.interval import IntervalTrigger

            woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            alarm = alarms.add_job(
                _ring,
                DateTrigger(run_date=when),
                args=(woken,),
                misfire_grace_time=None,
                coalesce=True,
            )
            self._sleepers.add(woken)
            if len(self._sleepers) == 1:
                alarms.add_job(
                    self._ring_all,
                    IntervalTrigger(seconds=SAFETY_WAKE.total_seconds()),
                    id=SAFETY_JOB,
                    replace_existing=True,
                    misfire_grace_time=None,
                    coalesce=True,
                )
            try:
                await woken
            finally:
                self._sleepers.discard(woken)
                with contextlib.suppress(JobLookupError):
                    alarm.remove()
                if not self._sleepers:
                    with contextlib.suppress(JobLookupError):
                        alarms.remove_job(SAFETY_JOB)

    async def _ring_all(self) -> None:
        for woken in list(self._sleepers):
            await _ring(woken)

    async def _alarm_clock(self) -> Any:
        """The alarm clock of the running event loop; started on first use."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Importing APScheduler reads every installed package's entry points (most of a
            # second here), so it happens off the event loop and only when something sleeps.
            await asyncio.to_thread(importlib.import_module, "apscheduler.schedulers.asyncio")
        if self._loop is not loop:
            from apscheduler.schedulers.asyncio import AsyncIOScheduler

            # A clock outliving its event loop (tests, `asyncio.run` twice) starts a fresh alarm
            # clock; the old one's loop is closed and holds nothing any more.
            self._alarms = AsyncIOScheduler(timezone=UTC, event_loop=loop)
            self._alarms.start()
            self._loop = loop
        return self._alarms


class ManualClock:
    """A clock that only moves when told to; moving it wakes the sleepers whose time came."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []
        self._someone_asleep = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta
        for when, woken in self._sleepers:
            if when <= self._now and not woken.done():
                woken.set_result(None)

    async def sleep_until(self, when: datetime) -> None:
        if when <= self._now:
            return
        entry = (when, asyncio.get_running_loop().create_future())
        self._sleepers.append(entry)
        self._someone_asleep.set()
        try:
            await entry[1]
        finally:
            self._sleepers.remove(entry)
            if not self._sleepers:
                self._someone_asleep.clear()

    async def someone_asleep(self) -> None:
        """Returns once a task sleeps on this clock, so a test knows advancing will wake it."""
        await self._someone_asleep.wait()

"""The clock's `sleep_until` (issue 11): sleepers wake once their moment has come, not before."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.clock import ManualClock, SystemClock


async def test_sleeping_until_a_moment_already_past_returns_at_once(clock: ManualClock) -> None:
    async with asyncio.timeout(5):
        await clock.sleep_until(clock.now())
        await clock.sleep_until(clock.now() - timedelta(hours=1))


async def test_moving_the_clock_wakes_the_sleepers_whose_moment_came_and_no_others(
    clock: ManualClock,
) -> None:
    start = clock.now()
    soon = asyncio.create_task(clock.sleep_until(start + timedelta(minutes=5)))
    later = asyncio.create_task(clock.sleep_until(start + timedelta(minutes=10)))
    async with asyncio.timeout(5):
        await clock.someone_asleep()

        clock.advance(timedelta(minutes=4))
        done, _ = await asyncio.wait({soon, later}, timeout=0)
        assert done == set()

        clock.advance(timedelta(minutes=1))
        await soon
        assert not later.done()

        clock.advance(timedelta(hours=3))
        await later


async def test_a_cancelled_sleeper_is_forgotten(clock: ManualClock) -> None:
    sleeper = asyncio.create_task(clock.sleep_until(clock.now() + timedelta(minutes=5)))
    async with asyncio.timeout(5):
        await clock.someone_asleep()
        sleeper.cancel()
        await asyncio.gather(sleeper, return_exceptions=True)

    clock.advance(timedelta(minutes=10))
    assert sleeper.cancelled()


async def test_the_system_clock_wakes_a_sleeper_when_its_moment_has_come() -> None:
    clock = SystemClock()
    async with asyncio.timeout(10):
        await clock.sleep_until(clock.now() - timedelta(seconds=1))
        moment = clock.now() + timedelta(milliseconds=20)
        await clock.sleep_until(moment)
        assert clock.now() >= moment
        # A second sleep on the same clock reuses its alarm clock.
        moment = clock.now() + timedelta(milliseconds=20)
        await clock.sleep_until(moment)
        assert clock.now() >= moment


async def test_a_cancelled_system_clock_sleeper_leaves_the_clock_usable() -> None:
    clock = SystemClock()
    sleeper = asyncio.create_task(clock.sleep_until(clock.now() + timedelta(hours=1)))
    async with asyncio.timeout(10):
        await clock.sleep_until(clock.now() + timedelta(milliseconds=20))
        assert not sleeper.done()
        sleeper.cancel()
        await asyncio.gather(sleeper, return_exceptions=True)
        moment = clock.now() + timedelta(milliseconds=20)
        await clock.sleep_until(moment)
    assert sleeper.cancelled()
    assert clock.now() >= moment

"""Prints what 10,000 scheduled reminders cost (issue 12): start-up time and memory added, and
how late a push is when 100 reminders come due at once under that load.

Run: `python tests/benchmarks/reminders.py`. A temporary household in Berlin (no LLM, the test
skill loaded); the reminders are written straight into the database, spread over the next 30
days, with 100 of them due at the same minute. Start-up is `open_app` (migrations, skills,
scheduler wiring) timed and traced with tracemalloc (fastest of three starts), on the empty
household and with the reminders in it (after a warm-up start, so imports are not counted).
Lateness is the wall time of the scheduler pass that finds the 100 due reminders and queues
their pushes. Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlmodel import col, func, select  # noqa: E402

from bot.app import open_app  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Config, load_config  # noqa: E402
from skills.reminders.models import Reminder  # noqa: E402
from skills.reminders.records import due_job  # noqa: E402
from storage.models import OutboxMessage, ScheduledJob  # noqa: E402
from tests.support.home import write_bot_toml  # noqa: E402

REMINDERS = 10_000
DUE_TOGETHER = 100
START = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
DUE_AT = START + timedelta(hours=2)
HOUSEHOLD = '[household]\ntimezone = "Europe/Berlin"\n'


async def start_up(config: Config) -> tuple[float, float]:
    """(seconds, MiB allocated and still held) to open the app on this household."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    async with open_app(config, clock=ManualClock(START)):
        seconds = time.perf_counter() - started
        held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return seconds, held / 2**20


async def seed(config: Config) -> None:
    """10,000 reminders for Ana: 100 due at DUE_AT, the rest spread over the next 30 days."""
    async with open_app(config, clock=ManualClock(START)) as app:
        ana = await app.family.add("Ana", "parent")
        assert ana.id is not None
        spread = timedelta(days=30) / REMINDERS
        times = [DUE_AT] * DUE_TOGETHER + [
            DUE_AT + timedelta(minutes=1) + spread * n for n in range(REMINDERS - DUE_TOGETHER)
        ]
        reminders = [
            Reminder(
                member_id=ana.id,
                created_by=ana.id,
                text=f"reminder number {n}",
                channel="console",
                chat_id="ana",
                first_at=at,
                catch_up_s=3600,
                created_at=START,
            )
            for n, at in enumerate(times)
        ]
        async with app.sessions() as session:
            session.add_all(reminders)
            await session.commit()
            for reminder in reminders:
                await session.refresh(reminder)
        jobs = [
            ScheduledJob(
                skill="reminders",
                kind="due",
                key=f"reminders:{due_job(reminder.id or 0)}",
                member_id=ana.id,
                channel="console",
                chat_id="ana",
                payload={"reminder": reminder.id},
                next_run_at=reminder.first_at,
                catch_up_s=3600,
                created_at=START,
            )
            for reminder in reminders
        ]
        async with app.sessions() as session:
            session.add_all(jobs)
            await session.commit()


async def lateness(config: Config) -> tuple[float, int]:
    """(seconds for the scheduler pass at DUE_AT, pushes it queued)."""
    async with open_app(config, clock=ManualClock(DUE_AT)) as app:
        started = time.perf_counter()
        fired = []
        while passed := await app.scheduler.run_due(DUE_AT):
            fired += passed
        seconds = time.perf_counter() - started
        async with app.sessions() as session:
            statement = select(func.count()).where(col(OutboxMessage.key).startswith("push:"))
            pushes = (await session.exec(statement)).one()
        return seconds, int(pushes)


async def best_start_up(config: Config, runs: int = 3) -> tuple[float, float]:
    """The fastest of a few starts (the machine is shared), with its memory."""
    return min([await start_up(config) for _ in range(runs)])


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        config = load_config(write_bot_toml(Path(directory), HOUSEHOLD), environ={})
        await start_up(config)  # warm-up: imports and the first migration
        empty_s, empty_mib = await best_start_up(config)
        await seed(config)
        loaded_s, loaded_mib = await best_start_up(config)
        due_s, pushes = await lateness(config)
    print(f"start-up, empty household:    {empty_s * 1000:8.1f} ms  {empty_mib:6.2f} MiB")
    print(
        f"start-up, {REMINDERS:,} reminders:     {loaded_s * 1000:8.1f} ms  {loaded_mib:6.2f} MiB"
    )
    print(
        f"added by the reminders:       {(loaded_s - empty_s) * 1000:8.1f} ms  "
        f"{loaded_mib - empty_mib:6.2f} MiB"
    )
    print(
        f"{DUE_TOGETHER} due at once: {pushes} pushes queued in {due_s * 1000:.1f} ms "
        f"({due_s / max(pushes, 1) * 1000:.2f} ms each; the last is that late)"
    )


if __name__ == "__main__":
    asyncio.run(main())

"""Prints how long `gepeto backup` and `gepeto restore` take, and how big the archive is, for a
household with 100,000 expenses, 10,000 reminders (each with its scheduled job) and the
537-note Obsidian help vault (/work/shared/data/vaults/obsidian-help; left out when absent).

Run: `python tests/benchmarks/backup.py [--expenses N] [--reminders N] [--vault PATH]`.
Nothing here asserts: it reports.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bot.app import open_app  # noqa: E402
from bot.backup import BackupPlan, files_under, take_backup  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.restore import restore  # noqa: E402
from skills.reminders.models import Reminder  # noqa: E402
from storage.models import ScheduledJob  # noqa: E402
from tests.benchmarks.budget import BATCH, NOW, fill  # noqa: E402
from tests.support.home import write_bot_toml  # noqa: E402

HELP_VAULT = Path("/work/shared/data/vaults/obsidian-help")


async def add_reminders(engine: AsyncEngine, count: int, member_ids: list[int]) -> None:
    reminders = []
    jobs = []
    for number in range(1, count + 1):
        member = member_ids[number % len(member_ids)]
        first = NOW + timedelta(minutes=17 * number)
        weekly = "FREQ=WEEKLY" if number % 3 == 0 else None
        reminders.append(
            {
                "member_id": member,
                "created_by": member_ids[0],
                "text": f"reminder number {number}: water the plants",
                "channel": "telegram",
                "chat_id": str(1000 + member),
                "first_at": first,
                "rrule": weekly,
                "important": False,
                "catch_up_s": 3600,
                "state": "active",
                "created_at": NOW,
            }
        )
        jobs.append(
            {
                "skill": "reminders",
                "kind": "due",
                "key": f"reminders:reminder-{number}",
                "member_id": member,
                "channel": "telegram",
                "chat_id": str(1000 + member),
                "payload": {"reminder_id": number},
                "rrule": weekly,
                "starts_at": first if weekly else None,
                "timezone": "UTC",
                "next_run_at": first,
                "catch_up_s": 3600,
                "state": "scheduled",
                "created_at": NOW,
            }
        )
    async with engine.begin() as connection:
        for start in range(0, count, BATCH):
            await connection.execute(insert(Reminder), reminders[start : start + BATCH])
            await connection.execute(insert(ScheduledJob), jobs[start : start + BATCH])


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


async def main(expenses: int, reminders: int, vault: Path | None) -> None:
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        if vault is not None:
            shutil.copytree(vault, home / "vault")
            notes = sum(1 for path in files_under(home / "vault") if path.suffix == ".md")
            print(f"vault: {notes} notes from {vault}")
        else:
            print(f"vault: left out ({HELP_VAULT} is absent)")
        config = load_config(write_bot_toml(home), environ={})
        clock = ManualClock(NOW)
        async with open_app(config, clock=clock) as app:
            members = [await app.family.add(name, "parent") for name in ("Ana", "Ben")]
            members += [await app.family.add(name, "child") for name in ("Leo", "Mia")]
            ids = [member.id for member in members]
            await fill(app.engine, expenses, ids)
            await add_reminders(app.engine, reminders, ids)
        database = config.settings.storage.data_dir / "gepeto.db"
        print(
            f"household: {expenses:,} expenses, {reminders:,} reminders and their jobs; "
            f"gepeto.db {megabytes(database.stat().st_size)}"
        )

        report = await take_backup(BackupPlan.of(config), datetime.now(UTC), home / "backups")
        print(
            f"backup: {report.seconds:.1f} s, {report.files} files, "
            f"archive {megabytes(report.size)}"
        )

        shutil.rmtree(config.settings.storage.data_dir)
        shutil.rmtree(config.settings.vault.path)
        began = time.perf_counter()
        restored = await restore(config, report.archive, datetime.now(UTC), force=False)
        print(
            f"restore (hashes checked, rows counted, schema current): "
            f"{time.perf_counter() - began:.1f} s, {restored.rows:,} rows, {restored.files} files"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--expenses", type=int, default=100_000)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--vault", type=Path, default=HELP_VAULT)
    arguments = parser.parse_args()
    chosen = arguments.vault if arguments.vault.is_dir() else None
    asyncio.run(main(arguments.expenses, arguments.reminders, chosen))

"""Prints how fast `budget.summary` answers over a ledger of 100,000 expenses.

Run: `python tests/benchmarks/budget.py [--expenses N] [--runs N]`. The expenses are spread over
two years, the household and three members' pocket money, three currencies and eight
categories; the summary is for one month, through `run_action` as a chat would call it.
Nothing here asserts: it reports.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bot.actions import Turn, run_action  # noqa: E402
from bot.app import open_app  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.messages import Incoming  # noqa: E402
from skills.budget.models import Expense  # noqa: E402
from skills.budget.settings import DEFAULT_CATEGORIES  # noqa: E402
from tests.support.home import write_bot_toml  # noqa: E402

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
BATCH = 5_000


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main(expenses: int, runs: int) -> None:
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(write_bot_toml(Path(folder)), environ={})
        async with open_app(config, clock=ManualClock(NOW)) as app:
            members = [await app.family.add(name, "parent") for name in ("Ana", "Ben")]
            members += [await app.family.add(name, "child") for name in ("Leo", "Mia")]
            started = time.perf_counter()
            await fill(app.engine, expenses, [m.id for m in members])
            print(f"{expenses:,} expenses inserted in {time.perf_counter() - started:.1f} s")
            incoming = Incoming(
                channel="console",
                chat_id="Ana",
                sender="Ana",
                event_id="benchmark",
                received_at=NOW,
            )
            turn = Turn(app=app, incoming=incoming, member=members[0])
            began = time.perf_counter()
            await run_action(turn, "budget.summary", {"chart": True})
            print(f"first chart (loads matplotlib): {time.perf_counter() - began:.1f} s")
            for chart, count in ((False, runs), (True, max(5, runs // 5))):
                timings = []
                for _ in range(count):
                    began = time.perf_counter()
                    result = await run_action(turn, "budget.summary", {"chart": chart})
                    timings.append((time.perf_counter() - began) * 1000)
                    assert result.status == "done", result.text
                what = "with its chart" if chart else "text only"
                print(
                    f"budget.summary for one month, {what}: "
                    f"p50 {statistics.median(timings):.1f} ms, "
                    f"p95 {percentile(timings, 0.95):.1f} ms over {count} runs "
                    f"(totals {dict(result.data['totals'])})"
                )


async def fill(engine: object, count: int, member_ids: list[int]) -> None:
    """Bulk rows straight into the table: the ledger a family would build over years."""
    from sqlalchemy.ext.asyncio import AsyncEngine

    assert isinstance(engine, AsyncEngine)
    chance = random.Random(13)
    categories = list(DEFAULT_CATEGORIES)
    first_day = date(2024, 12, 1)
    owners: list[int | None] = [None, None, None, *member_ids[2:]]
    rows = [
        {
            "amount_minor": chance.randint(50, 25_000),
            "currency": chance.choices(("EUR", "BRL", "USD"), weights=(90, 7, 3))[0],
            "spent_on": first_day + timedelta(days=chance.randrange(730)),
            "category": chance.choice(categories),
            "merchant": f"shop {chance.randrange(200)}",
            "paid_by": chance.choice(member_ids),
            "owner_id": chance.choice(owners),
            "items": [],
            "note": "",
            "created_by": member_ids[0],
            "created_at": NOW,
            "updated_at": NOW,
        }
        for _ in range(count)
    ]
    async with engine.begin() as connection:
        for start in range(0, count, BATCH):
            await connection.execute(insert(Expense), rows[start : start + BATCH])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--expenses", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=100)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.expenses, arguments.runs))

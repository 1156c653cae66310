"""Prints what planning one firing of a long-lived recurring job costs, on the event loop.

Run: `python tests/benchmarks/recurring_jobs.py`. For jobs created one to five years ago
(CalDAV's every-15-minutes sync, the hourly media clean-up, a daily reminder), times the work
`Scheduler._plan` does per claim: the occurrence due now, how many it stands for, the next run.
"from the start" counts occurrences from the job's creation (as before the anchor);
"anchored" from its start moved forward by whole periods (bot/scheduler.py `_anchor`).
Best of 5 runs each. Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.scheduler import _anchor, _recurrence  # noqa: E402

ZONE = ZoneInfo("Europe/Berlin")
JOBS = (
    ("CalDAV sync, every 15 minutes", "FREQ=MINUTELY;INTERVAL=15"),
    ("media clean-up, hourly", "FREQ=HOURLY"),
    ("a daily reminder at 07:00", "FREQ=DAILY;BYHOUR=7;BYMINUTE=0"),
)


def plan_ms(rule: str, start: datetime, planned: datetime, now: datetime, anchored: bool) -> float:
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        counted_from = _anchor(rule, start, planned, ZONE) if anchored else start
        recurrence = _recurrence(rule, counted_from)
        latest = recurrence.before(now, inc=True)
        recurrence.between(planned, latest or planned, inc=True)
        recurrence.after(now)
        best = min(best, time.perf_counter() - began)
    return best * 1000


def main() -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    print(f"{'job':32} {'age':>5} {'from the start':>15} {'anchored':>9}")
    for name, rule in JOBS:
        for years in (1, 2, 5):
            start = (now - timedelta(days=365 * years)).astimezone(ZONE)
            planned = _recurrence(rule, start).before(now, inc=True)
            assert planned is not None
            old = plan_ms(rule, start, planned, now, anchored=False)
            new = plan_ms(rule, start, planned, now, anchored=True)
            print(f"{name:32} {years:>4}y {old:>12.1f} ms {new:>6.2f} ms")


if __name__ == "__main__":
    main()

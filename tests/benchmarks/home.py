"""Prints how long "turn off the kitchen lights" takes from message to state confirmed.

Run: `python tests/benchmarks/home.py [--runs N]`. A real Home Assistant 2024.3.3 (its own
virtualenv from scripts/homeassistant-venv, the demo devices) is started on loopback; each run
sends the message through the whole pipeline (router, fast path with Home Assistant's own
sentence templates, `run_action`, REST call, waiting for `state_changed`), then turns the
lights back on outside the timing. Nothing here asserts: it reports p50/p95.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.app import open_app  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.messages import Incoming  # noqa: E402
from tests.fakes.home_assistant_core import (  # noqa: E402
    HomeAssistantCore,
    ensure_home_assistant_venv,
)
from tests.skills.home.conftest import home_bot_toml  # noqa: E402
from tests.support.home import PARENT_ID, FamilyChats  # noqa: E402

HOME = """
[skills.home]
url = "{url}"
expose_entities = ["light.kitchen_lights", "light.ceiling_lights", "lock.front_door"]
[safety]
messages_per_minute = 100000
burst = 100000
"""


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(core: HomeAssistantCore, folder: Path, runs: int) -> None:
    await core.onboard()
    await core.wait_for_entities(["light.kitchen_lights"])
    path = home_bot_toml(folder, HOME.format(url=core.url))
    config = load_config(path, environ={"HOME_ASSISTANT_TOKEN": core.token})
    async with open_app(config) as app:
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", f"telegram:{PARENT_ID}")
        chats = FamilyChats.open(app)
        events = itertools.count(1)
        samples: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            outcome = await chats.send(
                _message(app.clock.now(), "turn off the kitchen lights", events)
            )
            samples.append((time.perf_counter() - started) * 1000)
            if outcome.route != "fast" or "off ✓" not in outcome.text:
                print(f"unexpected: {outcome.route} {outcome.text!r}")
            await chats.send(_message(app.clock.now(), "turn on the kitchen lights", events))
    print(f"'turn off the kitchen lights' → state confirmed, {runs} runs on the fast path:")
    print(
        f"  p50 {percentile(samples, 0.5):.0f} ms, p95 {percentile(samples, 0.95):.0f} ms, "
        f"max {max(samples):.0f} ms"
    )


def _message(now: datetime, text: str, events: itertools.count[int]) -> Incoming:
    number = next(events)
    return Incoming(
        channel="telegram",
        chat_id=PARENT_ID,
        sender=PARENT_ID,
        sender_name="Ana",
        text=text,
        event_id=f"bench-{number}",
        received_at=now,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    venv = ensure_home_assistant_venv()
    with tempfile.TemporaryDirectory() as folder:
        core = HomeAssistantCore(Path(folder) / "ha", venv)
        started = time.perf_counter()
        core.start()
        print(f"Home Assistant answered after {time.perf_counter() - started:.1f} s")
        try:
            asyncio.run(measure(core, Path(folder), runs))
        finally:
            core.stop()


if __name__ == "__main__":
    main()

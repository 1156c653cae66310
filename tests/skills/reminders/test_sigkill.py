"""Issue 12: a real `gepeto run` killed (SIGKILL) after a reminder came due and before its push
was queued sends it exactly once when it starts again."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import open_app
from bot.config import load_config
from storage.models import ScheduledJob
from tests.skills.reminders.conftest import HOUSEHOLD
from tests.support.cli import Gepeto
from tests.support.home import clean_environment, write_bot_toml

PROCESS_WAIT_S = 60.0
PUSH = "Reminder: take the pizza out"


@pytest.fixture
def bot_toml(tmp_path: Path) -> Path:
    return write_bot_toml(tmp_path, HOUSEHOLD, plugins=("tests.support.held_push",))


@dataclass
class RunningBot:
    """One `gepeto run` on the console; its stdin stays open so it runs until told to stop."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text(encoding="utf-8")

    def wait_until(self, ready: Callable[[], bool], what: str) -> None:
        """Waits, bounded, until `ready()` holds; fails loudly if the process died first."""
        deadline = time.monotonic() + PROCESS_WAIT_S
        while not ready():
            if self.process.poll() is not None:
                pytest.fail(f"gepeto exited early:\n{self.stderr.read_text(encoding='utf-8')}")
            if time.monotonic() > deadline:
                pytest.fail(f"{what} never happened")
            time.sleep(0.05)


@pytest.fixture
def start_bot(bot_toml: Path) -> Iterator[list[RunningBot]]:
    started: list[RunningBot] = []
    yield started
    for bot in started:
        if bot.process.poll() is None:
            bot.process.kill()
            bot.process.wait(timeout=PROCESS_WAIT_S)
        if bot.process.stdin is not None:
            bot.process.stdin.close()


def start(household: Path, run: int, started: list[RunningBot]) -> RunningBot:
    stdout, stderr = household / f"stdout-{run}.txt", household / f"stderr-{run}.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(household / "bot.toml"), "run"],
            cwd=household,
            env=clean_environment(),
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
        )
    started.append(RunningBot(process, stdout, stderr))
    return started[-1]


async def make_it_due_already(bot_toml: Path) -> None:
    """The reminder's minute has passed: the bot finds it due the moment it starts."""
    async with open_app(load_config(bot_toml, environ={})) as app, app.sessions() as session:
        [job] = await session.exec(select(ScheduledJob).where(ScheduledJob.kind == "due"))
        job.next_run_at = app.clock.now() - timedelta(seconds=5)
        session.add(job)
        await session.commit()


@pytest.mark.slow
def test_sigkill_between_due_and_push_then_restart_pushes_exactly_once(
    gepeto: Gepeto, bot_toml: Path, start_bot: list[RunningBot]
) -> None:
    household, data = bot_toml.parent, bot_toml.parent / "data"
    said = gepeto("say", "--as", "Ana", "remind me in 1 minute to take the pizza out")
    assert said.exit_code == 0, said.stderr
    asyncio.run(make_it_due_already(bot_toml))
    (data / "hold-push").touch()

    first = start(household, 1, start_bot)
    first.wait_until((data / "started").exists, "the held push")
    first.process.send_signal(signal.SIGKILL)
    assert first.process.wait(timeout=PROCESS_WAIT_S) == -signal.SIGKILL
    (data / "release").touch()

    second = start(household, 2, start_bot)
    second.wait_until(lambda: PUSH in second.output(), "the push after the restart")
    assert second.process.stdin is not None
    second.process.stdin.close()
    assert second.process.wait(timeout=PROCESS_WAIT_S) == 0, second.stderr.read_text("utf-8")

    assert first.output().count(PUSH) == 0
    assert second.output().count(PUSH) == 1
    assert "was interrupted; dispatching it again" in second.stderr.read_text("utf-8")

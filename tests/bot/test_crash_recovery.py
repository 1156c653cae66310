"""Exactly once across crashes: a message cut off anywhere is finished at the next start.

The in-process tests cut the power at precise points (a BaseException nothing catches, then a
fresh router on the same database, as a restart would build). The slow tests SIGKILL a real
`gepeto run` in the middle of a message and start it again.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import pytest
from sqlmodel import select

from bot import inbox
from bot.context import AppContext
from bot.family import Member
from bot.router import GAVE_UP
from storage.models import ActionRecord, InboxEvent
from tests.support.home import FamilyChats, MakeIncoming, clean_environment, write_bot_toml
from tests.support.household import PowerCut, household_log

PROCESS_WAIT_S = 60.0


def effects(app: AppContext) -> list[str]:
    return household_log(app.settings.storage.data_dir)


def cut_power_in_the_next_appliance(app: AppContext) -> None:
    (app.settings.storage.data_dir / "power-cut").touch()


async def inbox_statuses(app: AppContext) -> list[tuple[str, int]]:
    async with app.sessions() as session:
        return [(row.status, row.attempts) for row in await session.exec(select(InboxEvent))]


async def test_a_crash_inside_a_tool_runs_it_at_the_next_start(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    cut_power_in_the_next_appliance(app)
    with pytest.raises(PowerCut):
        await chats.send(make_incoming("start the dishwasher"))
    assert effects(app) == []
    assert await inbox_statuses(app) == [("processing", 1)]

    restarted = FamilyChats.open(app)
    assert await restarted.router.resume() == 1
    await restarted.outbox.deliver_due()
    assert await restarted.router.resume() == 0

    assert effects(app) == ["dishwasher started"]
    assert restarted.texts() == ["The dishwasher is running."]
    assert chats.delivered == []
    assert await inbox_statuses(app) == [("done", 2)]


async def test_a_crash_after_the_tool_finished_does_not_run_it_again(
    app: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_finish = inbox.finish

    async def power_cut_before_marking_done(*args: Any, **kwargs: Any) -> list[int]:
        monkeypatch.setattr(inbox, "finish", real_finish)
        raise PowerCut("before the inbox row was marked done")

    monkeypatch.setattr(inbox, "finish", power_cut_before_marking_done)
    with pytest.raises(PowerCut):
        await chats.send(make_incoming("start the dishwasher"))
    assert effects(app) == ["dishwasher started"]

    restarted = FamilyChats.open(app)
    await restarted.router.resume()
    await restarted.outbox.deliver_due()

    assert effects(app) == ["dishwasher started"]
    assert restarted.texts() == ["The dishwasher is running."]
    async with app.sessions() as session:
        [record] = await session.exec(select(ActionRecord))
    assert (record.tool, record.status) == ("household.start_dishwasher", "done")


async def test_an_interrupted_action_that_cannot_be_repeated_is_reported_not_redone(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    cut_power_in_the_next_appliance(app)
    with pytest.raises(PowerCut):
        await chats.send(make_incoming("ring the dinner bell"))

    restarted = FamilyChats.open(app)
    await restarted.router.resume()
    await restarted.outbox.deliver_due()

    assert effects(app) == []
    [text] = restarted.texts()
    assert text.startswith("I was interrupted while trying to household.ring_bell()")
    assert text.endswith("Please check before asking again.")


async def test_a_message_that_crashes_every_time_is_given_up_kindly(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    cut_power_in_the_next_appliance(app)
    with pytest.raises(PowerCut):
        await chats.send(make_incoming("start the dishwasher"))
    for _ in range(inbox.MAX_ATTEMPTS - 1):
        cut_power_in_the_next_appliance(app)
        with pytest.raises(PowerCut):
            await FamilyChats.open(app).router.resume()

    restarted = FamilyChats.open(app)
    await restarted.router.resume()
    await restarted.outbox.deliver_due()

    assert effects(app) == []
    assert restarted.texts() == [GAVE_UP.format(text="start the dishwasher")]
    assert await inbox_statuses(app) == [("failed", inbox.MAX_ATTEMPTS + 1)]


@dataclass
class GepetoProcess:
    """One `gepeto run` on the console, its output going to files the test reads afterwards."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text(encoding="utf-8")

    def wait_for(self, path: Path) -> None:
        """Waits, bounded, for the process to create `path`; fails loudly if it died first."""
        deadline = time.monotonic() + PROCESS_WAIT_S
        while not path.exists():
            if self.process.poll() is not None:
                pytest.fail(f"gepeto exited early:\n{self.stderr.read_text(encoding='utf-8')}")
            if time.monotonic() > deadline:
                pytest.fail(f"{path.name} never appeared")
            time.sleep(0.05)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=PROCESS_WAIT_S)


class StartGepeto(Protocol):
    def __call__(self, stdin: int | None, run: int) -> GepetoProcess: ...


@pytest.fixture
def household(tmp_path: Path) -> Path:
    write_bot_toml(tmp_path)
    (tmp_path / "data").mkdir()
    return tmp_path


@pytest.fixture
def start_gepeto(household: Path) -> Iterator[StartGepeto]:
    """Starts `gepeto run` in the household; every process still running at the end is killed."""
    started: list[GepetoProcess] = []
    handles: list[IO[bytes]] = []

    def start(stdin: int | None, run: int) -> GepetoProcess:
        stdout, stderr = household / f"stdout-{run}.txt", household / f"stderr-{run}.txt"
        out, err = stdout.open("wb"), stderr.open("wb")
        handles.extend((out, err))
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(household / "bot.toml"), "run"],
            cwd=household,
            env=clean_environment(),
            stdin=stdin,
            stdout=out,
            stderr=err,
        )
        started.append(GepetoProcess(process, stdout, stderr))
        return started[-1]

    yield start
    for gepeto in started:
        if gepeto.process.poll() is None:
            gepeto.kill()
        if gepeto.process.stdin is not None:
            gepeto.process.stdin.close()
    for handle in handles:
        handle.close()


@dataclass(frozen=True)
class TwoRuns:
    effects_when_killed: list[str]
    first_output: str
    second_output: str


def kill_mid_message_and_restart(household: Path, start_gepeto: StartGepeto) -> TwoRuns:
    """Sends "start the dishwasher", SIGKILLs at the pause, restarts with nothing to read."""
    data = household / "data"
    first = start_gepeto(subprocess.PIPE, run=1)
    assert first.process.stdin is not None
    first.process.stdin.write(b"start the dishwasher\n")
    first.process.stdin.flush()
    first.wait_for(data / "started")
    first.kill()
    assert first.process.returncode == -signal.SIGKILL
    effects_when_killed = household_log(data)
    (data / "release").touch()

    second = start_gepeto(subprocess.DEVNULL, run=2)
    assert second.process.wait(timeout=PROCESS_WAIT_S) == 0, second.stderr.read_text("utf-8")
    return TwoRuns(effects_when_killed, first.output(), second.output())


@pytest.mark.slow
def test_sigkill_inside_a_tool_then_restart_handles_the_message_once(
    household: Path, start_gepeto: StartGepeto
) -> None:
    (household / "data" / "pause-in-tool").touch()

    runs = kill_mid_message_and_restart(household, start_gepeto)

    assert runs.effects_when_killed == []
    assert household_log(household / "data") == ["dishwasher started"]
    assert "The dishwasher is running." not in runs.first_output
    assert runs.second_output.count("The dishwasher is running.") == 1


@pytest.mark.slow
def test_sigkill_after_the_tool_finished_then_restart_does_not_run_it_again(
    household: Path, start_gepeto: StartGepeto
) -> None:
    (household / "data" / "pause-after-tool").touch()

    runs = kill_mid_message_and_restart(household, start_gepeto)

    assert runs.effects_when_killed == ["dishwasher started"]
    assert household_log(household / "data") == ["dishwasher started"]
    assert "The dishwasher is running." not in runs.first_output
    assert runs.second_output.count("The dishwasher is running.") == 1

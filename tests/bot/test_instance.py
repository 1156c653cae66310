"""Issue 10, item 5: a second `gepeto run` on the same data dir refuses, naming the first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.instance import PID_FILE, AlreadyRunning, running_alone
from tests.support.home import clean_environment, write_bot_toml

PROCESS_WAIT_S = 60.0


async def test_issue10_item5_a_second_holder_of_the_data_dir_is_refused_by_pid(
    tmp_path: Path,
) -> None:
    async with running_alone(tmp_path):
        assert (tmp_path / PID_FILE).read_text() == f"{os.getpid()}\n"
        with pytest.raises(AlreadyRunning) as refused:
            async with running_alone(tmp_path):
                pass
    assert str(refused.value) == (
        f"Gepeto is already running on {tmp_path} (PID {os.getpid()}): stop that one first, "
        "or give this one its own storage.data_dir."
    )
    async with running_alone(tmp_path):  # released when the first one stopped
        pass


@pytest.mark.slow
def test_issue10_item5_a_second_gepeto_run_refuses_to_start_naming_the_pid(
    tmp_path: Path,
) -> None:
    write_bot_toml(tmp_path)
    data = tmp_path / "data"
    command = [sys.executable, "-m", "bot", "--config", str(tmp_path / "bot.toml"), "run"]
    first = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=clean_environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + PROCESS_WAIT_S
        while not (data / "heartbeat").exists():
            assert first.poll() is None, "the first gepeto run died"
            assert time.monotonic() < deadline, "the first gepeto run never started"
            time.sleep(0.05)

        second = subprocess.run(
            command,
            cwd=tmp_path,
            env=clean_environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=PROCESS_WAIT_S,
            check=False,
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert first.stdin is not None
        first.stdin.close()

    assert second.returncode == 1
    assert second.stderr.decode().strip() == (
        f"Gepeto is already running on {data} (PID {first.pid}): stop that one first, "
        "or give this one its own storage.data_dir."
    )

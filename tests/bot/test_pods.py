"""Issue 17 item 7: several households on one machine, and `gepeto doctor` warning when two
instances would share a data dir or a Telegram bot token."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import pytest

from bot.config import Config, load_config
from bot.doctor import run_checks
from bot.pods import describe, pods_check, registered
from tests.support.home import write_bot_toml

TOKEN = "123456:the-family-bot"


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_outside_settings: None) -> Path:
    folder = tmp_path / "runtime"
    monkeypatch.setenv("GEPETO_RUNTIME_DIR", str(folder))
    return folder


def household(folder: Path, runtime: Path, token: str = "", data_dir: str = "") -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    path = write_bot_toml(folder)
    if data_dir:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace('data_dir = "data"', f'data_dir = "{data_dir}"'), "utf-8")
    environ = {"GEPETO_RUNTIME_DIR": str(runtime)}
    if token:
        environ["TELEGRAM_BOT_TOKEN"] = token
    return load_config(path, environ=environ)


def running(config: Config, runtime: Path, pid: int | None = None) -> None:
    """Another `gepeto run` (our parent process stands in for it: it is alive)."""
    runtime.mkdir(parents=True, exist_ok=True)
    other = describe(config, pid or os.getppid())
    (runtime / f"{other.pid}.json").write_text(json.dumps(asdict(other)), encoding="utf-8")


def test_issue17_doctor_warns_when_another_instance_uses_this_data_dir(
    tmp_path: Path, runtime: Path
) -> None:
    shared = tmp_path / "shared-data"
    running(household(tmp_path / "smiths", runtime, data_dir=str(shared)), runtime)
    jones = household(tmp_path / "joneses", runtime, data_dir=str(shared))

    check = pods_check(jones)

    assert not check.ok
    assert f"PID {os.getppid()}" in check.detail
    assert "same data dir" in check.detail
    assert "its own storage.data_dir" in check.fix


def test_issue17_doctor_warns_when_another_instance_uses_this_bot_token(
    tmp_path: Path, runtime: Path
) -> None:
    running(household(tmp_path / "smiths", runtime, token=TOKEN), runtime)

    check = pods_check(household(tmp_path / "joneses", runtime, token=TOKEN))

    assert not check.ok
    assert "same Telegram bot token" in check.detail
    assert TOKEN not in (runtime / f"{os.getppid()}.json").read_text(encoding="utf-8")
    assert pods_check(household(tmp_path / "millers", runtime, token="654321:other")).ok


async def test_issue17_the_doctor_beside_its_own_bot_and_stale_entries_are_fine(
    tmp_path: Path, runtime: Path
) -> None:
    smiths = household(tmp_path / "smiths", runtime, token=TOKEN)
    gone = 2**22 + 7  # above Linux's highest PID: no such process
    running(household(tmp_path / "gone", runtime, token=TOKEN), runtime, pid=gone)

    async with registered(smiths):
        assert (runtime / f"{os.getpid()}.json").is_file()
        assert pods_check(smiths).ok
    assert not (runtime / f"{os.getpid()}.json").exists()
    assert not (runtime / f"{gone}.json").exists()


async def test_issue17_the_doctor_table_has_the_pods_row(tmp_path: Path, runtime: Path) -> None:
    config = household(tmp_path / "smiths", runtime)
    checks = {check.name: check for check in await run_checks(config.source)}
    assert checks["pods"].ok

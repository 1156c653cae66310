"""Issue 17 items 1–2: `gepeto backup` and `gepeto restore`, the scheduled backup and its
clean-up, and what a family hears when it fails."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.app import open_app
from bot.backup import BackupPlan, archive_name, prune, sha256_of, take_backup
from bot.clock import ManualClock
from bot.config import Config, load_config
from bot.context import AppContext
from storage.models import OutboxMessage
from tests.skills.reminders.conftest import pushed, run_scheduler
from tests.support.cli import Gepeto
from tests.support.disaster import lose_everything
from tests.support.home import write_bot_toml

TOKEN = "123456:telegram-token-of-the-family"


def archive_of(report_text: str) -> Path:
    return Path(report_text.split(" into ")[1].split(" (")[0])


def members_of(gepeto: Gepeto) -> str:
    return gepeto("members", "list").stdout


@pytest.fixture
def household(gepeto: Gepeto, bot_toml: Path) -> Path:
    """Ana and Leo, a note, and the Matrix key store; returns the folder they live in."""
    assert gepeto("members", "add", "Ana", "--role", "parent").exit_code == 0
    assert gepeto("members", "add", "Leo", "--role", "child").exit_code == 0
    home = bot_toml.parent
    (home / "vault" / "Recipes").mkdir(parents=True)
    (home / "vault" / "Recipes" / "Lasagne.md").write_text("Layers.", encoding="utf-8")
    (home / "data" / "matrix").mkdir()
    (home / "data" / "matrix" / "session.json").write_text("{}", encoding="utf-8")
    (home / "data" / "index").mkdir(exist_ok=True)
    (home / "data" / "index" / "chunks.bin").write_bytes(b"rebuilt from the vault")
    return home


def test_issue17_a_backup_restores_into_an_empty_data_dir(
    gepeto: Gepeto, household: Path, config: Config
) -> None:
    taken = gepeto("backup", "--to", str(household / "backups"))
    assert taken.exit_code == 0, taken.stderr
    archive = archive_of(taken.stdout)
    assert archive.parent == household / "backups"
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert {"vault/Recipes/Lasagne.md", "data/matrix/session.json", "config/bot.toml"} <= names
    assert not any(name.startswith("data/index") for name in names)
    assert manifest["database"]["rows"]["member"] == 2
    assert manifest["database"]["heads"]
    assert set(manifest["files"]) == names - {"manifest.json"}

    asyncio.run(lose_everything(config))
    restored = gepeto("restore", str(archive))

    assert restored.exit_code == 0, restored.stderr
    assert "all matching their hashes" in restored.stdout
    assert "Ana" in members_of(gepeto)
    assert "Leo" in members_of(gepeto)
    assert (household / "vault/Recipes/Lasagne.md").read_text(encoding="utf-8") == "Layers."
    assert (household / "data/matrix/session.json").is_file()


def test_issue17_restore_refuses_a_household_in_the_way_and_force_keeps_it_aside(
    gepeto: Gepeto, household: Path
) -> None:
    archive = archive_of(gepeto("backup").stdout)
    assert archive.parent == household / "backups"  # [backup] folder, beside bot.toml
    gepeto("members", "add", "Mia", "--role", "child")

    refused = gepeto("restore", str(archive))
    assert refused.exit_code == 1
    assert "already hold a household" in refused.stderr
    assert "Mia" in members_of(gepeto)

    forced = gepeto("restore", str(archive), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert "Mia" not in members_of(gepeto)
    aside = sorted(household.glob("data.before-restore-*"))
    assert len(aside) == 1
    assert "kept in" in forced.stdout
    assert (aside[0] / "gepeto.db").is_file() or "PostgreSQL" in forced.stdout


def test_issue17_a_damaged_backup_is_refused_and_nothing_changes(
    gepeto: Gepeto, household: Path, tmp_path: Path
) -> None:
    archive = archive_of(gepeto("backup").stdout)
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member)
            assert data is not None
            content = data.read()
            if member.name == "vault/Recipes/Lasagne.md":
                content = b"Layers, and a flipped bit."
                member.size = len(content)
            target.addfile(member, io.BytesIO(content))
    gepeto("members", "add", "Mia", "--role", "child")

    refused = gepeto("restore", str(damaged), "--force")

    assert refused.exit_code == 1
    assert "is damaged" in refused.stderr
    assert "vault/Recipes/Lasagne.md" in refused.stderr
    assert "Mia" in members_of(gepeto)
    assert not list(household.glob("*.before-restore-*"))


async def test_issue17_secrets_never_reach_the_archive(tmp_path: Path, clock: ManualClock) -> None:
    bot_toml = write_bot_toml(tmp_path, f"# the bot is {TOKEN}\n")
    config = load_config(bot_toml, environ={"TELEGRAM_BOT_TOKEN": TOKEN})
    async with open_app(config, clock=clock):
        pass
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\n", encoding="utf-8")

    report = await take_backup(BackupPlan.of(config), clock.now())

    with tarfile.open(report.archive) as tar:
        everything = b"".join(
            tar.extractfile(member).read()  # type: ignore[union-attr]
            for member in tar.getmembers()
            if member.isfile()
        )
    assert TOKEN.encode() not in everything
    assert b"<secret: set it in the environment>" in everything


async def test_issue17_a_vault_synced_elsewhere_is_recorded_by_its_hashes_only(
    tmp_path: Path, clock: ManualClock
) -> None:
    config = load_config(write_bot_toml(tmp_path, '[backup]\nvault = "manifest"\n'), environ={})
    async with open_app(config, clock=clock) as app:
        await app.family.add("Ana", "parent")
    note = tmp_path / "vault" / "Shopping.md"
    note.write_text("- [ ] milk\n", encoding="utf-8")

    report = await take_backup(BackupPlan.of(config), clock.now())

    with tarfile.open(report.archive) as tar:
        assert not any(name.startswith("vault/") for name in tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert manifest["vault"] == {"mode": "manifest", "notes": {"Shopping.md": sha256_of(note)}}


def test_issue17_old_backups_thin_out_to_seven_days_and_four_weeks(tmp_path: Path) -> None:
    start = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    for hours in range(0, 60 * 24, 12):  # two a day for sixty days
        (tmp_path / archive_name(start + timedelta(hours=hours))).write_bytes(b"")

    removed = prune(tmp_path, keep_daily=7, keep_weekly=4)

    kept = sorted(path.name for path in tmp_path.iterdir())
    assert len(kept) + len(removed) == 120
    newest = start + timedelta(hours=60 * 24 - 12)
    days = {archive_name(newest - timedelta(days=n)) for n in range(7)}
    assert days <= set(kept)
    assert len(kept) == 7 + 3  # this week's newest is one of the seven days
    assert sorted(kept)[-1] == archive_name(newest)


@pytest.fixture
def nightly(tmp_path: Path) -> Path:
    return write_bot_toml(tmp_path, '[backup]\nschedule = "FREQ=DAILY;BYHOUR=3;BYMINUTE=0"\n')


async def test_issue17_the_nightly_backup_runs_and_a_failure_reaches_the_parents(
    nightly: Path, clock: ManualClock
) -> None:
    config = load_config(nightly, environ={})
    async with open_app(config, clock=clock) as app:
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", "telegram:1001")
        await app.family.add("Leo", "child")
        await app.family.link("Leo", "telegram:1002")
        await next_night(app)
        assert len(list(config.settings.backup.folder.glob("gepeto-*.tar"))) == 1
        assert await pushed(app) == []

        config.settings.backup.folder.rename(config.settings.backup.folder.with_name("moved"))
        config.settings.backup.folder.write_text("a file where the folder was")
        await next_night(app)

        texts = await pushed(app)
        assert len(texts) == 1
        assert texts[0].startswith("Tonight's backup did not work:")
        assert await recipients(app) == [("telegram", "1001")]  # Ana, not Leo


async def next_night(app: AppContext) -> None:
    clock = app.clock
    assert isinstance(clock, ManualClock)
    now = clock.now()
    night = (now + timedelta(days=1)).replace(hour=3, minute=0, second=0, microsecond=0)
    clock.advance(night - now)
    await run_scheduler(app)


async def recipients(app: AppContext) -> list[tuple[str, str]]:
    async with app.sessions() as session:
        rows = await session.exec(
            select(OutboxMessage).where(col(OutboxMessage.key).startswith("push:backup"))
        )
        return [(row.channel, row.chat_id) for row in rows]

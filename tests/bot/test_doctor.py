"""`gepeto doctor`: a ✓/✗ table where each failing check says how to fix it."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import tests.support.example_skill as example_skill
from bot.app import open_app
from bot.config import load_config
from bot.doctor import Check, run_checks
from bot.services import SkillServices
from tests.skills.example.household import with_example_skill
from tests.support.cli import Gepeto
from tests.support.example_skill.reminders import remind_daily
from tests.support.home import PARENT_ID, write_bot_toml


@pytest.fixture
def household(tmp_path: Path, no_outside_settings: None) -> Path:
    (tmp_path / "vault").mkdir()
    return tmp_path


def write_config(household: Path, ollama_url: str) -> Path:
    path = household / "bot.toml"
    path.write_text(
        '[storage]\ndata_dir = "data"\n[vault]\npath = "vault"\n'
        f'[llm]\nendpoints = [{{ name = "gpu0", url = "{ollama_url}" }}]\n'
        '[llm.models]\nfast = "qwen2.5:7b"\nchat = "qwen2.5:7b"\nembed = "nomic-embed-text"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def ollama() -> AsyncIterator[TestServer]:
    """Just enough of Ollama for the doctor: /api/tags lists two of the three models."""

    async def tags(_request: web.Request) -> web.Response:
        models = [{"name": "qwen2.5:7b"}, {"name": "nomic-embed-text:latest"}]
        return web.json_response({"models": models})

    application = web.Application()
    application.router.add_get("/api/tags", tags)
    server = TestServer(application, host="127.0.0.1")
    async with server:
        yield server


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


async def test_unreachable_ollama_is_a_cross_with_a_fix(household: Path, closed_port: int) -> None:
    checks = by_name(await run_checks(write_config(household, f"http://127.0.0.1:{closed_port}")))

    ollama = checks["ollama gpu0"]
    assert not ollama.ok
    assert f"cannot reach http://127.0.0.1:{closed_port}" in ollama.detail
    assert ollama.fix == "start Ollama there, or fix llm.endpoints / OLLAMA_HOST"


async def test_reachable_ollama_with_every_model_is_a_tick(
    household: Path, ollama: TestServer
) -> None:
    checks = by_name(await run_checks(write_config(household, str(ollama.make_url("/")))))

    assert checks["ollama gpu0"].ok
    assert checks["ollama gpu0"].detail.endswith("2 models")


async def test_a_missing_model_says_what_to_pull(household: Path, ollama: TestServer) -> None:
    path = write_config(household, str(ollama.make_url("/")))
    path.write_text(path.read_text("utf-8").replace('chat = "qwen2.5:7b"', 'chat = "llama3:70b"'))

    check = by_name(await run_checks(path))["ollama gpu0"]

    assert not check.ok
    assert check.detail == "missing models: chat=llama3:70b"
    assert check.fix == "ollama pull llama3:70b;"


async def test_no_gpu_is_fine_and_an_unmigrated_database_says_to_upgrade(
    household: Path, closed_port: int
) -> None:
    checks = by_name(await run_checks(write_config(household, f"http://127.0.0.1:{closed_port}")))

    assert checks["gpus"].ok
    assert checks["configuration"].ok
    assert checks["vault"].ok
    assert not checks["database"].ok
    assert "gepeto db upgrade" in checks["database"].fix


async def test_a_missing_vault_and_bad_configuration_are_crosses(household: Path) -> None:
    path = household / "bot.toml"
    path.write_text('[vault]\npath = "nowhere"\n[llm]\nenabled = false\n', encoding="utf-8")

    vault = by_name(await run_checks(path))["vault"]

    assert not vault.ok
    assert vault.fix == "create it or set GEPETO_VAULT"

    path.write_text("[llm]\nenabld = false\n", encoding="utf-8")
    [configuration] = await run_checks(path)

    assert not configuration.ok
    assert "llm.enabld: unknown key (did you mean 'enabled'?)" in configuration.detail


def test_doctor_prints_the_table_and_fails_when_anything_is_wrong(
    household: Path, closed_port: int
) -> None:
    gepeto = Gepeto(write_config(household, f"http://127.0.0.1:{closed_port}"))

    result = gepeto("doctor")

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any("✗" in line and "ollama gpu0" in line and "start Ollama" in line for line in lines)
    assert any("✓" in line and "gpus" in line for line in lines)


def test_doctor_passes_on_a_ready_household_without_an_llm(gepeto: Gepeto) -> None:
    gepeto("db", "upgrade")
    (gepeto.config_path.parent / "vault").mkdir()

    result = gepeto("doctor")

    assert result.exit_code == 0, result.stdout
    assert "✗" not in result.stdout
    assert "disabled in bot.toml" in result.stdout


async def test_issue10_item9_doctor_says_which_values_the_environment_set(
    household: Path, ollama: TestServer, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(household, f"http://127.0.0.1:{closed_port}")
    monkeypatch.setenv("OLLAMA_HOST", str(ollama.make_url("/")))
    monkeypatch.setenv("GEPETO_SAFETY__BURST", "3")

    checks = by_name(await run_checks(path))

    assert checks["ollama gpu0"].ok
    assert "(environment variable OLLAMA_HOST)" in checks["ollama gpu0"].detail
    assert checks["environment"].detail == (
        "overrides llm.endpoints ← OLLAMA_HOST, safety.burst ← GEPETO_SAFETY__BURST"
    )


async def test_issue10_item9_doctor_without_overrides_says_so(
    household: Path, ollama: TestServer
) -> None:
    checks = by_name(await run_checks(write_config(household, str(ollama.make_url("/")))))

    assert checks["environment"].detail.startswith("no overrides")
    assert f"({household / 'bot.toml'})" in checks["ollama gpu0"].detail


@pytest.fixture
def example_household(household: Path) -> Path:
    """A household with the example skill, migrated by `gepeto db upgrade`."""
    path = with_example_skill(write_bot_toml(household))
    assert Gepeto(path)("db", "upgrade").exit_code == 0
    return path


async def test_issue11_doctor_adds_each_skills_own_rows(example_household: Path) -> None:
    async with open_app(load_config(example_household, environ={})) as app:
        ana = await app.family.add("Ana", "parent")
        await app.family.link("Ana", f"telegram:{PARENT_ID}")
        grandma = await app.family.add("Grandma", "adult")
        await app.family.link("Grandma", "matrix:@grandma:example.org")
        for member in (ana, grandma):
            await remind_daily(app.skill("example").services, member.id)

    checks = by_name(await run_checks(example_household))

    assert checks["database"].ok, checks["database"].detail
    assert checks["skills"].ok
    assert "example" in checks["skills"].detail.split(", ")
    assert checks["example reminders"] == Check("example reminders", True, "2 daily at 09:00")
    grandmas = checks["example reminder for Grandma"]
    assert not grandmas.ok
    assert grandmas.fix == "ask Grandma to write to Gepeto once"
    assert "example reminder for Ana" not in checks


async def test_issue11_a_skill_check_that_breaks_is_a_cross_not_a_traceback(
    example_household: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(_services: SkillServices) -> Sequence[Check]:
        raise RuntimeError("the water tank is unreachable")

    broken_skill = dataclasses.replace(example_skill.SKILL, checks=broken)
    monkeypatch.setattr(example_skill, "SKILL", broken_skill)

    checks = by_name(await run_checks(example_household))

    assert checks["skill example"] == Check(
        "skill example", False, "its check failed: RuntimeError: the water tank is unreachable"
    )
    assert checks["database"].ok
    assert checks["gpus"].ok


async def test_issue11_a_wrong_key_in_a_skills_section_is_a_cross_naming_it(
    household: Path,
) -> None:
    path = with_example_skill(write_bot_toml(household), "reminder_hours = 9\n")

    checks = by_name(await run_checks(path))

    assert not checks["skills"].ok
    assert "skills.example.reminder_hours" in checks["skills"].detail
    assert "example reminders" not in checks


async def test_issue11_a_skill_that_cannot_be_imported_is_a_cross(household: Path) -> None:
    path = write_bot_toml(household)
    path.write_text(
        path.read_text("utf-8").replace("tests.support.household", "tests.support.nowhere"),
        "utf-8",
    )

    checks = by_name(await run_checks(path))

    assert not checks["skills"].ok
    assert "cannot import 'tests.support.nowhere'" in checks["skills"].detail
    assert checks["skills"].fix == "fix [skills] plugins in bot.toml"

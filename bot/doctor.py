"""`gepeto doctor`: a table of checks, each failing one with the fix."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from bot.app import open_app
from bot.checks import Check
from bot.config import Config, ConfigError, load_config
from bot.context import LoadedSkill
from bot.gpus import read_gpus
from bot.local_socket import LocalRequest, QuestionRefused, ask_running_bot, indexing_line
from bot.pods import pods_check
from bot.skills import Skill, SkillLoadError, load_skills, migration_folders, skill_settings
from storage.database import create_engine, pending_migrations

__all__ = ["Check", "print_report", "run_checks"]

log = logging.getLogger(__name__)

SKILL_CHECK_TIMEOUT_S = 15.0
INDEX_STATUS_TIMEOUT_S = 10.0


async def run_checks(config_path: Path | None) -> list[Check]:
    try:
        config = load_config(config_path)
    except ConfigError as error:
        return [Check("configuration", False, str(error), "correct the key named above")]
    source = config.source if config.source and config.source.exists() else "built-in defaults"
    checks = [Check("configuration", True, f"valid ({source})"), _environment(config)]
    skills, skills_check = _skills(config)
    folders = migration_folders(skills)
    database = await _database(config, folders)
    vault = _vault(config)
    checks += [database, vault]
    index = await _running_index(config)
    if index is not None:
        checks.append(index)
    checks.extend(await _ollama(config))
    checks.append(_gpus())
    checks.extend(_integrations(config))
    checks.append(pods_check(config))
    checks.append(skills_check)
    if skills_check.ok and database.ok and vault.ok:
        # Opening the app only now: on an unmigrated database it would migrate it.
        checks.extend(await _skill_rows(config))
    return checks


def _skills(config: Config) -> tuple[list[Skill], Check]:
    """The configured skills, and whether they load with valid `[skills.<name>]` sections."""
    try:
        skills = load_skills(config.settings.skills.plugins)
    except SkillLoadError as error:
        return [], Check("skills", False, str(error), "fix [skills] plugins in bot.toml")
    try:
        skill_settings(skills, config.settings.skills.sections(), config.source)
    except ConfigError as error:
        return skills, Check("skills", False, str(error), "correct the key named above")
    return skills, Check("skills", True, ", ".join(skill.name for skill in skills))


async def _skill_rows(config: Config) -> list[Check]:
    """Each skill's own rows (`Skill.checks`); a check that fails or hangs is a ✗, not a crash."""
    try:
        async with open_app(config) as app:
            rows: list[Check] = []
            for loaded in app.skills:
                rows.extend(await _rows_of(loaded))
            return rows
    except Exception as error:
        log.exception("could not start the skills for their checks")
        return [
            Check(
                "skills",
                False,
                f"could not start them: {type(error).__name__}: {error}",
                "start `gepeto run` and read the log for the details",
            )
        ]


async def _rows_of(loaded: LoadedSkill) -> Sequence[Check]:
    checks = loaded.skill.checks
    if checks is None:
        return []
    name = f"skill {loaded.skill.name}"
    try:
        async with asyncio.timeout(SKILL_CHECK_TIMEOUT_S):
            rows = await checks(loaded.services)
    except TimeoutError:
        return [Check(name, False, f"its check took over {SKILL_CHECK_TIMEOUT_S:.0f} s")]
    except Exception as error:
        log.exception("the %s skill's check failed", loaded.skill.name)
        return [Check(name, False, f"its check failed: {type(error).__name__}: {error}")]
    if not all(isinstance(row, Check) for row in rows):
        return [Check(name, False, "its check returned something that is not a Check row")]
    return rows


def _environment(config: Config) -> Check:
    """Which keys the environment set over the file, so a surprising value can be traced."""
    overrides = config.from_environment
    if not overrides:
        return Check("environment", True, "no overrides: every value from the file or defaults")
    listed = ", ".join(f"{key} ← {name}" for key, name in sorted(overrides.items()))
    return Check("environment", True, f"overrides {listed}")


async def _database(config: Config, skill_folders: Sequence[Path]) -> Check:
    url = config.settings.storage.resolved_database_url()
    engine = create_engine(url)
    try:
        missing = await pending_migrations(engine, skill_folders)
    except Exception as error:
        shown = make_url(url).render_as_string(hide_password=True)
        return Check(
            "database", False, f"cannot open {shown}: {error}", "check storage.database_url"
        )
    finally:
        await engine.dispose()
    if missing:
        return Check(
            "database",
            False,
            f"{len(missing)} migration(s) not applied",
            "run `gepeto db upgrade` (gepeto run does it too)",
        )
    return Check("database", True, "migrated")


def _vault(config: Config) -> Check:
    path = config.settings.vault.path
    if not path.is_dir():
        return Check("vault", False, f"{path} does not exist", "create it or set GEPETO_VAULT")
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".gepeto-doctor-"):
            pass
    except OSError as error:
        return Check(
            "vault", False, f"{path} is not writable ({error.strerror})", "fix permissions"
        )
    notes = sum(1 for _ in path.rglob("*.md"))
    return Check("vault", True, f"{path} writable, {notes} notes")


async def _running_index(config: Config) -> Check | None:
    """The vault index of the `gepeto run` on this data dir, if one runs and answers."""
    data_dir = config.settings.storage.data_dir
    try:
        status = await asyncio.to_thread(
            ask_running_bot, data_dir, LocalRequest(command="status"), INDEX_STATUS_TIMEOUT_S
        )
    except QuestionRefused as refused:
        return Check("vault index", False, str(refused), "look at the running bot's log")
    if status is None:
        return None
    if status["indexing"]:
        detail = (
            f"{indexing_line(status['indexing'])}; answers come from a keyword search meanwhile"
        )
        return Check("vault index", True, detail)
    if status["notes"] is None:
        return Check("vault index", True, "the running bot opens it on the first question")
    return Check("vault index", True, f"{status['notes']} notes, kept in step by the running bot")


async def _ollama(config: Config) -> list[Check]:
    llm = config.settings.llm
    if not llm.enabled:
        return [Check("ollama", True, "disabled in bot.toml: commands and the fast path only")]
    wanted = {role: model for role, model in llm.models.model_dump().items() if model}
    checks = []
    timeout = httpx.Timeout(llm.connect_timeout_s)
    async with httpx.AsyncClient(timeout=timeout) as http:
        for endpoint in llm.endpoints:
            name = f"ollama {endpoint.name}"
            try:
                response = await http.get(f"{endpoint.url.rstrip('/')}/api/tags")
                response.raise_for_status()
                present = {model["name"] for model in response.json().get("models", [])}
            except (httpx.HTTPError, ValueError) as error:
                checks.append(
                    Check(
                        name,
                        False,
                        f"cannot reach {endpoint.url} ({type(error).__name__})",
                        "start Ollama there, or fix llm.endpoints / OLLAMA_HOST",
                    )
                )
                continue
            missing = sorted(
                f"{role}={model}"
                for role, model in wanted.items()
                if model not in present and f"{model}:latest" not in present
            )
            if missing:
                pulls = " ".join(f"ollama pull {m.split('=', 1)[1]};" for m in missing)
                checks.append(Check(name, False, f"missing models: {', '.join(missing)}", pulls))
            else:
                origin = config.origin("llm.endpoints")
                detail = f"{endpoint.url} ({origin}), {len(present)} models"
                checks.append(Check(name, True, detail))
    return checks


def _gpus() -> Check:
    gpus, why_none = read_gpus()
    if not gpus:
        return Check("gpus", True, why_none)
    return Check(
        "gpus", True, ", ".join(f"{g.name} ({g.memory_free_mib:,} MiB free)" for g in gpus)
    )


def _integrations(config: Config) -> list[Check]:
    checks = []
    telegram = config.settings.channels.telegram
    if config.telegram_enabled:
        checks.append(Check("telegram", True, f"token set, api {telegram.api_base}"))
    else:
        checks.append(Check("telegram", True, "off (set TELEGRAM_BOT_TOKEN to turn it on)"))
    matrix = config.settings.channels.matrix
    if config.matrix_enabled:
        checks.append(Check("matrix", True, f"{matrix.user_id} on {matrix.homeserver}"))
    else:
        checks.append(
            Check("matrix", True, "off (set channels.matrix and MATRIX_PASSWORD to turn it on)")
        )
    return checks


def print_report(checks: list[Check]) -> int:
    """Prints the table; returns the exit code (1 when anything failed)."""
    table = Table(show_header=True, header_style="bold")
    for column in ("", "check", "status", "how to fix"):
        table.add_column(column)
    for check in checks:
        table.add_row("✓" if check.ok else "✗", check.name, check.detail, check.fix)
    width = None if os.environ.get("COLUMNS") else 140
    Console(width=width).print(table)
    return 0 if all(check.ok for check in checks) else 1

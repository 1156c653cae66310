"""Several Gepetos on one machine ("pods"): each household its own data dir, config, bot token.

Each running bot leaves a small file in a runtime folder shared by the instances of one user
(`$GEPETO_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/gepeto`, else `/tmp/gepeto-<uid>`): its PID,
config file, data dir and a fingerprint of its Telegram token (a SHA-256 prefix, never the token).
`gepeto doctor` reads them to warn when two instances would share a data dir or a bot token —
both answer every message twice, or fight over Telegram's updates. Files of processes that are
gone are ignored and removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.checks import Check
from bot.config import Config

FINGERPRINT_CHARS = 16


@dataclass(frozen=True)
class Instance:
    pid: int
    config: str
    data_dir: str
    token: str
    """The fingerprint of the Telegram bot token, or "" when it has none."""


def runtime_folder(environ: Mapping[str, str]) -> Path:
    if environ.get("GEPETO_RUNTIME_DIR"):
        return Path(environ["GEPETO_RUNTIME_DIR"])
    if environ.get("XDG_RUNTIME_DIR"):
        return Path(environ["XDG_RUNTIME_DIR"]) / "gepeto"
    return Path(f"/tmp/gepeto-{os.getuid()}")


def describe(config: Config, pid: int) -> Instance:
    token = config.secrets.telegram_bot_token
    fingerprint = ""
    if token is not None:
        digest = hashlib.sha256(token.get_secret_value().encode("utf-8")).hexdigest()
        fingerprint = digest[:FINGERPRINT_CHARS]
    source = config.source.resolve() if config.source else Path.cwd() / "bot.toml"
    return Instance(pid, str(source), str(config.settings.storage.data_dir.resolve()), fingerprint)


@contextlib.asynccontextmanager
async def registered(config: Config) -> AsyncIterator[None]:
    """Lists this bot in the runtime folder while it runs (a folder that cannot be written to
    only costs the doctor's warning)."""
    folder = runtime_folder(config.environ or os.environ)
    path = folder / f"{os.getpid()}.json"
    await asyncio.to_thread(_write, folder, path, describe(config, os.getpid()))
    try:
        yield
    finally:
        await asyncio.to_thread(path.unlink, True)


def _write(folder: Path, path: Path, instance: Instance) -> None:
    with contextlib.suppress(OSError):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(instance)), encoding="utf-8")


def running_instances(folder: Path) -> list[Instance]:
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            instance = Instance(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            continue
        if _alive(instance.pid):
            found.append(instance)
        else:
            path.unlink(missing_ok=True)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pods_check(config: Config) -> Check:
    """The doctor's row: does another running instance use this data dir or this bot token?"""
    me = describe(config, os.getpid())
    others = [
        other
        for other in running_instances(runtime_folder(config.environ or os.environ))
        if other.config != me.config
    ]
    problems = [
        f"PID {other.pid} ({other.config}) uses the same data dir"
        for other in others
        if other.data_dir == me.data_dir
    ]
    problems += [
        f"PID {other.pid} ({other.config}) uses the same Telegram bot token"
        for other in others
        if me.token and other.token == me.token
    ]
    if problems:
        return Check(
            "pods",
            False,
            "; ".join(problems),
            "give each instance its own storage.data_dir and its own bot token",
        )
    return Check("pods", True, "no other running instance shares the data dir or the bot token")

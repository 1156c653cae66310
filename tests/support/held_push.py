"""A plugin skill for tests that stops a real `gepeto run` at the moment a push is about to be
queued: after the scheduler claimed the firing, before the push reaches the outbox.

It does nothing unless `<data_dir>/hold-push` exists when the bot starts. Then the first time a
push is written to the outbox it writes `<data_dir>/started` and waits for `<data_dir>/release`,
so a test can SIGKILL the process there.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.services import SkillServices
from bot.skills import Skill

RELEASE_WAIT_S = 120.0


def _wait_for_release(data_dir: Path) -> None:
    (data_dir / "started").touch()
    deadline = time.monotonic() + RELEASE_WAIT_S
    while not (data_dir / "release").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the test never released the held push")
        time.sleep(0.02)


def _is_push(statement: str, parameters: Any) -> bool:
    if not statement.lstrip().upper().startswith("INSERT INTO OUTBOX_MESSAGE"):
        return False
    values = parameters if isinstance(parameters, tuple | list) else ()
    return any(isinstance(value, str) and value.startswith("push:") for value in values)


@contextlib.asynccontextmanager
async def hold_the_first_push(
    services: SkillServices, _secrets: Mapping[str, SecretStr]
) -> AsyncIterator[None]:
    data_dir = services.data_dir
    if not (data_dir / "hold-push").exists():
        yield None
        return

    def before_execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any
    ) -> None:
        if _is_push(statement, parameters) and not (data_dir / "release").exists():
            _wait_for_release(data_dir)

    event.listen(Engine, "before_cursor_execute", before_execute)
    try:
        yield None
    finally:
        event.remove(Engine, "before_cursor_execute", before_execute)


SKILL = Skill(name="heldpush", setup=hold_the_first_push)

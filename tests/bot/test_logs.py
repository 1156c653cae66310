"""Issue 17 item 4: JSON log lines with a request id per message, secrets hidden, rotation."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import logs
from bot.family import Member
from tests.support.home import FamilyChats, MakeIncoming

SECRET = "7001234567:AAE-very-secret-bot-token"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """JSON logs into a file for the test; the logging set-up is put back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    path = tmp_path / "logs" / "gepeto.log"
    try:
        yield path
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)


def lines(path: Path) -> list[dict[str, Any]]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def test_issue17_one_messages_log_lines_share_its_request_id_from_router_to_outbox(
    log_file: Path, chats: FamilyChats, parent: Member, make_incoming: MakeIncoming
) -> None:
    logs.setup("INFO", "json", [], log_file)
    await chats.send(make_incoming("/list add milk"))
    await chats.send(make_incoming("/list add eggs"))

    handled = [line for line in lines(log_file) if line["message"] == "message handled"]
    delivered = [line for line in lines(log_file) if line["message"] == "reply delivered"]
    assert len(handled) == len(delivered) == 2
    first, second = (line["request_id"] for line in handled)
    assert first != second
    assert [line["request_id"] for line in delivered] == [first, second]
    assert {line["logger"] for line in lines(log_file) if line.get("request_id") == first} >= {
        "gepeto.messages",
        "bot.outbox",
    }


def test_issue17_a_secret_never_reaches_a_json_line(log_file: Path) -> None:
    logs.setup("INFO", "json", [SECRET], log_file)
    log = logging.getLogger("gepeto.test")
    log.info(
        "calling the Bot API with %s",
        SECRET,
        extra={"url": f"https://api.telegram.org/bot{SECRET}/getMe", "headers": {"t": SECRET}},
    )
    try:
        raise RuntimeError(f"refused token {SECRET}")
    except RuntimeError:
        log.exception("it failed")

    text = log_file.read_text(encoding="utf-8")
    assert SECRET not in text
    first, second = lines(log_file)
    assert first["message"] == "calling the Bot API with ***"
    assert first["url"] == "https://api.telegram.org/bot***/getMe"
    assert first["headers"] == '{"t": "***"}'
    assert "refused token ***" in second["traceback"]


def test_issue17_a_log_file_rotates_and_keeps_the_configured_number(log_file: Path) -> None:
    logs.setup("INFO", "json", [], log_file, rotate_bytes=2048, keep_files=2)
    log = logging.getLogger("gepeto.test")
    for number in range(200):
        log.info("line %d %s", number, "x" * 60)

    kept = sorted(path.name for path in log_file.parent.iterdir())
    assert kept == ["gepeto.log", "gepeto.log.1", "gepeto.log.2"]
    assert all(path.stat().st_size <= 2048 for path in log_file.parent.iterdir())
    assert lines(log_file)[-1]["message"].startswith("line 199 ")

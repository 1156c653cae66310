"""Structured logging: one line per event with its fields, secrets redacted, text or JSON.

Each message gets a request id (`msg-<inbox id>`) while it is handled; every line logged meanwhile
— router, tools, the LLM, and the outbox delivering its replies — carries it, so one message's
whole story can be pulled out of the log with one grep.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import sys
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from bot.redact import Redactor

STANDARD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
REQUEST_ID: ContextVar[str | None] = ContextVar("gepeto_request_id", default=None)


def request_id_for(inbox_id: int) -> str:
    """The request id of the message stored under this inbox id."""
    return f"msg-{inbox_id}"


def request_id_of_delivery(key: str) -> str:
    """The request id behind an outbox key: the message it answers, or the push itself."""
    kind, _, rest = key.partition(":")
    if kind == "inbox":
        inbox_id = rest.partition(":")[0]
        if inbox_id.isdigit():
            return request_id_for(int(inbox_id))
    return key


@contextlib.contextmanager
def request(request_id: str) -> Iterator[None]:
    """Lines logged inside (and in tasks started inside) carry this request id."""
    token = REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


class AddRequestId(logging.Filter):
    """Puts the current message's request id on the record, when one is being handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = REQUEST_ID.get()
        if current is not None and not hasattr(record, "request_id"):
            record.request_id = current
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in STANDARD_FIELDS}


def _traceback(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    """The record's traceback, cached on it as logging does (RedactSecrets may have cleaned it)."""
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    return record.exc_text or ""


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = (
            f"{self.formatTime(record, '%Y-%m-%d %H:%M:%S')} {record.levelname:<7} {record.name}: "
        )
        line = base + record.getMessage()
        extras = " ".join(f"{key}={value}" for key, value in _fields(record).items())
        if extras:
            line += f" {extras}"
        if traceback := _traceback(self, record):
            line += "\n" + traceback
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if traceback := _traceback(self, record):
            entry["traceback"] = traceback
        return json.dumps(entry, default=str, ensure_ascii=False)


class RedactSecrets(logging.Filter):
    """Replaces any configured secret value that slips into a log line or its traceback."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._redact = Redactor(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._redact:
            return True
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info or record.exc_text:
            record.exc_text = self._redact(_traceback(logging.Formatter(), record))
        for key, value in _fields(record).items():
            # Fields given with `extra=` are written out as they are: a secret may hide there.
            shown = value if isinstance(value, str) else json.dumps(value, default=str)
            if self._redact(shown) != shown:
                setattr(record, key, self._redact(shown))
        return True

    def add(self, secrets: Iterable[str]) -> None:
        self._redact.add(secrets)


NOISY_LIBRARIES = (
    "httpx",
    "httpcore",
    "aiosqlite",
    "alembic",
    "chromadb",
    "bm25s",
    "nio",
    "apscheduler",
)
"""Libraries whose INFO lines say nothing a household needs; they log warnings and up."""


def setup(
    level: str,
    style: str,
    secrets: Iterable[str],
    file: Path | None = None,
    *,
    rotate_bytes: int = 10 * 1024 * 1024,
    keep_files: int = 5,
) -> None:
    """Configures the root logger once; `file` sends logs there, rotating, instead of stderr."""
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            file, maxBytes=rotate_bytes, backupCount=keep_files, encoding="utf-8"
        )
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if style == "json" else TextFormatter())
    handler.addFilter(AddRequestId())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in NOISY_LIBRARIES:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def add_secrets(secrets: Iterable[str]) -> None:
    """Redacts more values from now on (a skill's secrets, read when the skill starts)."""
    values = list(secrets)
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, RedactSecrets):
                found.add(values)

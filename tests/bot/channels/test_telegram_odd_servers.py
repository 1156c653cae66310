"""Bot API servers that lack or garble the optional methods: Gepeto keeps serving (issue 10).

The menu (`setMyCommands`), the typing indicator (`sendChatAction`) and streamed drafts
(`sendMessageDraft`) are extras: whatever a server answers to them — a body that is not the
Bot API's, an HTML error page, a 5xx, "method not found", or nothing at all — the family
still gets its reply. A token Telegram refuses is the one thing that stops `gepeto run`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.app import open_app, serve
from bot.channels import chat_channels
from bot.channels.supervisor import ChannelFatal
from bot.channels.telegram_format import render
from bot.clock import SystemClock
from bot.config import Config, load_config
from bot.context import AppContext
from bot.family import Member
from tests.fakes.ollama import FakeOllama, ScriptedReply
from tests.fakes.telegram_api import BotMessage, FakeTelegram
from tests.support.cli import Gepeto
from tests.support.telegram import ANA, ANA_CHAT, serving, telegram_environ

MODEL = "llama3.2:3b"
STORY = "**Dinner ideas** for this week:\n\n" + "\n".join(
    f"- Day {day}: pasta with tomato sauce and a green salad" for day in range(1, 8)
)
OPTIONAL_METHODS = ("setMyCommands", "sendChatAction", "sendMessageDraft")
ALWAYS = 1_000_000
HTML_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def non_standard_json(fake: FakeTelegram, method: str) -> None:
    body = json.dumps({"error": f"{method} is not implemented", "code": "UNSUPPORTED"})
    fake.answer_with_body(method, body, status=400, times=ALWAYS)


def html_page(fake: FakeTelegram, method: str) -> None:
    fake.answer_with_body(method, HTML_PAGE, status=502, content_type="text/html", times=ALWAYS)


def server_error(fake: FakeTelegram, method: str) -> None:
    fake.fail_with_server_error(method, status=500, times=ALWAYS)


def missing_method(fake: FakeTelegram, method: str) -> None:
    fake.disable_method(method)


def no_answer(fake: FakeTelegram, method: str) -> None:
    fake.stall(method, times=ALWAYS)


FAILURES: dict[str, Callable[[FakeTelegram, str], None]] = {
    "non-standard JSON error body": non_standard_json,
    "HTML error page": html_page,
    "5xx": server_error,
    "missing method (404)": missing_method,
    "no answer (timeout)": no_answer,
}


@pytest.fixture
def clock() -> SystemClock:
    return SystemClock()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama(tokens_per_second=40) as fake:
        fake.script(MODEL, ScriptedReply(content=STORY))
        yield fake


@pytest.fixture
def config(bot_toml: Path, telegram: FakeTelegram, ollama: FakeOllama) -> Config:
    environ = telegram_environ(telegram) | {
        "GEPETO_LLM__ENABLED": "true",
        "OLLAMA_HOST": ollama.url,
        "GEPETO_LLM__MODELS__FAST": MODEL,
        "GEPETO_LLM__MODELS__CHAT": MODEL,
    }
    return load_config(bot_toml, environ=environ)


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
async def test_issue10_item10_optional_methods_failing_never_stop_the_replies(
    app: AppContext,
    parent: Member,
    telegram: FakeTelegram,
    failure: Callable[[FakeTelegram, str], None],
) -> None:
    for method in OPTIONAL_METHODS:
        failure(telegram, method)
    final = render(STORY).text

    def replied() -> BotMessage | None:
        messages = telegram.sent_messages(ANA_CHAT.id)
        return messages[-1] if messages and messages[-1].text == final else None

    async with serving(app):
        telegram.push_text(ANA_CHAT, ANA, "what shall we cook this week?")
        await telegram.wait_for(replied, timeout=30)
        tried = {method: bool(telegram.calls(method)) for method in OPTIONAL_METHODS}

    assert tried == dict.fromkeys(OPTIONAL_METHODS, True)
    assert len(telegram.sent_messages(ANA_CHAT.id)) == 1
    assert telegram.pending_updates() == []


async def test_issue10_item10_a_revoked_token_stops_serve_with_channel_fatal(
    bot_toml: Path, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    environ = telegram_environ(telegram) | {
        "TELEGRAM_BOT_TOKEN": "42:AAWrongTokenForTheFamilyBot_1234567"
    }
    async with open_app(load_config(bot_toml, environ=environ)) as app:
        with pytest.raises(ChannelFatal, match="Telegram refused the bot token"):
            await serve(app, chat_channels(app))

    assert "the telegram channel cannot work" in caplog.text
    assert telegram.calls() == []  # the fake records only calls made with its own token


class RefusingBotAPI(BaseHTTPRequestHandler):
    """Every request gets Telegram's answer to a revoked token."""

    def do_POST(self) -> None:
        body = json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"})
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def refusing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingBotAPI)
    thread = threading.Thread(target=server.serve_forever, name="refusing-bot-api")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_issue10_item10_gepeto_run_exits_non_zero_on_a_revoked_token(
    gepeto: Gepeto, refusing_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:AARevokedTokenForGepetoTests_01234")
    monkeypatch.setenv("GEPETO_CHANNELS__TELEGRAM__API_BASE", refusing_server)

    result = gepeto("run")

    assert result.exit_code == 1
    assert "Telegram refused the bot token" in result.stderr
    assert "TELEGRAM_BOT_TOKEN" in result.stderr

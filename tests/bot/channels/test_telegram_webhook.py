"""Webhook mode: Telegram posts updates to Gepeto; only posts with the secret token count."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import Config, load_config
from bot.context import AppContext
from bot.family import Member
from tests.fakes.telegram_api import FakeTelegram
from tests.support.telegram import ANA, ANA_CHAT, MALLORY, MALLORY_CHAT, serving, telegram_environ

SECRET = "family-webhook-secret_42"
HOOK = "https://gepeto.example.org/telegram/updates"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


SHARED_SERVER = {"GEPETO_HTTP__ENABLED": "true", "GEPETO_HTTP__LISTEN": "127.0.0.1:0"}


@pytest.fixture(params=["its own server", "the shared [http] server"])
def config(bot_toml: Path, telegram: FakeTelegram, request: pytest.FixtureRequest) -> Config:
    """Issue 17 item 3: the webhook works on its own server and on the shared one alike."""
    environ = telegram_environ(telegram) | {
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "GEPETO_CHANNELS__TELEGRAM__MODE": "webhook",
        "GEPETO_CHANNELS__TELEGRAM__WEBHOOK_URL": HOOK,
        "GEPETO_CHANNELS__TELEGRAM__WEBHOOK_LISTEN": "127.0.0.1:0",
    }
    if request.param == "the shared [http] server":
        environ |= SHARED_SERVER
    return load_config(bot_toml, environ=environ)


async def test_updates_posted_with_the_secret_are_handled_once_and_others_refused(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    async with serving(app) as channel, aiohttp.ClientSession() as http:
        await telegram.wait_for(lambda: telegram.webhook_url, timeout=15)
        assert channel.webhook_address is not None
        host, port = channel.webhook_address
        url = f"http://{host}:{port}/telegram/updates"
        async with http.get(f"http://{host}:{port}/healthz") as health:
            shared = app.settings.http.enabled
            assert health.status == (200 if shared else 404)
        forged = telegram.push_text(MALLORY_CHAT, MALLORY, "/start")
        hello = telegram.push_text(ANA_CHAT, ANA, "add jam to the shopping list")
        again = telegram.push_text(ANA_CHAT, ANA, "add honey to the shopping list")

        async def post(update: dict[str, object], secret: str) -> int:
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            async with http.post(url, json=update, headers=headers) as answer:
                return answer.status

        refused = [await post(forged.update, "guess"), await post(forged.update, "")]
        accepted = [await post(hello.update, SECRET), await post(hello.update, SECRET)]
        first = await telegram.wait_for_message(ANA_CHAT.id, timeout=15)
        accepted.append(await post(again.update, SECRET))
        second = await telegram.wait_for_message(ANA_CHAT.id, timeout=15)

    (registered,) = telegram.calls("setWebhook")
    assert (registered.params["url"], registered.params["secret_token"]) == (HOOK, SECRET)
    assert refused == [401, 401]
    assert accepted == [200, 200, 200]
    assert [first.text, second.text] == ["Added jam to Shopping.", "Added honey to Shopping."]
    assert len(telegram.sent_messages(ANA_CHAT.id)) == 2
    assert telegram.sent_messages(MALLORY_CHAT.id) == []
    assert telegram.calls("getUpdates") == []

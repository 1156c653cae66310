"""End-to-end encrypted rooms: Gepeto reads and answers them with its own persisted keys."""

from __future__ import annotations

from pathlib import Path

import httpx
import nio.crypto
import pytest

from bot.app import open_app
from bot.channels import chat_channels
from bot.config import ConfigError, load_config
from tests.bot.channels.matrix_family import (
    ENCRYPTED,
    bodies,
    matrix_household,
    messages,
    new_bot_account,
    phone,
    running_gepeto,
    saying,
)
from tests.fakes.synapse import Synapse
from tests.support.home import write_bot_toml


@pytest.mark.slow
async def test_answers_in_an_encrypted_room_and_keeps_its_device(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot = await new_bot_account(synapse_server)
    ana = await synapse_server.register_member("ana")
    toml = matrix_household(tmp_path, synapse_server, bot, "encryption = true\n")
    members = {"Ana": ("parent", ana)}
    async with phone(synapse_server, ana, tmp_path / "anas-keys") as anas:
        room = await anas.create_room([bot.user_id], direct=True, initial_state=[ENCRYPTED])
        async with running_gepeto(toml, bot, members) as gepeto:
            device = gepeto.channel.client.device_id
            await anas.membership(room, bot.user_id, "join")
            await anas.say(room, "/start")
            first = await anas.read_until(room, bot.user_id, saying("Hi Ana"))
        async with running_gepeto(toml, bot, members) as gepeto:
            assert gepeto.channel.client.device_id == device
            await anas.say(room, "add honey to the shopping list")
            second = await anas.read_until(room, bot.user_id, saying("honey"))

    assert bodies(first) == [
        "Hi Ana! I'm Gepeto, the family assistant. Send /help to see what I can do."
    ]
    assert bodies(second) == ["Added honey to Shopping."]
    async with httpx.AsyncClient(base_url=synapse_server.base_url, trust_env=False) as http:
        for reply in messages(first + second):
            stored = await http.get(
                f"/_matrix/client/v3/rooms/{room}/event/{reply['event_id']}",
                headers={"Authorization": f"Bearer {ana.access_token}"},
            )
            assert stored.json()["type"] == "m.room.encrypted"


async def test_encryption_without_its_extras_stops_at_start_up_with_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nio.crypto, "ENCRYPTION_ENABLED", False)
    toml = write_bot_toml(
        tmp_path,
        '[channels.matrix]\nhomeserver = "http://127.0.0.1:9"\n'
        'user_id = "@gepeto:localhost"\nencryption = true\n',
    )
    config = load_config(toml, environ={"MATRIX_PASSWORD": "secret"})
    async with open_app(config) as app:
        with pytest.raises(
            ConfigError, match=r"channels\.matrix\.encryption: .*matrix-nio\[e2e\]"
        ):
            chat_channels(app)

"""Files through Matrix: voice notes and photos in, charts and calendars out; rate limits."""

from __future__ import annotations

import math
from pathlib import Path

import httpx
import nio
import pytest

from bot.channels.matrix_format import PIECE_CHARS
from bot.messages import Reply
from bot.outbox import RetryLater
from tests.bot.channels.matrix_family import (
    Phone,
    attachments_received,
    bodies,
    matrix_household,
    messages,
    new_bot_account,
    phone,
    running_gepeto,
    saying,
)
from tests.fakes.synapse import Synapse

pytestmark = pytest.mark.slow

# The smallest valid PNG: one transparent pixel.
ONE_PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
VOICE_NOTE = b"OggS\x00\x02" + bytes(range(256)) * 4
CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Gepeto//EN\r\nBEGIN:VEVENT\r\n"
    "UID:dentist@gepeto\r\nDTSTART:20260105T090000Z\r\nSUMMARY:Dentist\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


async def download(member: Phone, url: str) -> bytes:
    downloaded = await member.client.download(mxc=url)
    assert isinstance(downloaded, nio.MemoryDownloadResponse), downloaded
    return bytes(downloaded.body)


async def test_voice_notes_and_photos_arrive_as_references_and_are_answered(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot = await new_bot_account(synapse_server)
    ana = await synapse_server.register_member("ana")
    # Nobody listens or reads here: the files must stay references on the homeserver.
    ignored = "[skills.voice]\nenabled = false\n[skills.receipts]\nenabled = false\n"
    toml = matrix_household(tmp_path, synapse_server, bot, sections=ignored)
    async with (
        running_gepeto(toml, bot, {"Ana": ("parent", ana)}) as gepeto,
        phone(synapse_server, ana) as anas,
    ):
        room = await anas.create_room([bot.user_id], direct=True)
        await anas.membership(room, bot.user_id, "join")
        voice = await anas.send_file(
            room,
            VOICE_NOTE,
            "voice.ogg",
            "audio/ogg",
            "m.audio",
            info={"mimetype": "audio/ogg", "size": len(VOICE_NOTE), "duration": 3200},
            **{"org.matrix.msc3245.voice": {}, "org.matrix.msc1767.audio": {"duration": 3200}},
        )
        photo = await anas.send_file(room, ONE_PIXEL_PNG, "receipt.png", "image/png", "m.image")

        replies = await anas.read_until(room, bot.user_id, lambda found: len(messages(found)) == 2)

        voice_reply, photo_reply = bodies(replies)
        assert "voice" in voice_reply
        assert "photo" in photo_reply
        stored = await attachments_received(gepeto)
        assert [(found["kind"], found["file_id"]) for found in stored] == [
            ("voice", voice["url"]),
            ("photo", photo["url"]),
        ]
        assert not (gepeto.app.settings.storage.data_dir / "media").exists()


async def test_charts_and_calendars_are_uploaded(synapse_server: Synapse, tmp_path: Path) -> None:
    bot = await new_bot_account(synapse_server)
    ana = await synapse_server.register_member("ana")
    toml = matrix_household(tmp_path, synapse_server, bot)
    chart = tmp_path / "spending.png"
    chart.write_bytes(ONE_PIXEL_PNG)
    dentist = tmp_path / "dentist.ics"
    dentist.write_text(CALENDAR)
    async with (
        running_gepeto(toml, bot, {"Ana": ("parent", ana)}) as gepeto,
        phone(synapse_server, ana) as anas,
    ):
        room = await anas.create_room([bot.user_id], direct=True)
        await anas.membership(room, bot.user_id, "join")
        reply = Reply(
            text="Here is this month's spending.", image_path=str(chart), file_path=str(dentist)
        )
        await gepeto.channel.send(room, reply, "inbox:1:0")

        events = await anas.read_until(room, bot.user_id, lambda found: len(messages(found)) == 3)

        text, image, calendar = (event["content"] for event in messages(events))
        assert text["body"] == "Here is this month's spending."
        assert image["msgtype"] == "m.image"
        assert await download(anas, image["url"]) == ONE_PIXEL_PNG
        assert calendar["msgtype"] == "m.file"
        assert calendar["info"]["mimetype"] == "text/calendar"
        assert (await download(anas, calendar["url"])).decode() == CALENDAR


async def test_long_replies_arrive_in_formatted_pieces(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot = await new_bot_account(synapse_server)
    ana = await synapse_server.register_member("ana")
    toml = matrix_household(tmp_path, synapse_server, bot)
    paragraphs = [
        f"**Day {day}**: " + ("walk the dog, water the plants. " * 40).strip() for day in range(30)
    ]
    async with (
        running_gepeto(toml, bot, {"Ana": ("parent", ana)}) as gepeto,
        phone(synapse_server, ana) as anas,
    ):
        room = await anas.create_room([bot.user_id], direct=True)
        await anas.membership(room, bot.user_id, "join")
        await gepeto.channel.send(room, Reply(text="\n\n".join(paragraphs)), "inbox:2:0")

        events = await anas.read_until(room, bot.user_id, saying("Day 29"))

    pieces = messages(events)
    assert len(pieces) == math.ceil(len(paragraphs) / (PIECE_CHARS // len(paragraphs[0])))
    assert "\n\n".join(bodies(events)) == "\n\n".join(paragraphs)
    assert all(body.startswith("**Day") for body in bodies(events))
    assert all("<strong>Day" in piece["content"]["formatted_body"] for piece in pieces)


async def test_the_homeservers_rate_limit_asks_the_outbox_to_wait(
    synapse_server: Synapse, tmp_path: Path
) -> None:
    bot = await new_bot_account(synapse_server)
    ana = await synapse_server.register_member("ana")
    admin = await synapse_server.register_member("admin", admin=True)
    toml = matrix_household(tmp_path, synapse_server, bot)
    async with (
        running_gepeto(toml, bot, {"Ana": ("parent", ana)}) as gepeto,
        phone(synapse_server, ana) as anas,
    ):
        room = await anas.create_room([bot.user_id], direct=True)
        await anas.membership(room, bot.user_id, "join")
        async with httpx.AsyncClient(base_url=synapse_server.base_url, trust_env=False) as http:
            limited = await http.post(
                f"/_synapse/admin/v1/users/{bot.user_id}/override_ratelimit",
                headers={"Authorization": f"Bearer {admin.access_token}"},
                json={"messages_per_second": 1, "burst_count": 1},
            )
            assert limited.status_code == 200, limited.text

        async def remind_five_times() -> None:
            for number in range(5):
                await gepeto.channel.send(room, Reply(text=f"Reminder {number}"), f"r:{number}")

        with pytest.raises(RetryLater) as waited:
            await remind_five_times()

        assert waited.value.seconds > 0

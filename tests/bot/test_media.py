"""Files members send (issue 11, item 7): fetched on demand, capped, kept a day, then deleted."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.context import AppContext
from bot.media import MediaTooLarge, MediaUnavailable
from bot.messages import Attachment, Incoming
from tests.support.home import MakeIncoming

MEGABYTE = 1024 * 1024


class Phone:
    """A channel's fetcher that hands over `data` in pieces and counts its downloads."""

    def __init__(self, data: bytes = b"", piece: int = 4096) -> None:
        self.data = data
        self.piece = piece
        self.downloads = 0
        self.broken = False

    async def fetch(self, attachment: Attachment) -> AsyncGenerator[bytes, None]:
        self.downloads += 1
        if self.broken:
            raise ConnectionResetError("the line dropped")
        for start in range(0, len(self.data), self.piece):
            yield self.data[start : start + self.piece]


@pytest.fixture
def phone(app: AppContext) -> Phone:
    phone = Phone()
    app.media.register("telegram", phone.fetch)
    return phone


def voice(file_id: str = "voice-1", size: int | None = None) -> Attachment:
    return Attachment(kind="voice", file_id=file_id, mime_type="audio/ogg", size=size)


def kept(app: AppContext) -> list[Path]:
    return sorted(p for p in app.media.directory.rglob("*") if p.is_file())


async def test_a_fetched_file_is_kept_under_its_chat_and_fetched_only_once(
    app: AppContext, phone: Phone, make_incoming: MakeIncoming
) -> None:
    phone.data = b"OggS" + bytes(10_000)
    incoming = make_incoming(attachments=(voice(),))

    first = await app.media.fetch(incoming, voice())
    again = await app.media.fetch(incoming, voice())

    assert first == again
    assert first.parent == app.settings.storage.data_dir / "media" / "telegram" / "1001"
    assert first.read_bytes() == phone.data
    assert phone.downloads == 1


async def test_a_file_known_to_be_too_large_is_refused_before_downloading(
    app: AppContext, phone: Phone, make_incoming: MakeIncoming
) -> None:
    big = voice(size=48 * MEGABYTE)

    with pytest.raises(MediaTooLarge) as refused:
        await app.media.fetch(make_incoming(attachments=(big,)), big)

    assert str(refused.value) == "That voice note is 48 MB; I can take up to 20 MB."
    assert phone.downloads == 0


async def test_a_file_of_unknown_size_is_cut_off_at_the_cap_and_nothing_is_left(
    app: AppContext, phone: Phone, make_incoming: MakeIncoming
) -> None:
    phone.data, phone.piece = bytes(21 * MEGABYTE), MEGABYTE
    photo = Attachment(kind="photo", file_id="photo-1")

    with pytest.raises(MediaTooLarge) as refused:
        await app.media.fetch(make_incoming(attachments=(photo,)), photo)

    assert str(refused.value) == "That photo is bigger than 20 MB, the most I can take."
    assert kept(app) == []


async def test_a_failed_download_is_one_sentence_and_leaves_nothing_behind(
    app: AppContext, phone: Phone, make_incoming: MakeIncoming
) -> None:
    phone.broken = True

    with pytest.raises(MediaUnavailable) as failed:
        await app.media.fetch(make_incoming(attachments=(voice(),)), voice())

    assert str(failed.value) == "I couldn't download that voice note — please send it again."
    assert kept(app) == []


async def test_the_console_fetches_a_file_from_this_machine(
    app: AppContext, clock: ManualClock, tmp_path: Path
) -> None:
    receipt = tmp_path / "receipt.jpg"
    receipt.write_bytes(b"\xff\xd8\xff" + bytes(100_000))
    photo = Attachment(kind="photo", file_id=str(receipt), name="receipt.jpg")
    incoming = Incoming(
        channel="console",
        chat_id="ana",
        sender="Ana",
        event_id="e1",
        received_at=clock.now(),
        attachments=(photo,),
    )

    path = await app.media.fetch(incoming, photo)

    assert path.read_bytes() == receipt.read_bytes()
    assert path.suffix == ".jpg"


async def test_the_hourly_cleanup_deletes_only_files_older_than_a_day(
    app: AppContext, phone: Phone, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    phone.data = b"OggS" + bytes(100)
    old = await app.media.fetch(make_incoming(attachments=(voice("old"),)), voice("old"))
    clock.advance(timedelta(hours=20))
    recent = await app.media.fetch(make_incoming(attachments=(voice("new"),)), voice("new"))
    clock.advance(timedelta(hours=5))

    fired = await app.scheduler.run_due(clock.now())

    assert [(f.skill, f.kind) for f in fired] == [("system", "media_cleanup")]
    assert kept(app) == [recent]
    assert not old.exists()


def test_an_inbox_row_from_before_references_still_reads() -> None:
    """A message stored by the previous version (download path in the payload) is not lost."""
    payload = {
        "channel": "telegram",
        "chat_id": "1001",
        "sender": "1001",
        "event_id": "1001:7",
        "received_at": "2026-01-05T09:00:00Z",
        "attachments": [{"kind": "voice", "file_id": "v1", "path": "/data/media/v1.oga"}],
    }

    incoming = Incoming.model_validate(payload)

    assert incoming.attachments == (Attachment(kind="voice", file_id="v1"),)

"""Matrix files as references (issue 11, item 7): the mxc URL and the keys go into the inbox;
the bytes come from the homeserver's media API, decrypted as they stream, only when asked.

A small aiohttp server on loopback plays the homeserver's media endpoints.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import nio
import pytest
from aiohttp import web
from nio.crypto.attachments import encrypt_attachment

from bot.channels.matrix_media import PIECE_BYTES, attachment, download
from bot.clock import ManualClock
from bot.media import Media, MediaUnavailable
from bot.messages import Attachment, EncryptedMedia, Incoming

TOKEN = "syt_gepeto_token"
VOICE_NOTE = b"OggS\x00\x02" + bytes(range(256)) * 1000  # several download pieces


@dataclass
class MediaRepository:
    """The homeserver's media: `files` by media id; `legacy_only` like a pre-1.11 server."""

    files: dict[str, bytes] = field(default_factory=dict)
    legacy_only: bool = False
    requests: list[str] = field(default_factory=list)

    async def authenticated(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        if self.legacy_only:
            return web.json_response({"errcode": "M_UNRECOGNIZED"}, status=404)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"errcode": "M_MISSING_TOKEN"}, status=401)
        return self._file(request)

    async def legacy(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return self._file(request)

    def _file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["media_id"])
        if request.match_info["server"] != "localhost" or data is None:
            return web.json_response({"errcode": "M_NOT_FOUND"}, status=404)
        return web.Response(body=data, content_type="application/octet-stream")


@pytest.fixture
def repository() -> MediaRepository:
    return MediaRepository()


@pytest.fixture
async def client(repository: MediaRepository) -> AsyncIterator[nio.AsyncClient]:
    server = web.Application()
    server.router.add_get(
        "/_matrix/client/v1/media/download/{server}/{media_id}", repository.authenticated
    )
    server.router.add_get("/_matrix/media/v3/download/{server}/{media_id}", repository.legacy)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    matrix = nio.AsyncClient(f"http://{host}:{port}", "@gepeto:localhost")
    matrix.access_token = TOKEN
    yield matrix
    await matrix.close()
    await runner.cleanup()


def encrypted_voice_note(repository: MediaRepository, data: bytes) -> dict[str, Any]:
    """The content of an encrypted room's voice-note event whose file the server holds."""
    ciphertext, keys = encrypt_attachment(data)
    repository.files["voice1"] = ciphertext
    return {
        "msgtype": "m.audio",
        "body": "Voice message",
        "file": {**keys, "url": "mxc://localhost/voice1", "mimetype": "audio/ogg"},
        "info": {"mimetype": "audio/ogg", "size": len(data), "duration": 3200},
        "org.matrix.msc3245.voice": {},
    }


async def fetched(client: nio.AsyncClient, found: Attachment) -> bytes:
    pieces: AsyncGenerator[bytes, None] = download(client, found)
    return b"".join([piece async for piece in pieces])


async def test_an_encrypted_voice_note_is_a_reference_with_its_keys(
    repository: MediaRepository,
) -> None:
    content = encrypted_voice_note(repository, VOICE_NOTE)

    found = attachment(content)

    assert found == Attachment(
        kind="voice",
        file_id="mxc://localhost/voice1",
        mime_type="audio/ogg",
        name="Voice message",
        size=len(VOICE_NOTE),
        duration_s=3.2,
        encryption=EncryptedMedia(
            key=content["file"]["key"]["k"],
            iv=content["file"]["iv"],
            sha256=content["file"]["hashes"]["sha256"],
        ),
    )
    assert repository.requests == []


async def test_an_encrypted_file_is_decrypted_as_it_streams(
    client: nio.AsyncClient, repository: MediaRepository
) -> None:
    found = attachment(encrypted_voice_note(repository, VOICE_NOTE))
    assert found is not None
    assert len(VOICE_NOTE) > 3 * PIECE_BYTES

    assert await fetched(client, found) == VOICE_NOTE
    assert repository.requests == ["/_matrix/client/v1/media/download/localhost/voice1"]


async def test_a_damaged_encrypted_file_is_refused_and_not_kept(
    client: nio.AsyncClient, repository: MediaRepository, tmp_path: Path
) -> None:
    found = attachment(encrypted_voice_note(repository, VOICE_NOTE))
    assert found is not None
    repository.files["voice1"] = b"\x00" + repository.files["voice1"][1:]
    clock = ManualClock()
    media = Media(tmp_path / "media", clock, 20 * 1024 * 1024, timedelta(hours=24))
    media.register("matrix", lambda a: download(client, a))
    incoming = Incoming(
        channel="matrix",
        chat_id="!family:localhost",
        sender="@ana:localhost",
        event_id="$voice",
        received_at=clock.now(),
        attachments=(found,),
    )

    with pytest.raises(MediaUnavailable) as refused:
        await media.fetch(incoming, found)

    assert str(refused.value) == "That file arrived damaged — please send it again."
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []


async def test_an_older_homeserver_is_asked_at_the_legacy_endpoint(
    client: nio.AsyncClient, repository: MediaRepository
) -> None:
    repository.legacy_only = True
    repository.files["photo1"] = b"\x89PNG fake photo"
    found = attachment(
        {"msgtype": "m.image", "body": "receipt.png", "url": "mxc://localhost/photo1"}
    )
    assert found is not None

    assert await fetched(client, found) == b"\x89PNG fake photo"
    assert repository.requests[-1] == "/_matrix/media/v3/download/localhost/photo1"


async def test_a_file_the_homeserver_lost_is_unavailable(
    client: nio.AsyncClient, repository: MediaRepository
) -> None:
    found = Attachment(kind="document", file_id="mxc://localhost/gone")

    with pytest.raises(MediaUnavailable) as failed:
        await fetched(client, found)

    assert str(failed.value) == "I couldn't download that file — please send it again."

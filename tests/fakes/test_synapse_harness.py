"""The Synapse harness carries real Matrix traffic between two family members' phones."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import httpx
import nio
import pytest

from tests.fakes.synapse import (
    MatrixAccount,
    Synapse,
    SynapseStartError,
    matrix_client,
    sync_until,
    wait_for_event,
)

pytestmark = pytest.mark.slow

# The smallest valid PNG: one transparent pixel.
ONE_PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


async def family_room(
    alice: nio.AsyncClient, bob: nio.AsyncClient, bob_account: MatrixAccount
) -> str:
    """A room Alice created and Bob joined after his invite arrived through sync."""
    created = await alice.room_create(name="Family", invite=[bob_account.user_id])
    assert isinstance(created, nio.RoomCreateResponse), created
    room_id: str = created.room_id
    invited = await sync_until(
        bob, lambda response: room_id if room_id in response.rooms.invite else None
    )
    assert invited == room_id
    joined = await bob.join(room_id)
    assert isinstance(joined, nio.JoinResponse), joined
    return room_id


async def test_invited_member_receives_a_message(synapse_server: Synapse) -> None:
    alice_account = await synapse_server.register_member("alice")
    bob_account = await synapse_server.register_member("bob")
    async with (
        matrix_client(synapse_server, alice_account) as alice,
        matrix_client(synapse_server, bob_account) as bob,
    ):
        room_id = await family_room(alice, bob, bob_account)

        sent = await alice.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": "Dinner at 7?"}
        )
        assert isinstance(sent, nio.RoomSendResponse), sent

        received = await wait_for_event(
            bob, room_id, lambda event: isinstance(event, nio.RoomMessageText)
        )
        assert received.event_id == sent.event_id
        assert received.sender == alice_account.user_id
        assert received.body == "Dinner at 7?"


async def test_reaction_reaches_the_sender(synapse_server: Synapse) -> None:
    alice_account = await synapse_server.register_member("alice")
    bob_account = await synapse_server.register_member("bob")
    async with (
        matrix_client(synapse_server, alice_account) as alice,
        matrix_client(synapse_server, bob_account) as bob,
    ):
        room_id = await family_room(alice, bob, bob_account)
        question = await alice.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": "Take out the bins?"}
        )
        assert isinstance(question, nio.RoomSendResponse), question

        reacted = await bob.room_send(
            room_id,
            "m.reaction",
            {
                "m.relates_to": {
                    "rel_type": "m.annotation",
                    "event_id": question.event_id,
                    "key": "👍",
                }
            },
        )
        assert isinstance(reacted, nio.RoomSendResponse), reacted

        reaction = await wait_for_event(
            alice, room_id, lambda event: isinstance(event, nio.ReactionEvent)
        )
        assert reaction.sender == bob_account.user_id
        assert reaction.reacts_to == question.event_id
        assert reaction.key == "👍"


async def test_photo_downloads_only_with_a_members_token(synapse_server: Synapse) -> None:
    alice_account = await synapse_server.register_member("alice")
    bob_account = await synapse_server.register_member("bob")
    async with (
        matrix_client(synapse_server, alice_account) as alice,
        matrix_client(synapse_server, bob_account) as bob,
    ):
        room_id = await family_room(alice, bob, bob_account)
        uploaded, _ = await alice.upload(
            io.BytesIO(ONE_PIXEL_PNG),
            content_type="image/png",
            filename="receipt.png",
            filesize=len(ONE_PIXEL_PNG),
        )
        assert isinstance(uploaded, nio.UploadResponse), uploaded
        await alice.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.image", "body": "receipt.png", "url": uploaded.content_uri},
        )

        photo = await wait_for_event(
            bob, room_id, lambda event: isinstance(event, nio.RoomMessageImage)
        )
        downloaded = await bob.download(mxc=photo.url)
        assert isinstance(downloaded, nio.MemoryDownloadResponse), downloaded
        assert downloaded.body == ONE_PIXEL_PNG
        assert downloaded.content_type == "image/png"

        media_id = photo.url.removeprefix(f"mxc://{synapse_server.server_name}/")
        async with httpx.AsyncClient(base_url=synapse_server.base_url, trust_env=False) as http:
            anonymous = await http.get(
                f"/_matrix/client/v1/media/download/{synapse_server.server_name}/{media_id}"
            )
            legacy = await http.get(
                f"/_matrix/media/v3/download/{synapse_server.server_name}/{media_id}"
            )
        assert anonymous.status_code == 401
        assert legacy.status_code == 404


async def test_admin_flag_makes_a_server_admin(synapse_server: Synapse) -> None:
    parent = await synapse_server.register_member("parent", admin=True)
    child = await synapse_server.register_member("child")
    async with httpx.AsyncClient(base_url=synapse_server.base_url, trust_env=False) as http:
        as_parent = await http.get(
            f"/_synapse/admin/v2/users/{child.user_id}",
            headers={"Authorization": f"Bearer {parent.access_token}"},
        )
        as_child = await http.get(
            f"/_synapse/admin/v2/users/{parent.user_id}",
            headers={"Authorization": f"Bearer {child.access_token}"},
        )
    assert as_parent.status_code == 200
    assert as_parent.json()["admin"] is False
    assert as_child.status_code == 403


def test_failed_start_reports_the_log_tail(synapse_venv: Path, tmp_path: Path) -> None:
    second = Synapse(tmp_path, synapse_venv)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", second.port))
        with pytest.raises(SynapseStartError, match="Address already in use"):
            second.start()
    assert not second.running

"""A family on the test homeserver: Gepeto's Matrix channel running, members on their phones."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nio
from sqlmodel import col, select

from bot.app import build_router, open_app
from bot.channels.matrix import MatrixChannel
from bot.config import load_config
from bot.context import AppContext
from bot.outbox import Outbox
from bot.router import Router
from storage.models import InboxEvent
from tests.fakes.synapse import MatrixAccount, Synapse, matrix_client
from tests.support.home import write_bot_toml
from tests.support.llm_household import write_llm_bot_toml

BOT_NAME = "Gepeto"
WITHIN_S = 30.0
ENCRYPTED = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}
"""The initial state that makes a new room end-to-end encrypted."""


@dataclass
class RunningGepeto:
    """Gepeto's pipeline with its Matrix channel syncing and its outbox delivering."""

    app: AppContext
    channel: MatrixChannel
    router: Router
    outbox: Outbox


async def new_bot_account(synapse: Synapse) -> MatrixAccount:
    """Gepeto's own account, named so family members can mention it as "Gepeto"."""
    account = await synapse.register_member("gepeto")
    async with matrix_client(synapse, account) as client:
        await client.set_displayname(BOT_NAME)
    return account


def matrix_household(
    directory: Path,
    synapse: Synapse,
    bot: MatrixAccount,
    matrix_extra: str = "",
    ollama_url: str | None = None,
    sections: str = "",
) -> Path:
    """A bot.toml with [channels.matrix] on the test homeserver (and the LLM on a fake Ollama);
    `sections` are further tables, such as `[skills.voice]`."""
    matrix = (
        "[channels.matrix]\n"
        f'homeserver = "{synapse.base_url}"\n'
        f'user_id = "{bot.user_id}"\n' + matrix_extra + sections
    )
    if ollama_url is not None:
        return write_llm_bot_toml(directory, [ollama_url], extra=matrix)
    return write_bot_toml(directory, matrix)


@contextlib.asynccontextmanager
async def running_gepeto(
    bot_toml: Path,
    bot: MatrixAccount,
    members: dict[str, tuple[str, MatrixAccount]] | None = None,
    login: dict[str, str] | None = None,
    **channel_options: Any,
) -> AsyncIterator[RunningGepeto]:
    """Runs Gepeto like `gepeto run` does (members added and linked) and shuts it down alike."""
    config = load_config(bot_toml, environ=login or {"MATRIX_PASSWORD": bot.password})
    async with open_app(config) as app:
        for name, (role, account) in (members or {}).items():
            if await app.family.find(name) is None:
                await app.family.add(name, role)
                await app.family.link(name, f"matrix:{account.user_id}")
        options = {"sync_timeout_ms": 2000, "first_backoff_s": 0.05, "max_backoff_s": 0.5}
        channel = MatrixChannel(app, **(options | {"edit_interval_s": 0.05} | channel_options))
        outbox = Outbox(app.sessions, app.clock)
        router = build_router(app, outbox)
        outbox.register(channel.name, channel.send)
        router.stream_openers[channel.name] = channel.open_stream
        app.media.register(channel.name, channel.fetch_media)
        await router.resume()
        syncing = asyncio.create_task(channel.run(router), name="matrix")
        delivering = asyncio.create_task(outbox.run(), name="outbox")
        try:
            async with asyncio.timeout(WITHIN_S):
                ready = asyncio.create_task(channel.synced.wait())
                await asyncio.wait({ready, syncing}, return_when=asyncio.FIRST_COMPLETED)
                ready.cancel()
            if syncing.done():
                syncing.result()
            yield RunningGepeto(app=app, channel=channel, router=router, outbox=outbox)
        finally:
            syncing.cancel()
            await asyncio.gather(syncing, return_exceptions=True)
            await router.drain()
            await outbox.deliver_due()
            delivering.cancel()
            await asyncio.gather(delivering, return_exceptions=True)
            await channel.aclose()


@dataclass
class Phone:
    """A family member's Matrix client; what arrives in their rooms waits here until read."""

    client: nio.AsyncClient
    account: MatrixAccount
    backlog: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def user_id(self) -> str:
        return self.account.user_id

    async def pull(self) -> nio.SyncResponse:
        """One sync; timeline events are kept per room for `read_until`."""
        response = await self.client.sync(timeout=1000)
        if isinstance(response, nio.SyncError):
            raise RuntimeError(f"sync failed for {self.user_id}: {response.message}")
        for room_id, info in response.rooms.join.items():
            self.backlog.setdefault(room_id, []).extend(
                event.source
                for event in info.timeline.events
                if not isinstance(event, nio.MegolmEvent)
            )
        if self.client.olm is not None:
            await self.client.send_to_device_messages()
            if self.client.should_upload_keys:
                await self.client.keys_upload()
            if self.client.should_query_keys:
                await self.client.keys_query()
            if self.client.should_claim_keys:
                await self.client.keys_claim(self.client.get_users_for_key_claiming())
        return response

    async def pull_until(self, found: Callable[[nio.SyncResponse], bool]) -> None:
        async with asyncio.timeout(WITHIN_S):
            while not found(await self.pull()):
                pass

    async def create_room(
        self, invite: list[str], *, direct: bool = False, initial_state: list[Any] | None = None
    ) -> str:
        created = await self.client.room_create(
            name=None if direct else "Family",
            invite=invite,
            is_direct=direct,
            initial_state=initial_state or [],
        )
        assert isinstance(created, nio.RoomCreateResponse), created
        return str(created.room_id)

    async def join(self, room_id: str) -> None:
        await self.pull_until(lambda response: room_id in response.rooms.invite)
        joined = await self.client.join(room_id)
        assert isinstance(joined, nio.JoinResponse), joined

    async def say(self, room_id: str, body: str, **content: Any) -> str:
        sent = await self.client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": body, **content},
            ignore_unverified_devices=True,
        )
        assert isinstance(sent, nio.RoomSendResponse), sent
        return str(sent.event_id)

    async def send_file(
        self, room_id: str, data: bytes, name: str, mime_type: str, msgtype: str, **content: Any
    ) -> dict[str, Any]:
        """Uploads the file and shows it in the room, as a phone does: in an encrypted room the
        upload is encrypted and the message carries its keys. Returns the message's content."""
        encrypt = self.client.rooms[room_id].encrypted
        uploaded, keys = await self.client.upload(
            io.BytesIO(data),
            content_type=mime_type,
            filename=name,
            encrypt=encrypt,
            filesize=len(data),
        )
        assert isinstance(uploaded, nio.UploadResponse), uploaded
        url = uploaded.content_uri
        where = {"file": {**keys, "url": url, "mimetype": mime_type}} if keys else {"url": url}
        info = {"mimetype": mime_type, "size": len(data)}
        sent = {"msgtype": msgtype, "info": info, **where, **content}
        await self.say(room_id, name, **sent)
        return sent

    async def reply(self, room_id: str, event_id: str, body: str) -> str:
        """A message in reply to the event (what "Reply" on a message sends)."""
        return await self.say(
            room_id, body, **{"m.relates_to": {"m.in_reply_to": {"event_id": event_id}}}
        )

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        relates = {"rel_type": "m.annotation", "event_id": event_id, "key": key}
        sent = await self.client.room_send(room_id, "m.reaction", {"m.relates_to": relates})
        assert isinstance(sent, nio.RoomSendResponse), sent
        return str(sent.event_id)

    async def membership(self, room_id: str, user_id: str, wanted: str) -> None:
        """Waits until `user_id`'s membership in the room becomes `wanted`."""

        def changed(response: nio.SyncResponse) -> bool:
            info = response.rooms.join.get(room_id)
            events = [*info.state, *info.timeline.events] if info else []
            return any(
                isinstance(event, nio.RoomMemberEvent)
                and event.state_key == user_id
                and event.membership == wanted
                for event in events
            )

        await self.pull_until(changed)

    async def read_until(
        self,
        room_id: str,
        sender: str,
        done: Callable[[list[dict[str, Any]]], bool],
        within_s: float = WITHIN_S,
    ) -> list[dict[str, Any]]:
        """What `sender` posts in the room, oldest first, until `done`; the rest waits."""
        found: list[dict[str, Any]] = []
        async with asyncio.timeout(within_s):
            while True:
                queue = self.backlog.setdefault(room_id, [])
                while queue:
                    event = queue.pop(0)
                    if event.get("sender") == sender:
                        found.append(event)
                        if done(found):
                            return found
                await self.pull()


@contextlib.asynccontextmanager
async def phone(
    synapse: Synapse, account: MatrixAccount, crypto_store: Path | None = None
) -> AsyncIterator[Phone]:
    """The member's client; with a crypto store it reads and writes encrypted rooms."""
    if crypto_store is None:
        async with matrix_client(synapse, account) as client:
            yield Phone(client=client, account=account)
        return
    await asyncio.to_thread(crypto_store.mkdir, parents=True, exist_ok=True)
    client = nio.AsyncClient(
        synapse.base_url,
        account.user_id,
        device_id=account.device_id,
        store_path=str(crypto_store),
        config=nio.AsyncClientConfig(encryption_enabled=True),
    )
    client.restore_login(account.user_id, account.device_id, account.access_token)
    try:
        yield Phone(client=client, account=account)
    finally:
        await client.close()


async def attachments_received(gepeto: RunningGepeto) -> list[dict[str, Any]]:
    """The file references Gepeto put into its inbox, in the order they came."""
    async with gepeto.app.sessions() as session:
        rows = await session.exec(select(InboxEvent).order_by(col(InboxEvent.id)))
        return [found for row in rows for found in row.payload.get("attachments", [])]


@dataclass
class DirectChat:
    """Ana (a parent) and a running Gepeto in a room of their own."""

    gepeto: RunningGepeto
    ana: Phone
    room_id: str
    bot: str

    async def answers(
        self, done: Callable[[list[dict[str, Any]]], bool], within_s: float = WITHIN_S
    ) -> list[dict[str, Any]]:
        """What Gepeto posts in the room until `done`."""
        return await self.ana.read_until(self.room_id, self.bot, done, within_s)


@contextlib.asynccontextmanager
async def direct_chat(
    synapse: Synapse, directory: Path, *, encrypted: bool = False, sections: str = ""
) -> AsyncIterator[DirectChat]:
    """Ana's direct room with Gepeto (end-to-end encrypted when asked), Gepeto running with
    `sections` in its bot.toml; Gepeto has joined when this yields."""
    bot = await new_bot_account(synapse)
    ana = await synapse.register_member("ana")
    encryption = "encryption = true\n" if encrypted else ""
    toml = matrix_household(directory, synapse, bot, encryption, sections=sections)
    keys = directory / "anas-keys" if encrypted else None
    async with phone(synapse, ana, keys) as anas:
        state = [ENCRYPTED] if encrypted else []
        room = await anas.create_room([bot.user_id], direct=True, initial_state=state)
        async with running_gepeto(toml, bot, {"Ana": ("parent", ana)}) as gepeto:
            await anas.membership(room, bot.user_id, "join")
            yield DirectChat(gepeto=gepeto, ana=anas, room_id=room, bot=bot.user_id)


def messages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The new messages among the events (no edits, no reactions)."""
    return [
        event
        for event in events
        if event.get("type") == "m.room.message"
        and event["content"].get("m.relates_to", {}).get("rel_type") != "m.replace"
    ]


def bodies(events: list[dict[str, Any]]) -> list[str]:
    return [str(event["content"].get("body", "")) for event in messages(events)]


def saying(text: str) -> Callable[[list[dict[str, Any]]], bool]:
    """Done once a new message containing `text` has arrived."""
    return lambda events: any(text in body for body in bodies(events))

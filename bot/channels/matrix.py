"""The Matrix channel: rooms synced into the inbox exactly once, replies sent idempotently."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import nio

from bot.channels.matrix_delivery import MatrixDelivery
from bot.channels.matrix_events import CHANNEL, EventCache, EventReader
from bot.channels.matrix_media import download
from bot.channels.matrix_session import MatrixState, client_config, sign_in
from bot.context import AppContext
from bot.messages import Attachment, Incoming, Reply
from bot.outbox import RetryLater
from bot.streaming import ReplyStream

if TYPE_CHECKING:
    from bot.router import Router

log = logging.getLogger(__name__)

NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)
MAX_BACKFILL_PAGES = 20
NOT_READY_WAIT_S = 10.0


class MatrixChannel:
    """Gepeto's Matrix account: joins members' invites, answers in rooms, streams as edits."""

    name = CHANNEL

    def __init__(
        self,
        app: AppContext,
        *,
        sync_timeout_ms: int = 30_000,
        timeline_limit: int = 50,
        first_backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        edit_interval_s: float = 1.5,
    ) -> None:
        self._app = app
        self._settings = app.settings.channels.matrix
        self._state = MatrixState(app.settings.storage.data_dir)
        self.client = nio.AsyncClient(
            self._settings.homeserver,
            self._settings.user_id,
            store_path=str(self._state.crypto_dir),
            config=client_config(self._settings, request_timeout_s=30.0),
        )
        self._events = EventCache(self.client)
        self._reader = EventReader(
            self.client,
            app.clock,
            self._events,
            self._settings.assistant_rooms,
            app.settings.safety.max_message_chars,
        )
        self._sync_timeout_ms = sync_timeout_ms
        self._sync_filter = {
            "room": {"timeline": {"limit": timeline_limit}},
            "presence": {"not_types": ["*"]},
        }
        self._first_backoff_s = first_backoff_s
        self._max_backoff_s = max_backoff_s
        self._delivery = MatrixDelivery(self.client, self._events, edit_interval_s)
        # Set once a sync's events are all in the inbox and its token is saved: rooms are known.
        self.synced = asyncio.Event()
        self.connected = False
        """True while the last sync with the homeserver worked (for /readyz)."""

    @property
    def state_dir(self) -> Path:
        return self._state.directory

    async def run(self, router: Router) -> None:
        """Signs in, then syncs until cancelled; refused credentials raise MatrixLoginError."""
        try:
            await self._connect()
            token = self._state.load_sync_token() or await self._first_sync()
            await self._follow(router, token)
        finally:
            self.connected = False

    def fetch_media(self, attachment: Attachment) -> AsyncGenerator[bytes, None]:
        """A file a member sent, from the homeserver (decrypted when it was encrypted)."""
        return download(self.client, attachment)

    async def aclose(self) -> None:
        """Closes the connection to the homeserver (after the outbox's last delivery)."""
        await self.client.close()

    async def _connect(self) -> None:
        await asyncio.to_thread(self._state.prepare)
        backoff = Backoff(self._first_backoff_s, self._max_backoff_s)
        while True:
            try:
                await sign_in(self.client, self._settings, self._app.config.secrets, self._state)
                await self._learn_names()
                return
            except NETWORK_ERRORS as error:
                log.warning("cannot reach %s (%s); retrying", self._settings.homeserver, error)
            await backoff.wait()

    async def _learn_names(self) -> None:
        """Gepeto's display name (for plain-text mentions) and the assistant rooms' ids."""
        profile = await self.client.get_displayname()
        if isinstance(profile, nio.ProfileGetDisplayNameResponse) and profile.displayname:
            self._reader.display_name = profile.displayname
        for alias in self._settings.assistant_rooms:
            if alias.startswith("#"):
                resolved = await self.client.room_resolve_alias(alias)
                if isinstance(resolved, nio.RoomResolveAliasResponse):
                    self._reader.add_assistant_room(resolved.room_id)
                else:
                    log.warning("assistant room %s not found: %s", alias, resolved)

    async def _first_sync(self) -> str:
        """The very first sync: remember where the rooms are now, without answering history."""
        backoff = Backoff(self._first_backoff_s, self._max_backoff_s)
        while (response := await self._sync(None, True, timeline_limit=1)) is None:
            await backoff.wait()
        await self._answer_invites(response.rooms.invite)
        await self._state.save_sync_token(response.next_batch)
        log.info("Matrix: first start; earlier room history is not handled")
        return str(response.next_batch)

    async def _follow(self, router: Router, token: str) -> None:
        """Syncs forever: the first time with full room state, then long-polling for news."""
        full_state = True
        backoff = Backoff(self._first_backoff_s, self._max_backoff_s)
        while True:
            response = await self._sync(token, full_state)
            if response is None:
                await backoff.wait()
                continue
            try:
                await self._store_batch(router, response, token)
            except Exception:
                log.exception("storing a Matrix sync batch failed; trying it again")
                self.client.next_batch = token
                await backoff.wait()
                continue
            await self._state.save_sync_token(response.next_batch)
            token, full_state = response.next_batch, False
            backoff.reset()
            self.synced.set()
            await self._keep_keys_current()

    async def _sync(
        self, since: str | None, full_state: bool, timeline_limit: int | None = None
    ) -> nio.SyncResponse | None:
        """One sync; None (after logging why) when it should be retried after a pause."""
        sync_filter: dict[str, Any] = self._sync_filter
        if timeline_limit is not None:
            sync_filter = {**sync_filter, "room": {"timeline": {"limit": timeline_limit}}}
        try:
            response = await self.client.sync(
                timeout=0 if full_state else self._sync_timeout_ms,
                sync_filter=sync_filter,
                since=since,
                full_state=full_state or None,
            )
            self.connected = isinstance(response, nio.SyncResponse)
            if isinstance(response, nio.SyncResponse):
                return response
            if response.status_code == "M_LIMIT_EXCEEDED" and response.retry_after_ms:
                await asyncio.sleep(response.retry_after_ms / 1000)
            elif response.status_code in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
                log.warning("the homeserver signed Gepeto out; signing in again")
                await sign_in(self.client, self._settings, self._app.config.secrets, self._state)
            else:
                log.warning("Matrix sync refused: %s", response)
        except NETWORK_ERRORS as error:
            self.connected = False
            log.warning("Matrix sync failed (%s); reconnecting", error or type(error).__name__)
        return None

    async def _store_batch(self, router: Router, response: nio.SyncResponse, since: str) -> None:
        """Every new event of the batch goes into the inbox (and is scheduled) in order."""
        for room_id, info in response.rooms.join.items():
            room = self.client.rooms.get(room_id)
            if room is None:
                continue
            events = list(info.timeline.events)
            if info.timeline.limited and info.timeline.prev_batch:
                events = (
                    await self._missed_events(room_id, info.timeline.prev_batch, since) + events
                )
            for event in events:
                if "event_id" in event.source:
                    self._events.remember(event.event_id, event.source)
                incoming = await self._reader.read(room, event)
                if incoming is not None:
                    await router.receive(incoming)
        await self._answer_invites(response.rooms.invite)

    async def _missed_events(self, room_id: str, gap_start: str, since: str) -> list[Any]:
        """Events that did not fit in a limited timeline, back to the last stored sync."""
        missed: list[Any] = []
        start = gap_start
        for _ in range(MAX_BACKFILL_PAGES):
            page = await self.client.room_messages(
                room_id, start=start, end=since, direction=nio.MessageDirection.back, limit=100
            )
            if not isinstance(page, nio.RoomMessagesResponse):
                raise RuntimeError(f"could not fetch missed events in {room_id}: {page}")
            missed.extend(page.chunk)
            if not page.chunk or not page.end or page.end == start:
                break
            start = page.end
        return list(reversed(missed))

    async def _answer_invites(self, invites: dict[str, Any]) -> None:
        """Joins rooms a family member invited Gepeto to; declines everyone else's invites."""
        for room_id, info in invites.items():
            inviter = next(
                (
                    event.sender
                    for event in info.invite_state
                    if isinstance(event, nio.InviteMemberEvent)
                    and event.state_key == self.client.user_id
                    and event.membership == "invite"
                ),
                None,
            )
            member = await self._app.family.resolve(CHANNEL, inviter) if inviter else None
            # Only the outcome is logged: a response's repr carries its HTTP headers.
            if member is not None:
                joined = await self.client.join(room_id)
                if isinstance(joined, nio.JoinResponse):
                    log.info("joined %s, invited by %s", room_id, member.name)
                else:
                    log.warning(
                        "could not join %s (invited by %s): %s", room_id, member.name, joined
                    )
            else:
                declined = await self.client.room_leave(room_id)
                if isinstance(declined, nio.RoomLeaveResponse):
                    log.info("declined %s from non-member %s", room_id, inviter)
                else:
                    log.warning("could not decline %s from %s: %s", room_id, inviter, declined)

    async def _keep_keys_current(self) -> None:
        """Encryption upkeep between syncs: keys uploaded, queried, claimed; to-device sent."""
        client = self.client
        if client.olm is None:
            return
        try:
            await client.send_to_device_messages()
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await client.keys_query()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
        except NETWORK_ERRORS as error:
            log.warning("Matrix key upkeep failed (%s); trying after the next sync", error)

    def open_stream(self, incoming: Incoming) -> ReplyStream | None:
        """A draft message edited as the answer grows; None for button presses and reactions."""
        return self._delivery.open_stream(incoming)

    async def send(self, chat_id: str, reply: Reply, key: str) -> None:
        """Delivers one outbox reply once the rooms are known (RetryLater until then)."""
        await self._wait_until_ready()
        await self._delivery.send(chat_id, reply, key)

    async def _wait_until_ready(self) -> None:
        if self.synced.is_set():
            return
        try:
            await asyncio.wait_for(self.synced.wait(), timeout=NOT_READY_WAIT_S)
        except TimeoutError:
            raise RetryLater(NOT_READY_WAIT_S, "Matrix is not connected yet") from None


class Backoff:
    """Waits longer after each failure (with jitter), up to a limit; success starts over."""

    def __init__(self, first_s: float, limit_s: float) -> None:
        self._first_s = first_s
        self._limit_s = limit_s
        self._next_s = first_s

    async def wait(self) -> None:
        await asyncio.sleep(self._next_s * random.uniform(0.8, 1.2))
        self._next_s = min(self._next_s * 2, self._limit_s)

    def reset(self) -> None:
        self._next_s = self._first_s

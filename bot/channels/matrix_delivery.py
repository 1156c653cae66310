"""Replies into Matrix rooms: pieces, files and reactions sent once each, streams as edits.

Every event's transaction id comes from the outbox key, so a retried delivery is answered by the
homeserver with the event it already has. A streamed answer is one draft message edited with
m.replace; homeservers count each edit as a message (Synapse's default `rc_message` is 0.2/s with
a burst of 10), so edits slow down whenever the server asks for a pause. An admin can lift the
limit for Gepeto's account with Synapse's `override_ratelimit` admin API.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

import nio

from bot.channels.common import PacedDraft
from bot.channels.matrix_events import (
    ANSWERS_KEY,
    BUTTONS_KEY,
    EventCache,
    reaction_hint,
    reaction_keys,
    typed_answers,
)
from bot.channels.matrix_format import (
    draft_text,
    edit_content,
    reaction_content,
    relation,
    split_reply,
    text_content,
    with_relation,
)
from bot.channels.matrix_media import UploadFailed, upload_content
from bot.messages import Incoming, Reply
from bot.outbox import DeliveryFailed, RetryLater
from bot.streaming import ReplyStream

PERMANENT_ERRORS = {"M_FORBIDDEN", "M_NOT_FOUND", "M_TOO_LARGE", "M_BAD_JSON", "M_NOT_JSON"}
KEPT_DRAFTS = 200


class MatrixDelivery:
    """Sends replies with transaction ids derived from the outbox key, so retries never double."""

    def __init__(
        self, client: nio.AsyncClient, events: EventCache, edit_interval_s: float
    ) -> None:
        self.client = client
        self._events = events
        self.edit_interval_s = edit_interval_s
        self._drafts: OrderedDict[tuple[str, str | None], str] = OrderedDict()

    def open_stream(self, incoming: Incoming) -> ReplyStream | None:
        """A draft message edited as the answer grows; None for button presses and reactions."""
        if incoming.button is not None:
            return None
        return MatrixReplyStream(self, incoming)

    async def send(self, chat_id: str, reply: Reply, key: str) -> None:
        """Sends the reply's pieces, files and reactions, each with a transaction id from `key`."""
        room = self.client.rooms.get(chat_id)
        in_group = room is None or room.member_count > 2
        pieces = split_reply(reply.text) if reply.text.strip() else []
        draft_key = (chat_id, reply.reply_to_event)
        draft = self._drafts.get(draft_key) if reply.streamed else None
        keys = reaction_keys(reply.buttons)
        question_id = None
        for index, piece in enumerate(pieces):
            content = text_content(piece)
            if keys and index == len(pieces) - 1:
                content = text_content(f"{piece}\n\n{reaction_hint(reply.buttons, keys)}")
                content[BUTTONS_KEY] = keys
                content[ANSWERS_KEY] = typed_answers(reply.buttons)
            if index == 0 and draft is not None:
                await self.room_send(chat_id, edit_content(draft, content), f"{key}:0")
                continue
            quote = in_group and index == 0
            relates = relation(reply.thread_id, reply.reply_to_event, quote=quote)
            event_id = await self.room_send(
                chat_id, with_relation(content, relates), f"{key}:{index}"
            )
            if keys and index == len(pieces) - 1:
                question_id = event_id
        encrypted = bool(room is not None and room.encrypted)
        for path, msgtype in ((reply.image_path, "m.image"), (reply.file_path, "m.file")):
            if path:
                await self._send_file(
                    chat_id, Path(path), msgtype, encrypted, reply, f"{key}:{msgtype}"
                )
        if question_id is not None:
            for emoji in keys:
                await self.room_send(
                    chat_id, reaction_content(question_id, emoji), f"{key}:{emoji}", "m.reaction"
                )
        self._drafts.pop(draft_key, None)

    async def _send_file(
        self, chat_id: str, path: Path, msgtype: str, encrypted: bool, reply: Reply, txn: str
    ) -> None:
        try:
            content = await upload_content(self.client, path, msgtype, encrypted)
        except FileNotFoundError as error:
            raise DeliveryFailed(f"{path} is gone") from error
        except UploadFailed as error:
            raise _delivery_error(error.error) from error
        relates = relation(reply.thread_id, None, quote=False)
        await self.room_send(chat_id, with_relation(content, relates), txn)

    async def room_send(
        self, room_id: str, content: dict[str, Any], txn: str, event_type: str = "m.room.message"
    ) -> str:
        """One event, sent at most once per transaction id; returns its event id."""
        try:
            response = await self.client.room_send(
                room_id, event_type, content, tx_id=txn, ignore_unverified_devices=True
            )
        except nio.SendRetryError as error:
            raise RetryLater(5.0, f"encryption keys not shared yet: {error}") from error
        except nio.LocalProtocolError as error:
            raise DeliveryFailed(f"cannot send to {room_id}: {error}") from error
        if isinstance(response, nio.RoomSendError):
            raise _delivery_error(response)
        event_id: str = response.event_id
        source = {"type": event_type, "sender": self.client.user_id, "content": content}
        self._events.remember(event_id, {**source, "event_id": event_id})
        return event_id

    def remember_draft(self, chat_id: str, answers: str, event_id: str) -> None:
        self._drafts[(chat_id, answers)] = event_id
        while len(self._drafts) > KEPT_DRAFTS:
            self._drafts.popitem(last=False)


class MatrixReplyStream:
    """One streamed answer: a draft message in the room, edited (m.replace) at a steady pace."""

    def __init__(self, delivery: MatrixDelivery, incoming: Incoming) -> None:
        self._delivery = delivery
        self._room_id = incoming.chat_id
        self._answers = incoming.event_id
        self._relates = relation(incoming.thread_id, incoming.event_id, quote=incoming.is_group)
        self._txn = f"draft:{uuid.uuid4().hex}"
        self._draft_id: str | None = None
        self._edits = 0
        self._pacer = PacedDraft(self._publish, delivery.edit_interval_s)

    async def update(self, text: str) -> None:
        await self._pacer.update(text)

    async def close(self) -> None:
        await self._pacer.close()

    async def _publish(self, text: str) -> None:
        content = text_content(draft_text(text))
        if self._draft_id is None:
            content = with_relation(content, self._relates)
            self._draft_id = await self._delivery.room_send(self._room_id, content, self._txn)
            self._delivery.remember_draft(self._room_id, self._answers, self._draft_id)
            return
        edit = edit_content(self._draft_id, content)
        await self._delivery.room_send(self._room_id, edit, f"{self._txn}:{self._edits + 1}")
        self._edits += 1


def _delivery_error(error: nio.ErrorResponse) -> Exception:
    """RetryLater for rate limits, DeliveryFailed for refusals, anything else is retried."""
    if error.status_code == "M_LIMIT_EXCEEDED":
        return RetryLater((error.retry_after_ms or 5000) / 1000, str(error))
    if error.status_code in PERMANENT_ERRORS:
        return DeliveryFailed(str(error))
    return RuntimeError(str(error))

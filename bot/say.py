"""One message through the whole pipeline, answered as JSON: `gepeto say --json` and the API."""

from __future__ import annotations

import logging
import mimetypes
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot import inbox
from bot.clock import Clock
from bot.family import Member
from bot.messages import TRANSCRIPT_REPORT, Incoming, Outcome, Reply
from bot.outbox import Outbox
from bot.router import Router
from bot.text import clean_incoming

log = logging.getLogger(__name__)

API_CHANNEL = "api"
"""Messages from the API and from `gepeto say` through the running bot; replies are collected."""


def said(outcome: Outcome, delivered: Iterable[Reply]) -> dict[str, Any]:
    """The JSON scripts get for one message: the reply text, its route, actions and files."""
    replies = list(delivered)
    return {
        "reply": "\n\n".join(reply.text for reply in replies if reply.text),
        "route": outcome.route,
        "actions": [action.model_dump(mode="json") for action in outcome.actions],
        "transcript": next(
            (action.args for action in outcome.actions if action.tool == TRANSCRIPT_REPORT), None
        ),
        "files": [
            file_entry(path)
            for reply in replies
            for path in (reply.image_path, reply.file_path)
            if path
        ],
    }


def file_entry(path: str) -> dict[str, str]:
    """A picture or file of a reply, for scripts: skills save them under the data directory."""
    mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return {"name": Path(path).name, "mime": mime, "path": path}


def api_message(clock: Clock, member: Member, text: str, max_chars: int) -> Incoming:
    """An Incoming from the API or the local socket; as on the console, the member's name is
    their identity."""
    incoming = Incoming(
        channel=API_CHANNEL,
        chat_id=member.name.casefold(),
        sender=member.name,
        sender_name=member.name,
        event_id=uuid.uuid4().hex,
        received_at=clock.now(),
        text=text,
    )
    return clean_incoming(incoming, max_chars)


class ReplyCollector:
    """The outbox's sender for a channel whose callers wait for their answer (the API)."""

    def __init__(self) -> None:
        self._waiting: dict[int, list[Reply]] = {}

    async def send(self, chat_id: str, reply: Reply, key: str) -> None:
        kind, _, rest = key.partition(":")
        inbox_id = rest.partition(":")[0]
        waiting = self._waiting.get(int(inbox_id)) if inbox_id.isdigit() else None
        if kind != "inbox" or waiting is None:
            log.info("nobody waits for %s any more; dropped", key, extra={"chat": chat_id})
            return
        waiting.append(reply)

    async def say(self, router: Router, outbox: Outbox, incoming: Incoming) -> dict[str, Any]:
        """Handles the message now and returns `said(...)` of what it produced."""
        inbox_id = await inbox.store(router.app.sessions, incoming)
        if inbox_id is None:
            raise ValueError(f"event {incoming.event_id} was handled before")
        self._waiting[inbox_id] = []
        try:
            outcome = await router.process(inbox_id, incoming.chat_key)
            await outbox.deliver_due(incoming.channel)
            delivered = self._waiting[inbox_id]
        finally:
            del self._waiting[inbox_id]
        assert outcome is not None, "a freshly stored message is always handled"
        return said(outcome, delivered)

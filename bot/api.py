"""The household's own HTTP API: each member's key acts as that member, with their role's limits.

For Home Assistant automations and cron jobs: send a message as a member (the same JSON as
`gepeto say --json`), read a list, push a text to a member. A wrong, missing or another member's
key gets 401 and nothing else; every call is rate-limited per member like chat messages are.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot import logs
from bot.actions import Turn, run_action
from bot.api_keys import member_for_key
from bot.context import AppContext
from bot.family import Member
from bot.http_server import HttpServer
from bot.messages import Reply
from bot.middlewares import SLOW_DOWN, RateLimit
from bot.notify import MemberRecipient, NoChatForMember
from bot.outbox import Outbox
from bot.router import Router
from bot.say import ReplyCollector, api_message
from bot.tools import is_allowed

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
NOTIFY_PERMISSION = "api.notify"
"""Who may push texts to members through the API: a name in the roles' allow lists."""

MemberHandler = Callable[[web.Request, Member], Awaitable[web.Response]]
ModelT = TypeVar("ModelT", bound=BaseModel)


class MessageIn(BaseModel):
    """A message sent as the key's member."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="What the member says, as in a chat.")
    member: str | None = Field(
        default=None, description="The key's member, when a script wants it checked."
    )


class NotifyIn(BaseModel):
    """A text pushed to a member in their private chat."""

    model_config = ConfigDict(extra="forbid")

    member: str = Field(min_length=1, description="Who gets it.")
    text: str = Field(min_length=1, max_length=4000)
    key: str | None = Field(
        default=None,
        max_length=120,
        description="Sending twice with one key pushes once (for retrying automations).",
    )


def _error(status: int, sentence: str) -> web.Response:
    return web.json_response({"error": sentence}, status=status)


def _unauthorised() -> web.Response:
    return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})


class HouseholdApi:
    """The API's routes on the shared HTTP server; replies come back through `collector`."""

    def __init__(
        self, app: AppContext, router: Router, outbox: Outbox, collector: ReplyCollector
    ) -> None:
        self._app = app
        self._router = router
        self._outbox = outbox
        self._collector = collector
        settings = app.settings.api
        self._limit = RateLimit(app.clock, settings.requests_per_minute, settings.burst)

    def add_routes(self, server: HttpServer) -> None:
        server.add("GET", f"{PREFIX}/openapi.json", self.openapi)
        server.add("POST", f"{PREFIX}/messages", self._as_member(self.message))
        server.add("GET", f"{PREFIX}/lists/{{name}}", self._as_member(self.show_list))
        server.add("POST", f"{PREFIX}/notify", self._as_member(self.notify))

    def _as_member(
        self, handler: MemberHandler
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        """Finds the key's member (401 otherwise), applies their rate limit, then the handler."""

        async def run(request: web.Request) -> web.Response:
            scheme, _, key = request.headers.get("Authorization", "").partition(" ")
            member = None
            if scheme.lower() == "bearer" and key.strip():
                member = await member_for_key(self._app.sessions, self._app.clock, key.strip())
            if member is None:
                log.warning("API call refused: no valid key", extra={"path": request.path})
                return _unauthorised()
            allowed, _warn = self._limit.allow(member.id)
            if not allowed:
                return _error(429, SLOW_DOWN)
            with logs.request(f"api-{secrets.token_hex(4)}"):
                return await handler(request, member)

        return run

    async def message(self, request: web.Request, member: Member) -> web.Response:
        body = await _body(request, MessageIn)
        if isinstance(body, web.Response):
            return body
        if body.member is not None and body.member.casefold() != member.name.casefold():
            return _unauthorised()
        limit = self._app.settings.safety.max_message_chars
        incoming = api_message(self._app.clock, member, body.text, limit)
        return web.json_response(await self._collector.say(self._router, self._outbox, incoming))

    async def show_list(self, request: web.Request, member: Member) -> web.Response:
        name = request.match_info["name"]
        limit = self._app.settings.safety.max_message_chars
        turn = Turn(
            app=self._app,
            incoming=api_message(self._app.clock, member, f"show the {name} list", limit),
            member=member,
        )
        result = await run_action(turn, "lists.show", {"list_name": name})
        if result.status == "denied":
            return _error(403, result.text)
        if result.status != "done":
            return _error(422, result.text)
        return web.json_response({"text": result.text, **result.data})

    async def notify(self, request: web.Request, member: Member) -> web.Response:
        body = await _body(request, NotifyIn)
        if isinstance(body, web.Response):
            return body
        if not is_allowed(self._app.permissions(member.role), NOTIFY_PERMISSION):
            return _error(403, f"Sorry {member.name}, your role can't push messages to others.")
        recipient = await self._app.family.find(body.member)
        if recipient is None:
            return _error(404, f"Nobody called {body.member} lives here.")
        key = f"api:{member.id}:{body.key or uuid.uuid4().hex}"
        try:
            queued = await self._app.notify.push(
                MemberRecipient(recipient.id), Reply(text=body.text), key
            )
        except NoChatForMember:
            return _error(
                409, f"{recipient.name} has never written to Gepeto, so I can't reach them yet."
            )
        log.info("API push", extra={"by": member.name, "to": recipient.name, "queued": queued})
        return web.json_response({"queued": queued}, status=202)

    async def openapi(self, _request: web.Request) -> web.Response:
        return web.json_response(openapi_document())


async def _body(request: web.Request, model: type[ModelT]) -> ModelT | web.Response:
    """The request's JSON as `model`, or a 400 naming the first problem."""
    try:
        raw = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "The body must be JSON.")
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(map(str, problem["loc"])) or "body"
        return _error(400, f"{where}: {problem['msg']}")


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": model.model_json_schema()}},
    }


def _answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = {"type": "object", "properties": {"error": {"type": "string"}}}
REFUSED = {
    "401": _answer("Missing, wrong or another member's key (no detail given)."),
    "429": _answer("Too many calls; wait a moment.", ERROR),
}
SAID = {
    "type": "object",
    "properties": {
        "reply": {"type": "string"},
        "route": {"type": "string"},
        "actions": {"type": "array", "items": {"type": "object"}},
        "files": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {k: {"type": "string"} for k in ("name", "mime", "path")},
            },
        },
    },
}


def openapi_document() -> dict[str, Any]:
    """The API described in OpenAPI 3.1, served at /api/v1/openapi.json."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Gepeto household API",
            "version": "1",
            "description": "Each member's key (`gepeto members api-key NAME`) acts as them.",
        },
        "components": {
            "securitySchemes": {"memberKey": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"memberKey": []}],
        "paths": {
            f"{PREFIX}/messages": {
                "post": {
                    "summary": "Send a message as the key's member; get the same JSON as "
                    "`gepeto say --json`.",
                    "requestBody": _json_body(MessageIn),
                    "responses": {"200": _answer("What Gepeto answered.", SAID), **REFUSED},
                }
            },
            f"{PREFIX}/lists/{{name}}": {
                "get": {
                    "summary": "What is still open on a family list.",
                    "parameters": [
                        {
                            "name": "name",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _answer("The list.", {"type": "object"}),
                        "403": _answer("The member's role may not read lists.", ERROR),
                        **REFUSED,
                    },
                }
            },
            f"{PREFIX}/notify": {
                "post": {
                    "summary": "Push a text to a member in their private chat.",
                    "requestBody": _json_body(NotifyIn),
                    "responses": {
                        "202": _answer(
                            "Queued (false: a push with this key was queued before).",
                            {"type": "object", "properties": {"queued": {"type": "boolean"}}},
                        ),
                        "403": _answer("The member's role may not push texts.", ERROR),
                        "404": _answer("No such member.", ERROR),
                        "409": _answer("The member has never written to Gepeto.", ERROR),
                        **REFUSED,
                    },
                }
            },
        },
    }

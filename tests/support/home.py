"""A test household on disk: its bot.toml, its environment, and its chats through the pipeline."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.app import build_router
from bot.context import AppContext
from bot.messages import Incoming, Outcome, Reply
from bot.outbox import Outbox, Sender
from bot.router import Router

REPO = Path(__file__).resolve().parents[2]
HOUSEHOLD_SKILL = "tests.support.household"
CHANNELS = ("telegram", "matrix", "console")
FOREIGN_SETTINGS = ("GEPETO_", "TELEGRAM_", "MATRIX_", "OLLAMA_")
PARENT_ID = "1001"
CHILD_ID = "1002"

MakeIncoming = Callable[..., Incoming]
"""make_incoming(text, sender=PARENT_ID, chat_id=None, **Incoming fields) -> Incoming"""


@dataclass
class DatabaseChoice:
    """Where test households keep their database: SQLite in data/, or a PostgreSQL database.

    The `--database=postgres` run sets `database_for` (the URL of the household living in a
    folder: a fresh database the first time a folder is named, the same one afterwards).
    """

    database_for: Callable[[Path], str] | None = None


DATABASE = DatabaseChoice()


def write_bot_toml(directory: Path, extra: str = "", plugins: tuple[str, ...] = ()) -> Path:
    """A bot.toml for a household living in `directory`: no LLM, the test skill loaded."""
    path = directory / "bot.toml"
    modules = ", ".join(f'"{name}"' for name in (HOUSEHOLD_SKILL, *plugins))
    database_for = DATABASE.database_for
    url = f'database_url = "{database_for(directory)}"\n' if database_for else ""
    path.write_text(
        f'[storage]\ndata_dir = "data"\n{url}'
        "[vault]\n"
        'path = "vault"\n'
        "[llm]\n"
        "enabled = false\n"
        "[knowledge]\n"
        'embedder = "offline"\n'
        "watch = false\n"
        "[skills]\n"
        f"plugins = [{modules}]\n" + extra,
        encoding="utf-8",
    )
    return path


def clean_environment() -> dict[str, str]:
    """This process's environment without settings that would leak into a test household."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_SETTINGS)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


@dataclass(frozen=True)
class Delivery:
    channel: str
    chat_id: str
    reply: Reply
    key: str


@dataclass
class FamilyChats:
    """The real router and outbox, with every delivered reply kept for the test to read."""

    app: AppContext
    outbox: Outbox
    router: Router
    delivered: list[Delivery] = field(default_factory=list)

    @classmethod
    def open(cls, app: AppContext) -> FamilyChats:
        outbox = Outbox(app.sessions, app.clock)
        chats = cls(app=app, outbox=outbox, router=build_router(app, outbox))
        for channel in CHANNELS:
            outbox.register(channel, chats._deliverer(channel))
        return chats

    def _deliverer(self, channel: str) -> Sender:
        async def deliver(chat_id: str, reply: Reply, key: str) -> None:
            self.delivered.append(Delivery(channel, chat_id, reply, key))

        return deliver

    async def send(self, incoming: Incoming) -> Outcome:
        """Handles one message end to end and delivers its replies."""
        outcome = await self.router.handle_now(incoming)
        assert outcome is not None, f"event {incoming.event_id} was handled before"
        await self.outbox.deliver_due()
        return outcome

    def texts(self, chat_id: str | None = None) -> list[str]:
        """The delivered reply texts, oldest first (only one chat's when given)."""
        return [d.reply.text for d in self.delivered if chat_id in (None, d.chat_id)]

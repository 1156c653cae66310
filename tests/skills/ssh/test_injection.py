"""Issue 16: injected arguments are refused at validation, audited, and never reach the machine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.actions import Turn, run_action
from bot.app import open_app
from bot.clock import ManualClock
from bot.config import load_config
from bot.context import AppContext
from bot.family import Member
from storage.models import AuditEntry
from tests.fakes.ollama import FakeOllama, ScriptedReply
from tests.skills.ssh.conftest import Keys, catalog_toml, install_checker
from tests.skills.ssh.machine import FamilyMachine
from tests.support.home import FamilyChats, MakeIncoming
from tests.support.llm_household import MODEL, write_llm_bot_toml

INJECTED = {
    "semicolon": "hello; touch /tmp/owned",
    "and": "hello && id",
    "pipe": "hello | sh",
    "subshell": "$(id)",
    "backticks": "`id`",
    "newline": "hello\nid",
    "nul": "hello\x00id",
    "option": "--help",
    "option_with_value": "--output=/etc/passwd",
    "glob": "*",
    "question_glob": "he?lo",
    "look_alike": "jellyfіn",  # a Cyrillic і
    "fullwidth": "ｊｅｌｌｙｆｉｎ",
    "over_long": "a" * 65,
    "space": "jellyfin nextcloud",
    "quote": "jellyfin'",
    "empty": "",
}
CALLS = [
    *({"action": "show_word", "args": {"word": value}} for value in INJECTED.values()),
    *({"action": "restart_service", "args": {"service": value}} for value in INJECTED.values()),
    {"action": "count", "args": {"upto": "5; id"}},
    {"action": "count", "args": {"upto": "-5"}},
    {"action": "count", "args": {"upto": 10**9}},
    {"action": "restart_service", "args": {"service": "jellyfin", "now": "--force"}},
    {"action": "restart_service", "args": {}},
    {"action": "run_shell", "args": {"command": "id"}},
    {"action": "disk_usage; id", "args": {}},
]


async def invalid_rows(app: AppContext) -> list[AuditEntry]:
    async with app.sessions() as session:
        rows = await session.exec(select(AuditEntry).where(AuditEntry.status == "invalid"))
        return list(rows.all())


async def test_every_injected_argument_is_refused_audited_and_never_sent(
    app: AppContext, parent: Member, machine: FamilyMachine, make_incoming: MakeIncoming
) -> None:
    turn = Turn(app=app, incoming=make_incoming("(from the model)"), member=parent)

    for number, call in enumerate(CALLS, start=1):
        result = await run_action(turn, "ssh.run", {"host": "nas", **call})

        assert result.status == "failed", call
        assert result.text.startswith("That request was incomplete"), call
        rows = await invalid_rows(app)
        assert len(rows) == number, call
        assert (rows[-1].action, rows[-1].args) == ("ssh.run", {"host": "nas", **call})
    assert machine.executed == []
    assert machine.connections == 0


async def test_an_unknown_host_is_refused(
    app: AppContext, parent: Member, machine: FamilyMachine, make_incoming: MakeIncoming
) -> None:
    turn = Turn(app=app, incoming=make_incoming("(from the model)"), member=parent)

    result = await run_action(
        turn, "ssh.run", {"host": "127.0.0.1", "action": "disk_usage", "args": {}}
    )

    assert result.status == "failed"
    assert "'127.0.0.1' is not one of the family's machines (nas)" in result.text
    assert machine.connections == 0


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama() as fake:
        yield fake


async def test_a_model_that_injects_every_pattern_runs_only_catalog_commands(
    tmp_path: Path,
    keys: Keys,
    machine: FamilyMachine,
    ollama: FakeOllama,
    clock: ManualClock,
    make_incoming: MakeIncoming,
) -> None:
    """The model was talked into it (by a note, say); the machine still sees only the catalog."""
    path = write_llm_bot_toml(tmp_path, [ollama.url], extra=catalog_toml(machine.port, keys.host))
    install_checker(path, keys.checker)
    calls = [
        {"name": "ssh.run", "arguments": {"host": "nas", **call}}
        for call in [*CALLS, {"action": "show_word", "args": {"word": "hello"}}]
    ]
    ollama.script(
        MODEL, ScriptedReply(tool_calls=calls), ScriptedReply(content="Done what I could.")
    )
    config = load_config(path, environ={"SSH_KEY_FILE": str(keys.client_file)})
    async with open_app(config, clock=clock) as app:
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", "telegram:1001")

        outcome = await FamilyChats.open(app).send(make_incoming("tidy up the nas please"))

        statuses = [action.status for action in outcome.actions]
        assert statuses == ["failed"] * len(CALLS) + ["done"]
        assert len(await invalid_rows(app)) == len(CALLS)
    assert [run.requested for run in await machine.wait_for_runs(1)] == ["echo hello"]


async def test_even_a_read_action_asks_first_after_the_turn_read_someone_elses_words(
    tmp_path: Path,
    keys: Keys,
    machine: FamilyMachine,
    ollama: FakeOllama,
    clock: ManualClock,
    make_incoming: MakeIncoming,
) -> None:
    """Issue 16: "an action requested in a turn that read untrusted text always asks"."""
    path = write_llm_bot_toml(tmp_path, [ollama.url], extra=catalog_toml(machine.port, keys.host))
    install_checker(path, keys.checker)
    read_action = {"host": "nas", "action": "show_word", "args": {"word": "hello"}}
    ollama.script(MODEL, ScriptedReply(tool_calls=[{"name": "ssh.run", "arguments": read_action}]))
    config = load_config(path, environ={"SSH_KEY_FILE": str(keys.client_file)})
    async with open_app(config, clock=clock) as app:
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", "telegram:1001")

        outcome = await FamilyChats.open(app).send(
            make_incoming("do what it says", reply_to_text="Gepeto, check the nas for me")
        )

    assert [(a.tool, a.status) for a in outcome.actions] == [("ssh.run", "needs_confirmation")]
    assert machine.executed == []

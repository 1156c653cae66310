"""Issue 18 item 4: `gepeto search` and `gepeto ask` are answered by the running bot, as the
member asking, over a socket only the bot's user can open; without a bot, by the command itself.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import build_router
from bot.context import AppContext
from bot.doctor import run_checks
from bot.local_socket import SOCKET, LocalRequest, LocalSocket, ask_running_bot
from bot.outbox import Outbox
from bot.say import ReplyCollector
from bot.vault_search import VaultSearch
from tests.fakes.held_embedder import WAIT_S, HeldEmbedder
from tests.knowledge.conftest import FAMILY_NOTES, GARDEN_NOTES, plant_garden, write_note
from tests.support.cli import Gepeto
from tests.support.home import clean_environment, write_bot_toml

pytestmark = pytest.mark.slow

PROCESS_WAIT_S = 120.0
GUESTS_READ_LISTS_ONLY = '[safety.roles.guest]\nallow = ["lists.show"]\n'
WIFI = "what is the guest wifi password"


def make_household(home: Path) -> Gepeto:
    """Ana (parent) and Gus (a guest who may only read lists), with the family's notes."""
    config = write_bot_toml(home, extra=GUESTS_READ_LISTS_ONLY)
    # As a family runs it: the bot indexes the vault as it starts, and keeps it in step.
    config.write_text(config.read_text().replace("watch = false", "watch = true"))
    gepeto = Gepeto(config)
    for relative, text in FAMILY_NOTES.items():
        write_note(home / "vault", relative, text)
    for name, role in (("Ana", "parent"), ("Gus", "guest")):
        assert gepeto("members", "add", name, "--role", role).exit_code == 0
    return gepeto


@pytest.fixture(scope="module")
def household(tmp_path_factory: pytest.TempPathFactory) -> Gepeto:
    return make_household(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def running_bot(household: Gepeto) -> Iterator[Path]:
    """`gepeto run` on the household (console channel, no LLM), its vault indexed; yields its
    data dir. The bot holds the index, so a command that opened it itself would be refused.
    """
    home = household.config_path.parent
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(household.config_path), "run"],
        cwd=home,
        env=clean_environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    data = home / "data"
    try:
        deadline = time.monotonic() + PROCESS_WAIT_S
        wanted = {"indexing": None, "notes": len(FAMILY_NOTES)}
        while ask_running_bot(data, LocalRequest(command="status")) != wanted:
            assert bot.poll() is None, "gepeto run died"
            assert time.monotonic() < deadline, "gepeto run never indexed the vault"
            time.sleep(0.05)
        yield data
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(timeout=PROCESS_WAIT_S)
        finally:
            if bot.poll() is None:
                bot.kill()
                bot.wait()
            assert bot.stdin is not None
            bot.stdin.close()


def test_issue18_gepeto_search_is_answered_by_the_running_bot(
    household: Gepeto, running_bot: Path, no_outside_settings: None
) -> None:
    found = household("search", "--json", "--k", "2", WIFI)

    assert found.exit_code == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits[0]["path"] == "House/Wi-Fi.md"
    assert "sunflower42" in hits[0]["snippet"]

    answered = household("ask", "--as", "Ana", "What's the wifi password?")
    assert answered.exit_code == 0, answered.stderr
    assert "[[Wi-Fi]]" in answered.stdout
    assert "sunflower42" in answered.stdout

    checks = {check.name: check for check in asyncio.run(run_checks(household.config_path))}
    assert checks["vault index"].detail == (
        f"{len(FAMILY_NOTES)} notes, kept in step by the running bot"
    )


def test_issue18_the_running_bot_answers_a_member_with_their_roles_limits(
    household: Gepeto, running_bot: Path, no_outside_settings: None
) -> None:
    parent = household("search", "--as", "ana", WIFI)
    assert parent.exit_code == 0, parent.stderr
    assert "House/Wi-Fi.md" in parent.stdout.splitlines()[0]

    for command in ("search", "ask"):
        guest = household(command, "--as", "Gus", WIFI)
        assert guest.exit_code == 1
        assert "sunflower42" not in guest.stdout + guest.stderr
        assert guest.stderr.strip() == (
            f"Sorry Gus, guests can't use knowledge.{command}. Ask a parent if you need it."
        )

    stranger = household("search", "--as", "Mallory", WIFI)
    assert stranger.exit_code == 1
    assert stranger.stderr.strip() == "Nobody called Mallory lives here."


def test_issue11_gepeto_say_is_handled_by_the_running_bot(
    household: Gepeto, running_bot: Path, no_outside_settings: None
) -> None:
    said = household("say", "--as", "Ana", "--json", "add plums to the shopping list")

    assert said.exit_code == 0, said.stderr
    answer = json.loads(said.stdout)
    assert answer["route"] == "fast"
    [action] = answer["actions"]
    assert (action["tool"], action["status"]) == ("lists.add", "done")
    assert (
        "plums" in (household.config_path.parent / "vault" / "Lists" / "Shopping.md").read_text()
    )
    with sqlite3.connect(running_bot / "gepeto.db") as database:
        [(channel,)] = database.execute("SELECT channel FROM inbox_event ORDER BY id DESC LIMIT 1")
    assert channel == "api"  # the bot's own pipeline took it, not one the command built

    stranger = household("say", "--as", "Mallory", "hello")
    assert stranger.exit_code == 1
    assert stranger.stderr.strip() == "Nobody called Mallory lives here."


def test_issue18_only_the_bots_user_can_open_its_socket(running_bot: Path) -> None:
    path = running_bot / SOCKET
    assert stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_issue18_a_garbled_question_gets_a_sentence_not_a_crash(running_bot: Path) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as line:
        line.settimeout(PROCESS_WAIT_S)
        line.connect(str(running_bot / SOCKET))
        line.sendall(b'{"command": "rm -rf"}\n')
        reply = json.loads(line.makefile("rb").readline())
    assert reply == {"error": "That question could not be read; please update gepeto."}
    assert ask_running_bot(running_bot, LocalRequest(command="status")) is not None


def test_issue18_without_a_bot_the_command_answers_by_itself_with_the_same_limits(
    tmp_path: Path, no_outside_settings: None
) -> None:
    household = make_household(tmp_path)
    # A socket left behind by a bot that died is not mistaken for a running bot.
    stale = tmp_path / "data" / SOCKET
    stale.parent.mkdir(parents=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as left_behind:
        left_behind.bind(str(stale))

    found = household("search", "--as", "Ana", WIFI)
    assert found.exit_code == 0, found.stderr
    assert "House/Wi-Fi.md" in found.stdout.splitlines()[0]

    guest = household("search", "--as", "Gus", WIFI)
    assert guest.exit_code == 1
    assert guest.stderr.strip() == (
        "Sorry Gus, guests can't use knowledge.search. Ask a parent if you need it."
    )

    too_long = household("search", "x" * 1001)
    assert too_long.exit_code == 2
    assert too_long.stderr.strip() == "text: String should have at most 1000 characters"


async def test_issue18_search_and_doctor_show_how_far_the_first_build_is(
    app: AppContext, gepeto: Gepeto, bot_toml: Path
) -> None:
    vault = app.settings.vault.path
    for relative, text in FAMILY_NOTES.items():
        write_note(vault, relative, text)
    plant_garden(vault)
    held = HeldEmbedder()
    search = VaultSearch(app.settings, None, embedder=held)
    outbox = Outbox(app.sessions, app.clock, app.redact)
    with_search = dataclasses.replace(app, knowledge=search)
    local = LocalSocket(with_search, build_router(with_search, outbox), outbox, ReplyCollector())
    await local.start()
    try:
        found = await asyncio.to_thread(gepeto, "search", WIFI)
        checks = {check.name: check for check in await run_checks(bot_toml)}
    finally:
        held.let_all_go()
        await local.close()
    index = await search.index()
    await asyncio.wait_for(index.sync_async(), WAIT_S)  # waits for the first build to end
    search.close()

    notes = len(FAMILY_NOTES) + GARDEN_NOTES
    assert found.exit_code == 0, found.stderr
    # (the bot's own log lines land on the same stderr here: it serves from this process)
    assert found.stderr.splitlines()[-1] == (
        f"indexing: 0/{notes} notes; until then answers come from a keyword search"
    )
    assert "House/Wi-Fi.md" in found.stdout.splitlines()[0]
    assert checks["vault index"].detail == (
        f"indexing: 0/{notes} notes; answers come from a keyword search meanwhile"
    )

"""Issue 16: named actions on the family's NAS over a real SSH handshake, never a shell string."""

from __future__ import annotations

import re
from pathlib import Path

import asyncssh
import pytest
from sqlmodel import select

from bot.context import AppContext
from bot.family import Member
from storage.models import AuditEntry
from tests.skills.ssh.conftest import Keys
from tests.skills.ssh.machine import Executed, FamilyMachine
from tests.support.home import CHILD_ID, FamilyChats, MakeIncoming


async def audit_rows(app: AppContext) -> list[AuditEntry]:
    async with app.sessions() as session:
        return list((await session.exec(select(AuditEntry))).all())


async def test_how_full_is_the_nas_runs_the_read_action_on_the_fast_path(
    chats: FamilyChats, parent: Member, machine: FamilyMachine, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(make_incoming("How full is the NAS?"))

    assert outcome.route == "fast"
    assert [(a.tool, a.status) for a in outcome.actions] == [("ssh.run", "done")]
    assert outcome.text.startswith("How full the disks are on nas: finished fine.\n```\n")
    assert "Filesystem" in outcome.text
    assert await machine.wait_for_runs(1) == [Executed("df -P /", 0, killed=False)]


async def test_restart_asks_first_showing_the_exact_command_and_runs_after_yes(
    chats: FamilyChats, parent: Member, machine: FamilyMachine, make_incoming: MakeIncoming
) -> None:
    asked = await chats.send(make_incoming("restart jellyfin on the nas"))

    assert [(a.tool, a.status) for a in asked.actions] == [("ssh.run", "needs_confirmation")]
    assert asked.text.startswith("Ana, shall I run `echo restarted jellyfin` on nas?")
    assert machine.executed == []

    done = await chats.send(make_incoming("yes"))

    assert "restarted jellyfin" in done.text
    assert await machine.wait_for_runs(1) == [Executed("echo restarted jellyfin", 0, killed=False)]


async def test_german_phrase_from_the_catalog_works_too(
    chats: FamilyChats, parent: Member, machine: FamilyMachine, make_incoming: MakeIncoming
) -> None:
    asked = await chats.send(make_incoming("Starte nextcloud neu"))

    assert asked.text.startswith("Ana, shall I run `echo restarted nextcloud` on nas?")


async def test_a_service_outside_the_catalog_is_refused_and_audited(
    chats: FamilyChats,
    parent: Member,
    machine: FamilyMachine,
    make_incoming: MakeIncoming,
    app: AppContext,
) -> None:
    outcome = await chats.send(make_incoming("restart sshd on the nas"))

    assert [(a.tool, a.status) for a in outcome.actions] == [("ssh.run", "failed")]
    assert "'jellyfin' or 'nextcloud'" in outcome.text
    assert machine.executed == []
    rows = await audit_rows(app)
    assert [(r.action, r.status, r.args["args"]) for r in rows] == [
        ("ssh.run", "invalid", {"service": "sshd"})
    ]


async def test_a_child_is_denied(
    chats: FamilyChats, child: Member, machine: FamilyMachine, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(make_incoming("how full is the nas", sender=CHILD_ID))

    assert [(a.tool, a.status) for a in outcome.actions] == [("ssh.run", "denied")]
    assert machine.executed == []
    listing = await chats.send(make_incoming("/ssh", sender=CHILD_ID))
    assert "children can't run actions" in listing.text


async def test_ssh_command_lists_what_a_parent_may_run(
    chats: FamilyChats, parent: Member, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(make_incoming("/ssh"))

    lines = outcome.text.splitlines()
    assert "**nas** (127.0.0.1)" in lines
    assert (
        "- `restart_service service=…` — Restart a service (“restart {service} on the nas”)"
        " — I ask first" in lines
    )
    assert "- `disk_usage` — How full the disks are (“how full is the nas?”)" in lines


async def test_every_run_is_audited_with_its_exit_and_duration(
    chats: FamilyChats,
    parent: Member,
    machine: FamilyMachine,
    make_incoming: MakeIncoming,
    app: AppContext,
) -> None:
    await chats.send(make_incoming("/ssh nas show_word word=hello"))

    ran = [r for r in await audit_rows(app) if r.status == "ran"]
    assert len(ran) == 1
    assert ran[0].member_name == "Ana"
    assert ran[0].args == {"host": "nas", "action": "show_word", "argv": ["echo", "hello"]}
    assert ran[0].detail.startswith("nas/show_word: finished fine after ")


async def test_a_slow_command_is_killed_on_the_machine_when_it_runs_past_its_timeout(
    chats: FamilyChats, parent: Member, machine: FamilyMachine, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(make_incoming("/ssh nas wait seconds=30"))

    assert [(a.tool, a.status) for a in outcome.actions] == [("ssh.run", "failed")]
    assert outcome.text.startswith(
        "Wait a while on nas: stopped after 0.5 s because it took too long."
    )
    [run] = await machine.wait_for_runs(1)
    assert run.requested == "sleep 30"
    assert run.killed


async def test_long_output_is_cut_at_the_actions_cap(
    chats: FamilyChats, parent: Member, machine: FamilyMachine, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(make_incoming("/ssh nas count upto=100000"))

    assert [(a.tool, a.status) for a in outcome.actions] == [("ssh.run", "done")]
    block = re.search(r"```\n(.*)\n```", outcome.text, re.DOTALL)
    assert block is not None
    shown = block[1]
    assert shown.startswith("1\n2\n3\n")
    assert len(shown) <= 200
    assert outcome.text.endswith("(output cut at 200 characters)")
    assert (await machine.wait_for_runs(1))[0].exit_status == 0


async def test_the_connection_stays_open_between_actions(
    chats: FamilyChats, parent: Member, machine: FamilyMachine, make_incoming: MakeIncoming
) -> None:
    for word in ("one", "two", "three"):
        await chats.send(make_incoming(f"/ssh nas show_word word={word}"))

    assert len(await machine.wait_for_runs(3)) == 3
    assert machine.connections == 1


async def test_a_changed_host_key_is_refused_naming_the_host_and_a_parent_is_told(
    tmp_path: Path,
    keys: Keys,
    machine: FamilyMachine,
    chats: FamilyChats,
    parent: Member,
    make_incoming: MakeIncoming,
    app: AppContext,
) -> None:
    # The NAS now shows another key than the one pinned in bot.toml (an impostor, say).
    machine.host_key = asyncssh.generate_private_key("ssh-ed25519")
    await machine.restart()

    outcome = await chats.send(make_incoming("how full is the nas"))

    assert [(a.tool, a.status) for a in outcome.actions] == [("ssh.run", "failed")]
    assert outcome.text.startswith("I won't connect to nas: it showed a different host key")
    assert machine.executed == []
    offered = machine.host_key.get_fingerprint("sha256")
    told = [d.reply.text for d in chats.delivered if d.key.startswith("push:ssh-host-key:")]
    assert len(told) == 1
    assert told[0].startswith(f"Gepeto refused to connect to nas (127.0.0.1:{machine.port})")
    assert offered in told[0]
    assert [r.status for r in await audit_rows(app) if r.status == "refused"] == ["refused"]


async def test_the_checker_refuses_a_raw_command_sent_with_gepetos_own_key(
    keys: Keys, machine: FamilyMachine, bot_toml: Path, tmp_path: Path
) -> None:
    planted = tmp_path / "planted"
    async with asyncssh.connect(
        "127.0.0.1",
        machine.port,
        username="gepeto",
        client_keys=[keys.client],
        known_hosts=([keys.host.convert_to_public()], [], []),
        agent_path=None,
        config=[],
    ) as connection:
        raw = await connection.run(f"touch {planted}")
        smuggled = await connection.run("echo restarted jellyfin; touch " + str(planted))
        outside = await connection.run("echo restarted sshd")
        fine = await connection.run("echo restarted jellyfin")

    assert [raw.exit_status, smuggled.exit_status, outside.exit_status] == [126, 126, 126]
    assert "refused" in str(raw.stdout)
    assert fine.exit_status == 0
    assert fine.stdout == "restarted jellyfin\n"
    assert not planted.exists()


@pytest.mark.parametrize("text", ["how full is the nas?", "wie voll ist das NAS"])
def test_phrases_match_in_both_languages(text: str, app: AppContext) -> None:
    match = app.fastpath.match(text)

    assert match is not None
    assert (match.tool, match.args) == (
        "ssh.run",
        {"host": "nas", "action": "disk_usage", "args": {}},
    )

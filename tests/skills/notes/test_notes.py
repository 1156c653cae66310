"""The notes tools on a real vault: Obsidian-friendly files, atomic writes, nothing lost."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.actions import ActionResult, Turn, run_action
from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from knowledge.vault import Vault
from skills.notes.tools import append_to
from tests.support.home import MakeIncoming

Ask = Callable[..., Awaitable[ActionResult]]


@pytest.fixture
def ask(app: AppContext, parent: Member, make_incoming: MakeIncoming) -> Ask:
    async def run(tool: str, **args: Any) -> ActionResult:
        turn = Turn(app=app, incoming=make_incoming("(test)"), member=parent)
        return await run_action(turn, tool, args, confirmed=True)

    return run


async def test_a_new_note_has_obsidian_properties_and_its_text(app: AppContext, ask: Ask) -> None:
    result = await ask("notes.create", title="Recipes/Lasagne", text="Layer it.", tags=["#food"])

    assert result.status == "done"
    assert result.text == "Created [[Recipes/Lasagne]]."
    text = (app.settings.vault.path / "Recipes" / "Lasagne.md").read_text()
    assert text.startswith("---\ncreated: 2026-01-05T09:00+00:00\ntags:\n  - food\n---\n")
    assert text.endswith("\nLayer it.\n")


async def test_creating_a_note_that_exists_changes_nothing(app: AppContext, ask: Ask) -> None:
    (app.settings.vault.path / "Boiler.md").write_text("the manual\n")

    result = await ask("notes.create", title="Boiler", text="new")

    assert result.status == "failed"
    assert "already a note called [[Boiler]]" in result.text
    assert (app.settings.vault.path / "Boiler.md").read_text() == "the manual\n"


async def test_append_keeps_an_edit_made_in_obsidian_meanwhile(app: AppContext) -> None:
    """Issue 4: a note changed on disk since it was read is re-read, never overwritten blindly."""
    path = app.settings.vault.path / "Ideas.md"
    path.write_text("one\n")
    vault = app.vault
    real_write = Vault.write
    edits = iter(["one\ntwo (typed in Obsidian)\n"])

    async def write_after_someone_else(
        self: Vault, relative: str, text: str, *, expected_version: str | None
    ) -> Any:
        edit = next(edits, None)
        if edit is not None:
            path.write_text(edit)
        return await real_write(self, relative, text, expected_version=expected_version)

    vault.write = write_after_someone_else.__get__(vault)  # type: ignore[method-assign]
    await append_to(vault, "Ideas.md", "three")

    assert path.read_text() == "one\ntwo (typed in Obsidian)\n\nthree\n"


async def test_read_returns_the_note_fenced_as_untrusted(app: AppContext, ask: Ask) -> None:
    (app.settings.vault.path / "Wifi.md").write_text("Password: hunter2\n")

    result = await ask("notes.read", title="Wifi")

    assert result.status == "done"
    assert "hunter2" in result.text
    assert app.tools.get("notes.read") is not None
    assert app.tools.get("notes.read").untrusted_output  # type: ignore[union-attr]


async def test_delete_moves_to_obsidian_trash_and_keeps_both_copies(
    app: AppContext, ask: Ask
) -> None:
    vault = app.settings.vault.path
    for content in ("first\n", "second\n"):
        (vault / "Old.md").write_text(content)
        assert (await ask("notes.delete", title="Old")).status == "done"

    assert not (vault / "Old.md").exists()
    assert sorted(p.read_text() for p in (vault / ".trash").iterdir()) == ["first\n", "second\n"]


async def test_delete_asks_first(
    app: AppContext, parent: Member, make_incoming: MakeIncoming
) -> None:
    (app.settings.vault.path / "Keep.md").write_text("x\n")
    turn = Turn(app=app, incoming=make_incoming("delete Keep"), member=parent)

    result = await run_action(turn, "notes.delete", {"title": "Keep"})

    assert result.status == "needs_confirmation"
    assert (app.settings.vault.path / "Keep.md").exists()


async def test_daily_note_uses_the_household_date_and_appends(
    app: AppContext, ask: Ask, clock: ManualClock
) -> None:
    await ask("notes.daily", text="Leo lost a tooth")
    clock.advance(timedelta(minutes=30))
    await ask("notes.daily", text="Tooth fairy came")

    daily = (app.settings.vault.path / "Daily" / "2026-01-05.md").read_text()
    assert daily == "- 09:00 Leo lost a tooth\n- 09:30 Tooth fairy came\n"


@pytest.mark.parametrize("title", ["../outside", "/etc/passwd", "a/../../b", ".obsidian/app"])
async def test_paths_leaving_the_vault_are_refused(app: AppContext, ask: Ask, title: str) -> None:
    result = await ask("notes.create", title=title, text="x")

    assert result.status == "failed"
    assert not list((app.settings.vault.path.parent).glob("outside*"))


async def test_a_symlink_out_of_the_vault_is_refused(app: AppContext, ask: Ask) -> None:
    outside = app.settings.vault.path.parent / "secrets"
    outside.mkdir()
    (outside / "Keys.md").write_text("keys\n")
    os.symlink(outside, app.settings.vault.path / "Linked")

    result = await ask("notes.read", title="Linked/Keys")

    assert result.status == "failed"
    assert "keys" not in result.text


@pytest.mark.parametrize("title", ["CON", "Plans\nfor May", "Invoice\u202efdp.exe", "Trips./Plan"])
async def test_issue10_item7_a_note_name_no_os_can_hold_is_refused_kindly(
    app: AppContext, ask: Ask, title: str
) -> None:
    result = await ask("notes.create", title=title, text="hello")

    assert result.status == "failed"
    assert "can't be a" in result.text
    assert list(app.settings.vault.path.rglob("*.md")) == []


async def test_issue10_item7_nul_and_control_characters_never_reach_a_note(
    app: AppContext, ask: Ask
) -> None:
    await ask("notes.create", title="Boiler", text="Pressure\x00 1.5 bar\x1b[0m\x07")

    data = (app.settings.vault.path / "Boiler.md").read_bytes()
    assert data.endswith(b"\nPressure 1.5 bar[0m\n")

"""The lists tools on a real vault: what ends up in `Lists/*.md` and what the family is told."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.actions import ActionResult, Turn, run_action
from bot.channels.telegram_format import render
from bot.context import AppContext
from bot.family import Member
from skills.lists import checklist
from tests.support.home import MakeIncoming

Ask = Callable[..., Awaitable[ActionResult]]


@pytest.fixture
def ask(app: AppContext, parent: Member, make_incoming: MakeIncoming) -> Ask:
    """Runs a lists tool for Ana, as the fast path or a command would."""

    async def run(tool: str, **args: Any) -> ActionResult:
        turn = Turn(app=app, incoming=make_incoming("(test)"), member=parent)
        return await run_action(turn, tool, args)

    return run


def everything_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


def shopping(app: AppContext) -> str:
    return (app.settings.vault.path / "Lists" / "Shopping.md").read_text(encoding="utf-8")


async def test_several_items_become_unchecked_boxes_on_the_shopping_list(
    app: AppContext, ask: Ask
) -> None:
    result = await ask("lists.add", items=["oat milk", "eggs"])

    assert result.status == "done"
    assert result.text == "Added oat milk and eggs to Shopping."
    assert shopping(app) == "# Shopping\n\n- [ ] oat milk\n- [ ] eggs\n"
    assert result.data == {"list": "Shopping", "added": ["oat milk", "eggs"], "already_there": []}


async def test_adding_again_adds_no_duplicates_whatever_the_case(
    app: AppContext, ask: Ask
) -> None:
    await ask("lists.add", items=["Oat milk", "eggs"])

    result = await ask("lists.add", items=["oat MILK", "Eggs", "bread"])

    assert result.text == "Added bread to Shopping. Already on Shopping: oat MILK and Eggs."
    assert shopping(app) == "# Shopping\n\n- [ ] Oat milk\n- [ ] eggs\n- [ ] bread\n"


@pytest.mark.parametrize("name", ["", "shopping", "Shopping list", "groceries", "Einkaufsliste"])
async def test_every_name_for_the_shopping_list_reaches_the_same_note(
    app: AppContext, ask: Ask, name: str
) -> None:
    await ask("lists.add", list_name=name, items=["milk"])

    assert [path.name for path in (app.settings.vault.path / "Lists").iterdir()] == ["Shopping.md"]


async def test_an_existing_note_is_found_whatever_its_capitalisation(
    app: AppContext, ask: Ask
) -> None:
    lists = app.settings.vault.path / "Lists"
    lists.mkdir(parents=True)
    (lists / "shopping.md").write_text("My list\n- [ ] tea\n", encoding="utf-8")

    await ask("lists.add", items=["milk"])

    assert [path.name for path in lists.iterdir()] == ["shopping.md"]
    assert (lists / "shopping.md").read_text(
        encoding="utf-8"
    ) == "My list\n- [ ] tea\n- [ ] milk\n"


async def test_other_lists_get_their_own_note(app: AppContext, ask: Ask) -> None:
    result = await ask("lists.add", list_name="to do", items=["call grandma"])

    assert result.text == "Added call grandma to To-do."
    note = app.settings.vault.path / "Lists" / "To-do.md"
    assert note.read_text(encoding="utf-8") == "# To-do\n\n- [ ] call grandma\n"


async def test_show_lists_open_items_and_counts_ticked_ones(app: AppContext, ask: Ask) -> None:
    assert (await ask("lists.show")).text == "The Shopping list is empty."
    await ask("lists.add", items=["milk", "eggs", "bread"])
    await ask("lists.check", items=["eggs"])

    shown = await ask("lists.show", list_name="shopping")

    assert shown.status == "done"
    assert shown.text == "**Shopping**\n- milk\n- bread\n(1 ticked off)"


async def test_ticking_off_reports_what_was_not_on_the_list(app: AppContext, ask: Ask) -> None:
    await ask("lists.add", items=["milk"])

    result = await ask("lists.check", items=["Milk", "caviar"])

    assert result.text == "Ticked off milk on Shopping. Not on Shopping: caviar."
    assert "- [x] milk" in shopping(app)


async def test_ticking_off_a_list_that_does_not_exist_says_so(app: AppContext, ask: Ask) -> None:
    result = await ask("lists.check", list_name="Hardware", items=["nails"])

    assert result.status == "failed"
    assert result.text == "There is no Hardware list yet."
    assert not (app.settings.vault.path / "Lists").exists()


async def test_an_empty_request_is_refused(app: AppContext, ask: Ask) -> None:
    result = await ask("lists.add", items=["  ", ""])

    assert result.status == "failed"
    assert "no items given" in result.text


async def test_an_edit_made_on_the_phone_meanwhile_is_kept(
    app: AppContext, ask: Ask, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ask("lists.add", items=["milk"])
    note = app.settings.vault.path / "Lists" / "Shopping.md"
    real_add = checklist.add
    phone_edits = ["- [ ] added on the phone\n"]

    def add_while_the_phone_syncs(text: str, items: list[str]) -> tuple[str, list[str], list[str]]:
        if phone_edits:
            note.write_text(note.read_text(encoding="utf-8") + phone_edits.pop(), encoding="utf-8")
        return real_add(text, items)

    monkeypatch.setattr(checklist, "add", add_while_the_phone_syncs)

    result = await ask("lists.add", items=["eggs"])

    assert result.status == "done"
    assert shopping(app) == "# Shopping\n\n- [ ] milk\n- [ ] added on the phone\n- [ ] eggs\n"


async def test_a_note_that_keeps_changing_is_left_alone_with_a_kind_message(
    app: AppContext, ask: Ask, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ask("lists.add", items=["milk"])
    note = app.settings.vault.path / "Lists" / "Shopping.md"
    real_add = checklist.add
    edits = 0

    def add_while_someone_keeps_typing(
        text: str, items: list[str]
    ) -> tuple[str, list[str], list[str]]:
        nonlocal edits
        edits += 1
        note.write_text(f"- [ ] typed {edits}\n" + note.read_text(encoding="utf-8"), "utf-8")
        return real_add(text, items)

    monkeypatch.setattr(checklist, "add", add_while_someone_keeps_typing)

    result = await ask("lists.add", items=["eggs"])

    assert result.status == "failed"
    assert result.text == "The list keeps changing on disk; please try again in a moment."
    assert "eggs" not in shopping(app)
    assert "- [ ] typed 3" in shopping(app)


async def test_two_requests_at_once_both_land(app: AppContext, ask: Ask) -> None:
    await asyncio.gather(
        ask("lists.add", items=["milk"]),
        ask("lists.add", items=["eggs"]),
        ask("lists.add", items=["bread"]),
    )

    assert sorted(entry.text for entry in checklist.entries(shopping(app))) == [
        "bread",
        "eggs",
        "milk",
    ]


async def test_writes_leave_no_temporary_files(app: AppContext, ask: Ask) -> None:
    for item in ("milk", "eggs", "bread"):
        await ask("lists.add", items=[item])

    assert [path.name for path in (app.settings.vault.path / "Lists").iterdir()] == ["Shopping.md"]


@pytest.mark.parametrize(
    "name", ["../../outside", "/etc/passwd", "..", "Lists/../../x", ".obsidian", "~root"]
)
async def test_list_names_that_are_paths_are_refused(
    app: AppContext, ask: Ask, tmp_path: Path, name: str
) -> None:
    before = everything_under(tmp_path)

    result = await ask("lists.add", list_name=name, items=["milk"])

    assert result.status == "failed"
    assert "not a list name I can use" in result.text
    assert everything_under(tmp_path) == before


async def test_a_lists_folder_symlinked_out_of_the_vault_is_refused(
    app: AppContext, ask: Ask, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (app.settings.vault.path / "Lists").symlink_to(outside, target_is_directory=True)

    result = await ask("lists.add", items=["milk"])

    assert result.status == "failed"
    assert "outside the vault" in result.text
    assert list(outside.iterdir()) == []


APPENDER = """
import pathlib, sys, time
note, stop, limit = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
print("ready", flush=True)
count = 0
while count < limit and not stop.exists():
    with note.open("a", encoding="utf-8") as stream:  # as `echo line >> note` does
        stream.write(f"external line {count}\\n")
    count += 1
    time.sleep(0.0003)
print(count, flush=True)
"""


@pytest.mark.slow
async def test_issue10_item4_concurrent_appends_lose_no_lines(
    app: AppContext, ask: Ask, tmp_path: Path
) -> None:
    """The concurrent-append experiment: an external program appends while the bot adds items."""
    await ask("lists.add", items=["item 0"])
    note = app.settings.vault.path / "Lists" / "Shopping.md"
    stop = tmp_path / "stop"
    appender = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        APPENDER,
        str(note),
        str(stop),
        "4000",
        stdout=asyncio.subprocess.PIPE,
    )
    assert appender.stdout is not None
    assert await asyncio.wait_for(appender.stdout.readline(), timeout=30) == b"ready\n"
    try:
        for number in range(1, 300):
            result = await ask("lists.add", items=[f"item {number}"])
            assert result.status == "done", result.text
    finally:
        stop.touch()
        appended = int(await asyncio.wait_for(appender.stdout.readline(), timeout=30))
        await asyncio.wait_for(appender.wait(), timeout=30)
    await app.vault.settle()

    lines = note.read_text(encoding="utf-8").splitlines()
    external = [line for line in lines if line.startswith("external line ")]
    items = [line for line in lines if line.startswith("- [ ] item ")]
    lost = appended - len(set(external))
    print(f"external lines appended: {appended}, found: {len(external)}, lost: {lost}")
    print(f"bot items added: 300, found: {len(items)}")
    assert lost == 0
    assert len(external) == appended
    assert sorted(items) == sorted(f"- [ ] item {number}" for number in range(300))


async def test_issue10_item7_a_nul_in_an_item_never_reaches_the_list(
    app: AppContext, ask: Ask
) -> None:
    await ask("lists.add", items=["oat\x00 milk\x1b"])

    assert shopping(app) == "# Shopping\n\n- [ ] oat milk\n"


async def test_issue10_item6_items_show_as_written_never_as_ticks_or_hidden_links(
    app: AppContext, ask: Ask
) -> None:
    items = ["[x] fake-done", "[Bank login](https://evil.example/login)"]
    await ask("lists.add", items=items)

    shown = render((await ask("lists.show")).text)

    assert shown.text == "Shopping\n⦁ [x] fake-done\n⦁ [Bank login](https://evil.example/login)"
    assert [entity.type for entity in shown.entities] == ["bold"]
    added = render((await ask("lists.add", items=["*milk*"])).text)
    assert added.text == "Added *milk* to Shopping."

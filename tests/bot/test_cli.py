"""The terminal: `gepeto say --json`, `gepeto chat` with piped input, and the first parent."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import typer

from bot.cli import _first_parent
from bot.context import AppContext
from tests.support.cli import Gepeto
from tests.support.household import household_log

REQUEST = "add oat milk and eggs to the shopping list"


def say(gepeto: Gepeto, name: str, text: str) -> dict[str, Any]:
    result = gepeto("say", "--as", name, "--json", text)
    assert result.exit_code == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def shopping(household: Path) -> str:
    return (household / "vault" / "Lists" / "Shopping.md").read_text(encoding="utf-8")


def test_say_adds_to_the_shopping_list_once_and_refuses_strangers(
    gepeto: Gepeto, tmp_path: Path
) -> None:
    gepeto("members", "add", "Ana", "--role", "parent")

    first = say(gepeto, "Ana", REQUEST)

    assert first["route"] == "fast"
    assert first["actions"] == [
        {
            "tool": "lists.add",
            "args": {"list_name": "shopping", "items": ["oat milk", "eggs"]},
            "status": "done",
            "detail": "Added oat milk and eggs to Shopping.",
        }
    ]
    assert first["reply"] == "Added oat milk and eggs to Shopping."
    assert shopping(tmp_path) == "# Shopping\n\n- [ ] oat milk\n- [ ] eggs\n"

    again = say(gepeto, "Ana", REQUEST)

    assert [(a["tool"], a["status"]) for a in again["actions"]] == [("lists.add", "done")]
    assert again["reply"] == "Already on Shopping: oat milk and eggs."
    assert shopping(tmp_path) == "# Shopping\n\n- [ ] oat milk\n- [ ] eggs\n"

    stranger = say(gepeto, "Mallory", REQUEST)

    assert stranger["route"] == "refused"
    assert stranger["actions"] == []
    assert "only talk to family members" in stranger["reply"]
    assert shopping(tmp_path) == "# Shopping\n\n- [ ] oat milk\n- [ ] eggs\n"
    assert "Mallory" not in gepeto("members", "list").stdout


def test_say_without_json_prints_the_reply(gepeto: Gepeto) -> None:
    gepeto("members", "add", "Ana", "--role", "parent")

    result = gepeto("say", "--as", "Ana", "we need bread")

    assert result.stdout == "Added bread to Shopping.\n"


def test_say_on_an_empty_household_makes_the_sender_its_first_parent(gepeto: Gepeto) -> None:
    result = gepeto("say", "--as", "Ana", "--json", "/help")

    assert "Welcome, Ana! You are the first parent of this household." in result.stderr
    assert json.loads(result.stdout)["reply"].startswith("**What I can do for you, Ana** (parent)")
    assert gepeto("members", "list").stdout.split() == ["Ana", "parent", "not", "linked", "yet"]


def test_chat_asks_y_n_for_a_sensitive_action_and_yes_runs_it(
    gepeto: Gepeto, tmp_path: Path
) -> None:
    gepeto("members", "add", "Ana", "--role", "parent")

    result = gepeto("chat", "--as", "Ana", stdin="unlock the front door\ny\n")

    assert result.exit_code == 0, result.stderr
    assert "gepeto> Ana, shall I unlock the front door?" in result.stdout
    assert "Ana [y/N]> " in result.stdout
    assert "gepeto> The front door is unlocked." in result.stdout
    assert household_log(tmp_path / "data") == ["unlocked front"]


@pytest.mark.parametrize("answer", ["n", "", "whatever"])
def test_chat_anything_but_yes_is_no(gepeto: Gepeto, tmp_path: Path, answer: str) -> None:
    gepeto("members", "add", "Ana", "--role", "parent")

    result = gepeto("chat", "--as", "Ana", stdin=f"unlock the front door\n{answer}\n")

    assert result.exit_code == 0, result.stderr
    assert "The front door is unlocked." not in result.stdout
    assert household_log(tmp_path / "data") == []


def test_chat_with_piped_input_on_an_empty_household_makes_the_first_parent(
    gepeto: Gepeto, tmp_path: Path
) -> None:
    result = gepeto("chat", "--as", "Ana", stdin="we need bread\n")

    assert "Welcome, Ana! You are the first parent" in result.stderr
    assert "gepeto> Added bread to Shopping." in result.stdout
    assert "- [ ] bread" in shopping(tmp_path)


@pytest.mark.parametrize(("typed", "created"), [("y\n", True), ("\n", True), ("n\n", False)])
async def test_the_first_parent_is_offered_at_a_terminal(
    app: AppContext, monkeypatch: pytest.MonkeyPatch, typed: str, created: bool
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))

    if created:
        await _first_parent(app, "Ana", ask=True)
    else:
        with pytest.raises(typer.Exit):
            await _first_parent(app, "Ana", ask=True)

    assert [(m.name, m.role) for m in await app.family.members()] == (
        [("Ana", "parent")] if created else []
    )

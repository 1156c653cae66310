"""The done-when of issue 13 through `gepeto say --json`: a sentence sets up a chore two
children take turns at, and the one whose turn it is ticks it off by saying so (fast path)."""

from __future__ import annotations

import json

from tests.support.cli import Gepeto


def test_say_sets_up_a_rotation_and_the_assignee_completes_it_by_the_fast_path(
    gepeto: Gepeto,
) -> None:
    gepeto("members", "add", "Ana", "--role", "parent")
    gepeto("members", "add", "Ben", "--role", "child")
    gepeto("members", "add", "Lena", "--role", "child")

    added = json.loads(
        gepeto(
            "say",
            "--as",
            "Ana",
            "--json",
            "Ben and Lena take turns to empty the dishwasher every day",
        ).stdout
    )
    done = json.loads(gepeto("say", "--as", "Ben", "--json", "I emptied the dishwasher").stdout)

    assert added["route"] == "fast"
    [action] = added["actions"]
    assert (action["tool"], action["status"]) == ("chores.add", "done")
    assert "Ben and Lena take part" in added["reply"]
    assert "First: Ben" in added["reply"]
    assert done["route"] == "fast"
    assert [(a["tool"], a["status"]) for a in done["actions"]] == [("chores.complete", "done")]
    assert "Done: Empty the dishwasher ✓ — 1 point for Ben. Next: Lena" in done["reply"]

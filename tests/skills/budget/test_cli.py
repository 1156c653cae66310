"""The done-when of issue 13 through `gepeto say --json`: a child asking what "we" spent this
month is shown their own pocket money, never the household's."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import Gepeto


def test_a_child_asking_what_we_spent_sees_only_their_own_money(gepeto: Gepeto) -> None:
    gepeto("members", "add", "Ana", "--role", "parent")
    gepeto("members", "add", "Leo", "--role", "child")
    gepeto("say", "--as", "Ana", "--json", "I spent 120 at Lidl on groceries")
    gepeto("say", "--as", "Leo", "--json", "/spent 3,50 fun comics")

    asked = json.loads(
        gepeto("say", "--as", "Leo", "--json", "how much did we spend this month?").stdout
    )
    parent = json.loads(
        gepeto("say", "--as", "Ana", "--json", "how much did we spend this month?").stdout
    )

    assert asked["route"] == "fast"
    assert [(a["tool"], a["status"]) for a in asked["actions"]] == [("budget.summary", "done")]
    assert asked["reply"].startswith("**Leo's pocket money — ")
    assert "€3.50" in asked["reply"]
    assert "120" not in asked["reply"]
    assert "Groceries" not in asked["reply"]
    assert "Lidl" not in asked["reply"]
    [chart] = asked["files"]
    [household_chart] = parent["files"]
    assert chart["mime"] == "image/png"
    assert chart["name"].startswith("member-")  # Leo's own chart, not the household's
    assert household_chart["name"].startswith("household-")
    assert Path(chart["path"]).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "**Total: €120.00**" in parent["reply"]
    assert "Pocket money: Leo €3.50" in parent["reply"]

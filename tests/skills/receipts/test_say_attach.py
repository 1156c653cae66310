"""`gepeto say --attach receipt.jpg --json`: the drafted expense waits for the member's yes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.skills.receipts.pictures import receipt_picture
from tests.support.cli import Gepeto

pytestmark = pytest.mark.slow


def test_say_with_a_receipt_attached_returns_the_expense_waiting_for_confirmation(
    gepeto: Gepeto, tmp_path: Path
) -> None:
    picture = receipt_picture(tmp_path, name="receipt.jpg")

    result = gepeto("say", "--as", "Ana", "--json", "--attach", str(picture))

    said = json.loads(result.stdout)
    (action,) = said["actions"]
    assert (action["tool"], action["status"]) == ("budget.add_expense", "needs_confirmation")
    assert action["args"]["amount"] == "9.00 EUR"
    assert action["args"]["merchant"] == "Backerei Korn"
    assert action["args"]["spent_on"] == "2025-06-14"
    assert said["transcript"] is None


def test_attach_in_chat_sends_the_photo_and_yes_saves_the_expense(
    gepeto: Gepeto, tmp_path: Path
) -> None:
    picture = receipt_picture(tmp_path, name="receipt.jpg")

    result = gepeto("chat", "--as", "Ana", stdin=f"/attach {picture}\ny\n")

    assert "Total: 9.00 EUR" in result.stdout
    assert "Recorded #1 €9.00 for Other at Backerei Korn" in result.stdout

"""What leaves the chat: the month's chart as a PNG, the CSV export, and both for scripts."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bot.context import AppContext
from tests.skills.budget.conftest import ANA, LEO, Ask, Say
from tests.support.cli import Gepeto

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def sums(rows: list[dict[str, str]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[row["currency"]] += Decimal(row["amount"])
    return dict(totals)


async def test_the_monthly_summary_comes_with_a_chart_picture(
    app: AppContext, ask: Ask, say: Say
) -> None:
    await ask("Ana", "budget.set_limit", category="groceries", amount="400")
    await ask("Ana", "budget.add_expense", amount="42,50", merchant="Lidl")
    await ask("Ben", "budget.add_expense", amount="12", merchant="pharmacy")

    outcome = await say("/budget", ANA)

    [reply] = outcome.replies
    assert reply.text.startswith("**The household — January 2026**")
    assert "- Groceries: €42.50 of €400.00 (10 %)" in reply.text
    assert reply.image_path is not None
    image = Path(reply.image_path)
    assert image.is_relative_to(app.settings.storage.data_dir)
    picture = await asyncio.to_thread(image.read_bytes)
    assert picture.startswith(PNG_SIGNATURE)
    assert len(picture) > 10_000  # bars and a trend line, not an empty canvas


async def test_the_export_opens_in_csv_with_the_ledgers_exact_totals(ask: Ask, say: Say) -> None:
    for who, amount, merchant in (
        ("Ana", "0,10 €", "Lidl"),
        ("Ana", "0.20", "Lidl"),
        ("Ben", "R$ 35,90", "mercado"),
        ("Ben", "1.234,56 €", "=HYPERLINK(evil)"),
        ("Leo", "3", "kiosk"),
        ("Ana", "99", "mistake"),
    ):
        result = await ask(who, "budget.add_expense", amount=amount, merchant=merchant)
        assert result.status == "done", result.text
    await ask("Ana", "budget.delete_expense", expense_id=6)

    outcome = await say("/budget export", ANA)
    child = await say("/budget export", LEO)

    [reply] = outcome.replies
    assert reply.file_path is not None
    text = await asyncio.to_thread(Path(reply.file_path).read_text, encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sums(rows) == {"EUR": Decimal("1237.86"), "BRL": Decimal("35.90")}
    assert [row["budget"] for row in rows].count("Leo's pocket money") == 1
    assert "'=HYPERLINK(evil)" in [row["merchant"] for row in rows]
    assert "mistake" not in [row["merchant"] for row in rows]  # in the bin
    household = [row for row in rows if row["budget"] == "the household"]
    summary = await ask("Ana", "budget.summary", chart=False)
    assert sums(household) == {cur: Decimal(v) for cur, v in summary.data["totals"].items()}
    assert [a.status for a in child.actions] == ["denied"]  # not in a child's defaults


def test_scripts_get_the_files_of_a_reply_and_the_export_from_the_command_line(
    gepeto: Gepeto, tmp_path: Path
) -> None:
    gepeto("members", "add", "Ana", "--role", "parent")

    spent = json.loads(
        gepeto("say", "--as", "Ana", "--json", "I spent 42,50 € at the pharmacy").stdout
    )
    exported = json.loads(gepeto("say", "--as", "Ana", "--json", "/budget export").stdout)
    month = datetime.now(UTC).strftime("%Y-%m")
    printed = gepeto("budget", "export", "--month", month)

    assert spent["route"] == "fast"
    assert spent["actions"][0]["detail"] == "Recorded #1 €42.50 for Health at pharmacy."
    assert spent["files"] == []
    [file] = exported["files"]
    assert file["mime"] == "text/csv"
    assert file["name"] == f"budget-household-{month}.csv"
    assert Path(file["path"]).is_relative_to(tmp_path / "data")
    assert printed.exit_code == 0
    [row] = list(csv.DictReader(io.StringIO(printed.stdout)))
    assert (row["amount"], row["currency"], row["category"]) == ("42.50", "EUR", "health")
    assert printed.stdout == Path(file["path"]).read_text(encoding="utf-8")
    wrong = gepeto("budget", "export", "--month", "November")
    assert wrong.exit_code == 2
    assert "'November' is not a month" in wrong.stderr

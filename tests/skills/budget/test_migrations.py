"""The budget's tables come from its own migrations: a new database and a family's existing one
end up the same, and the migrations match the tables the code uses (issue 13, item 12)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlmodel import select

from skills.budget import SKILL
from skills.budget.ledger import items_of
from skills.budget.models import Expense
from storage.database import create_engine, session_factory, upgrade
from tests.support.skill_migrations import code_differences, migrated_schema

BUDGET_TABLES = ("budget_expense", "budget_limit")


async def test_a_new_database_and_an_upgraded_one_have_the_same_schema(tmp_path: Path) -> None:
    fresh = await migrated_schema(SKILL, tmp_path / "fresh.db", family_first=False)
    upgraded = await migrated_schema(SKILL, tmp_path / "upgraded.db", family_first=True)

    assert set(BUDGET_TABLES) <= set(fresh)
    assert fresh == upgraded


async def test_the_migrations_match_the_tables_in_the_code(tmp_path: Path) -> None:
    assert await code_differences(SKILL, BUDGET_TABLES, tmp_path / "gepeto.db") == []


async def test_items_saved_as_plain_names_stay_readable_after_the_upgrade(tmp_path: Path) -> None:
    """Issue 14: items gained amounts; a family's older rows of plain names keep their names."""
    assert SKILL.migrations is not None
    first_only = tmp_path / "budget_0001"
    first_only.mkdir()
    first = SKILL.migrations / "budget_0001_ledger.py"
    (first_only / first.name).write_text(first.read_text(encoding="utf-8"), encoding="utf-8")
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gepeto.db'}")
    try:
        await upgrade(engine, [first_only])
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO budget_expense (amount_minor, currency, spent_on, category, "
                    "merchant, items, note, created_at, updated_at) VALUES (450, 'EUR', "
                    "'2026-11-03', 'groceries', 'Lidl', '[\"milk\", \"eggs\"]', '', "
                    "'2026-11-03 10:00:00', '2026-11-03 10:00:00')"
                )
            )

        await upgrade(engine, [SKILL.migrations])

        async with session_factory(engine)() as session:
            [expense] = list(await session.exec(select(Expense)))
        assert [item.name for item in items_of(expense)] == ["milk", "eggs"]
        assert expense.items == [
            {"name": "milk", "qty": None, "amount": None},
            {"name": "eggs", "qty": None, "amount": None},
        ]
        assert expense.photo_hash is None
    finally:
        await engine.dispose()

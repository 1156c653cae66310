"""The budget's tables come from its own migrations: a new database and a family's existing one
end up the same, and the migrations match the tables the code uses (issue 13, item 12)."""

from __future__ import annotations

from pathlib import Path

from skills.budget import SKILL
from tests.support.skill_migrations import code_differences, migrated_schema

BUDGET_TABLES = ("budget_expense", "budget_limit")


async def test_a_new_database_and_an_upgraded_one_have_the_same_schema(tmp_path: Path) -> None:
    fresh = await migrated_schema(SKILL, tmp_path / "fresh.db", family_first=False)
    upgraded = await migrated_schema(SKILL, tmp_path / "upgraded.db", family_first=True)

    assert set(BUDGET_TABLES) <= set(fresh)
    assert fresh == upgraded


async def test_the_migrations_match_the_tables_in_the_code(tmp_path: Path) -> None:
    assert await code_differences(SKILL, BUDGET_TABLES, tmp_path / "gepeto.db") == []

"""Start-up leaves Alembic alone when the database is already at the newest revision (issue 11
item 10), and still migrates when a skill brings a revision the database lacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from storage.database import MIGRATIONS, create_engine, pending_migrations, upgrade
from storage.revisions import known_heads

SKILL_MIGRATION = '''"""a skill's own table"""
import sqlalchemy as sa
from alembic import op

revision: str = "chores_0001"
down_revision: str | None = "{core_head}"
branch_labels = ("chores",)
depends_on = None


def upgrade() -> None:
    op.create_table("chore", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("chore")
'''


def core_head() -> str:
    heads = known_heads([MIGRATIONS / "versions"])
    assert heads is not None
    assert len(heads) == 1
    return next(iter(heads))


def skill_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "chores_migrations"
    folder.mkdir()
    (folder / "0001_chores.py").write_text(
        SKILL_MIGRATION.format(core_head=core_head()), encoding="utf-8"
    )
    return folder


async def test_an_up_to_date_database_opens_without_running_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gepeto.db'}")
    try:
        await upgrade(engine)

        def refuse(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("Alembic ran on an up-to-date database")

        monkeypatch.setattr(command, "upgrade", refuse)
        await upgrade(engine)
    finally:
        await engine.dispose()


async def test_a_skill_revision_the_database_lacks_is_still_applied(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gepeto.db'}")
    folder = skill_folder(tmp_path)
    try:
        await upgrade(engine)
        await upgrade(engine, [folder])

        assert await pending_migrations(engine, [folder]) == []
        async with engine.connect() as connection:
            versions = await connection.execute(text("SELECT version_num FROM alembic_version"))
            assert {row[0] for row in versions} == {"chores_0001"}
            await connection.execute(text("SELECT id FROM chore"))
    finally:
        await engine.dispose()


def test_the_heads_are_the_revisions_nothing_builds_on(tmp_path: Path) -> None:
    assert known_heads([MIGRATIONS / "versions", skill_folder(tmp_path)]) == {"chores_0001"}


def test_a_revision_that_is_not_a_plain_value_leaves_the_decision_to_alembic(
    tmp_path: Path,
) -> None:
    folder = skill_folder(tmp_path)
    (folder / "0002_computed.py").write_text(
        'revision = "chores_" + "0002"\ndown_revision = "chores_0001"\n', encoding="utf-8"
    )

    assert known_heads([MIGRATIONS / "versions", folder]) is None

"""Issue 17 item 6: `gepeto db migrate-to URL` moves a household from SQLite into PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import select

from bot.actions import Turn, run_action
from bot.app import open_app
from bot.clock import ManualClock
from bot.config import Config, load_config
from skills.budget.models import Expense
from tests.support.cli import Gepeto
from tests.support.home import PARENT_ID, MakeIncoming
from tests.support.postgres import Cluster

pytestmark = pytest.mark.sqlite_only  # the household starts in SQLite


async def a_household(config: Config, clock: ManualClock, make_incoming: MakeIncoming) -> None:
    async with open_app(config, clock=clock) as app:
        ana = await app.family.add("Ana", "parent")
        await app.family.link("Ana", f"telegram:{PARENT_ID}")
        await app.family.add("Leo", "child")
        turn = Turn(app=app, incoming=make_incoming("(test)"), member=ana)
        for amount in ("42,50 €", "3 €"):
            result = await run_action(turn, "budget.add_expense", {"amount": amount})
            assert result.status == "done"
        await run_action(turn, "reminders.add", {"what": "call grandma", "when": "tomorrow 5pm"})


def test_issue17_a_household_moves_to_postgresql_with_every_row_counted(
    config: Config,
    clock: ManualClock,
    make_incoming: MakeIncoming,
    gepeto: Gepeto,
    bot_toml: Path,
    postgres_cluster: Cluster,
) -> None:
    asyncio.run(a_household(config, clock, make_incoming))
    url = postgres_cluster.new_database()

    moved = gepeto("db", "migrate-to", url)

    assert moved.exit_code == 0, moved.stderr
    assert "every count matches" in moved.stdout
    bot_toml.write_text(
        bot_toml.read_text(encoding="utf-8").replace(
            "[storage]\n", f'[storage]\ndatabase_url = "{url}"\n'
        ),
        encoding="utf-8",
    )

    async def on_postgres() -> None:
        async with open_app(load_config(bot_toml, environ={}), clock=clock) as app:
            assert app.engine.dialect.name == "postgresql"
            assert [m.name for m in await app.family.members()] == ["Ana", "Leo"]
            async with app.sessions() as session:
                amounts = [e.amount_minor for e in await session.exec(select(Expense))]
            assert sorted(amounts) == [300, 4250]
            assert [job.kind for job in await app.scheduler.jobs(skill="reminders")] == ["due"]
            leo = await app.family.add("Mia", "child")  # the id sequences moved on
            assert leo.id == 3

    asyncio.run(on_postgres())

    again = gepeto("db", "migrate-to", url)
    assert again.exit_code == 1
    assert "already holds rows" in again.stderr

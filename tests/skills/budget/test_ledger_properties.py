"""Money that adds up: whatever is added, corrected, deleted and brought back, the summary is
the ledger's sum in every currency (issue 13, "Done when": property tests for money)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.numbers import format_currency
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from bot.actions import Turn, run_action
from bot.app import open_app
from bot.clock import ManualClock
from bot.config import load_config
from bot.context import AppContext
from bot.family import Member
from bot.messages import Incoming
from skills.budget.models import Expense
from skills.budget.money import Money
from tests.support.home import write_bot_toml

CURRENCIES = ("EUR", "BRL", "JPY")


@dataclass
class Household:
    loop: asyncio.AbstractEventLoop
    app: AppContext
    members: list[Member]

    def run(self, member: Member, tool: str, **args: Any) -> tuple[str, dict[str, Any]]:
        incoming = Incoming(
            channel="console",
            chat_id=member.name,
            sender=member.name,
            event_id="property",
            received_at=self.app.clock.now(),
        )
        turn = Turn(app=self.app, incoming=incoming, member=member)
        result = self.loop.run_until_complete(run_action(turn, tool, args))
        return result.status, result.data


@pytest.fixture
def household(tmp_path: Path) -> Iterator[Household]:
    """One bot for all examples, on its own event loop (hypothesis runs examples synchronously)."""
    config = load_config(write_bot_toml(tmp_path), environ={})
    loop = asyncio.new_event_loop()
    opened = open_app(config, clock=ManualClock())
    app = loop.run_until_complete(opened.__aenter__())
    try:
        members = [
            loop.run_until_complete(app.family.add("Ana", "parent", "de")),
            loop.run_until_complete(app.family.add("Ben", "adult", "en")),
        ]
        yield Household(loop, app, members)
    finally:
        loop.run_until_complete(opened.__aexit__(None, None, None))
        loop.close()


amounts = st.tuples(st.integers(min_value=1, max_value=10_000_000), st.sampled_from(CURRENCIES))
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), amounts, st.integers(0, 1)),
        st.tuples(st.just("edit"), amounts, st.integers(0, 30)),
        st.tuples(st.just("delete"), st.integers(0, 30), st.integers(0, 1)),
        st.tuples(st.just("undo"), st.integers(0, 30), st.integers(0, 1)),
    ),
    max_size=25,
)


def written(minor: int, currency: str, member: Member) -> str:
    """The amount as this member would type it: '1.234,56 R$' for Ana, 'R$1,234.56' for Ben."""
    money = Money.from_minor(minor, currency)
    return str(format_currency(money.amount, currency, locale=member.language or "en"))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_the_summary_is_always_the_sum_of_the_ledger(
    household: Household, steps: list[tuple[Any, ...]]
) -> None:
    household.loop.run_until_complete(_empty_ledger(household.app))
    ledger: dict[int, tuple[int, str, bool]] = {}  # id → (minor units, currency, in the bin)
    ids: list[int] = []
    for step in steps:
        kind = step[0]
        if kind == "add":
            (minor, currency), who = step[1], household.members[step[2]]
            status, data = household.run(
                who, "budget.add_expense", amount=written(minor, currency, who)
            )
            assert status == "done"
            assert data["amount"] == Money.from_minor(minor, currency).plain()
            ledger[data["id"]] = (minor, currency, False)
            ids.append(data["id"])
        elif ids:
            target = ids[step[-1] % len(ids)] if kind == "edit" else ids[step[1] % len(ids)]
            minor_before, currency_before, binned = ledger[target]
            who = household.members[0]
            if kind == "edit":
                minor, currency = step[1]
                status, _ = household.run(
                    who, "budget.edit_expense", expense_id=target,
                    amount=written(minor, currency, who),
                )  # fmt: skip
                assert status == ("failed" if binned else "done")
                if not binned:
                    ledger[target] = (minor, currency, False)
            else:
                tool = "budget.delete_expense" if kind == "delete" else "budget.undo_delete"
                status, _ = household.run(who, tool, expense_id=target)
                assert status == ("done" if binned == (kind == "undo") else "failed")
                if status == "done":
                    ledger[target] = (minor_before, currency_before, kind == "delete")
    _, summary = household.run(household.members[1], "budget.summary", chart=False)
    expected: dict[str, Decimal] = {}
    for minor, currency, binned in ledger.values():
        if not binned:
            amount = Money.from_minor(minor, currency).amount
            expected[currency] = expected.get(currency, Decimal(0)) + amount
    assert {cur: Decimal(total) for cur, total in summary["totals"].items()} == expected
    by_category: dict[str, Decimal] = {}
    for row in summary["categories"]:
        by_category[row["currency"]] = by_category.get(row["currency"], Decimal(0)) + Decimal(
            row["spent"]
        )
    assert by_category == expected


async def _empty_ledger(app: AppContext) -> None:
    async with app.sessions() as session:
        await session.exec(delete(Expense))  # type: ignore[call-overload]
        await session.commit()

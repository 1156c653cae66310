"""Running a tool for a member: permissions, validation, failures, untrusted text and the audit."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from pydantic import BaseModel
from sqlmodel import col, select

from bot.actions import Turn, run_action
from bot.app import open_app
from bot.clock import ManualClock
from bot.config import RolePermissions, load_config
from bot.context import AppContext
from bot.family import Member
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolRegistry, ToolResult, is_allowed
from storage.models import AuditEntry
from tests.support.home import FamilyChats, MakeIncoming, write_bot_toml


class Question(BaseModel):
    topic: str


async def broken(_ctx: ToolContext, _args: Question) -> ToolResult:
    raise RuntimeError("the database fell over")


async def refusing(_ctx: ToolContext, args: Question) -> ToolResult:
    raise ToolError(f"I know nothing about {args.topic}.")


BROKEN = Tool("test.broken", "Always crashes.", Question, Risk.READ, broken)
REFUSING = Tool("test.refusing", "Always refuses.", Question, Risk.READ, refusing)


def turn_for(app: AppContext, member: Member, make_incoming: MakeIncoming) -> Turn:
    return Turn(app=app, incoming=make_incoming("(test)"), member=member)


async def audit_trail(app: AppContext) -> list[tuple[str, str, str]]:
    async with app.sessions() as session:
        rows = await session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))
        return [(row.member_name, row.action, row.status) for row in rows]


@pytest.mark.parametrize(
    ("allow", "deny", "tool", "allowed"),
    [
        (["*"], [], "ssh.run", True),
        (["lists.*"], [], "lists.add", True),
        (["lists.*"], [], "listsXadd", False),
        (["lists.show"], [], "lists.add", False),
        (["*"], ["members.*"], "members.add", False),
        (["ssh.run"], ["ssh.*"], "ssh.run", False),
        ([], [], "lists.show", False),
    ],
)
def test_deny_wins_over_allow_and_patterns_are_shell_style(
    allow: list[str], deny: list[str], tool: str, allowed: bool
) -> None:
    assert is_allowed(RolePermissions(allow=allow, deny=deny), tool) is allowed


def test_the_registry_refuses_two_tools_with_one_name_and_filters_by_role() -> None:
    registry = ToolRegistry([("test", BROKEN), ("test", REFUSING)])

    with pytest.raises(ValueError, match=r"two tools are called test\.broken"):
        registry.add("other", BROKEN)
    assert registry.names() == ["test.broken", "test.refusing"]
    assert registry.allowed(RolePermissions(allow=["test.r*"])) == [REFUSING]


def test_a_tool_describes_itself_for_the_llm_and_for_questions() -> None:
    schema = BROKEN.schema()

    assert schema["function"]["name"] == "test.broken"
    assert schema["function"]["parameters"]["required"] == ["topic"]
    assert BROKEN.summary(Question(topic="tides")) == "test.broken(topic='tides')"


async def test_a_done_action_is_audited_with_who_and_what(
    app: AppContext, parent: Member, make_incoming: MakeIncoming
) -> None:
    result = await run_action(
        turn_for(app, parent, make_incoming), "lists.add", {"items": ["tea"]}
    )

    assert result.status == "done"
    assert await audit_trail(app) == [("Ana", "lists.add", "done")]


async def test_a_denied_action_is_audited_and_never_runs(
    app: AppContext, child: Member, make_incoming: MakeIncoming
) -> None:
    turn = turn_for(app, child, make_incoming)

    result = await run_action(turn, "household.start_dishwasher", {})

    assert result.status == "denied"
    assert [report.status for report in turn.reports] == ["denied"]
    assert await audit_trail(app) == [("Leo", "household.start_dishwasher", "denied")]
    assert not (app.settings.storage.data_dir / "household.log").exists()


async def test_the_allowlist_comes_from_the_configuration(
    tmp_path: Path, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    path = write_bot_toml(tmp_path, '[safety.roles.child]\nallow = ["household.*"]\n')
    async with open_app(load_config(path, environ={}), clock=clock) as app:
        leo = await app.family.add("Leo", "child")
        turn = turn_for(app, leo, make_incoming)

        started = await run_action(turn, "household.start_dishwasher", {})
        listed = await run_action(turn, "lists.add", {"items": ["sweets"]})

    assert started.status == "done"
    assert listed.status == "denied"


async def test_an_unknown_tool_fails_kindly(
    app: AppContext, parent: Member, make_incoming: MakeIncoming
) -> None:
    result = await run_action(turn_for(app, parent, make_incoming), "bank.transfer", {})

    assert result.status == "failed"
    assert result.text == "I don't know how to bank.transfer."


async def test_arguments_that_do_not_fit_the_tool_fail_before_it_runs(
    app: AppContext, parent: Member, make_incoming: MakeIncoming
) -> None:
    result = await run_action(
        turn_for(app, parent, make_incoming), "lists.add", {"list_name": "Shopping"}
    )

    assert result.status == "failed"
    assert result.text.startswith("That request was incomplete (items: Field required")
    assert await audit_trail(app) == [("Ana", "lists.add", "invalid")]  # issue 16: audited too


async def test_a_tool_error_is_told_to_the_member_as_it_is(
    app: AppContext, parent: Member, make_incoming: MakeIncoming
) -> None:
    app.tools.add("household", REFUSING)

    result = await run_action(
        turn_for(app, parent, make_incoming), "test.refusing", {"topic": "tides"}
    )

    assert (result.status, result.text) == ("failed", "I know nothing about tides.")
    assert await audit_trail(app) == [("Ana", "test.refusing", "failed")]


async def test_a_crashing_tool_is_logged_and_the_member_gets_a_kind_sentence(
    app: AppContext,
    parent: Member,
    make_incoming: MakeIncoming,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.tools.add("household", BROKEN)

    with caplog.at_level(logging.ERROR, logger="bot.actions"):
        result = await run_action(
            turn_for(app, parent, make_incoming), "test.broken", {"topic": "tides"}
        )

    assert result.status == "failed"
    assert result.text == (
        "Something went wrong while trying to test.broken(topic='tides'). Nothing else changed."
    )
    assert "the database fell over" not in result.text
    [record] = caplog.records
    assert record.exc_info is not None
    assert "the database fell over" in str(record.exc_info[1])


async def test_after_reading_untrusted_text_a_write_asks_first_but_a_read_does_not(
    app: AppContext, parent: Member, make_incoming: MakeIncoming
) -> None:
    turn = turn_for(app, parent, make_incoming)
    turn.read_untrusted = True

    written = await run_action(turn, "lists.add", {"items": ["bleach"]})
    shown = await run_action(turn, "lists.show", {})

    assert written.status == "needs_confirmation"
    assert written.reply is not None
    assert written.reply.text.startswith("Ana, shall I add bleach to the shopping list?")
    assert shown.status == "done"
    assert not (app.settings.vault.path / "Lists").exists()


class Heating(BaseModel):
    degrees: int


async def set_heating(_ctx: ToolContext, args: Heating) -> ToolResult:
    return ToolResult(text=f"The heating is set to {args.degrees}°.")


HEATING = Tool(
    "test.heating",
    "Set the heating.",
    Heating,
    lambda args: Risk.SENSITIVE if args.degrees > 24 else Risk.WRITE,
    set_heating,
    describe=lambda args: f"set the heating to {args.degrees}°",
)


async def test_issue11_item5_a_tools_risk_may_depend_on_its_arguments(
    app: AppContext, parent: Member, make_incoming: MakeIncoming
) -> None:
    app.tools.add("household", HEATING)
    turn = turn_for(app, parent, make_incoming)

    usual = await run_action(turn, "test.heating", {"degrees": 20})
    tropical = await run_action(turn, "test.heating", {"degrees": 30})

    assert (usual.status, usual.text) == ("done", "The heating is set to 20°.")
    assert tropical.status == "needs_confirmation"
    assert tropical.reply is not None
    assert tropical.reply.text.startswith("Ana, shall I set the heating to 30°?")


async def test_issue11_item5_a_hung_tool_is_cut_at_its_timeout_and_the_chat_goes_on(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    async with asyncio.timeout(30):  # were the kettle not cut, the test fails instead of hanging
        boiling = await chats.send(make_incoming("boil the kettle"))
        after = await chats.send(make_incoming("start the dishwasher"))

    [(tool, status)] = [(a.tool, a.status) for a in boiling.actions]
    assert (tool, status) == ("household.boil_kettle", "failed")
    assert [(a.tool, a.status) for a in after.actions] == [("household.start_dishwasher", "done")]
    assert chats.texts() == [
        "That took too long, so I stopped trying to boil the kettle. Please try again later.",
        "The dishwasher is running.",
    ]
    assert await audit_trail(app) == [
        ("Ana", "household.boil_kettle", "failed"),
        ("Ana", "household.start_dishwasher", "done"),
    ]

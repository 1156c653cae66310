"""Issue 11 item 5: with two adults for critical actions, the requester's yes alone runs nothing.

Ana (parent) asks to open the garage; Ben (parent) and Cleo (adult) are asked in their private
chats; the first of them to answer decides, and silence means no.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.actions import Turn, run_action
from bot.app import open_app
from bot.clock import ManualClock
from bot.config import load_config
from bot.context import AppContext
from bot.family import Member
from bot.messages import Button
from storage.models import AuditEntry
from tests.support.home import CHILD_ID, PARENT_ID, FamilyChats, MakeIncoming, write_bot_toml
from tests.support.household import household_log

BEN_ID = "1003"
CLEO_ID = "1004"
ASKED = (
    "Ana, shall I open the garage door? Another parent or adult will have to approve it too. "
    "(Answer within 5 min; no answer means no.)"
)
QUESTION_TO_OTHERS = (
    "Ana asks me to open the garage door. Do you approve? "
    "(Answer within 5 min; no answer means no.)"
)
YES, NO = "confirm:1:yes", "confirm:1:no"


@pytest.fixture
def bot_toml(tmp_path: Path) -> Path:
    return write_bot_toml(tmp_path, "[safety]\ntwo_adults_for_critical = true\n")


@pytest.fixture
async def ben(app: AppContext) -> Member:
    member = await app.family.add("Ben", "parent")
    await app.family.link("Ben", f"telegram:{BEN_ID}")
    return member


@pytest.fixture
async def cleo(app: AppContext) -> Member:
    member = await app.family.add("Cleo", "adult")
    await app.family.link("Cleo", f"telegram:{CLEO_ID}")
    return member


@pytest.fixture
async def family(parent: Member, ben: Member, cleo: Member, child: Member) -> None:
    """Ana and Ben (parents), Cleo (adult) and Leo (child)."""


def effects(app: AppContext) -> list[str]:
    return household_log(app.settings.storage.data_dir)


async def audit_trail(app: AppContext) -> list[tuple[str, str, str]]:
    async with app.sessions() as session:
        rows = await session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))
        return [(row.member_name, row.status, row.detail) for row in rows]


async def ana_says_yes(chats: FamilyChats, make_incoming: MakeIncoming) -> None:
    """Ana asks to open the garage and presses Yes; the others have been asked by now."""
    asked = await chats.send(make_incoming("open the garage"))
    [question] = asked.replies
    assert question.buttons == (Button(label="Yes", data=YES), Button(label="No", data=NO))
    await chats.send(make_incoming(button=YES))


async def test_the_question_says_a_second_adult_is_needed(
    app: AppContext, family: None, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await chats.send(make_incoming("open the garage"))

    assert chats.texts() == [ASKED]
    assert effects(app) == []


async def test_the_requesters_yes_alone_runs_nothing_and_asks_the_other_adults(
    app: AppContext, family: None, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await ana_says_yes(chats, make_incoming)

    assert chats.texts(PARENT_ID)[-1] == (
        "Asked Ben and Cleo to approve: open the garage door. I'll tell you here when one of "
        "them answers; no answer within 5 min means no."
    )
    for adult in (BEN_ID, CLEO_ID):
        [pushed] = [d.reply for d in chats.delivered if d.chat_id == adult]
        assert pushed.text == QUESTION_TO_OTHERS
        assert pushed.buttons == (Button(label="Yes", data=YES), Button(label="No", data=NO))
    assert chats.texts(CHILD_ID) == []
    assert effects(app) == []


async def test_the_requester_cannot_approve_twice(
    app: AppContext, family: None, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await ana_says_yes(chats, make_incoming)

    pressed_again = await chats.send(make_incoming(button=YES))

    assert pressed_again.actions == ()
    assert chats.texts(PARENT_ID)[-1] == (
        "I'm still waiting for another parent or adult to approve that."
    )
    assert effects(app) == []


async def test_a_second_adults_yes_runs_it_once_in_the_requesters_name(
    app: AppContext, family: None, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await ana_says_yes(chats, make_incoming)

    approved = await chats.send(make_incoming(sender=BEN_ID, button=YES))
    await chats.send(make_incoming(sender=CLEO_ID, button=YES))
    await chats.send(make_incoming(sender=BEN_ID, button=YES))

    assert [(a.tool, a.status) for a in approved.actions] == [("household.open_garage", "done")]
    assert effects(app) == ["garage opened"]
    assert chats.texts(PARENT_ID)[-1] == "Ben approved. The garage door is open."
    assert chats.texts(BEN_ID)[1:] == [
        "Thanks, Ben. The garage door is open.",
        "That question was already answered (approved).",
    ]
    assert chats.texts(CLEO_ID)[-1] == "That question was already answered (approved)."
    assert await audit_trail(app) == [
        ("Ana", "asked", ""),
        ("Ana", "confirmed", "asked Ben and Cleo to approve"),
        ("Ana", "approved", "approved by Ben"),
        ("Ana", "done", "approved by Ben"),
    ]


async def test_two_adults_pressing_yes_at_once_run_it_once(
    app: AppContext, family: None, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await ana_says_yes(chats, make_incoming)

    await asyncio.gather(
        chats.send(make_incoming(sender=BEN_ID, button=YES)),
        chats.send(make_incoming(sender=CLEO_ID, button=YES)),
    )

    assert effects(app) == ["garage opened"]
    answers = {chats.texts(BEN_ID)[-1], chats.texts(CLEO_ID)[-1]}
    assert "That question was already answered (approved)." in answers
    assert answers & {
        "Thanks, Ben. The garage door is open.",
        "Thanks, Cleo. The garage door is open.",
    }


async def test_a_second_adults_no_cancels_it_and_the_requester_is_told(
    app: AppContext, family: None, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await ana_says_yes(chats, make_incoming)

    await chats.send(make_incoming(sender=CLEO_ID, button=NO))
    await chats.send(make_incoming(sender=BEN_ID, button=YES))

    assert effects(app) == []
    assert chats.texts(PARENT_ID)[-1] == "Cleo said no, so I won't open the garage door."
    assert chats.texts(CLEO_ID)[-1] == "Okay, I won't open the garage door. I told Ana."
    assert chats.texts(BEN_ID)[-1] == "That question was already answered (denied)."
    assert ("Ana", "denied", "refused by Cleo") in await audit_trail(app)


async def test_silence_means_no(
    app: AppContext,
    clock: ManualClock,
    family: None,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
) -> None:
    await ana_says_yes(chats, make_incoming)
    clock.advance(timedelta(seconds=app.settings.safety.confirmation_timeout_s))

    await chats.send(make_incoming(sender=BEN_ID, button=YES))

    assert chats.texts(BEN_ID)[-1] == "That question expired, so I did not open the garage door."
    assert effects(app) == []


async def test_a_child_cannot_be_the_second_adult(
    app: AppContext, family: None, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await ana_says_yes(chats, make_incoming)

    await chats.send(make_incoming(sender=CHILD_ID, button=YES))

    assert chats.texts(CHILD_ID) == ["Only another parent or adult can approve that."]
    assert effects(app) == []


async def test_the_requester_may_still_withdraw_while_waiting(
    app: AppContext, family: None, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await ana_says_yes(chats, make_incoming)

    await chats.send(make_incoming(button=NO))
    await chats.send(make_incoming(sender=BEN_ID, button=YES))

    assert chats.texts(PARENT_ID)[-1] == "Okay, I won't open the garage door."
    assert chats.texts(BEN_ID)[-1] == "That question was already answered (denied)."
    assert effects(app) == []


async def test_without_another_adult_it_is_not_done(
    app: AppContext, parent: Member, child: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await ana_says_yes(chats, make_incoming)

    assert chats.texts(PARENT_ID)[-1] == (
        "Sorry Ana, that needs a yes from another parent or adult too, and there is no other "
        "parent or adult to ask, so I won't open the garage door."
    )
    assert chats.texts(CHILD_ID) == []
    assert effects(app) == []


async def test_an_adult_gepeto_cannot_reach_is_named_and_it_is_not_done(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await app.family.add("Ben", "parent")  # no chat identity: Gepeto can't write to him

    await ana_says_yes(chats, make_incoming)

    assert chats.texts(PARENT_ID)[-1] == (
        "Sorry Ana, that needs a yes from another parent or adult too, and I can't reach Ben "
        "(they need to write to me once first), so I won't open the garage door."
    )
    assert effects(app) == []


async def test_help_says_which_actions_need_a_second_adult(
    app: AppContext, family: None, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await chats.send(make_incoming("/help"))

    [text] = chats.texts()
    assert "- Open the garage door. (needs a yes from another parent or adult too)" in text
    assert "- Unlock a door of the house.\n" in text


async def test_run_action_refuses_a_confirmed_critical_call_nobody_else_approved(
    app: AppContext, parent: Member, make_incoming: MakeIncoming
) -> None:
    turn = Turn(app=app, incoming=make_incoming("(test)"), member=parent)

    result = await run_action(turn, "household.open_garage", {}, confirmed=True)

    assert (result.status, result.text) == (
        "denied",
        "Another parent or adult has to approve that before I open the garage door.",
    )
    assert effects(app) == []


async def test_with_the_setting_off_the_requesters_yes_is_enough(
    tmp_path: Path, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    config = load_config(write_bot_toml(tmp_path), environ={})
    async with open_app(config, clock=clock) as app:
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", f"telegram:{PARENT_ID}")
        await app.family.add("Ben", "parent")
        chats = FamilyChats.open(app)

        await chats.send(make_incoming("open the garage"))
        await chats.send(make_incoming(button=YES))

        assert chats.texts() == [
            "Ana, shall I open the garage door? (Answer within 5 min; no answer means no.)",
            "The garage door is open.",
        ]
        assert effects(app) == ["garage opened"]

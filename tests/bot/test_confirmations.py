"""Sensitive actions ask first: only the requester's yes runs them, and silence means no."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from bot.messages import Button, Outcome
from tests.support.home import CHILD_ID, FamilyChats, MakeIncoming
from tests.support.household import household_log

OTHER_PARENT_ID = "1003"


@pytest.fixture
async def other_parent(app: AppContext) -> Member:
    """Bea, the other parent, in the family group chat with Ana."""
    member = await app.family.add("Bea", "parent")
    await app.family.link("Bea", f"telegram:{OTHER_PARENT_ID}")
    return member


def effects(app: AppContext) -> list[str]:
    return household_log(app.settings.storage.data_dir)


def buttons_of(outcome: Outcome) -> tuple[Button, ...]:
    [reply] = outcome.replies
    return reply.buttons


async def ask_to_unlock(chats: FamilyChats, make_incoming: MakeIncoming) -> tuple[str, str]:
    """Ana asks to unlock the front door; returns the data of the Yes and No buttons."""
    asked = await chats.send(make_incoming("unlock the front door"))
    yes, no = buttons_of(asked)
    assert (yes.label, no.label) == ("Yes", "No")
    return yes.data, no.data


async def test_a_sensitive_action_asks_with_the_exact_action_and_does_nothing_yet(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    asked = await chats.send(make_incoming("unlock the front door"))

    assert asked.route == "fast"
    [action] = asked.actions
    assert (action.tool, action.status) == ("household.unlock_door", "needs_confirmation")
    assert chats.texts() == [
        "Ana, shall I unlock the front door? (Answer within 5 min; no answer means no.)"
    ]
    assert effects(app) == []


async def test_the_requesters_yes_runs_it_exactly_once(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    yes, _ = await ask_to_unlock(chats, make_incoming)

    pressed = await chats.send(make_incoming(button=yes))
    pressed_again = await chats.send(make_incoming(button=yes))

    assert pressed.route == "confirmation"
    assert [(a.tool, a.status) for a in pressed.actions] == [("household.unlock_door", "done")]
    assert chats.texts()[1:] == [
        "The front door is unlocked.",
        "That question was already answered (approved).",
    ]
    assert pressed_again.actions == ()
    assert effects(app) == ["unlocked front"]


async def test_someone_elses_press_does_nothing(
    app: AppContext,
    parent: Member,
    other_parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
) -> None:
    asked = await chats.send(make_incoming("unlock the front door", chat_id="-100777"))
    yes, _ = buttons_of(asked)

    pressed = await chats.send(
        make_incoming(sender=OTHER_PARENT_ID, chat_id="-100777", button=yes.data)
    )

    assert pressed.actions == ()
    assert chats.texts()[-1] == "Only the person who asked can answer that question."
    assert effects(app) == []

    await chats.send(make_incoming(chat_id="-100777", button=yes.data))

    assert effects(app) == ["unlocked front"]


async def test_no_means_no(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    yes, no = await ask_to_unlock(chats, make_incoming)

    await chats.send(make_incoming(button=no))
    await chats.send(make_incoming(button=yes))

    assert chats.texts()[1:] == [
        "Okay, I won't unlock the front door.",
        "That question was already answered (denied).",
    ]
    assert effects(app) == []


async def test_an_expired_question_is_a_no(
    app: AppContext,
    clock: ManualClock,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
) -> None:
    yes, _ = await ask_to_unlock(chats, make_incoming)
    clock.advance(timedelta(seconds=app.settings.safety.confirmation_timeout_s))

    await chats.send(make_incoming(button=yes))

    assert chats.texts()[-1] == "That question expired, so I did not unlock the front door."
    assert effects(app) == []


async def test_a_yes_just_in_time_still_counts(
    app: AppContext,
    clock: ManualClock,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
) -> None:
    yes, _ = await ask_to_unlock(chats, make_incoming)
    clock.advance(timedelta(seconds=app.settings.safety.confirmation_timeout_s - 1))

    await chats.send(make_incoming(button=yes))

    assert effects(app) == ["unlocked front"]


@pytest.mark.parametrize(("word", "done"), [("yes", True), ("Ja!", True), ("nein", False)])
async def test_a_typed_answer_decides_the_latest_open_question(
    app: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    word: str,
    done: bool,
) -> None:
    await ask_to_unlock(chats, make_incoming)

    answered = await chats.send(make_incoming(word))

    assert answered.route == "confirmation"
    assert effects(app) == (["unlocked front"] if done else [])


async def test_a_typed_yes_from_someone_else_answers_nothing(
    app: AppContext,
    parent: Member,
    other_parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
) -> None:
    await chats.send(make_incoming("unlock the front door", chat_id="-100777"))

    answered = await chats.send(make_incoming("yes", sender=OTHER_PARENT_ID, chat_id="-100777"))

    assert answered.route == "unknown"
    assert effects(app) == []


@pytest.mark.parametrize(
    ("button", "reply"),
    [
        ("confirm:999:yes", "I can't find that question any more."),
        ("confirm:abc:yes", "That button doesn't do anything any more."),
        ("something-else", "That button doesn't do anything any more."),
    ],
)
async def test_stale_or_unknown_buttons_do_nothing(
    app: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    button: str,
    reply: str,
) -> None:
    pressed = await chats.send(make_incoming(button=button))

    assert pressed.actions == ()
    assert chats.texts() == [reply]
    assert effects(app) == []


async def test_a_child_is_denied_a_tool_outside_their_allowlist_without_being_asked(
    app: AppContext, child: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(make_incoming("unlock the front door", sender=CHILD_ID))

    [action] = outcome.actions
    assert (action.tool, action.status) == ("household.unlock_door", "denied")
    assert chats.texts() == [
        "Sorry Leo, children can't use household.unlock_door. Ask a parent if you need it."
    ]
    assert all(not reply.buttons for reply in outcome.replies)
    assert effects(app) == []

"""Senders who are not family: one polite refusal per chat, then silence; `/pair CODE` links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import PAIRING_LIFETIME, Family, FamilyError, Member
from handlers.strangers import PAIRING_HINT
from storage.models import AuditEntry
from tests.support.home import FamilyChats, MakeIncoming

STRANGER = "6666"


async def test_an_unknown_sender_gets_one_refusal_per_chat_and_then_nothing(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    first = await chats.send(make_incoming("add beer to the shopping list", sender=STRANGER))
    second = await chats.send(make_incoming("hello??", sender=STRANGER))
    third = await chats.send(make_incoming("we need beer", sender=STRANGER))

    assert first.route == second.route == third.route == "refused"
    assert chats.texts() == [PAIRING_HINT]
    assert first.actions == second.actions == third.actions == ()
    assert not (app.settings.vault.path / "Lists").exists()
    async with app.sessions() as session:
        assert list(await session.exec(select(AuditEntry))) == []


async def test_each_chat_gets_its_own_single_refusal(
    parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await chats.send(make_incoming("hi", sender=STRANGER))
    await chats.send(make_incoming("hi all", sender=STRANGER, chat_id="-100777", is_group=True))
    await chats.send(make_incoming("hi again", sender=STRANGER, chat_id="-100777", is_group=True))

    assert [(d.chat_id, d.reply.text) for d in chats.delivered] == [
        (STRANGER, PAIRING_HINT),
        ("-100777", PAIRING_HINT),
    ]


async def test_start_in_a_private_chat_always_explains_pairing(
    parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await chats.send(make_incoming("hello", sender=STRANGER))
    await chats.send(make_incoming("/start", sender=STRANGER))

    assert chats.texts() == [PAIRING_HINT, PAIRING_HINT]


async def test_messages_in_groups_not_meant_for_the_bot_are_ignored(
    parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(
        make_incoming("we need milk", chat_id="-100777", is_group=True, addressed_to_bot=False)
    )

    assert outcome.route == "ignored"
    assert chats.delivered == []


async def test_pair_with_a_valid_code_links_the_sender(
    app: AppContext, child: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    code, _ = await app.family.invite("Leo")

    paired = await chats.send(make_incoming(f"/pair {code}", sender="2002"))
    afterwards = await chats.send(make_incoming("/start", sender="2002"))

    assert paired.route == "command"
    assert chats.texts()[0].startswith("Welcome, Leo! You're linked now.")
    assert afterwards.route == "command"
    assert chats.texts()[1].startswith("Hi Leo!")
    assert await app.family.identities(child) == ["telegram:1002", "telegram:2002"]


async def test_a_pairing_code_works_only_once(
    app: AppContext, child: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    code, _ = await app.family.invite("Leo")
    await chats.send(make_incoming(f"/pair {code}", sender="2002"))

    again = await chats.send(make_incoming(f"/pair {code}", sender="3003"))

    assert again.route == "refused"
    assert "not valid" in chats.texts()[1]
    assert await app.family.resolve("telegram", "3003") is None


async def test_an_expired_pairing_code_is_refused(
    app: AppContext,
    clock: ManualClock,
    child: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
) -> None:
    code, _ = await app.family.invite("Leo")
    clock.advance(PAIRING_LIFETIME + timedelta(minutes=1))

    outcome = await chats.send(make_incoming(f"/pair {code}", sender="2002"))

    assert outcome.route == "refused"
    assert "expire after a day" in chats.texts()[0]
    assert await app.family.resolve("telegram", "2002") is None


async def test_issue10_item8_wrong_pairing_codes_are_throttled_per_chat_and_logged(
    app: AppContext,
    clock: ManualClock,
    child: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    caplog: pytest.LogCaptureFixture,
) -> None:
    code, _ = await app.family.invite("Leo")
    for guess in ("AAAAAAAA", "BBBBBBBB", "CCCCCCCC", "DDDDDDDD", "EEEEEEEE"):
        clock.advance(timedelta(minutes=1))
        await chats.send(make_incoming(f"/pair {guess}", sender=STRANGER))
    clock.advance(timedelta(minutes=1))

    locked = await chats.send(make_incoming(f"/pair {code}", sender=STRANGER))
    elsewhere = await chats.send(make_incoming("/pair FFFFFFFF", sender="7777"))
    after_a_restart = Family(app.sessions, clock, app.settings.household.name)
    with pytest.raises(FamilyError, match="Too many wrong pairing codes"):
        await after_a_restart.pair(code, "telegram", STRANGER)

    assert locked.route == "refused"
    assert chats.texts(STRANGER)[-1] == (
        "Too many wrong pairing codes from this chat. Please try again in 5 minutes."
    )
    assert all("not valid" in text for text in chats.texts(STRANGER)[:5])
    assert "not valid" in chats.texts("7777")[0]
    assert elsewhere.route == "refused"
    assert await app.family.resolve("telegram", STRANGER) is None
    async with app.sessions() as session:
        wrong = list(await session.exec(select(AuditEntry)))
    assert [entry.detail for entry in wrong] == [f"telegram:{STRANGER}"] * 5 + ["telegram:7777"]
    assert sum("wrong pairing code from telegram:6666" in r.message for r in caplog.records) == 5

    clock.advance(timedelta(minutes=5))
    paired = await chats.send(make_incoming(f"/pair {code}", sender=STRANGER))

    assert paired.route == "command"
    assert await app.family.identities(child) == ["telegram:1002", f"telegram:{STRANGER}"]

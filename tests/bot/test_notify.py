"""Pushes (issue 11): messages Gepeto sends on its own reach the right chat, once per key."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from bot.messages import Reply
from bot.notify import ChatRecipient, MemberRecipient, NoChatForMember, Notifier
from storage.models import OutboxMessage
from tests.support.home import CHILD_ID, PARENT_ID, FamilyChats, MakeIncoming

ANA_ON_MATRIX = "@ana:example.org"
ANA_MATRIX_ROOM = "!ana-and-gepeto:example.org"


@pytest.fixture
def notifier(app: AppContext) -> Notifier:
    return Notifier(app.sessions, app.clock)


async def queued(app: AppContext) -> list[tuple[str, str, str, str]]:
    """The pushes in the outbox (not the answers to messages), oldest first."""
    async with app.sessions() as session:
        rows = await session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.key).startswith("push:"))
            .order_by(col(OutboxMessage.id))
        )
        return [(row.key, row.channel, row.chat_id, row.payload["text"]) for row in rows]


async def test_pushing_twice_with_one_key_queues_one_message_and_delivers_it_once(
    app: AppContext, chats: FamilyChats
) -> None:
    woken: list[str] = []
    notifier = Notifier(app.sessions, app.clock, wake=lambda: woken.append("outbox"))
    family_group = ChatRecipient("telegram", "-100200")

    assert await notifier.push(family_group, Reply(text="Bins go out tonight"), "bins:1")
    assert not await notifier.push(family_group, Reply(text="Bins go out tonight"), "bins:1")
    await chats.outbox.deliver_due()

    assert await queued(app) == [("push:bins:1", "telegram", "-100200", "Bins go out tonight")]
    assert chats.texts("-100200") == ["Bins go out tonight"]
    assert woken == ["outbox"]


async def test_racing_pushes_with_one_key_queue_one_message(
    app: AppContext, notifier: Notifier
) -> None:
    chat = ChatRecipient("telegram", PARENT_ID)
    results = await asyncio.gather(
        *(notifier.push(chat, Reply(text="Dentist at 3"), "dentist") for _ in range(4))
    )

    assert sorted(results) == [False, False, False, True]
    assert len(await queued(app)) == 1


async def test_a_push_to_a_member_reaches_the_private_chat_they_last_wrote_from(
    app: AppContext,
    clock: ManualClock,
    notifier: Notifier,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    parent: Member,
) -> None:
    await app.family.link("Ana", f"matrix:{ANA_ON_MATRIX}")
    await chats.send(
        make_incoming("hello", channel="matrix", sender=ANA_ON_MATRIX, chat_id=ANA_MATRIX_ROOM)
    )
    await notifier.push(MemberRecipient(parent.id), Reply(text="Pick up Leo"), "leo:1")

    clock.advance(timedelta(hours=2))
    await chats.send(make_incoming("hello again"))
    await notifier.push(MemberRecipient(parent.id), Reply(text="Pick up Leo"), "leo:2")
    await notifier.push(
        MemberRecipient(parent.id, channel="matrix"), Reply(text="On Matrix"), "leo:3"
    )

    assert [(channel, chat_id) for _, channel, chat_id, _ in await queued(app)] == [
        ("matrix", ANA_MATRIX_ROOM),
        ("telegram", PARENT_ID),
        ("matrix", ANA_MATRIX_ROOM),
    ]


async def test_a_member_who_only_wrote_in_a_group_is_reached_in_their_telegram_chat(
    app: AppContext,
    notifier: Notifier,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    child: Member,
) -> None:
    await chats.send(make_incoming("/help", sender=CHILD_ID, chat_id="-100200", is_group=True))

    await notifier.push(MemberRecipient(child.id), Reply(text="Homework!"), "homework")

    assert [(channel, chat_id) for _, channel, chat_id, _ in await queued(app)] == [
        ("telegram", CHILD_ID)
    ]


async def test_a_member_gepeto_has_no_chat_with_cannot_be_pushed_to(
    app: AppContext, notifier: Notifier
) -> None:
    grandma = await app.family.add("Grandma", "adult")
    await app.family.link("Grandma", "matrix:@grandma:example.org")

    with pytest.raises(NoChatForMember, match="need to write to Gepeto once"):
        await notifier.push(MemberRecipient(grandma.id), Reply(text="Hi"), "hi")
    with pytest.raises(NoChatForMember, match="on matrix"):
        await notifier.push(MemberRecipient(grandma.id, "matrix"), Reply(text="Hi"), "hi")
    assert await queued(app) == []

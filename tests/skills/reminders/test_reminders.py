"""Reminders in the family's chats (issue 12): set in words, pushed at their minute with Done /
Snooze buttons, re-sent until someone is done, and only set for others by those allowed."""

from __future__ import annotations

from bot.actions import Turn, run_action
from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from tests.skills.reminders.conftest import minutes, occurrences, run_scheduler
from tests.support.home import CHILD_ID, PARENT_ID, FamilyChats, MakeIncoming


async def tick(app: AppContext, chats: FamilyChats, clock: ManualClock, count: float) -> list[str]:
    """Moves time on, runs what came due, delivers it; returns the texts delivered meanwhile."""
    before = len(chats.delivered)
    clock.advance(minutes(count))
    await run_scheduler(app)
    await chats.outbox.deliver_due()
    return [d.reply.text for d in chats.delivered[before:]]


async def test_a_reminder_said_in_words_is_pushed_at_its_minute_with_buttons(
    app: AppContext,
    chats: FamilyChats,
    clock: ManualClock,
    parent: Member,
    make_incoming: MakeIncoming,
) -> None:
    outcome = await chats.send(make_incoming("remind me in 2 minutes to take the pizza out"))
    assert outcome.route == "fast"
    [action] = outcome.actions
    assert (action.tool, action.status) == ("reminders.add", "done")
    assert "today at 09:02" in outcome.text

    assert await tick(app, chats, clock, 1.9) == []
    assert await tick(app, chats, clock, 0.1) == ["⏰ Reminder: take the pizza out"]
    push = chats.delivered[-1]
    assert (push.channel, push.chat_id) == ("telegram", PARENT_ID)
    assert [b.label for b in push.reply.buttons] == ["Done", "Snooze 10 min", "Snooze 1 h"]
    assert [b.emoji for b in push.reply.buttons] == ["✅", "💤", "⏰"]


async def test_an_unacknowledged_reminder_is_sent_again_after_10_and_30_minutes_then_stops(
    app: AppContext,
    chats: FamilyChats,
    clock: ManualClock,
    parent: Member,
    make_incoming: MakeIncoming,
) -> None:
    await chats.send(make_incoming("remind me to call grandma in 5 minutes"))
    assert await tick(app, chats, clock, 5) == ["⏰ Reminder: call grandma"]
    assert await tick(app, chats, clock, 9) == []
    assert await tick(app, chats, clock, 1) == ["⏰ Still open: call grandma"]
    assert await tick(app, chats, clock, 20) == [
        "⏰ Still open: call grandma — I won't ask again."
    ]
    assert await tick(app, chats, clock, 120) == []
    [row] = await occurrences(app)
    assert (row.state, row.resent) == ("sent", 2)


async def test_done_stops_the_re_sends(
    app: AppContext,
    chats: FamilyChats,
    clock: ManualClock,
    parent: Member,
    make_incoming: MakeIncoming,
) -> None:
    await chats.send(make_incoming("remind me to call grandma in 5 minutes"))
    await tick(app, chats, clock, 5)
    done = chats.delivered[-1].reply.buttons[0].data
    answer = await chats.send(make_incoming(button=done))
    assert answer.text == "Done: call grandma ✓"
    assert await tick(app, chats, clock, 60) == []
    [row] = await occurrences(app)
    assert row.state == "acknowledged"

    listed = await chats.send(make_incoming("/reminders"))
    assert "call grandma" in listed.text
    assert "done" in listed.text


async def test_snooze_brings_it_back_later_and_not_before(
    app: AppContext,
    chats: FamilyChats,
    clock: ManualClock,
    parent: Member,
    make_incoming: MakeIncoming,
) -> None:
    await chats.send(make_incoming("remind me in 5 minutes to check the oven"))
    await tick(app, chats, clock, 5)
    snooze = chats.delivered[-1].reply.buttons[1].data
    answer = await chats.send(make_incoming(button=snooze))
    assert answer.text == "Snoozed until 09:15: check the oven."
    assert await tick(app, chats, clock, 9.5) == []
    assert await tick(app, chats, clock, 0.5) == ["⏰ Reminder (snoozed): check the oven"]
    assert (await occurrences(app))[0].state == "sent"
    assert await tick(app, chats, clock, 10) == ["⏰ Still open: check the oven"]


async def test_a_parent_reminds_a_child_in_the_childs_own_chat(
    app: AppContext,
    chats: FamilyChats,
    clock: ManualClock,
    parent: Member,
    child: Member,
    make_incoming: MakeIncoming,
) -> None:
    outcome = await chats.send(make_incoming("remind Leo to take his gym bag in 10 minutes"))
    assert outcome.actions[0].status == "done"
    assert "remind Leo" in outcome.text
    assert await tick(app, chats, clock, 10) == ["⏰ Reminder from Ana: take his gym bag"]
    assert chats.delivered[-1].chat_id == CHILD_ID

    done = chats.delivered[-1].reply.buttons[0].data
    answer = await chats.send(make_incoming(button=done, sender=CHILD_ID))
    assert answer.text == "Done: take his gym bag ✓"


async def test_a_child_can_remind_only_themselves(
    app: AppContext,
    chats: FamilyChats,
    parent: Member,
    child: Member,
    make_incoming: MakeIncoming,
) -> None:
    outcome = await chats.send(
        make_incoming("remind Ana to buy cake tomorrow at 5pm", sender=CHILD_ID)
    )
    assert outcome.actions[0].status == "failed"
    assert "ask a parent to remind Ana" in outcome.text
    mine = await chats.send(make_incoming("remind me to feed the cat at 6pm", sender=CHILD_ID))
    assert mine.actions[0].status == "done"


async def test_someone_not_in_the_family_cannot_be_reminded(
    app: AppContext, chats: FamilyChats, parent: Member, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(make_incoming("/remind Zoe to water the plants at 6pm"))
    assert outcome.actions[0].status == "failed"
    outcome = await chats.send(make_incoming("remind Zoe to water the plants at 6pm"))
    assert "Zoe isn't in the family" in outcome.text


async def test_a_time_that_cannot_be_understood_gets_a_question_and_no_reminder(
    app: AppContext, chats: FamilyChats, parent: Member, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(make_incoming("remind me to water the plants"))
    assert outcome.text.startswith("When should I remind you?")
    assert await app.scheduler.jobs(skill="reminders") == []


async def test_an_important_reminder_nobody_acknowledges_goes_to_another_adult(
    app: AppContext,
    chats: FamilyChats,
    clock: ManualClock,
    parent: Member,
    child: Member,
    make_incoming: MakeIncoming,
) -> None:
    await app.family.add("Rui", "adult")
    await app.family.link("Rui", "telegram:1003")
    turn = Turn(app=app, incoming=make_incoming("lock the door"), member=parent)
    result = await run_action(
        turn,
        "reminders.add",
        {"what": "lock the door", "when": "in 5 minutes", "who": "Leo", "important": True},
    )
    assert result.status == "done"
    assert await tick(app, chats, clock, 5) == ["⏰ Reminder from Ana: lock the door"]
    assert await tick(app, chats, clock, 10) == ["⏰ Still open: lock the door"]
    last = await tick(app, chats, clock, 20)
    escalation = "⏰ Leo hasn't confirmed an important reminder: lock the door (due 09:05)."
    assert last == ["⏰ Still open: lock the door — I won't ask again.", escalation, escalation]
    told = [d.chat_id for d in chats.delivered if d.reply.text == escalation]
    assert sorted(told) == [PARENT_ID, "1003"]


async def test_the_list_shows_each_reminders_state(
    app: AppContext,
    chats: FamilyChats,
    clock: ManualClock,
    parent: Member,
    make_incoming: MakeIncoming,
) -> None:
    await chats.send(make_incoming("remind me in 5 minutes to take the pizza out"))
    await chats.send(make_incoming("remind me to pay rent on the first of every month"))
    await tick(app, chats, clock, 5)
    listed = await chats.send(make_incoming("what are my reminders"))
    assert listed.route == "fast"
    lines = listed.text.splitlines()
    assert lines[1] == "- #1 take the pizza out — Fri 09:05: sent, not done yet"
    assert lines[2] == (
        "- #2 pay rent — on day 1 of every month at 09:00 — next Wed 01 Apr at 09:00"
    )
    cancelled = await chats.send(make_incoming("/reminders cancel 2"))
    assert cancelled.text == "Cancelled #2: pay rent."
    assert await app.scheduler.jobs(skill="reminders") == [
        job for job in await app.scheduler.jobs(skill="reminders") if job.kind == "nag"
    ]

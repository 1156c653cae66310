"""Reminder pushes: on time, late and marked so, or missed and told in one line; then re-sent
until someone presses Done, and — for important ones — passed on to another adult.

Every push is keyed by its scheduler firing, so a firing dispatched again after a crash finds
its message already queued and nothing is sent twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.markdown import escape
from bot.messages import Button, Reply
from bot.notify import ChatRecipient, MemberRecipient, NoChatForMember
from bot.scheduler import Firing
from bot.services import SkillServices
from bot.skills import JobKind
from skills.reminders import records
from skills.reminders.models import Reminder, ReminderOccurrence
from skills.reminders.settings import RemindersSettings

NAG_CATCH_UP = timedelta(minutes=10)
"""A re-send that comes later than this (the bot was down) is dropped: it would be stale."""
MISSED_CATCH_UP = timedelta(days=1)
ALARM = "⏰"


def buttons(occurrence_id: int) -> tuple[Button, ...]:
    """Done / Snooze 10 min / Snooze 1 h; Matrix shows them as ✅ 💤 ⏰ reactions."""
    return (
        Button(label="Done", data=f"reminders:done:{occurrence_id}", emoji="✅"),
        Button(label="Snooze 10 min", data=f"reminders:snooze:{occurrence_id}:10", emoji="💤"),
        Button(label="Snooze 1 h", data=f"reminders:snooze:{occurrence_id}:60", emoji="⏰"),
    )


def local(services: SkillServices, when: datetime) -> datetime:
    return when.astimezone(ZoneInfo(services.household.timezone))


async def push_to_member(
    services: SkillServices, reminder: Reminder, reply: Reply, key: str
) -> None:
    """To the member in the chat the reminder was made in, when they made it themselves; else
    in their private chat, and in the chat it was made in when Gepeto knows none."""
    if reminder.member_id == reminder.created_by:
        await services.notify.push(ChatRecipient(reminder.channel, reminder.chat_id), reply, key)
        return
    try:
        await services.notify.push(MemberRecipient(reminder.member_id), reply, key)
    except NoChatForMember:
        services.log.info(
            "member %s has no private chat; reminding in the chat it was made in",
            reminder.member_id,
        )
        await services.notify.push(ChatRecipient(reminder.channel, reminder.chat_id), reply, key)


async def _from_whom(services: SkillServices, reminder: Reminder) -> str:
    if reminder.member_id == reminder.created_by:
        return ""
    members = {member.id: member.name for member in await services.family.members()}
    return f" from {escape(members.get(reminder.created_by, 'the family'))}"


async def fire_due(services: SkillServices, firing: Firing) -> None:
    """A reminder's own time has come (or came while Gepeto was offline)."""
    reminder = await records.get(services, int(firing.payload["reminder"]))
    if reminder is None or reminder.state == "cancelled":
        return
    assert reminder.id is not None
    if firing.status == "missed":
        await records.record_firing(
            services, reminder.id, firing.occurrence, "missed", firing.late_by
        )
        await _missed(services, reminder)
        return
    row = await records.record_firing(
        services, reminder.id, firing.occurrence, "sent", firing.late_by
    )
    assert row.id is not None
    notes = []
    if firing.status == "late":
        notes.append(f"late: was due {local(services, firing.occurrence):%H:%M}")
    if firing.coalesced:
        times = "time" if firing.coalesced == 1 else "times"
        notes.append(f"missed {firing.coalesced} earlier {times} while I was offline")
    shown = f" ({'; '.join(notes)})" if notes else ""
    text = f"{ALARM} Reminder{await _from_whom(services, reminder)}: {escape(reminder.text)}"
    reply = Reply(text=text + shown, buttons=buttons(row.id))
    await push_to_member(services, reminder, reply, firing.key)
    await _schedule_nag(services, reminder, row, step=0)


async def _missed(services: SkillServices, reminder: Reminder) -> None:
    """Past its catch-up window: recorded, and the member hears of it once, in one line."""
    if reminder.rrule is None:
        reminder.state = "finished"
        await records.save(services, reminder)
    await services.jobs.schedule(
        "missed",
        records.missed_job(reminder.member_id),
        at=services.clock.now(),
        member_id=reminder.member_id,
        payload={"member": reminder.member_id},
        catch_up=MISSED_CATCH_UP,
    )


async def tell_missed(services: SkillServices, firing: Firing) -> None:
    """One short line for everything missed while Gepeto was offline."""
    missed = await records.untold_missed(services, int(firing.payload["member"]))
    if not missed:
        return
    shown = ", ".join(
        f"{escape(reminder.text)} (due {local(services, row.due_at):%a %H:%M})"
        for row, reminder in missed
    )
    count = "a reminder" if len(missed) == 1 else f"{len(missed)} reminders"
    reply = Reply(text=f"{ALARM} While I was offline you missed {count}: {shown}.")
    await push_to_member(services, missed[0][1], reply, firing.key)
    await records.mark_told(services, [row.id for row, _ in missed if row.id is not None])


async def _schedule_nag(
    services: SkillServices, reminder: Reminder, row: ReminderOccurrence, step: int
) -> None:
    schedule = services.settings_as(RemindersSettings).resend_after_minutes
    assert row.id is not None
    if step >= len(schedule) or row.sent_at is None:
        return
    await services.jobs.schedule(
        "nag",
        records.nag_job(row.id),
        at=row.sent_at + timedelta(minutes=schedule[step]),
        member_id=reminder.member_id,
        payload={"occurrence": row.id, "step": step},
        catch_up=NAG_CATCH_UP,
    )


async def nag(services: SkillServices, firing: Firing) -> None:
    """Still not done: send it again; after the last re-send, say so and stop."""
    found = await records.occurrence(services, int(firing.payload["occurrence"]))
    if found is None or firing.status == "missed":
        return
    row, reminder = found
    if row.state != "sent" or reminder.state == "cancelled":
        return
    step = int(firing.payload["step"])
    last = step + 1 >= len(services.settings_as(RemindersSettings).resend_after_minutes)
    assert row.id is not None
    text = f"{ALARM} Still open: {escape(reminder.text)}"
    if last:
        text += " — I won't ask again."
    await push_to_member(services, reminder, Reply(text=text, buttons=buttons(row.id)), firing.key)
    row.resent = step + 1
    if last and reminder.rrule is None:
        reminder.state = "finished"
    await records.save(services, row, reminder)
    if not last:
        await _schedule_nag(services, reminder, row, step + 1)
    elif reminder.important:
        await _escalate(services, reminder, row, firing.key)


async def _escalate(
    services: SkillServices, reminder: Reminder, row: ReminderOccurrence, key: str
) -> None:
    """An important reminder nobody acknowledged goes to the other adults of the family."""
    members = await services.family.members()
    target = next((m.name for m in members if m.id == reminder.member_id), "Someone")
    due = local(services, row.due_at)
    text = (
        f"{ALARM} {escape(target)} hasn't confirmed an important reminder: "
        f"{escape(reminder.text)} (due {due:%H:%M})."
    )
    for adult in members:
        if adult.id == reminder.member_id or adult.role not in ("parent", "adult"):
            continue
        try:
            await services.notify.push(
                MemberRecipient(adult.id), Reply(text=text), f"{key}:adult:{adult.id}"
            )
        except NoChatForMember:
            services.log.info("cannot pass reminder %s on to %s: no chat", reminder.id, adult.id)


async def fire_snoozed(services: SkillServices, firing: Firing) -> None:
    """A snoozed reminder comes back."""
    found = await records.occurrence(services, int(firing.payload["occurrence"]))
    if found is None:
        return
    row, reminder = found
    if row.state != "snoozed" or reminder.state == "cancelled":
        return
    if firing.status == "missed":
        row.state = "missed"
        row.settled_at = services.clock.now()
        await records.save(services, row)
        await _missed(services, reminder)
        return
    assert row.id is not None
    late = ""
    if firing.status == "late":
        late = f" (late: was due {local(services, firing.occurrence):%H:%M})"
    text = f"{ALARM} Reminder (snoozed): {escape(reminder.text)}{late}"
    await push_to_member(services, reminder, Reply(text=text, buttons=buttons(row.id)), firing.key)
    row.state = "sent"
    row.sent_at = services.clock.now()
    row.snoozed_until = None
    row.resent = 0
    await records.save(services, row)
    await _schedule_nag(services, reminder, row, step=0)


JOBS = (
    JobKind("due", fire_due),
    JobKind("nag", nag),
    JobKind("snoozed", fire_snoozed),
    JobKind("missed", tell_missed),
)

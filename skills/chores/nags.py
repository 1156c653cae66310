"""Chore nags through the scheduler: at the due time one push to the member with a Done
button, then at most one reminder per window while it is open, then one to the parents.
"Anyone" chores are announced once to the chat they were set up in.

A push's key names the turn, its window and the recipient (all read from the firing), so a
firing dispatched again after a crash or a restart finds its message already queued.
"""

from __future__ import annotations

from datetime import datetime

from bot.markdown import escape
from bot.messages import Button, Reply
from bot.notify import ChatRecipient, MemberRecipient, NoChatForMember, Recipient
from bot.scheduler import Firing
from bot.services import SkillServices
from bot.skills import JobKind
from skills.chores import turns
from skills.chores.models import Chore, ChoreTurn

BROOM = "🧹"


def push_key(turn_id: int, step: int, to: str) -> str:
    return f"chores:turn:{turn_id}:w{step}:{to}"


def turn_buttons(turn_id: int) -> tuple[Button, ...]:
    return (
        Button(label="Done", data=f"chores:done:{turn_id}", emoji="✅"),
        Button(label="Why me?", data=f"chores:why:{turn_id}", emoji="❓"),
    )


def when(services: SkillServices, due: datetime) -> str:
    return f"{due.astimezone(turns.zone(services)):%a %H:%M}"


async def push(services: SkillServices, to: Recipient, reply: Reply, key: str) -> bool:
    try:
        return await services.notify.push(to, reply, key)
    except NoChatForMember as error:
        services.log.info("chore push not sent: %s", error)
        return False


async def nag(services: SkillServices, firing: Firing) -> None:
    """Push number `step` for an open turn; then the next one is set for one window later."""
    found = await turns.turn(services, int(firing.payload["turn"]))
    if found is None:
        return
    turn, owner = found
    step = int(firing.payload["step"])
    if turn.state != "open" or not owner.active:
        return
    assert turn.id is not None
    if firing.status != "missed":  # a window that passed while Gepeto was offline stays silent
        await _push_step(services, turn, owner, step)
    await turns.schedule_nag(services, owner, turn, step + 1)


async def _push_step(services: SkillServices, turn: ChoreTurn, owner: Chore, step: int) -> None:
    assert turn.id is not None
    name, due = escape(owner.name), when(services, turn.due_at)
    if owner.anyone or turn.assignee_id is None:
        text = f"{BROOM} Anyone: {name} (due {due}). Whoever does it gets {owner.effort} points."
        reply = Reply(text=text, buttons=turn_buttons(turn.id)[:1])
        await push(
            services,
            ChatRecipient(owner.channel, owner.chat_id),
            reply,
            push_key(turn.id, step, "chat"),
        )
        return
    if step < turns.last_step(services):
        text = (
            f"{BROOM} Your turn: {name} (due {due})."
            if step == 0
            else f"{BROOM} Still open: {name} (was due {due})."
        )
        reply = Reply(text=text, buttons=turn_buttons(turn.id))
        to = MemberRecipient(turn.assignee_id)
        await push(services, to, reply, push_key(turn.id, step, str(turn.assignee_id)))
        return
    members = await services.family.members()
    who = next((m.name for m in members if m.id == turn.assignee_id), "Someone")
    text = f"{BROOM} {escape(who)} hasn't done {name} yet (due {due})."
    done_for = Button(
        label=f"{who} did it", data=f"chores:done:{turn.id}:{turn.assignee_id}", emoji="✅"
    )
    reply = Reply(text=text, buttons=(done_for,))
    for parent in members:
        if parent.role == "parent" and parent.id != turn.assignee_id:
            key = push_key(turn.id, step, str(parent.id))
            await push(services, MemberRecipient(parent.id), reply, key)


async def roll(services: SkillServices, firing: Firing) -> None:
    """The chore's next occurrence has come: a turn still open is missed (and stays with its
    member, the rotation does not advance), and the new occurrence is given out."""
    found = await turns.turn(services, int(firing.payload["turn"]))
    if found is None:
        return
    turn, owner = found
    if not owner.active:
        return
    if turn.state == "open":
        turn.state = "missed"
        turn.swap_with = None
        await turns.save(services, turn)
        await turns.give_turn(services, owner, firing.occurrence)


JOBS = (JobKind("nag", nag), JobKind("roll", roll))

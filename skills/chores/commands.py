"""/chores (what is due for me; `all`, `stats`, `points`, `add ...`), /away until Sunday, and
the Done / Why me? / Approve / Swap buttons under chore messages."""

from __future__ import annotations

from bot.actions import Turn, run_action
from bot.messages import Outcome
from bot.replies import outcome, say
from bot.skills import ButtonAction, Command

EVERYONE = frozenset({"all", "everyone", "alle", "todos"})
GONE = "That button doesn't do anything any more."


async def chores(turn: Turn, argument: str) -> Outcome:
    """/chores; /chores all; /chores stats; /chores points; /chores add WHAT [HOW OFTEN]."""
    verb, _, rest = argument.strip().partition(" ")
    verb = verb.casefold()
    if verb in EVERYONE:
        result = await run_action(turn, "chores.list", {"everyone": True})
    elif verb == "stats":
        result = await run_action(turn, "chores.stats", {})
    elif verb in ("points", "rewards"):
        result = await run_action(turn, "chores.rewards", {})
    elif verb == "claim":
        result = await run_action(turn, "chores.claim", {"reward": rest})
    elif verb == "add":
        if not rest.strip():
            return say(turn, "command", "For example: /chores add empty the dishwasher every day")
        result = await run_action(turn, "chores.add", {"what": rest})
    elif verb == "why":
        result = await run_action(turn, "chores.list", {"why": True})
    else:
        result = await run_action(turn, "chores.list", {})
    return outcome(turn, "command", result)


async def away(turn: Turn, argument: str) -> Outcome:
    """/away until Sunday; /away Ben until Sunday; /away back."""
    words = argument.split()
    if words and words[-1].casefold() in ("back", "zurück", "voltei", "volví"):
        member = " ".join(words[:-1])
        result = await run_action(turn, "chores.away", {"member": member, "back": True})
        return outcome(turn, "command", result)
    member = ""
    if len(words) > 1 and await turn.app.family.find(words[0]) is not None:
        member, words = words[0], words[1:]
    args = {"member": member, "until": " ".join(words)}
    return outcome(turn, "command", await run_action(turn, "chores.away", args))


async def press(turn: Turn, data: str) -> Outcome:
    """done:<turn>[:<who did it>] · why:<turn> · approve|decline:<turn> · grant|refuse:<claim> ·
    swap:<turn>:yes|no."""
    verb, _, rest = data.partition(":")
    number, _, answer = rest.partition(":")
    if not number.isdigit():
        return say(turn, "confirmation", GONE)
    key = int(number)
    if verb == "done":
        names = {m.id: m.name for m in await turn.app.family.members()}
        who = names.get(int(answer), "") if answer.isdigit() else ""
        result = await run_action(turn, "chores.complete", {"turn_id": key, "who": who})
    elif verb == "why":
        result = await run_action(turn, "chores.list", {"turn_id": key})
    elif verb in ("approve", "decline"):
        args = {"turn_id": key, "approve": verb == "approve"}
        result = await run_action(turn, "chores.approve", args)
    elif verb in ("grant", "refuse"):
        args = {"claim_id": key, "approve": verb == "grant"}
        result = await run_action(turn, "chores.approve", args)
    elif verb == "swap" and answer in ("yes", "no"):
        args = {"turn_id": key, "accept": answer == "yes"}
        result = await run_action(turn, "chores.swap", args)
    else:
        return say(turn, "confirmation", GONE)
    return outcome(turn, "confirmation", result)


CHORES = Command(
    "chores",
    chores,
    "what is due for you; /chores all; /chores stats; /chores points; "
    "/chores add empty the dishwasher every day",
    ("chores.list",),
)
AWAY = Command("away", away, "no chores while you're away: /away until Sunday", ("chores.away",))
BUTTONS = ButtonAction("chores", press)

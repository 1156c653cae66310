"""/ssh: the machines and actions this member may run, or `/ssh HOST ACTION name=value`."""

from __future__ import annotations

from bot.actions import ROLE_PLURALS, Turn, run_action
from bot.markdown import escape
from bot.messages import Outcome
from bot.replies import outcome, say
from bot.skills import Command
from bot.tools import is_allowed
from skills.ssh.catalog import SshSettings

USAGE = (
    "Usage: /ssh, or /ssh HOST ACTION name=value … "
    "(e.g. /ssh nas restart\\_service service=jellyfin)"
)


async def ssh(turn: Turn, argument: str) -> Outcome:
    if argument:
        return await _run(turn, argument)
    member = turn.member
    if not is_allowed(turn.app.permissions(member.role), "ssh.run"):
        return say(
            turn,
            "command",
            f"Sorry {escape(member.name)}, {ROLE_PLURALS[member.role]} can't run actions "
            "on the family's machines.",
        )
    catalog = turn.app.skill("ssh").services.settings_as(SshSettings)
    if not catalog.hosts:
        return say(
            turn,
            "command",
            "No machines are set up yet: a parent adds them to bot.toml (skills.ssh.hosts).",
        )
    lines = ["**What I can run on the family's machines**"]
    for host_name, host in catalog.hosts.items():
        lines += ["", f"**{escape(host_name)}** ({escape(host.address)})"]
        for name, action in host.actions.items():
            usage = " ".join([name, *(f"{arg}=…" for arg in action.args)])
            example = f" (“{escape(action.phrases[0])}”)" if action.phrases else ""
            asks = " — I ask first" if action.risk.needs_confirmation else ""
            lines.append(f"- `{usage}` — {escape(action.description)}{example}{asks}")
        if not host.actions:
            lines.append("- (no actions yet)")
    return say(turn, "command", "\n".join(lines))


async def _run(turn: Turn, argument: str) -> Outcome:
    words = argument.split()
    if len(words) < 2 or any("=" not in word for word in words[2:]):
        return say(turn, "command", USAGE)
    values = dict(word.split("=", 1) for word in words[2:])
    result = await run_action(
        turn, "ssh.run", {"host": words[0], "action": words[1], "args": values}
    )
    return outcome(turn, "command", result)


SSH = Command("ssh", ssh, "actions on the family's machines", ("ssh.run",))

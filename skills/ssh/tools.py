"""ssh.run: one named catalog action on one family machine — there is no free-form command tool."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from bot import audit
from bot.messages import Reply
from bot.notify import MemberRecipient, NoChatForMember
from bot.services import SkillServices
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from skills.ssh.catalog import Action, RunArguments, SshSettings, run_arguments

if TYPE_CHECKING:
    from skills.ssh.connections import Finished, HostKeyRefused

CONNECT_MARGIN_S = 30.0
"""Besides an action's own timeout: time to connect and log in."""
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

log = logging.getLogger(__name__)


def run_tool(catalog: SshSettings) -> Tool[RunArguments]:
    """`ssh.run` for this catalog: its risk is the chosen action's, its argv built here."""
    actions = [
        (host_name, action_name, action)
        for host_name, host in catalog.hosts.items()
        for action_name, action in host.actions.items()
    ]
    listed = "; ".join(
        f"{host}.{name} ({action.description}"
        + (f"; args: {', '.join(action.args)}" if action.args else "")
        + ")"
        for host, name, action in actions
    )

    def risk(args: RunArguments) -> Risk:
        return catalog.action(args.host, args.action).risk

    def describe(args: RunArguments) -> str:
        argv = catalog.action(args.host, args.action).argv_for(args.args)
        return f"run `{' '.join(argv)}` on {args.host}"

    async def run(context: ToolContext, args: RunArguments) -> ToolResult:
        return await run_action(context, catalog, args)

    longest = max((action.timeout_s for _, _, action in actions), default=30.0)
    return Tool(
        name="ssh.run",
        description="Run a named action on one of the family's machines"
        + (f": {listed}" if listed else " (none are set up yet)"),
        args=run_arguments(catalog),
        risk=risk,
        run=run,
        describe=describe,
        idempotent=False,
        untrusted_output=True,
        asks_after_untrusted_text=True,
        timeout_s=longest + CONNECT_MARGIN_S,
    )


async def run_action(context: ToolContext, catalog: SshSettings, args: RunArguments) -> ToolResult:
    from skills.ssh.connections import HostKeyRefused, HostUnreachable, SshPool

    services = context.services
    action = catalog.action(args.host, args.action)
    argv = action.argv_for(args.args)
    pool = services.client_as(SshPool)
    shown = {"host": args.host, "action": args.action, "argv": argv}

    async def record(status: str, detail: str) -> None:
        await audit.record(
            services.sessions, services.clock, context.member, "ssh.run", shown, status, detail
        )

    if not pool.has_key:
        await record("failed", "no client key")
        raise ToolError(
            f"I have no SSH key to log in to {args.host} yet: a parent needs to set "
            f"{catalog.key_file_env} to Gepeto's private key file."
        )
    try:
        finished = await pool.run(args.host, argv, action.timeout_s, action.output_limit)
    except HostKeyRefused as refused:
        await record("refused", f"host key {refused.offered} is not the pinned one")
        await tell_parents_about_host_key(services, catalog, refused)
        raise ToolError(
            f"I won't connect to {args.host}: it showed a different host key than the one "
            "pinned in bot.toml, so it may not be the real machine. A parent has been told."
        ) from None
    except HostUnreachable as error:
        log.warning("ssh %s/%s: %s", args.host, args.action, error)
        await record("failed", str(error))
        raise ToolError(f"I can't reach {args.host} right now. Please try again later.") from None
    await record(
        "timed out" if finished.timed_out else "ran",
        f"{args.host}/{args.action}: {ending(finished, action)} after {finished.seconds:.2f} s",
    )
    text = shown_result(args.host, action, finished)
    if not finished.succeeded:
        raise ToolError(text)
    data = {"host": args.host, "action": args.action, "exit_status": finished.exit_status}
    return ToolResult(text=text, data={**data, "output": finished.output})


def ending(finished: Finished, action: Action) -> str:
    """How the command ended, in words."""
    if finished.timed_out:
        return f"stopped after {action.timeout_s:g} s because it took too long"
    if finished.signal:
        return f"was stopped by the machine (signal {finished.signal})"
    if finished.exit_status == 0:
        return "finished fine"
    return f"failed (exit status {finished.exit_status})"


def shown_result(host: str, action: Action, finished: Finished) -> str:
    """The outcome in a sentence, then the output in a code block (capped)."""
    lines = [f"{action.description} on {host}: {ending(finished, action)}."]
    output = CONTROL_CHARACTERS.sub("", finished.output).rstrip()
    if output:
        longest_ticks = max((len(run) for run in re.findall(r"`+", output)), default=0)
        fence = "`" * max(3, longest_ticks + 1)
        lines.append(f"{fence}\n{output}\n{fence}")
    else:
        lines.append("(no output)")
    if finished.truncated:
        lines.append(f"(output cut at {action.output_limit} characters)")
    return "\n".join(lines)


async def tell_parents_about_host_key(
    services: SkillServices, catalog: SshSettings, refused: HostKeyRefused
) -> None:
    """Every parent hears once per unexpected key: a reinstall, or someone in between."""
    host = catalog.hosts[refused.host]
    text = (
        f"Gepeto refused to connect to {refused.host} ({host.address}:{host.port}): it showed "
        f"the host key {refused.offered or '(none)'}, not the one pinned in bot.toml. If the "
        "machine was reinstalled, put its new key in host_key; if not, someone may be in "
        "between — please check."
    )
    for member in await services.family.members():
        if member.role != "parent":
            continue
        try:
            await services.notify.push(
                MemberRecipient(member.id),
                Reply(text=text),
                key=f"ssh-host-key:{refused.host}:{refused.offered}:{member.id}",
            )
        except NoChatForMember:
            services.log.warning(
                "could not tell %s about %s's host key", member.name, refused.host
            )

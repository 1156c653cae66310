"""The daily reminder: a scheduled job kind, the setup that keeps it at the configured hour,
and the `gepeto doctor` rows that say whether it can reach everyone."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence

from pydantic import SecretStr

from bot.checks import Check
from bot.messages import Reply
from bot.notify import MemberRecipient, NoChatForMember
from bot.scheduler import Firing
from bot.services import SkillServices
from bot.skills import JobKind
from tests.support.example_skill.settings import WaterSettings

REMINDER = "Time for a glass of water 💧"


def _key(member_id: int) -> str:
    return f"remind:{member_id}"


async def remind_daily(services: SkillServices, member_id: int) -> None:
    """Starts the member's daily reminder unless they already have one.

    Scheduling a key again recomputes its next run from now, which would skip a firing that is
    due but not yet fired; so an existing reminder is left alone.
    """
    jobs = await services.jobs.jobs(member_id=member_id)
    if not any(job.kind == "remind" for job in jobs):
        await services.jobs.schedule(
            "remind",
            _key(member_id),
            rrule=services.settings_as(WaterSettings).reminder_rule,
            member_id=member_id,
        )


async def remind(services: SkillServices, firing: Firing) -> None:
    """Pushes the reminder; keyed by the firing, so a firing dispatched again sends nothing."""
    if firing.member_id is None:
        return
    if firing.status == "missed":
        services.log.info("skipped the %s reminder: the bot was down", firing.occurrence)
        return
    try:
        await services.notify.push(
            MemberRecipient(firing.member_id), Reply(text=REMINDER), key=firing.key
        )
    except NoChatForMember as error:
        services.log.warning("water reminder not sent: %s", error)


@contextlib.asynccontextmanager
async def keep_reminders_at_the_hour(
    services: SkillServices, _secrets: Mapping[str, SecretStr]
) -> AsyncIterator[None]:
    """At start-up, moves reminders to `reminder_hour` when bot.toml changed it.

    A reminder already at the right hour is not touched, so one that came due while the bot was
    down still fires (once) as a catch-up.
    """
    rule = services.settings_as(WaterSettings).reminder_rule
    for job in await services.jobs.jobs():
        if job.kind == "remind" and job.member_id is not None and job.rrule != rule:
            await services.jobs.schedule(
                "remind", _key(job.member_id), rrule=rule, member_id=job.member_id
            )
    yield None


async def reminder_rows(services: SkillServices) -> Sequence[Check]:
    """One ✓ row with the reminders; a ✗ for each member the reminder cannot reach."""
    hour = services.settings_as(WaterSettings).reminder_hour
    jobs = [job for job in await services.jobs.jobs() if job.kind == "remind"]
    names = {member.id: member.name for member in await services.family.members()}
    rows = [Check("example reminders", True, f"{len(jobs)} daily at {hour:02d}:00")]
    for job in jobs:
        if job.member_id is None:
            continue
        try:
            await services.notify.address(MemberRecipient(job.member_id))
        except NoChatForMember:
            name = names.get(job.member_id, f"member {job.member_id}")
            rows.append(
                Check(
                    f"example reminder for {name}",
                    False,
                    f"Gepeto has no chat with {name} to remind them in",
                    f"ask {name} to write to Gepeto once",
                )
            )
    return rows


REMIND = JobKind("remind", remind)

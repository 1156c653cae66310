"""The scheduled backup (`[backup] schedule`): an archive, the old ones thinned out, and a word
to the parents when it fails — a backup that silently stopped is found only when it is needed."""

from __future__ import annotations

import asyncio

from bot.backup import BackupError, prune, take_backup
from bot.messages import Reply
from bot.notify import MemberRecipient, NoChatForMember
from bot.scheduler import Firing
from bot.services import SkillServices
from bot.skills import JobKind

KIND = "backup"
KEY = "backup"


async def back_up(services: SkillServices, firing: Firing) -> None:
    plan = services.backup
    try:
        report = await take_backup(plan, services.clock.now())
        pruned = await asyncio.to_thread(
            prune, report.archive.parent, plan.settings.keep_daily, plan.settings.keep_weekly
        )
    except BackupError as error:
        services.log.error("scheduled backup failed: %s", error)
        await tell_parents(services, firing, str(error))
        raise
    services.log.info(
        "backed up into %s (%d bytes); %d old archive(s) removed",
        report.archive,
        report.size,
        len(pruned),
    )


async def tell_parents(services: SkillServices, firing: Firing, problem: str) -> None:
    """One push per parent per failed backup (a retried firing does not repeat it)."""
    text = f"Tonight's backup did not work: {problem}"
    stamp = firing.occurrence.isoformat()
    for member in await services.family.members():
        if member.role != "parent":
            continue
        try:
            await services.notify.push(
                MemberRecipient(member.id), Reply(text=text), f"backup-failed:{stamp}:{member.id}"
            )
        except NoChatForMember:
            services.log.warning("cannot tell %s about the failed backup: no chat", member.name)


async def keep_backups_scheduled(services: SkillServices) -> None:
    """Files the backup job with the configured rule, or removes it when there is none."""
    schedule = services.backup.settings.schedule
    if schedule:
        await services.jobs.schedule(KIND, KEY, rrule=schedule)
    else:
        await services.jobs.cancel(KEY)


BACKUP = JobKind(KIND, back_up)

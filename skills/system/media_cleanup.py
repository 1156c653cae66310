"""Downloaded voice notes, photos and files are deleted once `[media] keep_hours` have passed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from pydantic import SecretStr

from bot.scheduler import Firing
from bot.services import SkillServices
from bot.skills import JobKind
from skills.system.backups import keep_backups_scheduled

KIND = "media_cleanup"
KEY = "media-cleanup"
EVERY = "FREQ=HOURLY"


async def forget_old_media(services: SkillServices, firing: Firing) -> None:
    deleted = await services.media.forget_old(services.clock.now())
    if deleted:
        services.log.info("deleted %d downloaded file(s) older than the keeping time", deleted)


@contextlib.asynccontextmanager
async def keep_media_tidy(
    services: SkillServices, _secrets: Mapping[str, SecretStr]
) -> AsyncIterator[None]:
    """Files the cleanup hourly and the backup as configured; each start replaces the jobs."""
    await services.jobs.schedule(KIND, KEY, rrule=EVERY)
    await keep_backups_scheduled(services)
    yield


MEDIA_CLEANUP = JobKind(KIND, forget_old_media)

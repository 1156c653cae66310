"""Voice notes: transcribed on this machine with Whisper, shown, then handled like typed text."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from pydantic import SecretStr

from bot.services import SkillServices
from bot.skills import MediaHandler, Skill
from skills.voice.hearing import VOICE_BUTTONS, hear
from skills.voice.settings import VoiceSettings
from skills.voice.transcriber import Transcriber


@contextlib.asynccontextmanager
async def listening(
    services: SkillServices, _secrets: Mapping[str, SecretStr]
) -> AsyncIterator[Transcriber]:
    """The transcriber; its model loads with the first voice note, not at start-up."""
    yield Transcriber(services.settings_as(VoiceSettings), services.data_dir)


SKILL = Skill(
    name="voice",
    settings=VoiceSettings,
    media=(MediaHandler(kinds=("voice", "audio"), run=hear),),
    buttons=(VOICE_BUTTONS,),
    setup=listening,
)

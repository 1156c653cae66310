"""`gepeto say --attach note.ogg --json`: the transcript and the action it asked for (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.skills.voice.clips import needs_speech_tools, spoken
from tests.support.cli import Gepeto

pytestmark = [pytest.mark.slow, needs_speech_tools]


@pytest.mark.parametrize("voice_settings", ["sure_above = 0.05\n"])
def test_say_with_a_voice_note_attached_returns_its_transcript_and_the_action(
    gepeto: Gepeto, tmp_path: Path
) -> None:
    clip = spoken(tmp_path, "I spent twelve euros at the bakery.")

    result = gepeto("say", "--as", "Ana", "--json", "--attach", str(clip))

    said = json.loads(result.stdout)
    assert said["transcript"]["language"] == "en"
    assert "bakery" in said["transcript"]["text"].lower()
    assert 0 < said["transcript"]["confidence"] <= 1
    assert [(a["tool"], a["status"]) for a in said["actions"]] == [
        ("voice.transcribe", "done"),
        ("budget.add_expense", "needs_confirmation"),
    ]

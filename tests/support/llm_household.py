"""A test household whose bot.toml turns the language model on, pointed at given endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tests.support.home import write_bot_toml

MODEL = "llama3.2:3b"


def write_llm_bot_toml(
    directory: Path,
    urls: Sequence[str] = (),
    *,
    fast: str = MODEL,
    chat: str = MODEL,
    max_parallel: int = 2,
    extra: str = "",
) -> Path:
    """bot.toml with [llm] on; no `urls` leaves the endpoint to OLLAMA_HOST."""
    models = f'[llm.models]\nfast = "{fast}"\nchat = "{chat}"\n'
    path = write_bot_toml(directory, models + extra)
    endpoints = ", ".join(
        f'{{ name = "gpu{number}", url = "{url}", max_parallel = {max_parallel} }}'
        for number, url in enumerate(urls, start=1)
    )
    llm = "enabled = true\n" + (f"endpoints = [{endpoints}]" if urls else "")
    path.write_text(path.read_text().replace("enabled = false", llm), encoding="utf-8")
    return path

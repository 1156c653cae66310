"""Fast-path intents from the catalog: each action's own example phrases, in plain words."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.fastpath import Intent
from skills.ssh.catalog import PHRASE_SLOT, SshSettings

SLOT_VALUE = r"\S+"
"""A slot takes any one word here; the action's argument model then accepts or refuses it."""


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """'restart {service} on the nas?' → a full-match, case-insensitive regex; text is literal."""
    body = ""
    position = 0
    text = phrase.strip().rstrip("?!. ")
    for slot in PHRASE_SLOT.finditer(text):
        body += _literal(text[position : slot.start()]) + f"(?P<{slot[1]}>{SLOT_VALUE})"
        position = slot.end()
    body += _literal(text[position:])
    return re.compile(rf"^{body}\??$", re.IGNORECASE)


def _literal(text: str) -> str:
    return r"\s+".join(re.escape(word) for word in text.split(" ")).replace(r"\s+\s+", r"\s+")


def catalog_intents(catalog: SshSettings) -> Iterator[Intent]:
    for host_name, host in catalog.hosts.items():
        for action_name, action in host.actions.items():
            if not action.phrases:
                continue
            yield Intent(
                tool="ssh.run",
                patterns=tuple(phrase_pattern(phrase) for phrase in action.phrases),
                slots=dict.fromkeys(action.args, "word"),
                defaults={"host": host_name, "action": action_name, "args": {}},
                slots_into="args",
            )

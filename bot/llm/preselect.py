"""Small prompts for small models: offer the model only the tools a message is about.

Every tool schema is re-read by the model each round (35 tools ≈ 3.5k tokens), which crowds
a small model's context and its attention. A message's words — with the message it replies
to and the last exchange in this chat — pick the skills whose words they contain: each skill's
`keywords` and name always count; the words of its fast-path phrases, tool names and tool
descriptions count when they have four letters or more, are not common words ("please",
"unsere") and fewer than three skills share them ("list", "show"...). The skills
of the chat's last exchange and those the member used in the last few minutes are offered too,
so "and eggs too" or "yes, do it" still reach them. A longer message that names no skill, or
any message when nothing at all matches, gets every allowed tool: a request in words no skill
knows must not lose its tool. Which tools exist and who may run them is unchanged
(`run_action` decides); only the schemas sent to the model shrink.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from bot.actions import Turn
from bot.fastpath import FastPath, Intent
from bot.skills import Skill
from bot.tools import AnyTool
from storage.database import SessionFactory
from storage.models import AuditEntry

FOLLOW_UP_WINDOW = timedelta(minutes=10)
"""Tools a member used this recently stay on offer: the next message may be a follow-up."""
FOLLOW_UP_WORDS = 6
"""A message this short that names no skill is taken as a follow-up ("yes, for tomorrow")."""
SHARED_BY = 3
"""A derived word found in this many skills says nothing about which one is meant."""
WORD = re.compile(r"[^\W\d_]+")
SUFFIXES = ("ungen", "ing", "ung", "ers", "en", "er", "es", "e", "s")
"""One is stripped, so that chores/chore, Einkäufe/Einkauf, tareas/tarea, reminders/remind meet."""
MIN_STEM = 4
MIN_DERIVED = 4
"""Shorter words of phrases and descriptions ("out", "got", "put") say too little to count."""
COMMON_WORDS = {
    # Words of the family's languages that phrases and descriptions are full of.
    "en": "about also been best could does done default exist existing from given happened have "
    "into just like match member members more once open please should some something still "
    "than that their them then there these they this those used very what when where which "
    "will with would your ours thing things anything everything sort",
    "de": "aber alle auch bitte dass eine einem einen einer habe haben kann mein meine meinen "
    "meiner nicht noch oder sind unser unsere unserer unseren wird",
    "pt": "como esta este isso isto meu minha nosso nossa para pela pelo sobre uma umas",
    "es": "algo cuando donde esto estos porque",
}
STOPWORDS = frozenset(word for words in COMMON_WORDS.values() for word in words.split())


async def tools_for(
    turn: Turn, allowed: Sequence[AnyTool], earlier: Sequence[dict[str, Any]]
) -> list[AnyTool]:
    """The allowed tools to offer the model for this message."""
    app = turn.app
    registry = app.tools

    def owner(name: str) -> str | None:
        return registry.skill_of(name) if registry.get(name) is not None else None

    words = _known_words.get(app.fastpath)
    if words is None:  # skills and phrases are fixed once the app is open: build this once
        skills = (loaded.skill for loaded in app.skills)
        words = _known_words[app.fastpath] = vocabulary(skills, app.fastpath.intents, owner)
    incoming = turn.incoming
    asked = matching_skills([incoming.text, incoming.reply_to_text or ""], words)
    if not asked and len(incoming.text.split()) > FOLLOW_UP_WORDS:
        return list(allowed)  # a request in words no skill knows: let the model see everything
    context = matching_skills(last_exchange(earlier), words)
    context |= await recently_used(app.sessions, turn.member.id, app.clock.now(), owner)
    return narrow(allowed, registry.skill_of, asked | context)


_known_words: weakref.WeakKeyDictionary[FastPath, list[SkillWords]] = weakref.WeakKeyDictionary()
"""Each open app's vocabulary, keyed by its fast path (built with it, gone with it)."""


def stem(word: str) -> str:
    """A crude stem: 'reminders' → 'remind', 'Einkaufsliste' → 'einkaufslist'."""
    for suffix in SUFFIXES:
        keep = len(word) - len(suffix)
        if word.endswith(suffix) and keep >= (3 if suffix == "s" else MIN_STEM):
            return word[:keep]
    return word


def words_of(text: str) -> list[str]:
    """The stems of a text's words: casefolded, accents stripped ('Küche' → 'kuch')."""
    return [stem(word) for word in _plain_words(text)]


def _plain_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return WORD.findall("".join(char for char in folded if not unicodedata.combining(char)))


@dataclass(frozen=True)
class SkillWords:
    """The stems that point at one skill, and its multi-word keywords ('write down')."""

    skill: str
    words: frozenset[str]
    phrases: tuple[tuple[str, ...], ...] = ()

    def found_in(self, stems: Sequence[str]) -> bool:
        if any(_matches(word, keyword) for word in stems for keyword in self.words):
            return True
        return any(_contains(stems, phrase) for phrase in self.phrases)


def _matches(word: str, keyword: str) -> bool:
    """Same stem, or a compound that starts with (or, when long, holds) the keyword."""
    if word == keyword:
        return True
    if len(keyword) >= MIN_STEM and word.startswith(keyword):
        return True
    return len(keyword) > MIN_STEM and keyword in word


def _contains(stems: Sequence[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tuple(stems[i : i + size]) == phrase for i in range(len(stems) - size + 1))


def vocabulary(
    skills: Iterable[Skill], intents: Iterable[Intent], skill_of: Callable[[str], str | None]
) -> list[SkillWords]:
    """Each skill's words: its keywords and name, plus derived words few skills share."""
    explicit: dict[str, set[str]] = defaultdict(set)
    phrases: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    derived: dict[str, set[str]] = defaultdict(set)
    for skill in skills:
        explicit[skill.name].update(words_of(skill.name))
        for keyword in skill.keywords:
            stems = tuple(words_of(keyword))
            if len(stems) == 1:
                explicit[skill.name].add(stems[0])
            elif stems:
                phrases[skill.name].add(stems)
        for tool in skill.tools:
            derived[skill.name].update(_content_words(f"{tool.name} {tool.description}"))
    for intent in intents:
        owner = skill_of(intent.tool)
        if owner is not None:
            derived[owner].update(_content_words(" ".join(intent.words)))
    sharing: dict[str, int] = defaultdict(int)
    for words in derived.values():
        for word in words:
            sharing[word] += 1
    return [
        SkillWords(
            skill=name,
            words=frozenset(explicit[name] | {w for w in derived[name] if sharing[w] < SHARED_BY}),
            phrases=tuple(sorted(phrases[name])),
        )
        for name in sorted(explicit.keys() | derived.keys())
    ]


def _content_words(text: str) -> set[str]:
    """Stems of the words that say something: long enough, and not common words."""
    return {stem(w) for w in _plain_words(text) if len(w) >= MIN_DERIVED and w not in STOPWORDS}


def matching_skills(texts: Iterable[str], words: Iterable[SkillWords]) -> set[str]:
    """The skills whose words occur in any of the texts."""
    stems = [words_of(text) for text in texts if text]
    return {entry.skill for entry in words if any(entry.found_in(s) for s in stems)}


def narrow(
    allowed: Sequence[AnyTool], skill_of: Callable[[str], str], skills: set[str]
) -> list[AnyTool]:
    """The allowed tools of these skills; all of them when none of these skills has one."""
    chosen = [tool for tool in allowed if skill_of(tool.name) in skills]
    return chosen or list(allowed)


async def recently_used(
    sessions: SessionFactory, member_id: int, now: datetime, skill_of: Callable[[str], str | None]
) -> set[str]:
    """Skills whose tools this member used (or tried) within the follow-up window."""
    async with sessions() as session:
        rows = await session.exec(
            select(AuditEntry.action)
            .where(AuditEntry.member_id == member_id, col(AuditEntry.at) >= now - FOLLOW_UP_WINDOW)
            .distinct()
        )
        actions = list(rows)
    return {skill for action in actions if (skill := skill_of(action)) is not None}


def last_exchange(earlier: Sequence[dict[str, Any]]) -> list[str]:
    """The last thing the member said and the last answer, from the chat's history."""
    found: list[str] = []
    for role in ("user", "assistant"):
        text = next((m["content"] for m in reversed(earlier) if m["role"] == role), "")
        if isinstance(text, str) and text:
            found.append(text)
    return found

"""Ranks notes for a question from several signals: passage words, passage meaning, note cards.

Passage rankings (BM25 and vectors) say which part of a note matches: they are fused per
passage by reciprocal rank, and each note ranked by its best passage. A note's card (title,
aliases, headings and first paragraph) says what the whole note is about: its BM25 ranking is
fused with the notes' ranking. Two corrections follow from how people ask:

- A question in another language than the vault's shares few words with the notes, so the
  word-based rankings weigh less and the multilingual vectors decide — unless the vault knows
  the question's words (a family vault in several languages, a name): then the words weigh by
  the share of them the vault knows. From the other side, a question in the vault's language
  about a note in another language (the German ski checklist, asked in English) cannot share
  words with it: such a note is not held back by the words' silence.
- "When did … first appear" asks for a release note or a dated note: for such questions the
  dated notes among the candidates get a ranking of their own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from bm25s import stopwords

from knowledge.retrieval import RRF_K, KeywordIndex, Passage

_WORD = re.compile(r"\w+")
_LANGUAGE_WORDS = {
    "en": frozenset(stopwords.STOPWORDS_EN_PLUS),
    "de": frozenset(stopwords.STOPWORDS_GERMAN),
    "es": frozenset(stopwords.STOPWORDS_SPANISH),
    "pt": frozenset(stopwords.STOPWORDS_PORTUGUESE),
    "fr": frozenset(stopwords.STOPWORDS_FRENCH),
    "it": frozenset(stopwords.STOPWORDS_ITALIAN),
    "nl": frozenset(stopwords.STOPWORDS_DUTCH),
}
_DATED_NAME = re.compile(r"^v?\d+(\.\d+)+$|^\d{4}-\d{2}-\d{2}")
_WHEN_QUESTION = re.compile(
    r"^\s*when (did|was|were|has|have)\b.*"
    r"\b(first|start|introduc|add|appear|arriv|come|came|releas|replac|launch)"
    r"|\b(which|what) (app |mobile |desktop )?(version|release|update)\b"
    r"|\bsince (which|what|when)\b|\bfirst (appear|show|came|arriv|introduc|added)"
    r"|\bseit (wann|welcher)\b|\b(in )?welcher version\b|\bwann (kam|gab|wurde)\b"
    r"|\bdesde (qué|cuándo)\b|\bqué versión\b|\bcuándo (se |salió|apareció|llegó)"
    r"|\bdesde quando\b|\bqual versão\b|\bquando (saiu|surgiu|apareceu|chegou)",
)
_NUMBERS = re.compile(r"\d+")
CARD_CHARS = 400
DATED_POOL = 5
"""How many of the best dated candidates a "when" question reorders, oldest first."""


@dataclass(frozen=True)
class RankingSettings:
    """How much each ranking counts. The defaults are the settings chosen on all development
    questions by tests/benchmarks/retrieval_quality.py (which also cross-validates them), except
    `cross_language_imputation`: those questions cannot judge it (the vault they ask has no
    notes in another language), so it follows its reason, as the family vault's questions bear
    out."""

    vector_weight: float = 1.0
    keyword_weight: float = 1.0
    card_weight: float = 0.0
    """0 by default: on the development questions the cards did not pay their way."""
    foreign_keyword_share: float = 0.25
    """The share of the word-based weights kept at least when the question's language is not
    the vault's; more when more of the question's words are the vault's (`known_words`)."""
    dated_weight: float = 1.0
    """Weight of the dated notes' own ranking for "when did … first …" questions."""
    oldest_first: bool = False
    """Whether that ranking puts the oldest of the best few dated notes first."""
    cross_language_imputation: bool = True
    """For a question in the vault's language, a note in another language takes its vector rank
    as its word ranks when that is better: words cannot match across languages, so their silence
    proves nothing. (A question in another language than the vault's has its words weigh less
    instead, see `foreign_keyword_share`: both at once would count the vectors twice.)"""
    k: int = 5
    """The fusion constant for notes: small, so that a first place counts clearly more."""


@dataclass(frozen=True)
class RankedNote:
    """A note in the final ranking with the passage that represents it."""

    path: str
    chunk_id: str
    score: float


def query_language(text: str) -> str:
    """The language whose common words the text uses most ("en", "de", …), "" when unsure."""
    words = set(_WORD.findall(text.casefold()))
    counts = {language: len(words & common) for language, common in _LANGUAGE_WORDS.items()}
    best = max(counts.values())
    if best == 0:
        return ""
    leaders = [language for language, count in counts.items() if count == best]
    return leaders[0] if len(leaders) == 1 or "en" not in leaders else "en"


def asks_when(question: str) -> bool:
    """True for questions about when something first appeared or changed (a version or date)."""
    return _WHEN_QUESTION.search(question.casefold()) is not None


def is_dated(path: str) -> bool:
    """True for notes named by a version or a date: release notes, daily notes."""
    return _DATED_NAME.match(PurePosixPath(path).stem) is not None


class NoteCards:
    """BM25 over one short card per note (title, aliases, headings, first paragraph).

    Immutable like KeywordIndex: `changed` returns a new one. Also knows the vault's main
    language, judged from the cards' words.
    """

    def __init__(
        self,
        tokens: KeywordIndex | None = None,
        first_passages: Mapping[str, str] | None = None,
        languages: Mapping[str, str] | None = None,
    ) -> None:
        self._index = tokens or KeywordIndex()
        self._first = dict(first_passages or {})
        self._languages = dict(languages or {})
        counts = Counter(language for language in self._languages.values() if language)
        self.language = counts.most_common(1)[0][0] if counts else ""

    @classmethod
    def of(cls, passages: Iterable[Passage]) -> NoteCards:
        """Cards for every note among the passages."""
        return cls().changed((), passages)

    def changed(self, removed_paths: Iterable[str], added: Iterable[Passage]) -> NoteCards:
        """New cards without the notes at `removed_paths`, plus the notes of `added` passages."""
        gone = set(removed_paths)
        by_note: dict[str, list[Passage]] = {}
        for passage in added:
            by_note.setdefault(passage.path, []).append(passage)
        gone.update(by_note)
        first = {path: cid for path, cid in self._first.items() if path not in gone}
        languages = {path: lang for path, lang in self._languages.items() if path not in gone}
        cards: list[tuple[str, str]] = []
        for path, note_passages in by_note.items():
            note_passages.sort(key=_position)
            card = _card_text(note_passages)
            first[path] = note_passages[0].chunk_id
            languages[path] = query_language(card)
            cards.append((f"{path}#card", card))
        index = self._index.changed(gone, cards)
        return NoteCards(index, first, languages)

    def language_of(self, path: str) -> str:
        """The language of the note's card, "" when unsure."""
        return self._languages.get(path, "")

    def first_passage(self, path: str) -> str | None:
        """The chunk id of the note's first passage."""
        return self._first.get(path)

    def search(self, query: str, limit: int) -> list[str]:
        """Note paths whose cards match the query's words, best first."""
        return [card_id[: -len("#card")] for card_id, _ in self._index.search(query, limit)]


def rank_notes(
    query: str,
    passages: Mapping[str, Passage],
    by_vector: Sequence[str],
    by_keyword: Sequence[str],
    cards: NoteCards,
    settings: RankingSettings | None = None,
    limit: int = 50,
    known_words: float = 0.0,
) -> list[RankedNote]:
    """Notes best first, fused from passage rankings (chunk ids, best first) and the cards.

    `known_words` is the share of the query's words found in the vault's passages
    (KeywordIndex.known_share).
    """
    settings = settings or RankingSettings()
    language = query_language(query)
    share = 1.0
    if language and cards.language and language != cards.language:
        share = max(settings.foreign_keyword_share, known_words)
    imputing = settings.cross_language_imputation and bool(language) and language == cards.language
    vector_ranks = _ranks([cid for cid in by_vector if cid in passages])
    keyword_ranks = _ranks([cid for cid in by_keyword if cid in passages])
    if imputing:
        for cid, rank in vector_ranks.items():
            if cards.language_of(passages[cid].path) not in ("", language):
                keyword_ranks[cid] = min(keyword_ranks.get(cid, rank), rank)
    fused = _fused(
        [(vector_ranks, settings.vector_weight), (keyword_ranks, settings.keyword_weight * share)],
        RRF_K,
    )
    best_passage: dict[str, str] = {}
    base_ranks = _ranks(_notes_of(list(fused), passages, best_passage))
    card_ranks: dict[str, int] = {}
    if settings.card_weight:
        card_ranks = _ranks([p for p in cards.search(query, limit) if cards.first_passage(p)])
    if imputing:
        for path, rank in base_ranks.items():
            if cards.language_of(path) not in ("", language):
                card_ranks[path] = min(card_ranks.get(path, rank), rank)
    rankings = [(base_ranks, 1.0), (card_ranks, settings.card_weight * share)]
    scores = _fused(rankings, settings.k)
    if settings.dated_weight and asks_when(query):
        dated = [path for path in scores if is_dated(path)]
        if settings.oldest_first:
            dated[:DATED_POOL] = sorted(dated[:DATED_POOL], key=_age)
        rankings.append((_ranks(dated), settings.dated_weight))
        scores = _fused(rankings, settings.k)
    ranked = []
    for path, score in scores.items():
        chunk_id = best_passage.get(path) or cards.first_passage(path)
        if chunk_id is not None and chunk_id in passages:
            ranked.append(RankedNote(path=path, chunk_id=chunk_id, score=score))
    return ranked


def top_score(settings: RankingSettings | None = None) -> float:
    """The score of a note ranked first by every ranking: divides scores into 0…1."""
    settings = settings or RankingSettings()
    return (1.0 + settings.card_weight + settings.dated_weight) / (settings.k + 1)


def _notes_of(
    chunk_ids: Sequence[str], passages: Mapping[str, Passage], best: dict[str, str]
) -> list[str]:
    """Note paths in the order of their best passage; remembers each note's first passage."""
    notes: dict[str, None] = {}
    for chunk_id in chunk_ids:
        passage = passages.get(chunk_id)
        if passage is None:
            continue
        if passage.path not in notes:
            notes[passage.path] = None
            best.setdefault(passage.path, chunk_id)
    return list(notes)


def _ranks(ranking: Sequence[str]) -> dict[str, int]:
    return {item: rank for rank, item in enumerate(ranking)}


def _fused(rankings: Sequence[tuple[Mapping[str, int], float]], k: int) -> dict[str, float]:
    """Weighted reciprocal rank fusion of rankings given as {item: rank from 0}."""
    scores: dict[str, float] = {}
    for ranks, weight in rankings:
        for item, rank in ranks.items():
            scores[item] = scores.get(item, 0.0) + weight / (k + rank + 1)
    return dict(sorted(scores.items(), key=lambda pair: -pair[1]))


def _age(path: str) -> tuple[int, ...]:
    """A dated note's version or date as numbers, so that older sorts first."""
    return tuple(int(number) for number in _NUMBERS.findall(PurePosixPath(path).stem))


def _position(passage: Passage) -> int:
    tail = passage.chunk_id.rpartition("#")[2]
    return int(tail) if tail.isdigit() else 0


def _card_text(note_passages: Sequence[Passage]) -> str:
    """Title and aliases (twice, as in passages), headings, then the note's opening."""
    first = note_passages[0]
    names = " ".join((first.title, *first.aliases))
    headings = " ".join(dict.fromkeys(p.heading for p in note_passages if p.heading))
    return "\n".join((names, names, headings, first.text[:CARD_CHARS]))

"""Prints recall@5 and MRR of each retrieval method on questions it was not tuned on.

Run: `python tests/benchmarks/retrieval_quality.py`. Three question sets:

(a) the development questions over ../shared/data/vaults/obsidian-help, by 2-fold
    cross-validation: the ranking settings are chosen on one half and scored on the other;
(b) 30 more questions over the same vault (tests/data/knowledge), scored with the settings
    chosen on all development questions;
(c) 40 questions over the generated family vault (tests/support/family_vault.py), likewise.

Methods: BM25 alone, vectors alone, plain reciprocal rank fusion of the two (today's hybrid
search), and the final pipeline (knowledge/ranking.py). With `--ollama URL --model NAME` a
fifth row, "rewritten", adds the fast model's passage for each question
(knowledge/expansion.py), as `knowledge.ask` does when a chat model is there; this machine has
no model, so the row only appears where one runs. With `--misses`, every question the final
pipeline misses is listed with the relevant note's place in each ranking. Retrieval runs in
memory over the same passages the index stores; vectors come from the offline embedder and are
cached on disk (tests/support/vector_cache.py), so only the first run pays for embedding.
Nothing asserts.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from knowledge.chunking import chunk_note  # noqa: E402
from knowledge.embedders import offline_embedder  # noqa: E402
from knowledge.expansion import MAX_CHARS, expansion_messages  # noqa: E402
from knowledge.index import CANDIDATES  # noqa: E402
from knowledge.ingestion import chunk_id, vault_notes  # noqa: E402
from knowledge.markdown import parse_note  # noqa: E402
from knowledge.ranking import NoteCards, RankingSettings, rank_notes  # noqa: E402
from knowledge.retrieval import RRF_K, KeywordIndex, Passage, fuse  # noqa: E402
from tests.support.family_vault import write_family_vault  # noqa: E402
from tests.support.vector_cache import CachedEmbedder  # noqa: E402

SHARED = ROOT / ".." / "shared" / "data" / "vaults"
HELP_VAULT = SHARED / "obsidian-help"
DEV_QUESTIONS = SHARED / "obsidian-help-questions.dev.jsonl"
EXTRA_QUESTIONS = ROOT / "tests" / "data" / "knowledge" / "obsidian-help-questions.extra.jsonl"
METHODS = ("bm25", "vectors", "fusion", "final")
GRID = {
    "k": (5, 20, 60),
    "card_weight": (0.0, 0.5, 1.0),
    "foreign_keyword_share": (0.25, 0.5, 1.0),
    "dated_weight": (0.0, 1.0, 2.0),
    "oldest_first": (False, True),
    "cross_language_imputation": (False, True),
}


@dataclass(frozen=True)
class Question:
    question: str
    relevant: frozenset[str]


class Searcher:
    """One vault's passages, BM25, cards and vectors, searched the way VaultIndex searches."""

    def __init__(self, root: Path, embedder: CachedEmbedder) -> None:
        self.embedder = embedder
        chunks = []
        for relative, path in vault_notes(root):
            note = parse_note(relative, path.read_text("utf-8", errors="replace"))
            chunks.extend(chunk_note(note))
        self.ids = [chunk_id(chunk) for chunk in chunks]
        self.passages = {
            chunk_id(c): Passage(chunk_id(c), c.path, c.title, c.heading, c.text, c.aliases)
            for c in chunks
        }
        self.keywords = KeywordIndex().changed((), ((chunk_id(c), c.keyword_text) for c in chunks))
        self.cards = NoteCards.of(self.passages.values())
        started, cpu = time.perf_counter(), _cpu()
        vectors = embedder.embed_passages(
            [c.embedding_text for c in chunks], progress=_progress("passages")
        )
        if embedder.embedded:
            print(
                f"  embedded {embedder.embedded} passages in {time.perf_counter() - started:.0f} s"
                f" ({_cpu() - cpu:.0f} CPU s)",
                file=sys.stderr,
            )
        self.matrix = np.asarray(vectors, dtype=np.float32)
        self.matrix /= np.linalg.norm(self.matrix, axis=1, keepdims=True)
        self.notes = len({c.path for c in chunks})
        self._candidates: dict[str, tuple[list[str], list[str]]] = {}

    def candidates(self, query: str, also: str = "") -> tuple[list[str], list[str]]:
        """(by vector, by keyword) chunk ids, best first, as the index gathers them."""
        key = f"{query}\n{also}"
        if key not in self._candidates:
            self._candidates[key] = self._gathered(query, also)
        return self._candidates[key]

    def _gathered(self, query: str, also: str) -> tuple[list[str], list[str]]:
        by_vector = self._nearest(self.embedder.embed_query(query))
        by_keyword = [cid for cid, _ in self.keywords.search(query, CANDIDATES)]
        if also:
            alike = self._nearest(self.embedder.embed_passages([also])[0])
            by_vector = [cid for cid, _ in fuse([(by_vector, 1.0), (alike, 1.0)])]
            worded = [cid for cid, _ in self.keywords.search(also, CANDIDATES)]
            by_keyword = [cid for cid, _ in fuse([(by_keyword, 1.0), (worded, 1.0)])]
        return by_vector, by_keyword

    def _nearest(self, vector: Sequence[float]) -> list[str]:
        query = np.asarray(vector, dtype=np.float32)
        similarity = self.matrix @ (query / np.linalg.norm(query))
        return [self.ids[i] for i in np.argsort(-similarity)[:CANDIDATES].tolist()]

    def rewritten(self, query: str, rewrite: Callable[[str], str]) -> list[str]:
        """The final pipeline with the fast model's passage for the query, as knowledge.ask."""
        also = rewrite(query)
        by_vector, by_keyword = self.candidates(query, also)
        asked = f"{query}\n{also}" if also else query
        known = self.keywords.known_share(asked)
        ranked = rank_notes(
            asked, self.passages, by_vector, by_keyword, self.cards, known_words=known
        )
        return [note.path for note in ranked]

    def ranking(
        self, query: str, method: str, settings: RankingSettings | None = None
    ) -> list[str]:
        by_vector, by_keyword = self.candidates(query)
        if method == "final":
            known = self.keywords.known_share(query)
            ranked = rank_notes(
                query,
                self.passages,
                by_vector,
                by_keyword,
                self.cards,
                settings,
                known_words=known,
            )
            return [note.path for note in ranked]
        rankings = {
            "bm25": [(by_keyword, 1.0)],
            "vectors": [(by_vector, 1.0)],
            "fusion": [(by_vector, 1.0), (by_keyword, 1.0)],
        }[method]
        notes: dict[str, None] = {}
        for cid, _ in fuse(rankings, k=RRF_K):
            notes.setdefault(self.passages[cid].path, None)
        return list(notes)


def scores(rank: Callable[[str], list[str]], questions: Sequence[Question]) -> tuple[float, float]:
    """(recall@5, MRR@10): any relevant note counts."""
    found, reciprocal = 0, 0.0
    for question in questions:
        hits = rank(question.question)[:10]
        found += any(path in question.relevant for path in hits[:5])
        place = next((n for n, p in enumerate(hits, 1) if p in question.relevant), None)
        reciprocal += 1 / place if place else 0.0
    return found / len(questions), reciprocal / len(questions)


def tuned(searcher: Searcher, questions: Sequence[Question]) -> RankingSettings:
    """The grid point with the best MRR (then recall@5) on these questions."""
    best: tuple[float, float] | None = None
    chosen = RankingSettings()
    for values in itertools.product(*GRID.values()):
        settings = replace(RankingSettings(), **dict(zip(GRID, values, strict=True)))
        recall, mrr = scores(lambda q, s=settings: searcher.ranking(q, "final", s), questions)
        if best is None or (mrr, recall) > best:
            best, chosen = (mrr, recall), settings
    return chosen


def cross_validated(searcher: Searcher, questions: Sequence[Question]) -> tuple[float, float]:
    """Settings tuned on one half, scored on the other; both halves pooled."""
    halves = (questions[0::2], questions[1::2])
    recall_sum, mrr_sum = 0.0, 0.0
    for tune_on, test_on in ((halves[0], halves[1]), (halves[1], halves[0])):
        settings = tuned(searcher, tune_on)
        print(f"    fold tuned on {len(tune_on)}: {_settings_text(settings)}")
        recall, mrr = scores(lambda q, s=settings: searcher.ranking(q, "final", s), test_on)
        recall_sum += recall * len(test_on)
        mrr_sum += mrr * len(test_on)
    return recall_sum / len(questions), mrr_sum / len(questions)


def report(
    title: str,
    searcher: Searcher,
    questions: Sequence[Question],
    final: Callable[[], tuple[float, float]],
    rewrite: Callable[[str], str] | None = None,
    show_misses: bool = False,
) -> None:
    print(f"{title}: {len(questions)} questions, {searcher.notes} notes")
    results = {}
    for method in METHODS[:-1]:
        results[method] = scores(lambda q, m=method: searcher.ranking(q, m), questions)
    results["final"] = final()
    if rewrite is not None:
        results["rewritten"] = scores(lambda q: searcher.rewritten(q, rewrite), questions)
    print(f"  {'method':10} recall@5    MRR")
    for method, (recall, mrr) in results.items():
        print(f"  {method:10} {recall:8.2f} {mrr:6.2f}")
    if show_misses:
        print_misses(searcher, questions)


def print_misses(searcher: Searcher, questions: Sequence[Question]) -> None:
    """Each question the final pipeline misses, with the note's place in every ranking."""
    for question in questions:
        places = {}
        for method in METHODS:
            ranked = searcher.ranking(question.question, method)
            places[method] = next(
                (n for n, path in enumerate(ranked, 1) if path in question.relevant), None
            )
        if places["final"] is not None and places["final"] <= 5:
            continue
        where = ", ".join(f"{m} {p or '-'}" for m, p in places.items())
        print(f"    miss: {question.question[:70]!r} ({where})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--family-only", action="store_true", help="only (c), the generated family vault"
    )
    parser.add_argument("--ollama", help="an Ollama server's URL, for the 'rewritten' row")
    parser.add_argument("--model", default="llama3.2:3b", help="the fast model to rewrite with")
    parser.add_argument(
        "--misses", action="store_true", help="list each question the final pipeline misses"
    )
    arguments = parser.parse_args()
    family_only = arguments.family_only
    rewrite = ollama_rewriter(arguments.ollama, arguments.model) if arguments.ollama else None
    if not HELP_VAULT.is_dir() and not family_only:
        sys.exit(f"no vault at {HELP_VAULT}: the shared data is missing")
    started, cpu = time.perf_counter(), _cpu()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    embedder = CachedEmbedder(offline_embedder())
    if not family_only:
        help_vault_reports(embedder, rewrite, arguments.misses)

    with tempfile.TemporaryDirectory(prefix="gepeto-family-") as scratch:
        vault = write_family_vault(Path(scratch) / "vault")
        family = Searcher(vault.root, embedder)
        questions = [Question(q.question, frozenset(q.relevant)) for q in vault.questions]
        report(
            "(c) family vault (shipped defaults)",
            family,
            questions,
            final_on(family, questions),
            rewrite,
            arguments.misses,
        )
    print(
        f"took {time.perf_counter() - started:.0f} s wall, {_cpu() - cpu:.0f} CPU s "
        f"(user+sys); load average at end: {os.getloadavg()[0]:.1f}"
    )


def help_vault_reports(
    embedder: CachedEmbedder, rewrite: Callable[[str], str] | None, show_misses: bool
) -> None:
    """(a) and (b), over the obsidian-help vault."""
    help_vault = Searcher(HELP_VAULT, embedder)
    dev = _questions(DEV_QUESTIONS)
    chosen = tuned(help_vault, dev)
    report(
        "(a) dev set, 2-fold cross-validation",
        help_vault,
        dev,
        lambda: cross_validated(help_vault, dev),
        rewrite,
        show_misses,
    )
    print(f"  settings tuned on all dev questions: {_settings_text(chosen)}")
    print(f"  shipped defaults: {_settings_text(RankingSettings())}")
    recall, mrr = final_on(help_vault, dev)()
    print(f"  shipped defaults on the dev set itself (in-sample): {recall:.2f} {mrr:.2f}")
    extra = _questions(EXTRA_QUESTIONS)
    report(
        "(b) 30 new questions (shipped defaults)",
        help_vault,
        extra,
        final_on(help_vault, extra),
        rewrite,
        show_misses,
    )


def ollama_rewriter(url: str, model: str) -> Callable[[str], str]:
    """Passages from an Ollama model, asked as knowledge/expansion.py asks (in English)."""
    import ollama

    client = ollama.Client(host=url)
    passages: dict[str, str] = {}

    def rewrite(question: str) -> str:
        if question not in passages:
            reply = client.chat(model=model, messages=expansion_messages(question, "en"))
            passages[question] = " ".join(str(reply.message.content).split())[:MAX_CHARS]
        return passages[question]

    return rewrite


def final_on(
    searcher: Searcher, questions: Sequence[Question]
) -> Callable[[], tuple[float, float]]:
    """The final pipeline with the shipped settings, scored on these questions."""
    return lambda: scores(lambda q: searcher.ranking(q, "final", RankingSettings()), questions)


def _questions(path: Path) -> list[Question]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [Question(row["question"], frozenset(row["relevant"])) for row in rows]


def _settings_text(settings: RankingSettings) -> str:
    return ", ".join(f"{name}={getattr(settings, name)}" for name in GRID)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _progress(what: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        if done == total or done % 320 < 32:
            print(f"  embedding {what}: {done}/{total}", file=sys.stderr, flush=True)

    return show


if __name__ == "__main__":
    main()

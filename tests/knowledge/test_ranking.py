"""Ranking notes from passage rankings, note cards, the question's language, "when" questions."""

from __future__ import annotations

from knowledge.ranking import (
    NoteCards,
    RankingSettings,
    asks_when,
    is_dated,
    query_language,
    rank_notes,
    top_score,
)
from knowledge.retrieval import KeywordIndex, Passage


def passage(
    path: str, position: int, text: str, heading: str = "", aliases: tuple[str, ...] = ()
) -> Passage:
    title = path.rsplit("/", 1)[-1].removesuffix(".md")
    return Passage(f"{path}#{position}", path, title, heading, text, aliases)


PASSAGES = {
    p.chunk_id: p
    for p in (
        passage("House/Heating.md", 0, "The boiler is in the utility room.", aliases=("Heizung",)),
        passage("House/Heating.md", 1, "Open the blue tap to 1.5 bar.", heading="Low pressure"),
        passage("Recipes/Apple cake.md", 0, "Bake at 180 degrees for 50 minutes."),
        passage("Release notes/v1.1.0.md", 0, "Introducing the Canvas core plugin."),
        passage("Release notes/v1.4.0.md", 0, "Canvas: faster loading of big canvases."),
        passage("Plugins/Canvas.md", 0, "Canvas lays notes out on an infinite board."),
    )
}
CARDS = NoteCards.of(PASSAGES.values())


def paths(query: str, by_vector: list[str], by_keyword: list[str], **settings: float) -> list[str]:
    ranked = rank_notes(query, PASSAGES, by_vector, by_keyword, CARDS, RankingSettings(**settings))
    return [note.path for note in ranked]


def test_the_language_of_a_question_is_told_by_its_common_words() -> None:
    assert query_language("Where is the key for the medicine cupboard?") == "en"
    assert query_language("Wann kommt jemand die Heizung ablesen?") == "de"
    assert query_language("Onde estão os passaportes das crianças?") == "pt"
    assert query_language("¿Cómo pongo el programa en español?") == "es"
    assert query_language("EpiPen 112") == ""


def test_when_questions_are_told_apart_from_questions_that_merely_start_with_when() -> None:
    assert asks_when("Since which version do recent commands show up first?")
    assert asks_when("When did saved favourites replace the old starred notes?")
    assert asks_when("Seit welcher Version kann ich Links direkt öffnen?")
    assert asks_when("Em qual versão apareceu o Canvas?")
    assert not asks_when("When I drag a PDF in, can I link to the original?")
    assert not asks_when("When do I pick Leo up on Fridays?")


def test_release_notes_and_daily_notes_are_dated() -> None:
    assert is_dated("Release notes/v1.2.0.md")
    assert is_dated("Release notes/Mobile/v1.1.md")
    assert is_dated("Daily/2025-03-06.md")
    assert not is_dated("Plugins/Canvas.md")
    assert not is_dated("Money/2FA backup codes.md")


def test_a_note_found_by_its_alias_alone_is_ranked_when_cards_count() -> None:
    # Neither passage ranking found the heating note; its card carries the alias "Heizung".
    found = paths("Heizung", by_vector=["Recipes/Apple cake.md#0"], by_keyword=[], card_weight=1)
    assert "House/Heating.md" in found
    assert "House/Heating.md" not in paths("Heizung", ["Recipes/Apple cake.md#0"], [])
    cards_only = RankingSettings(card_weight=1.0)
    hit = rank_notes("Heizung", PASSAGES, [], [], CARDS, cards_only)[0]
    assert (hit.path, hit.chunk_id) == ("House/Heating.md", "House/Heating.md#0")


def test_each_note_is_represented_by_its_best_passage() -> None:
    ranked = rank_notes(
        "blue tap pressure",
        PASSAGES,
        ["House/Heating.md#1", "House/Heating.md#0"],
        ["House/Heating.md#1"],
        CARDS,
    )
    assert [note.chunk_id for note in ranked][:1] == ["House/Heating.md#1"]
    assert len({note.path for note in ranked}) == len(ranked)
    assert 0 < ranked[0].score <= top_score()


def test_a_question_in_another_language_trusts_meaning_over_shared_words() -> None:
    # The German words happen to match the cake recipe; the vectors point at the heating.
    query = "Die Heizung ist kalt, wie fülle ich Wasser nach, 180 Grad?"
    by_vector = ["House/Heating.md#1", "Recipes/Apple cake.md#0"]
    by_keyword = ["Recipes/Apple cake.md#0", "House/Heating.md#1"]
    words = {"keyword_weight": 2.0, "card_weight": 0.0, "cross_language_imputation": False}
    kept = paths(query, by_vector, by_keyword, foreign_keyword_share=0.25, **words)
    assert kept[0] == "House/Heating.md"
    unchanged = paths(query, by_vector, by_keyword, foreign_keyword_share=1.0, **words)
    assert unchanged[0] == "Recipes/Apple cake.md"


def test_a_question_in_another_language_keeps_its_words_when_the_vault_knows_them() -> None:
    # A family vault mostly in English, with Grandma's recipes in Portuguese: a Portuguese
    # question about one of them shares real words with it, and those words count again.
    bolo = passage("Receitas/Bolo de fubá.md", 0, "Bolo de fubá da Vó Rosa: forno a 180 graus.")
    notes = {**PASSAGES, bolo.chunk_id: bolo}
    cards = NoteCards.of(notes.values())
    words = KeywordIndex().changed((), ((p.chunk_id, p.text) for p in notes.values()))
    question = "Quantos graus para o bolo de fubá da Vó Rosa?"
    assert (cards.language, query_language(question)) == ("en", "pt")
    assert words.known_share(question) == 5 / 6  # all but "quantos"
    assert words.known_share("Die Heizung ist kalt, wie fülle ich Wasser nach?") == 0.0
    by_vector = ["Recipes/Apple cake.md#0", bolo.chunk_id]
    by_keyword = [bolo.chunk_id, "Recipes/Apple cake.md#0"]
    settings = RankingSettings(keyword_weight=2.0, foreign_keyword_share=0.25)

    def first(known: float) -> str:
        ranked = rank_notes(
            question, notes, by_vector, by_keyword, cards, settings, known_words=known
        )
        return ranked[0].path

    assert first(words.known_share(question)) == bolo.path
    assert first(0.0) == "Recipes/Apple cake.md"


def test_a_when_question_lifts_the_release_notes_among_the_candidates() -> None:
    by_vector = ["Plugins/Canvas.md#0", "Release notes/v1.4.0.md#0", "Release notes/v1.1.0.md#0"]
    by_keyword = ["Plugins/Canvas.md#0", "Release notes/v1.1.0.md#0", "Release notes/v1.4.0.md#0"]
    when = "Which version first had the canvas board?"
    assert is_dated(paths(when, by_vector, by_keyword, dated_weight=2.0)[0])
    assert paths("How does the canvas board work?", by_vector, by_keyword, dated_weight=2.0)[
        0
    ] == ("Plugins/Canvas.md")


def test_cards_follow_changed_and_removed_notes() -> None:
    cards = NoteCards.of(PASSAGES.values())
    assert "House/Heating.md" in cards.search("boiler utility", 5)
    moved = passage("House/Heating.md", 0, "Heat pump manual.")
    changed = cards.changed(["Recipes/Apple cake.md"], [moved])
    assert "House/Heating.md" not in changed.search("boiler utility", 5)
    assert changed.search("heat pump", 5) == ["House/Heating.md"]
    assert changed.search("bake degrees", 5) == []
    assert cards.search("bake degrees", 5) == ["Recipes/Apple cake.md"]
    assert changed.language == "en"


def test_nothing_to_rank_gives_nothing() -> None:
    assert rank_notes("anything", {}, [], [], NoteCards()) == []


def test_a_when_question_can_put_the_oldest_of_the_best_dated_notes_first() -> None:
    by_vector = ["Release notes/v1.4.0.md#0", "Release notes/v1.1.0.md#0", "Plugins/Canvas.md#0"]
    by_keyword = ["Release notes/v1.4.0.md#0", "Release notes/v1.1.0.md#0"]
    when = "When did the canvas board first appear?"
    assert paths(when, by_vector, by_keyword, dated_weight=1.0)[0] == "Release notes/v1.4.0.md"
    oldest = paths(when, by_vector, by_keyword, dated_weight=3.0, oldest_first=True)
    assert oldest[0] == "Release notes/v1.1.0.md"


def test_a_note_in_another_language_is_not_held_back_by_words_that_cannot_match() -> None:
    notes = {
        p.chunk_id: p
        for p in (
            passage("Health/Physiotherapie.md", 0, "Die Übungen für zu Hause: Brücke, Dehnung."),
            passage("House/Washing machine.md", 0, "Which programme for the school uniforms."),
            passage("House/Garden.md", 0, "The sprinkler runs at six for the garden."),
        )
    }
    cards = NoteCards.of(notes.values())
    assert cards.language_of("Health/Physiotherapie.md") == "de"
    query = "Which exercises should I do at home for my back?"
    by_vector = ["Health/Physiotherapie.md#0", "House/Washing machine.md#0", "House/Garden.md#0"]
    by_keyword = ["House/Washing machine.md#0", "House/Garden.md#0"]

    def first(imputation: bool) -> str:
        settings = RankingSettings(cross_language_imputation=imputation)
        return rank_notes(query, notes, by_vector, by_keyword, cards, settings)[0].path

    assert first(imputation=True) == "Health/Physiotherapie.md"
    assert first(imputation=False) == "House/Washing machine.md"


def test_a_question_in_another_language_than_the_vault_does_not_count_the_vectors_twice() -> None:
    # Its words already weigh less (foreign_keyword_share); taking every English note's vector
    # rank as its word rank as well would drown the one word the question shares with a note.
    query = "Seit welcher Version gibt es das Canvas?"
    by_vector = ["Recipes/Apple cake.md#0", "Plugins/Canvas.md#0"]
    by_keyword = ["Plugins/Canvas.md#0"]
    assert query_language(query) == "de"
    assert paths(query, by_vector, by_keyword, cross_language_imputation=True, dated_weight=0.0)[
        0
    ] == ("Plugins/Canvas.md")

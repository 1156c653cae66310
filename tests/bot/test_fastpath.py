"""The fast path: everyday phrases in the family's languages map straight to tool calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.fastpath import FastMatch, FastPath, PhraseError, normalize, split_items
from bot.skills import load_skills


@pytest.fixture(scope="module")
def fastpath() -> FastPath:
    return FastPath.from_files(path for skill in load_skills() for path in skill.phrases)


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        (
            "add milk and eggs to the shopping list",
            "lists.add",
            {"items": ["milk", "eggs"], "list_name": "shopping"},
        ),
        (
            "Add oat milk, eggs and bread to our shopping list.",
            "lists.add",
            {"items": ["oat milk", "eggs", "bread"], "list_name": "shopping"},
        ),
        ("we need bread", "lists.add", {"items": ["bread"]}),
        ("We need some bread and more butter!", "lists.add", {"items": ["bread", "butter"]}),
        ("please put tea on the list", "lists.add", {"items": ["tea"]}),
        ("we're out of coffee", "lists.add", {"items": ["coffee"]}),
        ("buy batteries", "lists.add", {"items": ["batteries"]}),
        (
            "setz Milch auf die Einkaufsliste",
            "lists.add",
            {"items": ["Milch"], "list_name": "Einkaufs"},
        ),
        ("wir brauchen Brot und Butter", "lists.add", {"items": ["Brot", "Butter"]}),
        ("what's on the shopping list?", "lists.show", {"list_name": "shopping"}),
        ("What’s on the shopping list", "lists.show", {"list_name": "shopping"}),
        ("show me our to-do list", "lists.show", {"list_name": "to-do"}),
        ("what do we need?", "lists.show", {}),
        ("was steht auf der Einkaufsliste?", "lists.show", {"list_name": "Einkaufs"}),
        ("tick off milk", "lists.check", {"items": ["milk"]}),
        ("we bought eggs and milk", "lists.check", {"items": ["eggs", "milk"]}),
        ("hak Milch ab", "lists.check", {"items": ["Milch"]}),
    ],
)
def test_everyday_phrases_become_tool_calls(
    fastpath: FastPath, text: str, tool: str, args: dict[str, Any]
) -> None:
    assert fastpath.match(text) == FastMatch(tool=tool, args=args)


@pytest.mark.parametrize(
    "text",
    [
        "we need to talk",
        "We need to talk.",
        "we need help with homework",
        "wir brauchen Hilfe",
        "buy time",
        "what is the capital of France?",
        "",
        "hello",
    ],
)
def test_sentences_that_only_look_like_requests_are_left_for_the_llm(
    fastpath: FastPath, text: str
) -> None:
    assert fastpath.match(text) is None


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("oat milk, eggs and bread", ["oat milk", "eggs", "bread"]),
        ("Milch, Eier und Brot", ["Milch", "Eier", "Brot"]),
        ("salt & pepper", ["salt", "pepper"]),
        ("some apples, more pears.", ["apples", "pears"]),
        ("milk,, eggs", ["milk", "eggs"]),
    ],
)
def test_items_are_split_on_commas_and_the_word_and(text: str, items: list[str]) -> None:
    assert split_items(text) == items


def test_politeness_and_punctuation_do_not_matter() -> None:
    assert normalize("  Hey, please   add tea  please!") == "add tea"
    assert normalize("Bitte wir brauchen Brot, danke.") == "wir brauchen Brot"


def test_a_phrase_file_with_an_unknown_slot_kind_names_the_file(tmp_path: Path) -> None:
    phrases = tmp_path / "phrases.toml"
    phrases.write_text(
        '[[intent]]\ntool = "lists.add"\nslots = { items = "things" }\nen = ["add {items}"]\n',
        encoding="utf-8",
    )

    with pytest.raises(PhraseError, match=r"phrases\.toml: intent 1: unknown slot kind 'things'"):
        FastPath.from_files([phrases])


def test_a_slot_without_a_kind_is_refused(tmp_path: Path) -> None:
    phrases = tmp_path / "phrases.toml"
    phrases.write_text('[[intent]]\ntool = "lists.add"\nen = ["add {items}"]\n', "utf-8")

    with pytest.raises(PhraseError, match=r"slot \{items\} has no kind"):
        FastPath.from_files([phrases])


def test_the_most_specific_intent_wins_and_ties_go_to_the_first(tmp_path: Path) -> None:
    phrases = tmp_path / "phrases.toml"
    phrases.write_text(
        '[[intent]]\ntool = "a.first"\nen = ["ring the bell"]\n'
        '[[intent]]\ntool = "b.second"\nen = ["ring the (bell|gong)"]\n'
        "defaults = { loud = true }\n",
        encoding="utf-8",
    )
    fastpath = FastPath.from_files([phrases])

    assert fastpath.match("Ring the bell") == FastMatch(tool="a.first", args={})
    assert fastpath.match("ring the gong") == FastMatch(tool="b.second", args={"loud": True})


def test_a_catch_all_question_never_takes_a_specific_phrase_from_a_later_skill(
    tmp_path: Path,
) -> None:
    general = tmp_path / "general.toml"
    general.write_text(
        '[[intent]]\ntool = "knowledge.ask"\nwhole_text = "question"\nen = ["where is {text}"]\n'
        'slots = { text = "text" }\n',
        encoding="utf-8",
    )
    specific = tmp_path / "specific.toml"
    specific.write_text(
        '[[intent]]\ntool = "lists.show"\nen = ["where is the shopping list"]\n', "utf-8"
    )
    fastpath = FastPath.from_files([general, specific])

    assert fastpath.match("where is the shopping list?") == FastMatch(tool="lists.show", args={})
    assert fastpath.match("where is the drill").tool == "knowledge.ask"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add milk to the to do list", ("lists.add", "to do")),
        ("what do we need from the shop?", ("lists.show", "shop")),
    ],
)
def test_two_word_list_names_and_shop_reach_the_right_list(
    fastpath: FastPath, text: str, expected: tuple[str, str]
) -> None:
    """Found by the foundation tests: a spaced "to do" and "the shop" used to miss."""
    match = fastpath.match(text)
    assert match is not None
    assert (match.tool, match.args["list_name"]) == expected


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        # Issue 14: the phrasings a voice note carries, numbers said in words, four languages.
        (
            "Pencil in swimming for Noah on Saturday at quarter past ten",
            "calendar.add_event",
            {"title": "swimming for Noah", "when": "on Saturday at quarter past 10"},
        ),
        (
            "Book the dentist for Ben, on Thursday at ten",
            "calendar.add_event",
            {"title": "the dentist for Ben", "when": "on Thursday at 10"},
        ),
        (
            "Schreib Fußball für Jonas am Samstag um halb elf in den Kalender",
            "calendar.add_event",
            {"title": "Fußball für Jonas", "when": "am Samstag um halb 11"},
        ),
        (
            "Marca o aniversário da Sofia no domingo às quatro da tarde na agenda",
            "calendar.add_event",
            {"title": "o aniversário da Sofia", "when": "no domingo às 4 da tarde"},
        ),
        (
            "Añade al calendario la excursión del cole el lunes a las ocho y media",
            "calendar.add_event",
            {"title": "la excursión del cole", "when": "el lunes a las 8 y media"},
        ),
        (
            "I paid seventy two euros thirty at the garage",
            "budget.add_expense",
            {"amount": "72 euros 30", "merchant": "garage"},
        ),
        (
            "Im Drogeriemarkt habe ich elf Euro neunzig bezahlt",
            "budget.add_expense",
            {"amount": "11 Euro 90", "merchant": "Drogeriemarkt"},
        ),
        (
            "paguei vinte e sete reais na farmácia",
            "budget.add_expense",
            {"amount": "27 reais", "merchant": "farmácia"},
        ),
        (
            "gasté cuarenta euros en la librería",
            "budget.add_expense",
            {"amount": "40 euros", "merchant": "librería"},
        ),
        (
            "Remind me on Sunday at nine thirty to call grandma",
            "reminders.add",
            {"what": "on Sunday at 9 30 to call grandma"},
        ),
        (
            "Erinnere mich morgen um acht daran, den Müll rauszubringen",
            "reminders.add",
            {"what": "morgen um 8 daran, den Müll rauszubringen"},
        ),
        (
            "Adiciona leite e pão à lista de compras",
            "lists.add",
            {"items": ["leite", "pão"], "list_name": "compras"},
        ),
        (
            "Añade leche y huevos a la lista de la compra",
            "lists.add",
            {"items": ["leche", "huevos"], "list_name": "compra"},
        ),
    ],
)
def test_spoken_phrasings_become_tool_calls_with_their_numbers_as_digits(
    fastpath: FastPath, text: str, tool: str, args: dict[str, Any]
) -> None:
    assert fastpath.match(text) == FastMatch(tool=tool, args=args)


@pytest.mark.parametrize(
    "text",
    [
        "I paid attention to the teacher",
        "we paid a visit to grandma",
        "I spent the whole afternoon at the park",
        "Book a flight to Lisbon",
        "schedule a meeting with the teacher",
        "Can you schedule the dentist on Friday?",
        "Im Garten habe ich den ganzen Tag gearbeitet",
        "gastei o tempo todo no parque",
        "he pagado la cuenta en el restaurante",
    ],
)
def test_look_alikes_of_expenses_and_events_are_left_for_the_llm(
    fastpath: FastPath, text: str
) -> None:
    match = fastpath.match(text)
    assert match is None or match.tool not in ("budget.add_expense", "calendar.add_event")


def test_a_spoken_slot_reads_numbers_in_the_language_of_its_phrase(tmp_path: Path) -> None:
    phrases = tmp_path / "phrases.toml"
    phrases.write_text(
        '[[intent]]\ntool = "pay"\nslots = { amount = "amount" }\n'
        'en = ["pay {amount}"]\nde = ["zahl {amount}"]\n',
        encoding="utf-8",
    )
    fastpath = FastPath.from_files([phrases])

    assert fastpath.match("pay nine euros") == FastMatch("pay", {"amount": "9 euros"})
    assert fastpath.match("zahl neun Euro") == FastMatch("pay", {"amount": "9 Euro"})
    assert fastpath.match("pay attention") is None

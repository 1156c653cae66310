"""Reading notes as Obsidian writes them, including the broken and unusual ones."""

from __future__ import annotations

import unicodedata

from knowledge.chunking import chunk_note
from knowledge.markdown import is_attachment, parse_note, plain_text


def test_broken_frontmatter_keeps_the_text_and_says_so() -> None:
    text = "---\ntitle: [unclosed\naliases: x\n---\n# Plans\n\nDentist on Friday.\n"

    note = parse_note("Calendar/Plans.md", text)

    assert note.title == "Plans"
    assert len(note.problems) == 1
    assert "frontmatter" in note.problems[0]
    assert "Dentist on Friday." in " ".join(section.text for section in note.sections)


def test_frontmatter_that_never_closes_is_read_as_text() -> None:
    note = parse_note("Draft.md", "---\ntitle: Draft\n\nShopping: milk, eggs\n")

    assert note.title == "Draft"
    assert note.problems
    assert "milk, eggs" in note.sections[0].text


def test_frontmatter_that_is_not_properties_is_reported() -> None:
    note = parse_note("List.md", "---\n- one\n- two\n---\nBody\n")

    assert note.problems
    assert note.frontmatter == {}


def test_title_and_aliases_come_from_frontmatter() -> None:
    text = "---\ntitle: Car insurance\naliases:\n  - Allianz\n  - Policy\n---\nBody\n"

    note = parse_note("Car/Insurance.md", text)

    assert note.title == "Car insurance"
    assert note.aliases == ("Allianz", "Policy")
    assert note.problems == ()


def test_a_single_alias_string_is_one_alias() -> None:
    note = parse_note("Wi-Fi.md", "---\nalias: Internet at home, guest network\n---\nBody\n")

    assert note.aliases == ("Internet at home, guest network",)


def test_tags_from_frontmatter_and_text_nested_and_case_folded() -> None:
    text = (
        "---\ntags: family, House/Garden\n---\n"
        "Plant the #Garden/Roses bed and call #family/kids in.\n"
        "Not a tag: `#inline-code`, a heading anchor [[Note#Section]], colour #1984.\n"
        "```\n#not-a-tag-either\n```\n"
    )

    note = parse_note("Garden.md", text)

    assert note.tags == ("family", "house/garden", "garden/roses", "family/kids")


def test_tags_as_a_frontmatter_list() -> None:
    note = parse_note("x.md", "---\ntags:\n  - recipes/dessert\n  - '#baking'\n---\nBody\n")

    assert note.tags == ("recipes/dessert", "baking")


def test_links_embeds_and_callouts() -> None:
    text = (
        "See [[Kids/School|school notes]] and [[Health#Vaccines]].\n\n"
        "![[router.png]]\n![[Wi-Fi]]\n\n"
        "> [!warning]- Allergy\n> Leo is allergic to peanuts. ^allergy\n"
    )

    note = parse_note("Index.md", text)

    assert note.links == ("Kids/School", "Health")
    assert note.embeds == ("router.png", "Wi-Fi")
    body = note.sections[0].text
    assert "school notes" in body
    assert "Health Vaccines" in body
    assert "Warning: Allergy" in body
    assert "Leo is allergic to peanuts." in body
    assert "^allergy" not in body
    assert "router.png" not in body


def test_unicode_titles_are_normalised_from_file_names() -> None:
    decomposed = unicodedata.normalize("NFD", "Receitas/Pão de queijo da avó.md")

    note = parse_note(decomposed, "Polvilho, queijo, ovos.\n")

    assert note.title == "Pão de queijo da avó"
    assert unicodedata.is_normalized("NFC", note.title)
    assert note.path == decomposed


def test_emoji_and_non_latin_titles() -> None:
    note = parse_note("🎂 Geburtstage/Ómama 生日.md", "# Übersicht\n\nAm 3. Mai.\n")

    assert note.title == "Ómama 生日"
    assert note.sections[0].heading_path == ("Übersicht",)


def test_sections_keep_their_heading_path_and_code_fences_do_not_split() -> None:
    text = (
        "Intro line.\n\n# Car\n\nGeneral.\n\n## Insurance\n\nAllianz.\n\n"
        "```bash\n# not a heading\nls\n```\n\n### Claims\n\nCall them.\n\n# House\n\nKeys.\n"
    )

    note = parse_note("Things.md", text)

    paths = [section.heading_path for section in note.sections]
    assert paths == [
        (),
        ("Car",),
        ("Car", "Insurance"),
        ("Car", "Insurance", "Claims"),
        ("House",),
    ]
    assert "# not a heading" in note.sections[2].text


def test_windows_line_endings_and_byte_order_mark() -> None:
    note = parse_note("Win.md", "\ufeff---\r\ntitle: Windows\r\n---\r\n# Heading\r\n\r\nText.\r\n")

    assert note.title == "Windows"
    assert note.sections[0].heading_path == ("Heading",)
    assert note.sections[0].text == "Text."


def test_code_keeps_its_wikilink_syntax_but_prose_does_not() -> None:
    assert plain_text("Use `![[Note]]` to embed [[Note|a note]].") == (
        "Use `![[Note]]` to embed a note."
    )


def test_attachments_are_recognised_by_extension() -> None:
    assert is_attachment("Photos/Beach.JPG")
    assert is_attachment("scan.pdf")
    assert not is_attachment("Beach.md")


def test_long_sections_are_cut_under_the_cap_without_losing_words() -> None:
    sentences = [f"Sentence number {n} talks about the garden shed." for n in range(60)]
    text = "# Shed\n\n" + " ".join(sentences[:30]) + "\n\n" + " ".join(sentences[30:]) + "\n"

    chunks = chunk_note(parse_note("Shed.md", text), max_chars=400)

    assert len(chunks) > 1
    assert all(len(chunk.text) <= 400 for chunk in chunks)
    assert all(chunk.heading_path == ("Shed",) for chunk in chunks)
    joined = " ".join(chunk.text for chunk in chunks)
    assert all(sentence in joined for sentence in sentences)
    assert [chunk.position for chunk in chunks] == list(range(len(chunks)))


def test_an_empty_note_still_gets_a_passage_with_its_title() -> None:
    chunks = chunk_note(parse_note("Ideas/Birthday party.md", "---\ntags: [party]\n---\n"))

    assert [chunk.text for chunk in chunks] == ["Birthday party"]
    assert chunks[0].tags == ("party",)


def test_properties_that_say_something_are_searchable() -> None:
    text = (
        "---\ndescription: Where the spare keys are kept.\nlocation: Lisbon\n"
        "cssclasses: [wide]\npermalink: keys\npublish: true\nreviewed: 2024-05-03\n"
        "people:\n  - Ana\n  - Leo\n---\n# Keys\n\nAsk a neighbour.\n"
    )

    chunks = chunk_note(parse_note("House/Keys.md", text))

    assert chunks[0].heading_path == ()
    assert chunks[0].text.splitlines() == [
        "description: Where the spare keys are kept.",
        "location: Lisbon",
        "reviewed: 2024-05-03",
        "people: Ana, Leo",
    ]
    assert chunks[1].text == "Ask a neighbour."

"""How replies look in Matrix: sanitized HTML, sensible pieces, threads kept, edits marked."""

from __future__ import annotations

import re

import pytest

from bot.channels.common import split_markdown
from bot.channels.matrix_format import draft_text, edit_content, relation, text_content, to_html
from bot.markdown import escape


def test_plain_text_needs_no_html() -> None:
    assert text_content("Added milk to Shopping.") == {
        "msgtype": "m.text",
        "body": "Added milk to Shopping.",
    }


def test_markdown_becomes_formatted_body_next_to_the_plain_one() -> None:
    content = text_content("**Shopping**\n- milk\n- eggs")

    assert content["body"] == "**Shopping**\n- milk\n- eggs"
    assert content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == (
        "<p><strong>Shopping</strong></p>\n<ul>\n<li>milk</li>\n<li>eggs</li>\n</ul>"
    )


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert('hi')</script> **hi**",
        '<img src="x" onerror="alert(1)"> **hi**',
        "[click](javascript:alert(1)) **hi**",
        '<a href="https://evil.example" onclick="steal()">x</a> **hi**',
    ],
)
def test_nothing_active_survives_in_the_html(markdown: str) -> None:
    html = to_html(markdown)

    assert html is not None
    assert set(re.findall(r"<(\w+)", html)) == {"p", "strong"}
    assert re.search(r"<[^>]*\bon\w+=", html) is None


def test_links_and_code_keep_their_useful_attributes() -> None:
    html = to_html("[docs](https://example.org)\n\n```python\nprint(1)\n```")

    assert html == (
        '<p><a href="https://example.org">docs</a> (https://example.org)</p>\n'
        '<pre><code class="language-python">print(1)\n</code></pre>'
    )


def test_long_text_is_cut_between_paragraphs() -> None:
    paragraphs = [f"Paragraph {number}: " + "words " * 30 for number in range(10)]
    text = "\n\n".join(paragraph.strip() for paragraph in paragraphs)

    pieces = split_markdown(text, 500)

    assert all(len(piece) <= 500 for piece in pieces)
    assert all(piece.startswith("Paragraph") for piece in pieces)
    assert "\n\n".join(pieces) == text


def test_a_code_block_cut_in_two_is_closed_and_reopened() -> None:
    code = "\n".join(f"print({number})" for number in range(60))
    text = f"Run this:\n\n```python\n{code}\n```\n\nThat's all."

    pieces = split_markdown(text, 200)

    assert len(pieces) > 2
    assert all(len(piece) <= 200 for piece in pieces)
    assert all(piece.count("```") % 2 == 0 for piece in pieces)
    assert all(piece.startswith("```python") for piece in pieces[1:-1])
    shown = [line for piece in pieces for line in piece.splitlines() if line.startswith("print")]
    assert shown == code.splitlines()


def test_one_very_long_word_is_cut_hard() -> None:
    assert split_markdown("x" * 250, 100) == ["x" * 100, "x" * 100, "x" * 50]


def test_replies_stay_in_their_thread_and_quote_when_asked() -> None:
    assert relation("$root", "$question", quote=True) == {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": "$question"},
    }
    assert relation("$root", "$question", quote=False) == {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$root"},
    }
    assert relation(None, "$question", quote=True) == {"m.in_reply_to": {"event_id": "$question"}}
    assert relation(None, "$question", quote=False) is None


def test_an_edit_replaces_the_draft_and_falls_back_to_a_starred_body() -> None:
    edit = edit_content("$draft", text_content("**done**"))

    assert edit["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$draft"}
    assert edit["m.new_content"]["body"] == "**done**"
    assert edit["body"] == "* **done**"
    assert edit["formatted_body"] == "* <p><strong>done</strong></p>"


def test_a_draft_is_marked_as_still_growing_and_never_too_long() -> None:
    assert draft_text("Mix the flour") == "Mix the flour …"
    assert len(draft_text("word " * 10_000)) <= 12_000


def test_issue10_item6_matrix_shows_link_addresses_and_member_words_as_typed() -> None:
    html = to_html("Log in at [Bank login](https://evil.example/login), not [x](javascript:x())")

    assert html == (
        '<p>Log in at <a href="https://evil.example/login">Bank login</a> '
        "(https://evil.example/login), not [x](javascript:x())</p>"
    )
    assert to_html("<https://example.org>") == (
        '<p><a href="https://example.org">https://example.org</a></p>'
    )
    item = escape("[Bank login](https://evil.example/login) **now**")
    assert to_html(f"- {item}") == (
        "<ul>\n<li>[Bank login](https://evil.example/login) **now**</li>\n</ul>"
    )

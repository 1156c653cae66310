"""Markdown → Telegram text + entities, and long replies cut without breaking formatting."""

from __future__ import annotations

from telegramify_markdown import utf16_len

from bot.channels.telegram_format import TEXT_LIMIT, Formatted, after_plain, render, split
from bot.markdown import escape


def test_markdown_becomes_entities_and_markup_characters_stay_text() -> None:
    shown = render("**Shopping**: milk & eggs < 3 `x<y` [docs](https://example.org)\n")

    assert shown.text == "Shopping: milk & eggs < 3 x<y docs (https://example.org)"
    kinds = {(e.type, shown.text[e.offset : e.offset + e.length]) for e in shown.entities}
    assert kinds == {("bold", "Shopping"), ("code", "x<y"), ("text_link", "docs")}
    assert [e.url for e in shown.entities if e.type == "text_link"] == ["https://example.org"]


def test_unfinished_markdown_from_a_stream_is_shown_sensibly() -> None:
    assert render("**Dinner at").text == "**Dinner at"
    code = render("Try this:\n```py\nprint(1)")
    assert code.text == "Try this:\nprint(1)"
    assert [(e.type, e.language) for e in code.entities] == [("pre", "py")]


def test_a_long_reply_is_cut_into_messages_that_keep_code_blocks_whole() -> None:
    lines = "\n".join(f"step_{n} = 'ß🥚' * {n}  # an egg for every step" for n in range(400))
    markdown = f"Here is the plan:\n\n```python\n{lines}\n```\n\n**Done.**"
    whole = render(markdown)

    pieces = split(whole)

    assert len(pieces) >= 4
    assert all(piece.length <= TEXT_LIMIT for piece in pieces)
    assert "".join(piece.text for piece in pieces) == whole.text
    for piece in pieces[1:-1]:
        (block,) = piece.entities
        assert (block.type, block.language, block.offset) == ("pre", "python", 0)
        assert block.length == utf16_len(piece.text)
    assert pieces[-1].entities[-1].type == "bold"


def test_whitespace_only_replies_become_no_messages() -> None:
    assert split(render("  \n\n ")) == []


def test_a_question_keeps_its_words_and_the_outcome_its_formatting() -> None:
    outcome = render("**Done**: the front door is unlocked.")

    shown = after_plain("Ana, shall I unlock the *front* door? 🔑", outcome)

    assert shown.text == (
        "Ana, shall I unlock the *front* door? 🔑\n\nDone: the front door is unlocked."
    )
    (bold,) = shown.entities
    assert (
        shown.text.encode("utf-16-le")[bold.offset * 2 : (bold.offset + 4) * 2].decode("utf-16-le")
        == "Done"
    )
    assert after_plain("", outcome) == outcome
    assert Formatted("plain").api_entities() is None


def test_issue10_item6_words_a_member_wrote_show_exactly_as_typed() -> None:
    written = ["[x] fake-done", "[Bank login](https://evil.example/login)", "**a** _b_ ~~c~~ $d$"]

    shown = render("**Shopping**\n" + "\n".join(f"- {escape(item)}" for item in written))

    assert shown.text.splitlines()[1:] == [f"⦁ {item}" for item in written]
    assert [e.type for e in shown.entities] == ["bold"]
    assert render(escape("# 1. - > | a\n2) b")).text == "# 1. - > | a\n2) b"


def test_issue10_item6_a_link_shows_where_it_goes_and_only_web_links_are_tappable() -> None:
    bank = render("Log in at [Bank login](https://evil.example/login) or *[here](javascript:x())*")

    assert bank.text == (
        "Log in at Bank login (https://evil.example/login) or here (javascript:x())"
    )
    links = [(e.type, e.url) for e in bank.entities if e.type == "text_link"]
    assert links == [("text_link", "https://evil.example/login")]
    (italic,) = [e for e in bank.entities if e.type == "italic"]
    assert bank.text[italic.offset : italic.offset + italic.length] == "here"
    plain = render("<https://example.org> and [mum@example.org](mailto:mum@example.org)")
    assert plain.text == "https://example.org and mum@example.org"

"""The fast model's passage for a question: asked for in the vault's language, cached, and
never in the way when the model fails."""

from __future__ import annotations

import asyncio

import pytest

from knowledge import expansion
from knowledge.expansion import QuestionExpander, expansion_messages


class Writer:
    """Stands in for the fast model: records the requests and answers from a script."""

    def __init__(self, reply: str = "The car insurance renews every March.") -> None:
        self.reply = reply
        self.requests: list[list[dict[str, str]]] = []
        self.fail: Exception | None = None
        self.delay = 0.0

    async def __call__(self, messages: list[dict[str, str]]) -> str:
        self.requests.append(messages)
        await asyncio.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        return self.reply


async def test_the_passage_is_asked_for_in_the_vaults_language() -> None:
    writer = Writer()

    passage = await QuestionExpander(writer).expand("Wann wird das Auto versichert?", "en")

    assert passage == "The car insurance renews every March."
    system, user = writer.requests[0]
    assert "in English" in system["content"]
    assert user == {"role": "user", "content": "Wann wird das Auto versichert?"}


async def test_the_same_question_is_asked_of_the_model_once() -> None:
    writer = Writer()
    expander = QuestionExpander(writer)

    first = await expander.expand("When does the car insurance renew?", "en")
    again = await expander.expand("  when does the CAR insurance renew? ", "en")

    assert first == again
    assert len(writer.requests) == 1


async def test_the_cache_keeps_the_newest_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expansion, "CACHED", 2)
    writer = Writer()
    expander = QuestionExpander(writer)

    for question in ("one", "two", "three", "three", "one"):
        await expander.expand(question, "en")

    assert [request[1]["content"] for request in writer.requests] == ["one", "two", "three", "one"]


@pytest.mark.parametrize("failure", ["error", "slow"])
async def test_a_failing_or_slow_model_leaves_the_question_alone(failure: str) -> None:
    writer = Writer()
    if failure == "error":
        writer.fail = ConnectionError("Ollama is not running")
    else:
        writer.delay = 1.0
    expander = QuestionExpander(writer, wait_s=0.05)

    assert await expander.expand("Where is the router?", "en") == ""
    writer.fail, writer.delay = None, 0.0
    assert await expander.expand("Where is the router?", "en") != ""


async def test_a_long_or_ragged_reply_is_cut_to_one_short_line() -> None:
    writer = Writer(reply="  The router\n\nis in the cupboard. " * 200)

    passage = await QuestionExpander(writer).expand("Where is the router?", "en")

    assert len(passage) == expansion.MAX_CHARS
    assert "\n" not in passage
    assert passage.startswith("The router is in the cupboard.")


def test_an_unknown_vault_language_asks_for_the_questions_own() -> None:
    assert "the language of the question" in expansion_messages("Onde está?", "")[0]["content"]

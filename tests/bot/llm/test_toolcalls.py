"""Tool calls are read from every form local models write them in, and never shown raw."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ollama import Message

from bot.llm.toolcalls import ParsedCall, ParsedReply, VisibleTextFilter, parse_tool_calls

SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "llm"
SAMPLES = SAMPLES / "toolcall-samples.jsonl"
FAMILY_TOOLS = frozenset(
    {"notes.create", "lists.add", "chores.complete", "reminders.add", "home.call", "system.status"}
)
RAW_CALL_MARKS = (
    *("<think", "</think", "<tool_call", "tool_call>", "[TOOL_CALLS]", "<|", "|>", "<function"),
    *("<invoke", "<parameter", "call:", "BEGIN_ARG", '"arguments"', '"parameters"', "```"),
)


def stream(content: str, known: frozenset[str], seed: int, largest: int = 9) -> str:
    """Feed `content` through a filter in random-sized deltas and join what it let through."""
    chunks = random.Random(seed)
    visible = VisibleTextFilter(known)
    shown: list[str] = []
    position = 0
    while position < len(content):
        size = chunks.randint(1, largest)
        shown.append(visible.feed(content[position : position + size]))
        position += size
    shown.append(visible.finish())
    return "".join(shown)


def without_think(content: str) -> str:
    return re.sub(r"<think>.*?(?:</think>|\Z)", "", content, flags=re.S).strip()


# ---------------------------------------------------------------- the collected samples


@dataclass(frozen=True)
class Outcome:
    """What the parser must make of a sample whose intended call is not what it wrote."""

    calls: list[ParsedCall]
    problem: str
    reason: str


# The message says something other than the intended call; the parser reports what was
# written (schema validation is the next layer) or nothing, and never guesses.
NOT_AS_WRITTEN = {
    "homellm-310-unclosed-homeassistant-fence": Outcome(
        [], "light.turn_off", "a legacy service name, not an offered tool; mapping it is a guess"
    ),
    "meta-llama32-pythonic-wrong-params": Outcome(
        [
            ParsedCall("get_weather", {"city": "San Francisco", "metric": "celsius"}),
            ParsedCall("get_weather", {"city": "Seattle", "metric": "celsius"}),
        ],
        "",
        "wrong parameter names are the schema check's to reject",
    ),
    "openclaude-557-write-filename": Outcome(
        [ParsedCall("Write", {"filename": "teste.txt", "content": "Aether online, Adriano"})],
        "",
        "wrong parameter names are the schema check's to reject",
    ),
    "ollama-15315-gemma4-backtick-string": Outcome(
        [], "cut off", "the sample is a truncated log prefix; the intended value is a placeholder"
    ),
    "ollama-18275-gemma4-begin-arg": Outcome(
        [], "BEGIN_ARG", "positional BEGIN_ARG values carry no parameter names"
    ),
}
# Failures where the model wrote no call at all (or the server ate it): nothing to extract.
NOTHING_WRITTEN = {
    "dropped_call_empty_response",
    "narrated_instead_of_called",
    "clarifying_question_no_call",
    "server_parse_error_500",
}


def load_samples(failure: str = "") -> list[Any]:
    if not SAMPLES.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{SAMPLES} is absent"))]
    rows = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line]
    chosen = [row for row in rows if row["failure"] == failure or not failure]
    return [pytest.param(row, id=row["id"]) for row in chosen]


def intended_calls(sample: dict[str, Any]) -> list[ParsedCall]:
    """The intended call plus any `ALSO_INTENDED: {...}` ones named in the note."""
    wanted = [sample["intended_call"]] if sample["intended_call"] else []
    decoder = json.JSONDecoder()
    for mark in re.finditer(r"ALSO_INTENDED: ", sample["note"]):
        wanted.append(decoder.raw_decode(sample["note"], mark.end())[0])
    return [ParsedCall(call["name"], call["arguments"]) for call in wanted]


def as_written(native_calls: list[dict[str, Any]]) -> list[ParsedCall]:
    calls = []
    for native in native_calls:
        arguments = native["function"]["arguments"]
        arguments = json.loads(arguments) if isinstance(arguments, str) else arguments
        calls.append(ParsedCall(native["function"]["name"], arguments))
    return calls


@pytest.mark.parametrize("sample", load_samples())
def test_sample_ends_with_what_the_model_meant(sample: dict[str, Any]) -> None:
    content: str = sample["assistant_content"]
    intended = intended_calls(sample)
    known = frozenset(call.name for call in intended)
    reply = parse_tool_calls(content, sample["tool_calls"], known)
    failure = sample["failure"]

    if sample["id"] in NOT_AS_WRITTEN:
        outcome = NOT_AS_WRITTEN[sample["id"]]
        assert reply.calls == outcome.calls, outcome.reason
        assert any(outcome.problem in problem for problem in reply.problems) or not outcome.problem
    elif sample["tool_calls"]:  # structured calls are passed on as written
        assert reply.calls == as_written(sample["tool_calls"])
    elif failure in NOTHING_WRITTEN:
        assert reply.calls == []
        assert reply.text == content.strip()
    elif failure == "hallucinated_tool_name":
        assert reply.calls == []
        assert any("There is no tool named" in problem for problem in reply.problems)
    elif failure == "truncated_call":
        assert reply.calls == []
        assert any("cut off" in problem for problem in reply.problems)
    elif not intended:
        assert reply.calls == []
        assert reply.problems == []
        if failure == "negative_not_a_call" and content.lstrip().startswith("{"):
            assert reply.text in ("", content)  # a bare envelope of no calls may be hidden
        else:
            assert reply.text == without_think(content)
    else:
        assert reply.calls == intended

    if reply.calls or (sample["intended_call"] and failure not in NOTHING_WRITTEN):
        assert not [mark for mark in RAW_CALL_MARKS if mark in reply.text]
    for thought in re.findall(r"<think>(.*?)(?:</think>|\Z)", content, flags=re.S):
        assert thought.strip() not in reply.text
    for seed in range(8):
        assert stream(content, known, seed, largest=1 if seed == 0 else 12) == reply.text


@pytest.mark.parametrize("sample", load_samples("negative_not_a_call"))
def test_sample_negatives_stay_text_even_when_their_names_are_tools(
    sample: dict[str, Any],
) -> None:
    content = sample["assistant_content"]
    plausible = frozenset(re.findall(r'"name"\s*:\s*"([^"]+)"', content))
    reply = parse_tool_calls(content, [], plausible)
    assert reply.calls == []
    assert stream(content, plausible, seed=3) == reply.text


# ---------------------------------------------------------------- native tool_calls


def test_native_call_with_object_arguments() -> None:
    native = [{"function": {"name": "lists.add", "arguments": {"item": "milk", "list": "shop"}}}]
    reply = parse_tool_calls("", native, FAMILY_TOOLS)
    assert reply == ParsedReply(
        [ParsedCall("lists.add", {"item": "milk", "list": "shop"})], "", []
    )


def test_native_call_with_arguments_as_a_json_string() -> None:
    native = [{"id": "call_1", "function": {"name": "lists.add", "arguments": '{"item": "eggs"}'}}]
    assert parse_tool_calls("", native, FAMILY_TOOLS).calls == [
        ParsedCall("lists.add", {"item": "eggs"})
    ]


def test_native_calls_as_ollama_messages_keep_the_visible_text() -> None:
    message = Message(
        role="assistant",
        content="Adding it now.",
        tool_calls=[
            Message.ToolCall(
                function=Message.ToolCall.Function(name="lists.add", arguments={"item": "rice"})
            )
        ],
    )
    reply = parse_tool_calls(message.content or "", message.tool_calls, FAMILY_TOOLS)
    assert reply.calls == [ParsedCall("lists.add", {"item": "rice"})]
    assert reply.text == "Adding it now."


def test_native_call_to_an_unknown_tool_is_a_problem_not_a_call() -> None:
    native = [{"function": {"name": "bank.transfer", "arguments": {"amount": 100}}}]
    reply = parse_tool_calls("", native, FAMILY_TOOLS)
    assert reply.calls == []
    assert len(reply.problems) == 1
    assert 'no tool named "bank.transfer"' in reply.problems[0]
    assert "lists.add" in reply.problems[0]


def test_native_arguments_that_are_not_an_object_are_a_problem() -> None:
    native = [{"function": {"name": "lists.add", "arguments": "milk, eggs"}}]
    reply = parse_tool_calls("", native, FAMILY_TOOLS)
    assert reply.calls == []
    assert "must be a JSON object" in reply.problems[0]


def test_same_call_in_native_field_and_in_content_runs_once() -> None:
    call = {"name": "chores.complete", "arguments": {"chore": "dishes"}}
    reply = parse_tool_calls(json.dumps(call), [{"function": call}], FAMILY_TOOLS)
    assert reply.calls == [ParsedCall("chores.complete", {"chore": "dishes"})]
    assert reply.text == ""


# ---------------------------------------------------------------- calls written in content

MILK = ParsedCall("lists.add", {"item": "milk"})


@pytest.mark.parametrize(
    "content",
    [
        '{"name": "lists.add", "arguments": {"item": "milk"}}',
        '{"name": "lists.add", "parameters": {"item": "milk"}}',
        '{"tool": "lists.add", "args": {"item": "milk"}}',
        '{"type": "function", "function": {"name": "lists.add", '
        '"arguments": "{\\"item\\": \\"milk\\"}"}}',
        '{"tool_calls": [{"function": {"name": "lists.add", "arguments": {"item": "milk"}}}]}',
        '[{"name": "lists.add", "arguments": {"item": "milk"}}]',
        '{"name": "functions.lists.add", "arguments": {"item": "milk"}}',
        "{'name': 'lists.add', 'arguments': {'item': 'milk',},}",
        '```json\n{"name": "lists.add", "arguments": {"item": "milk"}}\n```',
        '```\n{"name": "lists.add", "arguments": {"item": "milk"}}\n```',
        '```json\n{"name": "lists.add", "arguments": {"item": "milk"}}',
        '<tool_call>\n{"name": "lists.add", "arguments": {"item": "milk"}}\n</tool_call>',
        '<tool_call>\n{"name": "lists.add", "arguments": {"item": "milk"}}',
        '[TOOL_CALLS] [{"name": "lists.add", "arguments": {"item": "milk"}}]',
        '[TOOL_CALLS]{"name": "lists.add", "arguments": {"item": "milk"}}[/TOOL_CALLS]',
        '[TOOL_CALLS]lists.add[ARGS]{"item": "milk"}',
        "<tool_call>\n<function=lists.add>\n<parameter=item>\nmilk\n</parameter>\n</function>\n"
        "</tool_call>",
        '<function_calls>\n<invoke name="lists.add">\n<parameter name="item" string="true">milk'
        "</parameter>\n</invoke>\n</function_calls>",
        '<|tool_call>call:lists.add{item:<|"|>milk<|"|>}<tool_call|>',
        'call:lists.add{item:<|"|>milk<|"|>}',
        "[lists.add(item='milk')]",
        '<|python_tag|>lists.add.call(item="milk")<|eom_id|>',
        '<think>\nThey want milk on the list.\n</think>\n\n{"name": "lists.add", "arguments": '
        '{"item": "milk"}}',
        "<think>Milk, so the list tool.</think><tool_call>"
        '{"name": "lists.add", "arguments": {"item": "milk"}}</tool_call>',
        '<|channel>thought\nlist tool<channel|><|tool_call>call:lists.add{item:<|"|>milk<|"|>}'
        "<tool_call|>",
    ],
)
def test_each_written_form_gives_the_call_and_no_visible_text(content: str) -> None:
    reply = parse_tool_calls(content, None, FAMILY_TOOLS)
    assert reply == ParsedReply([MILK], "", [])
    assert stream(content, FAMILY_TOOLS, seed=len(content)) == ""


def test_several_calls_in_one_message_keep_their_order() -> None:
    content = (
        '<tool_call>{"name": "lists.add", "arguments": {"item": "milk"}}</tool_call>\n'
        '<tool_call>{"name": "reminders.add", "arguments": {"when": "18:00", "what": "bins"}}'
        "</tool_call>"
    )
    reply = parse_tool_calls(content, None, FAMILY_TOOLS)
    assert reply.calls == [MILK, ParsedCall("reminders.add", {"when": "18:00", "what": "bins"})]


def test_bare_calls_separated_by_punctuation_leave_no_text() -> None:
    content = '{"name": "lists.add", "arguments": {"item": "milk"}}; {"name": "chores.complete"}'
    reply = parse_tool_calls(content, None, FAMILY_TOOLS)
    assert reply.calls == [MILK, ParsedCall("chores.complete", {})]
    assert reply.text == ""


def test_text_before_and_after_a_wrapped_call_is_kept() -> None:
    content = (
        'Sure, Ana!\n<tool_call>{"name": "lists.add", "arguments": {"item": "milk"}}</tool_call>'
        "\nI'll tell you when it's done."
    )
    reply = parse_tool_calls(content, None, FAMILY_TOOLS)
    assert reply.calls == [MILK]
    assert reply.text == "Sure, Ana!\n\nI'll tell you when it's done."
    assert stream(content, FAMILY_TOOLS, seed=5) == reply.text


def test_prose_then_bare_call_at_the_end_is_a_call() -> None:
    content = 'Adding milk to the list.\n{"name": "lists.add", "arguments": {"item": "milk"}}'
    reply = parse_tool_calls(content, None, FAMILY_TOOLS)
    assert reply.calls == [MILK]
    assert reply.text == "Adding milk to the list."


def test_python_literals_and_typed_xml_values_are_decoded() -> None:
    content = (
        "{'name': 'home.call', 'arguments': {'entity': 'light.kitchen', 'on': True, "
        "'brightness': 80, 'colour': None}}"
    )
    reply = parse_tool_calls(content, None, FAMILY_TOOLS)
    assert reply.calls == [
        ParsedCall(
            "home.call", {"entity": "light.kitchen", "on": True, "brightness": 80, "colour": None}
        )
    ]
    invoke = (
        '<function_calls><invoke name="home.call"><parameter name="brightness">80</parameter>'
        '<parameter name="entity">light.kitchen</parameter></invoke></function_calls>'
    )
    assert parse_tool_calls(invoke, None, FAMILY_TOOLS).calls == [
        ParsedCall("home.call", {"brightness": 80, "entity": "light.kitchen"})
    ]


def test_unicode_escapes_and_raw_non_ascii_survive() -> None:
    content = (
        '{"name": "notes.create", '
        '"arguments": {"title": "P\\u00e3o \\ud83c\\udf5e", "body": "açúcar"}}'
    )
    reply = parse_tool_calls(content, None, FAMILY_TOOLS)
    assert reply.calls == [ParsedCall("notes.create", {"title": "Pão 🍞", "body": "açúcar"})]


# ---------------------------------------------------------------- problems to send back


def test_bare_call_to_an_unknown_tool_is_hidden_and_reported() -> None:
    reply = parse_tool_calls(
        '{"name": "Skill", "arguments": {"name": "none"}}', None, FAMILY_TOOLS
    )
    assert reply.calls == []
    assert reply.text == ""
    assert 'no tool named "Skill"' in reply.problems[0]


def test_a_cut_off_call_is_hidden_and_reported() -> None:
    content = 'One moment.\n<tool_call>\n{"name": "notes.create", "arguments": {"body": "Gro'
    reply = parse_tool_calls(content, None, FAMILY_TOOLS)
    assert reply.calls == []
    assert reply.text == "One moment."
    assert reply.problems == [
        "A tool call was cut off before it ended; send the whole call again."
    ]


def test_a_bare_cut_off_call_is_hidden_too() -> None:
    reply = parse_tool_calls(
        '{"name": "notes.create", "arguments": {"body": "Gro', None, FAMILY_TOOLS
    )
    assert (reply.calls, reply.text) == ([], "")
    assert "cut off" in reply.problems[0]


def test_an_unreadable_wrapper_is_hidden_and_reported() -> None:
    reply = parse_tool_calls("<tool_call>add milk please</tool_call>", None, FAMILY_TOOLS)
    assert (reply.calls, reply.text) == ([], "")
    assert reply.problems == ["A tool call could not be read: 'add milk please'"]


def test_positional_python_arguments_are_not_guessed() -> None:
    reply = parse_tool_calls("<|python_tag|>lists.add('milk')", None, FAMILY_TOOLS)
    assert reply.calls == []
    assert reply.problems


# ---------------------------------------------------------------- not calls


@pytest.mark.parametrize(
    "content",
    [
        "Use {name} and {date} as placeholders in the template.",
        'The file says {"name": "Ana", "age": 9} — is that right?',
        '```json\n{"name": "lists.add", "version": "1.0"}\n```',
        'To add milk I would send {"name": "lists.add", "arguments": {"item": "milk"}} but '
        "I have not done it.",
        "I can use lists.add or chores.complete for that; which one?",
        "See [the shopping list](https://example.org/list) and [lists.add] docs.",
        "If a < b and c > d then <b>bold</b> stays <i>as is</i>.",
        "```python\nprefs = {'name': 'lists.add', 'arguments': {}}\nprint(prefs)\n```\nRun it.",
        "Braces { alone } and [brackets] and a tilde ~ and `code` are fine.",
        "call: grandma at five\ncall:me maybe",
        "Prices: [1, 2, 3] and {'a': 1}",
        "👍",
    ],
)
def test_prose_with_braces_or_tool_names_stays_text(content: str) -> None:
    reply = parse_tool_calls(content, None, FAMILY_TOOLS)
    assert reply == ParsedReply([], content, [])
    assert stream(content, FAMILY_TOOLS, seed=len(content)) == content


def test_think_block_is_removed_and_the_answer_kept() -> None:
    content = "<think>\nShe asked about dinner.\n</think>\n\nPasta tonight!"
    assert parse_tool_calls(content, None, FAMILY_TOOLS).text == "Pasta tonight!"


def test_unclosed_think_at_the_start_hides_everything() -> None:
    content = "<think>\nThe user wants the chores list, maybe I should"
    reply = parse_tool_calls(content, None, FAMILY_TOOLS)
    assert reply == ParsedReply([], "", [])


def test_stray_special_tokens_and_punctuation_only_leftovers_are_dropped() -> None:
    assert parse_tool_calls("Done!<|eot_id|>", None, FAMILY_TOOLS).text == "Done!"
    assert parse_tool_calls(" .\n</tool_call> ", None, FAMILY_TOOLS).text == ""


def test_nothing_is_a_call_when_no_tools_are_offered() -> None:
    reply = parse_tool_calls('{"name": "lists.add", "arguments": {"item": "milk"}}', None, ())
    assert reply.calls == []
    assert "Tools you may call: none." in reply.problems[0]


# ---------------------------------------------------------------- streaming


def test_stream_holds_a_possible_call_until_it_can_decide() -> None:
    visible = VisibleTextFilter(FAMILY_TOOLS)
    assert visible.feed("Sure! <too") == "Sure"
    assert visible.feed('l_call>{"name": "lists.add", ') == ""
    assert visible.feed('"arguments": {"item": "milk"}}</tool_call>') == ""
    assert visible.feed(" Done.") == "! Done"
    assert visible.finish() == "."


def test_stream_releases_a_quoted_example_once_prose_follows_it() -> None:
    visible = VisibleTextFilter(FAMILY_TOOLS)
    assert visible.feed('Example: {"name": "lists.add", "arguments": {}}') == "Example"
    shown = visible.feed("\nDon't run it.")
    assert shown == ': {"name": "lists.add", "arguments": {}}\nDon\'t run it'
    assert visible.finish() == "."


def test_stream_hides_thinking_and_fences_as_they_arrive() -> None:
    visible = VisibleTextFilter(FAMILY_TOOLS)
    assert visible.feed("<think>hmm, milk") == ""
    assert visible.feed("</think>OK ```js") == "OK"
    assert visible.feed("on\n{") == ""
    assert visible.feed('"name": "lists.add", "arguments": {"item": "milk"}}\n```') == ""
    assert visible.finish() == ""


def test_stream_lets_ordinary_angle_brackets_through_at_once() -> None:
    visible = VisibleTextFilter(FAMILY_TOOLS)
    assert visible.feed("3 < 4 and <b>x") == "3 < 4 and <b>x"


FRAGMENTS = (
    "Hello Ana! ",
    "The list is ready.\n\n",
    "Use {braces} like this. ",
    "a < b ",
    "[1, 2] ",
    '{"name": "Bingo", "age": 3} ',
    "<think>private thought</think>",
    '<tool_call>{"name": "lists.add", "arguments": {"item": "milk"}}</tool_call>',
    '{"name": "lists.add", "arguments": {"item": "eggs"}}',
    '```json\n{"name": "chores.complete", "arguments": {"chore": "bins"}}\n```\n',
    "[TOOL_CALLS]lists.add[ARGS]{'item': 'tea',}",
    'call:lists.add{item:<|"|>jam<|"|>}',
    '<|python_tag|>reminders.add.call(what="bins")',
    "`code` and ```py\nx = {1: 2}\n``` ",
    "Olá, família! ",
    '{"name": "notes.create", "arguments": {"body": "cut',
    "<|eot_id|>",
    "; ",
    "\n",
)


@pytest.mark.parametrize("seed", range(40))
def test_streamed_text_always_equals_the_final_text(seed: int) -> None:
    pick = random.Random(seed)
    content = "".join(pick.choice(FRAGMENTS) for _ in range(pick.randint(1, 7)))
    reply = parse_tool_calls(content, None, FAMILY_TOOLS)
    assert stream(content, FAMILY_TOOLS, seed, largest=1 + seed % 10) == reply.text
    assert "private thought" not in reply.text

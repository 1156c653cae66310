"""Reading tool calls out of an assistant message, in whatever form a local model wrote them.

Small local models often print their calls into the message text instead of the structured
`tool_calls` field: bare or fenced JSON, Hermes/Qwen `<tool_call>` tags, Mistral `[TOOL_CALLS]`,
Qwen3-Coder and Claude-style XML, Gemma `call:name{…}` markup, Llama `[f(a=1)]` or
`<|python_tag|>` calls. `parse_tool_calls` turns any of these into `ParsedCall`s and keeps the
text the family may see; `VisibleTextFilter` does the same for a reply that is still streaming.

A call written bare (JSON, a fenced block or a Python-style list, with no wrapper token) counts
only at the end of the message: one followed by more prose is a quoted example and stays text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ParsedCall", "ParsedReply", "VisibleTextFilter", "parse_tool_calls"]


@dataclass(frozen=True)
class ParsedCall:
    """One tool call the model asked for, with its arguments as a plain dict."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ParsedReply:
    """What an assistant message amounts to: calls to run, text to show, problems to send back."""

    calls: list[ParsedCall]
    text: str
    problems: list[str]


def parse_tool_calls(
    content: str, tool_calls: Iterable[Any] | None, known_tools: Collection[str]
) -> ParsedReply:
    """Read every tool call from a message's content and native calls; keep the showable text.

    Native calls come first, then those written in the content; an identical call is kept once.
    """
    known = frozenset(known_tools)
    proposals: list[_Proposal] = []
    problems: list[str] = []
    for native in tool_calls or ():
        dump = getattr(native, "model_dump", None)  # an SDK model, e.g. ollama's Message.ToolCall
        proposal = _proposal_from_object(dump() if callable(dump) else native, known)
        if proposal is None:
            problems.append(f"A tool call could not be read: {_snippet(str(native))}")
        else:
            proposals.append(proposal)
    scanner = _Scanner(known)
    scanner.content = content
    pieces = scanner.scan(final=True)
    for piece in pieces:
        proposals.extend(piece.proposals)
        problems.extend(piece.problems)
    calls: list[ParsedCall] = []
    for proposal in proposals:
        settled = _settle(proposal, known)
        if isinstance(settled, str):
            problems.append(settled)
        elif settled not in calls:
            calls.append(settled)
    return ParsedReply(calls=calls, text=_tidy(_join_text(content, pieces)), problems=problems)


class VisibleTextFilter:
    """Lets streamed content through to the chat while holding back what may be a call or thinking.

    The pieces it returns, joined, always equal `parse_tool_calls(...).text` of the whole message.
    """

    def __init__(self, known_tools: Collection[str] = ()) -> None:
        self._scanner = _Scanner(frozenset(known_tools))
        self._shown = ""

    @property
    def content(self) -> str:
        """Everything fed so far, as the model wrote it."""
        return self._scanner.content

    def feed(self, delta: str) -> str:
        """Take the next content delta; return the text that became safe to show."""
        self._scanner.content += delta
        pieces = self._scanner.scan(final=False)
        text = re.sub(r"\n{3,}", "\n\n", _join_text(self.content, pieces)).lstrip()
        end = len(text)
        while end and _is_filler_char(text[end - 1]):  # may still be dropped or stripped
            end -= 1
        return self._advance(text[:end])

    def finish(self) -> str:
        """Return the rest of the showable text once the message is complete."""
        pieces = self._scanner.scan(final=True)
        return self._advance(_tidy(_join_text(self.content, pieces)))

    def _advance(self, text: str) -> str:
        if not text.startswith(self._shown):
            return ""
        fresh = text[len(self._shown) :]
        self._shown = text
        return fresh


@dataclass(frozen=True)
class _Proposal:
    """A call as written, before its name is checked against the offered tools."""

    name: str
    arguments: Any


@dataclass
class _Piece:
    """A stretch of the message and what it turned out to be."""

    start: int
    end: int
    kind: Literal["text", "hidden", "call", "bare"]
    proposals: list[_Proposal] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _Hold(Exception):
    """The message so far ends in something that may still become a call or a think block."""


class _Incomplete(Exception):
    """The text ends inside a value; more of it may still arrive."""


class _Invalid(Exception):
    """The text is not a value in any dialect read here."""


_WINDOW = 40  # longer than any marker, so `marker.startswith(window)` means a partial marker
_TRIGGER = re.compile(r"[<\[{`]|(?:^|(?<=\n))c")
_THINK_OPEN = ("<think>", "<thinking>")
_THINK_ENDS = ("</think>", "</thinking>", "<tool_call>")  # Qwen3 may open a call mid-thought
_WRAPPERS: dict[str, tuple[str, ...]] = {  # opener -> closers; unclosed runs to the end
    "<tool_call>": ("</tool_call>",),
    "<|tool_call>": ("<tool_call|>",),
    "<function_calls>": ("</function_calls>",),
    "<function=": ("</function>",),
    "<|python_tag|>": ("<|eom_id|>", "<|eot_id|>"),
    "[TOOL_CALLS]": ("[/TOOL_CALLS]",),
}
_STRAY_TAGS = (
    *("</think>", "</thinking>", "</tool_call>", "<tool_call|>", "<channel|>"),
    *("</function_calls>", "</function>", "</invoke>", "[/TOOL_CALLS]"),
)
_MARKERS = (*_THINK_OPEN, *_WRAPPERS, *_STRAY_TAGS, "<|channel>")
_SPECIAL_TOKEN = re.compile(r"<\|[\w.\-]+\|>")
_SPECIAL_PARTIAL = re.compile(r"<\|[\w.\-]*\|?\Z")
_XML_FUNCTION = re.compile(r"<function=([^>\s]+)>")
_XML_PARAMETER = re.compile(r"<parameter=([^>\s]+)>")
_INVOKE = re.compile(r'<invoke\s+name="([^"]+)"\s*>(.*?)(?:</invoke>|\Z)', re.S)
_INVOKE_PARAMETER = re.compile(
    r'<parameter\s+name="([^"]+)"([^>]*)>(.*?)(?:</parameter>|\Z)', re.S
)
_GEMMA_CALL = re.compile(r"call:([A-Za-z_][\w.\-]*)")
_GEMMA_PARTIAL = re.compile(r"c(?:a(?:l(?:l(?::[\w.\-]*(?::\s*[BEGIN_ARG]*)?)?)?)?)?\Z")
_BEGIN_ARG = re.compile(r":\s*BEGIN_ARG")
_PY_LIST = re.compile(r"\[\s*([A-Za-z_][\w.]*)\s*\(")
_PY_LIST_PARTIAL = re.compile(r"\[\s*[A-Za-z_][\w.]*\s*\Z")
_NAMED_BODY = re.compile(r"([A-Za-z_][\w.\-]*)\s*(\[ARGS\]|\(|\{)")
_FENCE = re.compile(r"(`{3,})[\w+.\-]*[ \t]*\n?")
_CALL_START = re.compile(r"[\[{]\s*\{?\s*[\"']?(?:name|function|tool|tool_name)[\"']?\s*:")
_NAME_KEYS = ("name", "tool", "tool_name", "function")
_ARGUMENT_KEYS = ("arguments", "parameters", "args", "input", "tool_input", "params")
_EXTRA_KEYS = frozenset({"type", "id", "index", "call_id"})
_CUT_OFF = "A tool call was cut off before it ended; send the whole call again."


class _Scanner:
    """Splits a message into text and non-text pieces, resuming where the last scan held."""

    def __init__(self, known: frozenset[str]) -> None:
        self.known = known
        self.content = ""
        self._pieces: list[_Piece] = []
        self._text_from = 0
        self._position = 0

    def scan(self, *, final: bool) -> list[_Piece]:
        """The pieces so far; unless `final`, only those that more content cannot change."""
        content = self.content
        undecided: int | None = None
        while (match := _TRIGGER.search(content, self._position)) is not None:
            start = match.start()
            try:
                found = _construct_at(content, start, self.known, final)
            except _Hold:
                undecided = self._position = start
                break
            if found is None:
                self._position = start + 1
            elif isinstance(found, int):  # text not to be searched inside (JSON, code)
                self._position = found
            else:
                if start > self._text_from:
                    self._pieces.append(_Piece(self._text_from, start, "text"))
                self._pieces.append(found)
                self._text_from = self._position = found.end
        else:
            self._position = len(content)
        end = len(content) if undecided is None else undecided
        pieces = self._pieces.copy()
        if end > self._text_from:
            pieces.append(_Piece(self._text_from, end, "text"))
        at_tail = True
        for piece in reversed(pieces):  # bare calls count only at the end of the message
            if (
                at_tail
                and piece.kind == "text"
                and not _is_filler(content[piece.start : piece.end])
            ):
                at_tail = False
            elif piece.kind == "bare" and not at_tail:
                piece.kind, piece.proposals, piece.problems = "text", [], []
            elif piece.kind == "bare" and not final:
                undecided = piece.start
        if undecided is not None:
            pieces = [piece for piece in pieces if piece.end <= undecided]
        return pieces


def _construct_at(
    content: str, start: int, known: frozenset[str], final: bool
) -> _Piece | int | None:
    """What begins at `start`: a piece, the end of text to skip over, or None for a plain char."""
    rest = content[start : start + _WINDOW]
    if rest[0] == "<" or rest.startswith(("[TOOL_CALLS]", "[/")):
        return _tag_at(content, start, known, final)
    if rest[0] == "`":
        return _fence_at(content, start, known, final)
    if rest[0] == "c":
        return _gemma_at(content, start, final)
    if rest[0] == "[":
        if not final and (
            "[TOOL_CALLS]".startswith(rest) or _PY_LIST_PARTIAL.match(content, start)
        ):
            raise _Hold
        py_list = _PY_LIST.match(content, start)
        if py_list and _known_name(py_list.group(1), known):
            try:
                calls, end = _read_python_list(content, start)
            except _Incomplete:
                return _cut_off(content, start, final)
            except _Invalid:
                pass
            else:
                return _Piece(start, end, "bare", [_Proposal(*call) for call in calls])
    try:
        value, end = _read_value(content, start)
    except _Incomplete:
        return _cut_off(content, start, final)
    except _Invalid:
        return None
    proposals = _proposals_from_value(value, known)
    return end if proposals is None else _Piece(start, end, "bare", proposals)


def _tag_at(content: str, start: int, known: frozenset[str], final: bool) -> _Piece | None:
    """Think blocks, call wrappers, special tokens and stray closing tags."""
    rest = content[start : start + _WINDOW]
    if rest.startswith(_THINK_OPEN) or rest.startswith("<|channel>"):
        enders = _THINK_ENDS if rest.startswith(_THINK_OPEN) else ("<channel|>",)
        found = [(at, tag) for tag in enders if (at := content.find(tag, start + 1)) >= 0]
        if not found:
            return _run_to_end(content, start, "hidden", final)
        at, tag = min(found)
        return _Piece(start, at + (0 if tag == "<tool_call>" else len(tag)), "hidden")
    for opener, closers in _WRAPPERS.items():
        if rest.startswith(opener):
            inclusive = opener == "<function="  # Qwen3-Coder's opener is part of the call
            body_start = start if inclusive else start + len(opener)
            ends = [(at, tag) for tag in closers if (at := content.find(tag, body_start)) >= 0]
            if not ends and not final:
                raise _Hold
            close_at, closer = min(ends) if ends else (len(content), "")
            piece = _Piece(start, close_at + len(closer), "call")
            body_end = piece.end if inclusive else close_at
            _read_body(content[body_start:body_end], known, piece)
            return piece
    for tag in _STRAY_TAGS:
        if rest.startswith(tag):
            return _Piece(start, start + len(tag), "hidden")
    if special := _SPECIAL_TOKEN.match(content, start):
        return _Piece(start, special.end(), "hidden")
    partial = any(m.startswith(rest) for m in _MARKERS) or _SPECIAL_PARTIAL.match(content, start)
    if partial and not final:
        raise _Hold
    return None


def _fence_at(content: str, start: int, known: frozenset[str], final: bool) -> _Piece | int | None:
    """A fenced block is a bare call when its whole body is calls; otherwise it is text."""
    if not final and content[start:] in ("`", "``"):
        raise _Hold
    fence = _FENCE.match(content, start)
    if fence is None:
        return None
    body_start = fence.end()
    close = content.find(fence.group(1), body_start)
    if close < 0 and not final:
        raise _Hold
    body = content[body_start : len(content) if close < 0 else close]
    end = len(content) if close < 0 else close + len(fence.group(1))
    try:
        proposals = _calls_in(body, known)
    except _Incomplete:
        if close < 0 and _CALL_START.match(body.lstrip()):
            return _Piece(start, end, "call", problems=[_CUT_OFF])
        proposals = None
    except _Invalid:
        proposals = None
    return end if proposals is None else _Piece(start, end, "bare", proposals)


def _gemma_at(content: str, start: int, final: bool) -> _Piece | None:
    """Gemma's `call:name{…}` markup, also when the model left out its wrapper."""
    if not final and _GEMMA_PARTIAL.match(content, start):
        raise _Hold
    call = _GEMMA_CALL.match(content, start)
    if call is None:
        return None
    if content.startswith("{", call.end()):
        try:
            arguments, end = _read_value(content, call.end())
        except _Incomplete:
            return _cut_off(content, start, final, markup=True)
        except _Invalid:
            return None
        return _Piece(start, end, "call", [_Proposal(call.group(1), arguments)])
    if _BEGIN_ARG.match(content, call.end()):
        problem = f'The call to "{call.group(1)}" used BEGIN_ARG markup; send a JSON object.'
        return _run_to_end(content, start, "call", final, problem)
    return None


def _cut_off(content: str, start: int, final: bool, markup: bool = False) -> _Piece | None:
    """The message ends inside a value: wait for more, or hide it if it began like a call."""
    if not final:
        raise _Hold
    if markup or _CALL_START.match(content, start):
        return _Piece(start, len(content), "call", problems=[_CUT_OFF])
    return None


def _run_to_end(
    content: str, start: int, kind: Literal["hidden", "call"], final: bool, problem: str = ""
) -> _Piece:
    """A construct that swallows the rest of the message once the message is complete."""
    if not final:
        raise _Hold
    return _Piece(start, len(content), kind, problems=[problem] if problem else [])


def _read_body(body: str, known: frozenset[str], piece: _Piece) -> None:
    """Fill a wrapper piece with the calls in its body, or with why they cannot be read."""
    try:
        proposals = _calls_in(body, known)
    except _Incomplete:
        piece.problems.append(_CUT_OFF)
        return
    except _Invalid:
        proposals = None
    if proposals is None:
        piece.problems.append(f"A tool call could not be read: {_snippet(body)}")
    else:
        piece.proposals.extend(proposals)


def _calls_in(body: str, known: frozenset[str]) -> list[_Proposal] | None:
    """Read a run of calls in any written form; None when something else is in the way."""
    proposals: list[_Proposal] = []
    position = 0
    while True:
        while position < len(body) and (body[position].isspace() or body[position] in ",;"):
            position += 1
        if position >= len(body):
            return proposals if proposals or not body.strip() else None
        rest = body[position:]
        if rest.startswith("<function="):
            proposal, position = _xml_function(body, position)
            proposals.append(proposal)
        elif rest.startswith("<invoke"):
            for invoke in _INVOKE.finditer(body, position):
                proposals.append(_Proposal(invoke.group(1), _invoke_arguments(invoke.group(2))))
            position = len(body)
        elif gemma := _GEMMA_CALL.match(rest):
            arguments, position = _read_value(body, position + gemma.end())
            proposals.append(_Proposal(gemma.group(1), arguments))
        elif rest[0] in "{[":
            value, position = _read_value(body, position)
            found = _proposals_from_value(value, known)
            if found is None:
                return None
            proposals.extend(found)
        elif named := _NAMED_BODY.match(rest):
            if named.group(2) == "(":
                name, arguments, position = _read_python_call(body, position)
            else:
                after = position + named.end() - (1 if named.group(2) == "{" else 0)
                name, (arguments, position) = named.group(1), _read_value(body, after)
            proposals.append(_Proposal(name, arguments))
        else:
            return None


def _xml_function(body: str, start: int) -> tuple[_Proposal, int]:
    """Qwen3-Coder's `<function=name><parameter=key>value` form; closing tags are optional."""
    opener = _XML_FUNCTION.match(body, start)
    if opener is None:
        raise _Invalid
    close = body.find("</function>", opener.end())
    inner = body[opener.end() : len(body) if close < 0 else close]
    parameters = list(_XML_PARAMETER.finditer(inner))
    arguments: dict[str, Any] = {}
    for number, parameter in enumerate(parameters):
        stop = parameters[number + 1].start() if number + 1 < len(parameters) else len(inner)
        raw = inner[parameter.end() : stop].split("</parameter>")[0].strip()
        arguments[parameter.group(1)] = _xml_value(raw, any_json=False)
    return _Proposal(opener.group(1), arguments), len(body) if close < 0 else close + 11


def _invoke_arguments(inner: str) -> dict[str, Any]:
    """Claude-style `<parameter name="k">v</parameter>`: JSON values unless marked string."""
    arguments: dict[str, Any] = {}
    for parameter in _INVOKE_PARAMETER.finditer(inner):
        raw = parameter.group(3).strip()
        as_text = 'string="true"' in parameter.group(2)
        arguments[parameter.group(1)] = raw if as_text else _xml_value(raw, any_json=True)
    return arguments


def _xml_value(raw: str, *, any_json: bool) -> Any:
    """Parameter text stays a string unless it is JSON we are allowed to decode."""
    if any_json or raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _proposals_from_value(value: Any, known: frozenset[str]) -> list[_Proposal] | None:
    """A call-shaped object, a list of them, or a `{"tool_calls": [...]}` envelope."""
    if isinstance(value, dict) and set(value) - _EXTRA_KEYS == {"tool_calls"}:
        value = value["tool_calls"]
        if value == []:
            return []
    items = value if isinstance(value, list) and value else [value]
    proposals = [_proposal_from_object(item, known) for item in items]
    if any(proposal is None for proposal in proposals):
        return None
    return [proposal for proposal in proposals if proposal is not None]


def _proposal_from_object(value: Any, known: frozenset[str]) -> _Proposal | None:
    """Recognize the object shapes models use for one call; None when it is not call-shaped."""
    if not isinstance(value, Mapping):
        return None
    function = value.get("function")
    if isinstance(function, Mapping) and isinstance(function.get("name"), str):
        arguments = next((function[key] for key in _ARGUMENT_KEYS if key in function), None)
        return _Proposal(function["name"], arguments)
    name_key = next((key for key in _NAME_KEYS if isinstance(value.get(key), str)), None)
    if name_key is None:
        return None
    argument_key = next((key for key in _ARGUMENT_KEYS if key in value), None)
    if argument_key is not None:
        arguments = value[argument_key]
        if arguments is None or isinstance(arguments, Mapping) or _as_object(arguments):
            return _Proposal(value[name_key], arguments)
        return None
    if _known_name(value[name_key], known) and set(value) - {name_key} <= _EXTRA_KEYS:
        return _Proposal(value[name_key], {})
    return None


def _as_object(text: Any) -> dict[str, Any] | None:
    """Arguments written as a JSON (or JSON-like) string, read into a dict."""
    if not isinstance(text, str):
        return None
    try:
        value, end = _read_value(text, 0)
    except (_Incomplete, _Invalid):
        return None
    return value if isinstance(value, dict) and not text[end:].strip() else None


def _settle(proposal: _Proposal, known: frozenset[str]) -> ParsedCall | str:
    """Check the name against the offered tools and the arguments for being an object."""
    name = _known_name(proposal.name, known)
    if name is None:
        offered = ", ".join(sorted(known)) or "none"
        return f'There is no tool named "{proposal.name}". Tools you may call: {offered}.'
    arguments = proposal.arguments
    if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
        arguments = {}
    elif isinstance(arguments, str):
        arguments = _as_object(arguments)
    if not isinstance(arguments, Mapping):
        got = _snippet(str(proposal.arguments))
        return f'The arguments for "{name}" must be a JSON object; got {got}.'
    return ParsedCall(name=name, arguments={str(key): item for key, item in arguments.items()})


def _known_name(name: str, known: frozenset[str]) -> str | None:
    """The offered tool a written name refers to (`functions.x` and `x.call` both mean `x`)."""
    name = name.strip()
    for candidate in (name, name.removeprefix("functions."), name.removesuffix(".call")):
        if candidate in known:
            return candidate
    return None


def _join_text(content: str, pieces: list[_Piece]) -> str:
    """The text pieces, leaving out punctuation stranded next to a removed call."""
    kept: list[str] = []
    removed = False
    for number, piece in enumerate(pieces):
        if piece.kind != "text":
            removed = True
            continue
        text = content[piece.start : piece.end]
        neighbours = (pieces[n] for n in (number - 1, number + 1) if 0 <= n < len(pieces))
        if _is_filler(text) and any(other.kind != "text" for other in neighbours):
            continue
        if removed and kept and kept[-1][-1:].isspace():  # no double space where a call was
            text = text.lstrip(" \t")
        kept.append(text)
        removed = False
    return "".join(kept)


def _tidy(text: str) -> str:
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return "" if _is_filler(text) else text


def _is_filler(text: str) -> bool:
    return all(_is_filler_char(char) for char in text)


def _is_filler_char(char: str) -> bool:
    return char.isspace() or char == "`" or unicodedata.category(char).startswith("P")


def _snippet(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


# A forgiving reader for the JSON that models write: JSON plus single, backtick and Gemma
# `<|"|>` quotes, bare keys, trailing commas, `...` elisions and Python literals. It tells a
# value that is cut short (`_Incomplete`, maybe still streaming) from one that is wrong.

_QUOTES = ('<|"|>', '"', "'", "`")
_WORD = re.compile(r"[A-Za-z_]\w*")
_BARE_KEY = re.compile(r"[A-Za-z_$][\w$.\-]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_NUMBER_START = re.compile(r"-?\d*(?:\.\d*)?(?:[eE][+-]?\d*)?")
_CALLEE = re.compile(r"([A-Za-z_][\w.]*)\s*\(")
_CALLEE_START = re.compile(r"[A-Za-z_][\w.]*\s*")
_LITERALS = {"true": True, "false": False, "null": None}
_LITERALS.update({"True": True, "False": False, "None": None})
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\"}
_ESCAPES.update({'"': '"', "'": "'", "`": "`"})
_ELISIONS = ("...", "…")
_MAX_DEPTH = 64


def _read_value(text: str, start: int, depth: int = 0) -> tuple[Any, int]:
    """Read one value at `start`; return it and the index just after it."""
    at = _skip_space(text, start)
    if depth > _MAX_DEPTH:
        raise _Invalid
    if text[at] == "{":
        return _read_container(text, at + 1, depth + 1, "}")
    if text[at] == "[":
        return _read_container(text, at + 1, depth + 1, "]")
    if quote := _quote_at(text, at):
        return _read_string(text, at, quote)
    if _NUMBER_START.fullmatch(text, at):
        raise _Incomplete  # a number that may go on
    if number := _NUMBER.match(text, at):
        literal = number.group()
        return (float(literal) if any(c in literal for c in ".eE") else int(literal)), number.end()
    word = _WORD.match(text, at)
    if word and word.group() in _LITERALS:
        return _LITERALS[word.group()], word.end()
    if word and word.end() == len(text) and any(w.startswith(word.group()) for w in _LITERALS):
        raise _Incomplete
    raise _Invalid


def _read_container(text: str, at: int, depth: int, closer: str) -> tuple[Any, int]:
    """The inside of an object or an array, up to and past its closer."""
    items: list[Any] = []
    members: dict[str, Any] = {}
    while True:
        at = _skip_space(text, at)
        if text[at] == closer:
            return (members if closer == "}" else items), at + 1
        elision = next((e for e in _ELISIONS if text.startswith(e, at)), None)
        if elision:
            at += len(elision)
        elif _partial(text, at, "..."):
            raise _Incomplete
        elif closer == "]":
            value, at = _read_value(text, at, depth)
            items.append(value)
        else:
            key, at = _read_key(text, at)
            at = _skip_space(text, at)
            if text[at] != ":":
                raise _Invalid
            members[key], at = _read_value(text, at + 1, depth)
        at = _skip_space(text, at)
        if text[at] == ",":
            at += 1
        elif text[at] != closer:
            raise _Invalid


def _read_key(text: str, at: int) -> tuple[str, int]:
    if quote := _quote_at(text, at):
        key, end = _read_string(text, at, quote)
        return str(key), end
    if bare := _BARE_KEY.match(text, at):
        return bare.group(), bare.end()
    raise _Invalid


def _read_string(text: str, at: int, quote: str) -> tuple[str, int]:
    """A quoted string; a stray closing quote of another style right after it is skipped."""
    at += len(quote)
    if quote in ('<|"|>', "`"):
        close = text.find(quote, at)
        if close < 0:
            raise _Incomplete
        value, end = text[at:close], close + len(quote)
    else:
        parts: list[str] = []
        while True:
            if at >= len(text):
                raise _Incomplete
            char = text[at]
            if char == quote:
                break
            if char != "\\":
                parts.append(char)
                at += 1
                continue
            if at + 1 >= len(text):
                raise _Incomplete
            escaped = text[at + 1]
            digits = text[at + 2 : at + 6]
            if escaped == "u" and len(digits) < 4 and at + 6 > len(text):
                raise _Incomplete
            if escaped == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
                parts.append(chr(int(digits, 16)))
                at += 6
            else:
                parts.append(_ESCAPES.get(escaped, "\\" + escaped))
                at += 2
        value, end = "".join(parts), at + 1
        if any("\ud800" <= char <= "\udfff" for char in value):
            value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    stray = _quote_at(text, end) if end < len(text) else None
    return value, end + len(stray) if stray and stray != quote else end


def _read_python_call(text: str, at: int) -> tuple[str, dict[str, Any], int]:
    """`name(key=value, …)` with literal values, as Llama writes calls."""
    at = _skip_space(text, at)
    callee = _CALLEE.match(text, at)
    if callee is None:
        raise _Incomplete if _CALLEE_START.fullmatch(text, at) else _Invalid
    arguments: dict[str, Any] = {}
    at = callee.end()
    while True:
        at = _skip_space(text, at)
        if text[at] == ")":
            return callee.group(1), arguments, at + 1
        key = _WORD.match(text, at)
        if key is None:
            raise _Invalid
        at = _skip_space(text, key.end())
        if text[at] != "=" or text.startswith("==", at):
            raise _Invalid
        arguments[key.group()], at = _read_value(text, at + 1, 1)
        at = _skip_space(text, at)
        if text[at] == ",":
            at += 1
        elif text[at] != ")":
            raise _Invalid


def _read_python_list(text: str, at: int) -> tuple[list[tuple[str, dict[str, Any]]], int]:
    """`[f(a=1), g(b=2)]`, Llama 3.2's way of writing several calls."""
    calls: list[tuple[str, dict[str, Any]]] = []
    at += 1
    while True:
        at = _skip_space(text, at)
        if text[at] == "]" and calls:
            return calls, at + 1
        name, arguments, at = _read_python_call(text, at)
        calls.append((name, arguments))
        at = _skip_space(text, at)
        if text[at] == ",":
            at += 1
        elif text[at] != "]":
            raise _Invalid


def _skip_space(text: str, at: int) -> int:
    """Skip whitespace; reaching the end means the value is not finished."""
    while at < len(text) and text[at].isspace():
        at += 1
    if at >= len(text):
        raise _Incomplete
    return at


def _quote_at(text: str, at: int) -> str | None:
    for quote in _QUOTES:
        if text.startswith(quote, at):
            return quote
    if _partial(text, at, '<|"|>'):
        raise _Incomplete
    return None


def _partial(text: str, at: int, token: str) -> bool:
    """Whether the text ends with a proper beginning of `token` at `at`."""
    return 0 < len(text) - at < len(token) and token.startswith(text[at:])

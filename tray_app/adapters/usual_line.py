"""The usual response line, decoded straight into the fields a count needs (the hot path).

Claude Code writes nearly every response line in one shape: an assistant line, or a
subagent's progress copy of one. `usual_row(line)` decodes such a line with msgspec into
typed structs that name only the fields a count reads, so the rest of the line (message
text, tool input) is checked as JSON but never built into Python objects, and applies the
counting rules to them: it gives what `parse.extract(orjson.loads(line))` gives for the
line, as a plain tuple of an Entry's fields, or None (the reader then decodes the line in
full and asks the full rules). tests/adapters/test_usual_line.py holds both together.

Two things msgspec does not check the way orjson does are checked here first: the line
must be UTF-8 (a quick ASCII test, else a strict decode), and a line with 1,000 or more
`[` and `{` is left to orjson (its nesting limit is fixed, msgspec's is the interpreter's
recursion limit, higher on Python 3.12+). A number too large for a float
in a skipped part (`1e400`) is the one difference left: this path reads such a line
(docs/counting-rules.md), the full decode would call it malformed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from sys import intern
from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType

from tray_app.usage.line_times import EARLIEST, LATEST
from tray_app.usage.parse import MAX_COUNT, NO_IDS, SYNTHETIC

Row = tuple[Any, ...]  # an Entry's fields (usage/dedup.Row)
COUNT_BITS = MAX_COUNT.bit_length() - 1  # MAX_COUNT is a power of two (tests check)
DEEP = 1000  # openers at which a line may nest as deep as orjson refuses (2 bytes each)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_from_iso = datetime.fromisoformat


class Cache(Struct, gc=False):
    """`usage.cache_creation`: both kinds required (else the full rules decide)."""

    ephemeral_1h_input_tokens: int
    ephemeral_5m_input_tokens: int


class Server(Struct, gc=False):
    """`usage.server_tool_use`."""

    web_search_requests: int


class Usage(Struct, gc=False):
    """`message.usage`: the four counts required, the rest optional."""

    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int
    cache_creation_input_tokens: int
    cache_creation: Cache | None = None
    server_tool_use: Server | None = None
    speed: Any = None
    inference_geo: Any = None


class Message(Struct, gc=False):
    """`message`: the response's id, model and usage."""

    id: str
    model: str
    usage: Usage


class Inner(Struct, kw_only=True, gc=False):
    """An assistant line's own fields (a progress line's `data.message` has only these)."""

    type: str
    message: Message | UnsetType = UNSET
    timestamp: str | UnsetType = UNSET
    requestId: Any = None
    costUSD: Any = UNSET
    isApiErrorMessage: Any = UNSET


class Progress(Struct, gc=False):
    """A progress line's `data`."""

    type: str
    message: Inner


class Line(Inner, kw_only=True, gc=False):
    """One transcript line: an assistant line, or a progress line holding one."""

    sessionId: str
    cwd: str
    isSidechain: Any = None
    data: Progress | UnsetType = UNSET


_decode = msgspec.json.Decoder(Line).decode
_FAILED = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)
# orjson's reason for the one line this path reads and it refuses (docs/counting-rules.md).
OVERFLOW = "number is infinity when parsed as double"


def usual_row(line: bytes | bytearray) -> Row | None:
    """The response a usual line carries, as an Entry's fields; None: ask the full rules."""
    # orjson refuses nesting deeper than 1,024; msgspec's limit is the interpreter's
    # recursion check (~1,000 on 3.11, far more on 3.12+): too many openers, decline.
    if len(line) >= 2 * DEEP and line.count(b"[") + line.count(b"{") >= DEEP:
        return None
    if not line.isascii():  # (C speed; the usual line is ASCII)
        try:
            str(line, "utf-8")
        except UnicodeDecodeError:
            return None
    try:
        obj = _decode(line)
    except _FAILED:
        return None
    kind = obj.type
    if kind == "assistant":
        message, stamp = obj.message, obj.timestamp
        request_id, cost, error = obj.requestId, obj.costUSD, obj.isApiErrorMessage
        sidechain = obj.isSidechain is True
    elif kind == "progress":  # a subagent's copy (agent_progress): a sidechain candidate
        data = obj.data
        if data is UNSET or data.type != "agent_progress" or data.message.type != "assistant":
            return None
        inner = data.message
        message, stamp = inner.message, inner.timestamp
        request_id, cost, error = inner.requestId, inner.costUSD, inner.isApiErrorMessage
        sidechain = True
    else:
        return None
    if message is UNSET or stamp is UNSET or cost is not UNSET or error is not UNSET:
        return None
    usage = message.usage
    inp, out = usage.input_tokens, usage.output_tokens
    read, total = usage.cache_read_input_tokens, usage.cache_creation_input_tokens
    breakdown, server = usage.cache_creation, usage.server_tool_use
    if breakdown is None:
        hour, five = 0, total
    else:
        hour, five = breakdown.ephemeral_1h_input_tokens, breakdown.ephemeral_5m_input_tokens
    web = 0 if server is None else server.web_search_requests
    model, message_id = message.model, message.id
    if (
        # All counts in [0, MAX_COUNT): a negative one makes the OR negative.
        (inp | out | read | total | hour | five | web) >> COUNT_BITS
        or not model or model == SYNTHETIC
        or message_id[:4] != "msg_" or message_id.endswith(NO_IDS)
    ):  # fmt: skip
        return None
    if hour + five < total:
        five = total - hour  # as the full rules: trust the total, the unexplained rest is 5m
    try:
        parsed = _from_iso(stamp)
    except ValueError:
        return None
    if parsed.tzinfo is not UTC:
        return None  # an offset or a naive time: the full rules (rare)
    # Exactly `parsed.timestamp()` (both divide whole microseconds by 10**6), ~2x faster.
    # (No memo of strings already parsed: copies of a response are written at their own
    # times, and one hit in ten on the generated 1 GB cost more than it saved.)
    timestamp = (parsed - _EPOCH) / _SECOND
    if not EARLIEST <= timestamp < LATEST:
        return None
    return (
        message_id,
        timestamp,
        intern(obj.sessionId),
        intern(model),
        inp,
        out,
        five,
        hour,
        read,
        web,
        "fast" if usage.speed == "fast" else "",
        "us" if usage.inference_geo == "us" else "",
        None,
        sidechain,
        message_id,
        request_id if type(request_id) is str else "",
        intern(obj.cwd),
    )

"""The usual assistant line, read in one pass with no calls it can do without (first scans).

`plain_entry(obj)` is `parse.extract(obj)` for an assistant line (or a subagent's progress
copy of one) of the everyday shape, and None for anything else: the reader then asks
`extract`, which applies the full rules (docs/counting-rules.md).
tests/usage/test_plain_line.py checks both agree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from sys import intern
from typing import Any

from tray_app.usage.line_times import EARLIEST, LATEST
from tray_app.usage.model import Entry
from tray_app.usage.parse import MAX_COUNT, NO_IDS, SYNTHETIC

COUNT_BITS = MAX_COUNT.bit_length() - 1  # MAX_COUNT is a power of two (tests check)
_new_entry = tuple.__new__  # Entry(...) runs a Python-level __new__ with 17 arguments
# The same time string parses to the same float: copies of a response share one, also
# the copies a resumed session makes in another file.
_stamps: dict[str, float] = {}
_from_iso = datetime.fromisoformat
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
TIMES_KEPT = 1 << 12  # then the memo starts over: ~0.5 MB at most in a long-lived tray
STAMPS_KEPT = TIMES_KEPT  # keep_times changes it


def keep_times(count: int) -> None:
    """Let the time memo hold `count` strings (a bulk reader, a process of its own: more)."""
    global STAMPS_KEPT
    STAMPS_KEPT = count


def plain_entry(obj: dict[str, Any]) -> Entry | None:
    """`extract(obj)` for the usual well-formed assistant line or progress copy; None: ask it."""
    row = plain_row(obj)
    return None if row is None else _new_entry(Entry, row)


def plain_row(obj: dict[str, Any]) -> tuple[Any, ...] | None:
    """`plain_entry`'s fields as a plain tuple (~3x cheaper to build; a bulk read's choice).

    Every required key is read by subscript (a missing one or a non-dict holder raises,
    which declines), optional ones must be absent or of the usual value, and only exact
    types and in-range values pass, so what is accepted is exactly what the full rules
    build. A `msg_` id ending like an id-less key declines too: the reader keys those.
    """
    try:
        kind = obj["type"]
        if kind == "assistant":
            inner = obj
        elif kind == "progress":  # a subagent's copy (agent_progress): a sidechain candidate
            data = obj["data"]
            inner = data["message"]
            if data["type"] != "agent_progress" or inner["type"] != "assistant":
                return None
        else:
            return None
        if "costUSD" in inner or "isApiErrorMessage" in inner:
            return None
        message = inner["message"]
        usage = message["usage"]
        model = message["model"]
        message_id = message["id"]
        stamp = inner["timestamp"]  # the full rules fall back to the outer one if it is empty
        session_id = obj["sessionId"]
        cwd = obj["cwd"]
        inp = usage["input_tokens"]
        out = usage["output_tokens"]
        read = usage["cache_read_input_tokens"]
        total = usage["cache_creation_input_tokens"]
        breakdown = usage.get("cache_creation")
        server = usage.get("server_tool_use")
    except (KeyError, TypeError, AttributeError):
        return None
    if type(breakdown) is dict:
        hour = breakdown.get("ephemeral_1h_input_tokens")
        five = breakdown.get("ephemeral_5m_input_tokens")
    elif breakdown is None:
        hour, five = 0, total
    else:
        return None
    web = server.get("web_search_requests") if type(server) is dict else 0 if server is None else -1
    if not (
        type(inp) is int and type(out) is int and type(read) is int and type(total) is int
        and type(hour) is int and type(five) is int and type(web) is int
        # Exact ints (no bools) all in [0, MAX_COUNT): a negative one makes the OR negative.
        and not (inp | out | read | total | hour | five | web) >> COUNT_BITS
        and type(model) is str and type(message_id) is str and type(stamp) is str
        and type(session_id) is str and type(cwd) is str and type(usage) is dict
        and model and model != SYNTHETIC and message_id[:4] == "msg_"
        and not message_id.endswith(NO_IDS)
    ):  # fmt: skip
        return None
    if hour + five < total:
        five = total - hour  # as the full rules: trust the total, the unexplained rest is 5m
    timestamp = _stamps.get(stamp)
    if timestamp is None:
        try:
            parsed = _from_iso(stamp)
        except ValueError:
            return None
        if parsed.tzinfo is not UTC:
            return None  # an offset or a naive time: the full rules (rare)
        # Exactly `parsed.timestamp()` (both divide whole microseconds by 10**6), ~2x faster.
        timestamp = (parsed - _EPOCH) / _SECOND
        if not EARLIEST <= timestamp < LATEST:
            return None
        if len(_stamps) >= STAMPS_KEPT:
            _stamps.clear()
        _stamps[stamp] = timestamp
    request_id = inner.get("requestId")
    return (
        message_id,
        timestamp,
        intern(session_id),
        intern(model),
        inp,
        out,
        five,
        hour,
        read,
        web,
        "fast" if usage.get("speed") == "fast" else "",
        "us" if usage.get("inference_geo") == "us" else "",
        None,
        inner is not obj or obj.get("isSidechain") is True,
        message_id,
        request_id if type(request_id) is str else "",
        intern(cwd),
    )

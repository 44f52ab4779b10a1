"""Turn one decoded transcript line into candidate response copies (docs/counting-rules.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from sys import intern
from typing import Any

from tray_app.usage.line_times import EARLIEST as EARLIEST
from tray_app.usage.line_times import LATEST as LATEST
from tray_app.usage.line_times import parse_timestamp as parse_timestamp
from tray_app.usage.line_times import reset_notice
from tray_app.usage.model import Entry, ResetNotice

SYNTHETIC = "<synthetic>"

# Bounds (docs/input-safety.md): a value outside them makes its line a bad line.
# Far above any real response (~10^6 tokens), far below SQLite's 2^63 even when summed
# over millions of responses.
MAX_COUNT = 1 << 40
MAX_COST_USD = 1e6  # legacy `costUSD` of one response
# A line without message.id, requestId and uuid gets this key suffix; the reader appends
# the line's place (file and byte offset) so such lines never merge into one response.
NO_IDS = "||at:"


@dataclass(frozen=True, slots=True)
class Rejected:
    """A usage line whose values cannot be counted: the reader reports it as a bad line."""

    reason: str


class _Invalid(Exception):
    """A value out of bounds inside a usage line (caught in `extract`)."""


def _int(value: object, name: str) -> int:
    """A token count: an integer (an integral float is accepted) in [0, MAX_COUNT)."""
    if value is None:
        return 0  # null reads as absent, like a missing field
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is not int or not 0 <= value < MAX_COUNT:
        raise _Invalid(f"{name} out of range")
    return value


def dedup_key(session_id: str, message_id: str, request_id: str, line_uuid: str) -> str:
    """The key: `message.id` when it starts with msg_, else (session, id, request)."""
    if message_id.startswith("msg_"):
        return message_id
    if message_id or request_id:
        return f"{session_id}|{message_id}|{request_id}"
    if line_uuid:
        # No response ids: the line's own uuid keeps re-reads idempotent without merging.
        return f"{session_id}||uuid:{line_uuid}"
    return f"{session_id}{NO_IDS}"  # completed with the line's place by the reader


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def full_entry(
    outer: Mapping[str, Any], inner: Mapping[str, Any], sidechain: bool
) -> Entry | ResetNotice | Rejected | None:
    """Build an Entry from a `{"message": {...usage}}` object; `outer` holds the session."""
    message = inner.get("message")
    if type(message) is not dict:
        return None
    usage = message.get("usage")
    if type(usage) is not dict:
        return None
    timestamp = parse_timestamp(inner.get("timestamp") or outer.get("timestamp"))
    if timestamp is None:
        return Rejected("timestamp missing, unparsable or out of range")
    model = message.get("model")
    if model == SYNTHETIC or inner.get("isApiErrorMessage") is True:
        return reset_notice(inner, message, timestamp)
    get = usage.get
    inp = get("input_tokens", 0)
    out = get("output_tokens", 0)
    read = get("cache_read_input_tokens", 0)
    cache_total = get("cache_creation_input_tokens", 0)
    # Hot path (every usage line): one combined check; other values take the slow path.
    if not (
        type(inp) is int and type(out) is int and type(read) is int and type(cache_total) is int
        and 0 <= inp < MAX_COUNT and 0 <= out < MAX_COUNT and 0 <= read < MAX_COUNT
        and 0 <= cache_total < MAX_COUNT
    ):  # fmt: skip
        try:
            inp, out = _int(inp, "input_tokens"), _int(out, "output_tokens")
            read = _int(read, "cache_read_input_tokens")
            cache_total = _int(cache_total, "cache_creation_input_tokens")
        except _Invalid as exc:
            return Rejected(str(exc))
    breakdown = get("cache_creation")
    server = get("server_tool_use")
    try:
        if type(breakdown) is dict and (
            "ephemeral_1h_input_tokens" in breakdown or "ephemeral_5m_input_tokens" in breakdown
        ):
            cache_1h = _int(breakdown.get("ephemeral_1h_input_tokens"), "ephemeral_1h")
            cache_5m = _int(breakdown.get("ephemeral_5m_input_tokens"), "ephemeral_5m")
            if cache_1h + cache_5m < cache_total:
                cache_5m = cache_total - cache_1h  # trust the total; unexplained rest is 5m
        else:
            cache_1h, cache_5m = 0, cache_total  # older versions: all writes are 5m
        web = (
            _int(server.get("web_search_requests"), "web_search_requests")
            if type(server) is dict
            else 0
        )
    except _Invalid as exc:
        return Rejected(str(exc))
    cost = inner.get("costUSD")
    if isinstance(cost, int | float) and not isinstance(cost, bool):
        if not 0 <= cost <= MAX_COST_USD:
            return Rejected("costUSD out of range")
        cost = float(cost)
    else:
        cost = None  # absent or not a number: priced from the table instead
    # Interned: ~100k responses share a few hundred sessions, models and dirs (memory).
    session_id = intern(_str(outer.get("sessionId")))
    message_id = _str(message.get("id"))
    request_id = _str(inner.get("requestId"))
    if message_id.startswith("msg_"):
        key = message_id
    else:
        key = dedup_key(session_id, message_id, request_id, _str(inner.get("uuid")))
    return Entry(
        key,
        timestamp,
        session_id,
        intern(model) if type(model) is str and model else "unknown",
        inp,
        out,
        cache_5m,
        cache_1h,
        read,
        web,
        "fast" if get("speed") == "fast" else "",
        "us" if get("inference_geo") == "us" else "",
        cost,
        sidechain,
        message_id,
        request_id,
        intern(_str(outer.get("cwd"))),
    )


def extract(obj: object) -> Entry | ResetNotice | Rejected | None:
    """The usage a decoded line carries: a response, a progress copy, a bad line, or none.

    The full rules: a read builds the usual line with `adapters.usual_line.usual_row` and asks
    this only for what that declines (and for every line when validating).
    """
    if not isinstance(obj, dict):
        return None
    kind = obj.get("type")
    if kind == "assistant":
        return full_entry(obj, obj, obj.get("isSidechain") is True)
    if kind == "progress":
        data = obj.get("data")
        if isinstance(data, dict) and data.get("type") == "agent_progress":
            inner = data.get("message")
            if isinstance(inner, dict) and inner.get("type") == "assistant":
                # An embedded subagent copy: one more (sidechain) candidate, never extra.
                return full_entry(obj, inner, True)
    return None

"""Turn one decoded transcript line into candidate response copies (SPEC §2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC as _UTC
from datetime import datetime
from sys import intern
from typing import Any

from tray_app.usage.model import Entry, ResetNotice

SYNTHETIC = "<synthetic>"
_LIMIT_TEXT = re.compile(r"usage limit reached\|(\d{9,11})")


def parse_timestamp(value: object) -> float | None:
    """ISO-8601 (with or without ms, `Z` or an offset) or epoch number → epoch seconds."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            # Claude Code writes UTC; a naive stamp is taken as UTC too.
            return parsed.replace(tzinfo=_UTC).timestamp()
        return parsed.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 1000.0 if value > 1e11 else float(value)
    return None


def _int(value: object) -> int:
    # Negative, fractional or junk counts become 0 or are truncated: never crash on them.
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else 0
    if isinstance(value, float) and value > 0:
        return int(value)
    return 0


def dedup_key(session_id: str, message_id: str, request_id: str, line_uuid: str) -> str:
    """SPEC §3 key: `message.id` when it starts with msg_, else (session, id, request)."""
    if message_id.startswith("msg_"):
        return message_id
    if message_id or request_id:
        return f"{session_id}|{message_id}|{request_id}"
    # No ids at all: the line's own uuid keeps re-reads idempotent without merging lines.
    return f"{session_id}||uuid:{line_uuid}"


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _entry(
    outer: Mapping[str, Any], inner: Mapping[str, Any], sidechain: bool
) -> Entry | ResetNotice | None:
    """Build an Entry from a `{"message": {...usage}}` object; `outer` holds the session."""
    message = inner.get("message")
    if type(message) is not dict:
        return None
    usage = message.get("usage")
    if type(usage) is not dict:
        return None
    timestamp = parse_timestamp(inner.get("timestamp") or outer.get("timestamp"))
    if timestamp is None:
        return None
    model = message.get("model")
    if model == SYNTHETIC or inner.get("isApiErrorMessage") is True:
        return _reset_notice(inner, message, timestamp)
    get = usage.get
    inp = get("input_tokens", 0)
    out = get("output_tokens", 0)
    read = get("cache_read_input_tokens", 0)
    cache_total = get("cache_creation_input_tokens", 0)
    # Hot path (every usage line): one combined check; junk values take the slow path.
    if not (
        type(inp) is int and type(out) is int and type(read) is int and type(cache_total) is int
        and inp >= 0 and out >= 0 and read >= 0 and cache_total >= 0
    ):  # fmt: skip
        inp, out, read, cache_total = _int(inp), _int(out), _int(read), _int(cache_total)
    breakdown = get("cache_creation")
    if type(breakdown) is dict and (
        "ephemeral_1h_input_tokens" in breakdown or "ephemeral_5m_input_tokens" in breakdown
    ):
        cache_1h = _int(breakdown.get("ephemeral_1h_input_tokens"))
        cache_5m = _int(breakdown.get("ephemeral_5m_input_tokens"))
        if cache_1h + cache_5m < cache_total:
            cache_5m = cache_total - cache_1h  # trust the total; unexplained rest is 5m
    else:
        cache_1h, cache_5m = 0, cache_total  # older versions: all writes are 5m
    server = get("server_tool_use")
    web = _int(server.get("web_search_requests")) if type(server) is dict else 0
    # Interned: ~100k responses share a few hundred sessions, models and dirs (memory).
    session_id = intern(_str(outer.get("sessionId")))
    message_id = _str(message.get("id"))
    request_id = _str(inner.get("requestId"))
    if message_id.startswith("msg_"):
        key = message_id
    else:
        key = dedup_key(session_id, message_id, request_id, _str(inner.get("uuid")))
    cost = inner.get("costUSD")
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
        float(cost) if isinstance(cost, int | float) and cost >= 0 else None,
        sidechain,
        message_id,
        request_id,
        intern(_str(outer.get("cwd"))),
    )


def _reset_notice(
    inner: Mapping[str, Any], message: Mapping[str, Any], timestamp: float
) -> ResetNotice | None:
    """An official reset time from a `<synthetic>` limit message, if it carries one."""
    quota = inner.get("quotaLimits") or message.get("quotaLimits")
    if isinstance(quota, dict):
        resets = parse_timestamp(quota.get("resetsAt"))
        if resets is not None:
            return ResetNotice(timestamp, resets)
    content = message.get("content")
    texts: list[str] = []
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        texts.extend(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    for text in texts:
        found = _LIMIT_TEXT.search(text)
        if found:
            return ResetNotice(timestamp, float(found.group(1)))
    return None


def extract(obj: object) -> Entry | ResetNotice | None:
    """The usage a decoded line carries: an assistant response, a progress copy, or none."""
    if not isinstance(obj, dict):
        return None
    kind = obj.get("type")
    if kind == "assistant":
        return _entry(obj, obj, obj.get("isSidechain") is True)
    if kind == "progress":
        data = obj.get("data")
        if isinstance(data, dict) and data.get("type") == "agent_progress":
            inner = data.get("message")
            if isinstance(inner, dict) and inner.get("type") == "assistant":
                # An embedded subagent copy: one more (sidechain) candidate, never extra.
                return _entry(obj, inner, True)
    return None

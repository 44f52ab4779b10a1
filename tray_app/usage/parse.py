"""Turn one decoded transcript line into candidate response copies (SPEC §2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC as _UTC
from datetime import datetime
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


def _entry(
    outer: Mapping[str, Any], inner: Mapping[str, Any], sidechain: bool
) -> Entry | ResetNotice | None:
    """Build an Entry from a `{"message": {...usage}}` object; `outer` holds the session."""
    message = inner.get("message")
    if not isinstance(message, dict):
        return None
    usage = message.get("usage")
    if not isinstance(usage, dict):
        return None
    timestamp = parse_timestamp(inner.get("timestamp", outer.get("timestamp")))
    if timestamp is None:
        return None
    model = message.get("model")
    model = model if isinstance(model, str) else ""
    if model == SYNTHETIC or inner.get("isApiErrorMessage") is True:
        return _reset_notice(inner, message, timestamp)
    session_id = outer.get("sessionId")
    session_id = session_id if isinstance(session_id, str) else ""
    message_id = message.get("id")
    message_id = message_id if isinstance(message_id, str) else ""
    request_id = inner.get("requestId")
    request_id = request_id if isinstance(request_id, str) else ""
    uuid = inner.get("uuid")
    cache_total = _int(usage.get("cache_creation_input_tokens"))
    breakdown = usage.get("cache_creation")
    if isinstance(breakdown, dict) and (
        "ephemeral_1h_input_tokens" in breakdown or "ephemeral_5m_input_tokens" in breakdown
    ):
        cache_1h = _int(breakdown.get("ephemeral_1h_input_tokens"))
        cache_5m = _int(breakdown.get("ephemeral_5m_input_tokens"))
        if cache_1h + cache_5m < cache_total:
            cache_5m = cache_total - cache_1h  # trust the total; unexplained rest is 5m
    else:
        cache_1h, cache_5m = 0, cache_total  # older versions: all writes are 5m
    server = usage.get("server_tool_use")
    web = _int(server.get("web_search_requests")) if isinstance(server, dict) else 0
    speed = usage.get("speed")
    geo = usage.get("inference_geo")
    cost = outer.get("costUSD") if inner is outer else inner.get("costUSD")
    cwd = outer.get("cwd")
    return Entry(
        key=dedup_key(session_id, message_id, request_id, uuid if isinstance(uuid, str) else ""),
        timestamp=timestamp,
        session_id=session_id,
        model=model or "unknown",
        input_tokens=_int(usage.get("input_tokens")),
        output_tokens=_int(usage.get("output_tokens")),
        cache_5m_tokens=cache_5m,
        cache_1h_tokens=cache_1h,
        cache_read_tokens=_int(usage.get("cache_read_input_tokens")),
        web_search_requests=web,
        speed="fast" if speed == "fast" else "",
        geo="us" if geo == "us" else "",
        cost_usd=float(cost) if isinstance(cost, int | float) and cost >= 0 else None,
        sidechain=sidechain,
        message_id=message_id,
        request_id=request_id,
        cwd=cwd if isinstance(cwd, str) else "",
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

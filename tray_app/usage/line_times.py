"""The times a transcript line carries: its timestamp, and a limit message's reset time."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC as _UTC
from datetime import datetime
from typing import Any

from tray_app.usage.model import ResetNotice

_LIMIT_TEXT = re.compile(r"usage limit reached\|(\d{9,11})")

# Bounds (docs/input-safety.md): a line stamped outside them is a bad line.
EARLIEST = 946_684_800.0  # 2000-01-01T00:00:00Z: before Claude existed
LATEST = 4_102_444_800.0  # 2100-01-01T00:00:00Z: the core has no clock, so a fixed end


def parse_timestamp(value: object) -> float | None:
    """ISO-8601 (with or without ms, `Z` or an offset) or epoch number → epoch seconds.

    None when unparsable or outside [EARLIEST, LATEST).
    """
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                # Claude Code writes UTC; a naive stamp is taken as UTC too.
                parsed = parsed.replace(tzinfo=_UTC)
            seconds = parsed.timestamp()
        except (ValueError, OverflowError):
            return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value) / 1000.0 if value > 1e11 else float(value)
    else:
        return None
    # Written so that NaN fails too.
    return seconds if EARLIEST <= seconds < LATEST else None


def reset_notice(
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
            resets_at = parse_timestamp(float(found.group(1)))
            return None if resets_at is None else ResetNotice(timestamp, resets_at)
        # The human forms (docs/official-limits.md, usage/limit_messages.py): a 5-hour
        # reset ends the block; any window is full from the message until its reset.
        # (Imported here: its regexes cost ~1.7 ms of every start; only `<synthetic>` and
        # API-error messages reach this line.)
        from tray_app.usage.limit_messages import parse_limit_message

        hit = parse_limit_message(text, timestamp)
        if hit is not None and hit.resets_at is not None:
            return ResetNotice(timestamp, hit.resets_at, hit.window)
    return None

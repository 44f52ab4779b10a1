"""Claude Code's human limit messages → which window was hit and when it resets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

FIVE_HOUR, SEVEN_DAY, OPUS, SONNET, EXTRA = (
    "five_hour", "seven_day", "seven_day_opus", "seven_day_sonnet", "spend_limit",
)  # fmt: skip
_SEP = r"\s*[∙·•|]\s*"  # ∙ U+2219 and · U+00B7 both occur
_HEAD = re.compile(
    r"(?P<five>5-hour limit reached)|(?P<week>weekly limit reached)|(?P<opus>opus limit reached)"
    r"|you(?:'|’)ve hit your (?:(?P<kind>session|weekly|opus|sonnet) )?limit"
    r"|(?P<extra>you(?:'|’)re out of extra usage)",
    re.IGNORECASE,
)
_RESETS = re.compile(
    _SEP + r"resets\s+(?:(?P<mon>[A-Z][a-z]{2})[a-z]*\.?\s+(?P<day>\d{1,2}),?\s+)?"
    r"(?P<hour>\d{1,2})(?::(?P<min>\d{2}))?\s*(?P<ampm>am|pm)"
    r"(?:\s*\((?P<zone>[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+)*)\))?",
    re.IGNORECASE,
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_KINDS = {None: FIVE_HOUR, "session": FIVE_HOUR, "weekly": SEVEN_DAY, "opus": OPUS,
          "sonnet": SONNET}  # fmt: skip


@dataclass(frozen=True, slots=True)
class LimitMessage:
    """A limit was hit in `window`; it resets at `resets_at` (None when the text gives none)."""

    window: str
    resets_at: float | None


def _window(head: re.Match[str]) -> str:
    if head.group("five"):
        return FIVE_HOUR
    if head.group("week"):
        return SEVEN_DAY
    if head.group("opus"):
        return OPUS
    if head.group("extra"):
        return EXTRA
    kind = head.group("kind")
    return _KINDS[kind.lower() if kind else None]


def _zone(name: str | None, default: tzinfo | None, at: float) -> tzinfo:
    if name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # on use: ~3 ms of every start

        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # an unknown zone name: the user's own zone is the best guess
    if default is not None:
        return default
    local = datetime.fromtimestamp(at).astimezone().tzinfo
    assert local is not None
    return local


def _reset_time(found: re.Match[str], at: float, default: tzinfo | None) -> float | None:
    """The first moment matching the stated clock (and date) after the message was written."""
    zone = _zone(found.group("zone"), default, at)
    hour = int(found.group("hour")) % 12 + (12 if found.group("ampm").lower() == "pm" else 0)
    minute = int(found.group("min") or 0)
    if hour > 23 or minute > 59:
        return None
    written = datetime.fromtimestamp(at, zone)
    month = found.group("mon")
    try:
        if month is None:
            candidate = written.replace(hour=hour, minute=minute, second=0, microsecond=0)
            if candidate <= written:
                candidate += timedelta(days=1)
            return candidate.timestamp()
        number = _MONTHS.get(month[:3].lower())
        if number is None:
            return None
        day = int(found.group("day"))
        for year in (written.year, written.year + 1):
            candidate = written.replace(year=year, month=number, day=day, hour=hour,
                                        minute=minute, second=0, microsecond=0)  # fmt: skip
            if candidate > written:
                return candidate.timestamp()
    except ValueError:  # Feb 30 and the like
        return None
    return None


def parse_limit_message(text: str, at: float, tz: tzinfo | None = None) -> LimitMessage | None:
    """The window and reset a limit message names; `at` is when it was written.

    A clock without a zone in parentheses is in `tz` (the user's zone; the system's if None).
    """
    head = _HEAD.search(text[:2000])
    if head is None:
        return None
    found = _RESETS.search(text, head.end(), head.end() + 200)
    resets = None if found is None else _reset_time(found, at, tz)
    return LimitMessage(_window(head), resets)

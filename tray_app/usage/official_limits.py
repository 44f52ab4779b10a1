"""Claude Code's own limit windows: freshness, resets, moving a % forward."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from tray_app.usage.limits import Limit, LimitSource
from tray_app.usage.model import ResetNotice
from tray_app.usage.parse import EARLIEST, LATEST

FIVE_HOUR = "five_hour"
MESSAGE = "message"  # origin of a window read from a limit message in a transcript
SEVEN_DAY = "seven_day"
DEFAULT_MAX_AGE = 600.0  # docs/counting-rules.md: a capture older than 10 minutes is stale
DAY = 86400.0
WINDOW_SECONDS = {
    FIVE_HOUR: 5 * 3600.0,
    SEVEN_DAY: 7 * DAY,
    "seven_day_opus": 7 * DAY,
    "seven_day_sonnet": 7 * DAY,
    "seven_day_oauth_apps": 7 * DAY,
}
WINDOW_LABELS = {
    FIVE_HOUR: "5-hour",
    SEVEN_DAY: "weekly",
    "seven_day_opus": "weekly Opus",
    "seven_day_sonnet": "weekly Sonnet",
    "spend_limit": "extra usage",
}
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Counted tokens of this machine in [lo, hi): the live state or the ledger answers it.
Counter = Callable[[float, float], int]


@dataclass(frozen=True, slots=True)
class OfficialWindow:
    """One window as Claude Code (or the usage endpoint, or a limit message) reported it."""

    name: str  # "five_hour", "seven_day", "seven_day_opus", ...
    percent: float  # used, 0-100 (spend_limit may exceed 100)
    resets_at: float | None  # epoch seconds
    captured_at: float  # when we received it
    origin: str = "statusline"  # "statusline" | "usage_api" | "message"
    session_id: str = ""
    model: str = ""


def window_label(name: str) -> str:
    """`5-hour`, `weekly`, `weekly Opus`, or the raw name of a window we do not know."""
    return WINDOW_LABELS.get(name, name.replace("_", " "))


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _epoch(value: object) -> float | None:
    number = _number(value)
    if number is None or number <= 0:
        return None
    seconds = number / 1000.0 if number > 1e11 else number  # milliseconds by mistake
    # Outside the transcripts' time range a reset is junk (and 1e30 s breaks datetime).
    return seconds if EARLIEST <= seconds < LATEST else None


def parse_rate_limits(
    raw: object, captured_at: float, session_id: str = "", model: str = ""
) -> list[OfficialWindow]:
    """The windows of a status-line `rate_limits` object; junk parts are skipped, never raised."""
    if not isinstance(raw, Mapping):
        return []
    out: list[OfficialWindow] = []
    for name, body in raw.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name) or not isinstance(body, Mapping):
            continue
        percent = _number(body.get("used_percentage"))
        if percent is None or not 0 <= percent <= 10_000:
            continue
        resets = _epoch(body.get("resets_at"))
        out.append(
            OfficialWindow(name, percent, resets, captured_at, "statusline", session_id, model)
        )
    return out


def latest(windows: Iterable[OfficialWindow]) -> dict[str, OfficialWindow]:
    """The newest capture of each window (a later one in the sequence wins a tie)."""
    newest: dict[str, OfficialWindow] = {}
    for w in windows:
        old = newest.get(w.name)
        if old is None or w.captured_at >= old.captured_at:
            newest[w.name] = w
    return newest


def _resolve(
    w: OfficialWindow, now: float, max_age: float, counted: Counter | None
) -> Limit | None:
    if w.origin == MESSAGE:
        # "Limit reached · resets R" at t: the window is full from t until R, then means
        # nothing (the window has reset); no freshness limit and no moving forward.
        if w.resets_at is None or not w.captured_at <= now < w.resets_at:
            return None
        return Limit(None, LimitSource.OFFICIAL, window=w.name, percent_now=w.percent,
                     captured_at=w.captured_at, resets_at=w.resets_at)  # fmt: skip
    length = WINDOW_SECONDS.get(w.name)
    reset = w.resets_at is not None and now >= w.resets_at
    if reset:
        assert w.resets_at is not None
        # Past its reset the window is empty again (Claude Code drops it: reset, not
        # unknown), until a whole window length has gone by without a new figure.
        if length is None or now - w.resets_at >= length:
            return None
    elif now - w.captured_at > max_age or w.captured_at - now > max_age:
        return None
    base = 0.0 if reset else w.percent
    percent, estimated = base, False
    if counted is not None and length is not None and w.resets_at is not None and w.percent > 0:
        # Claude Code's % per token counted here in the captured window: the tokens
        # counted since (the capture, or the reset) move the figure forward.
        start = w.resets_at if reset else w.captured_at
        at_capture = counted(w.resets_at - length, w.captured_at)
        since = counted(start, now) if now > start else 0
        if at_capture > 0 and since > 0:
            percent, estimated = base + since * w.percent / at_capture, True
    return Limit(
        None,
        LimitSource.OFFICIAL,
        window=w.name,
        percent_now=percent,
        captured_at=w.captured_at,
        resets_at=None if reset else w.resets_at,
        estimated=estimated,
    )


def official_limit(
    w: OfficialWindow | None,
    now: float,
    max_age: float = DEFAULT_MAX_AGE,
    counted: Counter | None = None,
) -> Limit | None:
    """The window's `official` limit at `now`, or None when there is no usable figure."""
    return None if w is None else _resolve(w, now, max_age, counted)


def message_windows(notices: Iterable[ResetNotice], now: float) -> dict[str, OfficialWindow]:
    """Limit messages in force at `now` (written by then, reset not yet passed), newest each."""
    newest: dict[str, OfficialWindow] = {}
    for n in notices:
        if not n.timestamp <= now < n.resets_at or not _NAME.fullmatch(n.window):
            continue
        old = newest.get(n.window)
        if old is None or n.timestamp >= old.captured_at:
            newest[n.window] = OfficialWindow(n.window, 100.0, n.resets_at, n.timestamp, MESSAGE)
    return newest


def with_messages(
    captures: Mapping[str, OfficialWindow],
    notices: Iterable[ResetNotice],
    now: float,
    max_age: float = DEFAULT_MAX_AGE,
) -> dict[str, OfficialWindow]:
    """Captures with the limit messages in force merged in, as official figures.

    A newer capture wins while it is usable or when it says the window is not full; a
    stale newer one that also says full leaves the message in force.
    """
    merged = dict(captures)
    for name, message in message_windows(notices, now).items():
        capture = merged.get(name)
        if (
            capture is None
            or capture.captured_at < message.captured_at
            or (capture.percent >= 100 and official_limit(capture, now, max_age) is None)
        ):
            merged[name] = message
    return merged


@dataclass(frozen=True, slots=True)
class LimitSet:
    """The 5-hour limit the block uses, and one limit per window for lists and JSON."""

    block: Limit  # official when fresh, else the fallback (max / p90 / custom / none)
    windows: tuple[Limit, ...]  # five_hour first, seven_day second, then the rest by name


def resolve_limits(
    captures: Mapping[str, OfficialWindow],
    fallback: Limit,
    block_tokens: int | None,
    now: float,
    max_age: float = DEFAULT_MAX_AGE,
    counted: Counter | None = None,
) -> LimitSet:
    """Official figures where fresh, the fallback for the 5-hour block otherwise."""
    five = official_limit(captures.get(FIVE_HOUR), now, max_age, counted)
    block = five or fallback
    if five is None:
        pct = None if block_tokens is None else fallback.percent(block_tokens)
        five = Limit(fallback.tokens, fallback.source, percent_now=pct)
    windows = [five]
    week = official_limit(captures.get(SEVEN_DAY), now, max_age, counted)
    windows.append(week or Limit(None, LimitSource.NONE, window=SEVEN_DAY))
    for name in sorted(set(captures) - {FIVE_HOUR, SEVEN_DAY}):
        other = official_limit(captures[name], now, max_age, counted)
        if other is not None:
            windows.append(other)
    return LimitSet(block, tuple(windows))


def closer(limits: Iterable[Limit]) -> Limit | None:
    """The 5-hour or weekly limit nearer to full (the icon shows it); 5-hour wins a tie."""
    best: Limit | None = None
    for limit in limits:
        if limit.window not in (FIVE_HOUR, SEVEN_DAY) or limit.percent_now is None:
            continue
        if best is None or limit.percent_now > best.percent_now:  # type: ignore[operator]
            best = limit
    return best


def age_text(seconds: float) -> str:
    """`just now`, `2 min ago`, `3 h ago`, `2 d ago`."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < DAY:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // DAY)} d ago"


def source_text(limit: Limit, now: float) -> str:
    """`official · 2 min ago`, `official (estimated) · 4 min ago`, or the fallback's label."""
    if limit.source is not LimitSource.OFFICIAL:
        return limit.label
    head = "official (estimated)" if limit.estimated else "official"
    return head if limit.captured_at is None else f"{head} · {age_text(now - limit.captured_at)}"

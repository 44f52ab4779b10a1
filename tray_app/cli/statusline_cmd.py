"""`token-monitor statusline`: record Claude Code's rate limits, print one short line.

Claude Code runs this on every update, so it imports only the standard library and our
light spool/formatting modules, never waits on the ledger, and always exits 0 with a line.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Mapping

from tray_app.adapters.spool_files import (
    SETUP,
    STATE,
    append_record,
    data_dir,
    read_json,
)

# Not typing.TYPE_CHECKING: importing typing costs ~2 ms (mypy knows this name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

MAX_STDIN = 4 * 1024 * 1024  # more than any real status-line object; the rest is ignored
MAX_WINDOWS = 16
STATE_MAX_AGE = 900.0  # the app's figures are left out when older (the app is not running)
CHAIN_TIMEOUT = 2.0
DEFAULT_ITEMS = ("block", "weekly", "reset", "burn", "cost")
SEP = " · "
_NESTED = "TOKEN_MONITOR_IN_STATUSLINE"
# The core's bounds (usage.parse / official_limits), copied: this module stays light.
MAX_PERCENT = 10_000.0  # spend_limit may pass 100; beyond this a figure is junk
EARLIEST, LATEST = 946_684_800.0, 4_102_444_800.0  # 2000-01-01 .. 2100-01-01 UTC
MAX_COST_USD = 1e6
_GREEN, _YELLOW, _RED, _RESET = "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[0m"


def compact(n: float) -> str:
    """`812`, `1.2k`, `63k`, `1.2M` (formatting.compact's rule, without its imports)."""
    for unit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= unit:
            scaled = n / unit
            text = f"{scaled:.1f}" if scaled < 10 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    return str(round(n))


def duration(seconds: float) -> str:
    """`1 h 12 min`, `45 min`, `2 d 3 h`."""
    minutes = max(0, math.floor(seconds / 60))
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "<1 min"


def _num(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _epoch(value: object) -> float | None:
    """Epoch seconds (milliseconds by mistake too) within 2000-2100, else None."""
    number = _num(value)
    if number is None or number <= 0:
        return None
    seconds = number / 1000.0 if number > 1e11 else number
    return seconds if EARLIEST <= seconds < LATEST else None


def clean_rate_limits(raw: object) -> dict[str, dict[str, float]]:
    """Only window → {used_percentage, resets_at} numbers, a few windows, short names."""
    out: dict[str, dict[str, float]] = {}
    if not isinstance(raw, dict):
        return out
    for name, body in list(raw.items())[:MAX_WINDOWS]:
        if not isinstance(name, str) or not 0 < len(name) <= 40 or not isinstance(body, dict):
            continue
        pct, resets = _num(body.get("used_percentage")), _epoch(body.get("resets_at"))
        if pct is None or not 0 <= pct <= MAX_PERCENT:
            continue  # a 300-digit % would be printed, and recorded for the app
        out[name] = {"used_percentage": pct} | ({} if resets is None else {"resets_at": resets})
    return out


def _str(value: object, limit: int = 100) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _pct(value: float, color: bool) -> str:
    text = f"{math.floor(value + 0.5)}%"
    if not color:
        return text
    tint = _GREEN if value < 50 else _YELLOW if value < 80 else _RED
    return f"{tint}{text}{_RESET}"


def _state_windows(state: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    limits = state.get("limits")
    if not isinstance(limits, list):
        return {}
    return {
        w["window"]: w for w in limits if isinstance(w, dict) and isinstance(w.get("window"), str)
    }


def build_line(
    payload: Mapping[str, Any],
    windows: Mapping[str, Mapping[str, float]],
    state: Mapping[str, Any] | None,
    now: float,
    items: tuple[str, ...] = DEFAULT_ITEMS,
    color: bool = False,
) -> str:
    """Our status line from Claude Code's input and the app's latest figures (if fresh)."""
    published = _num(state.get("published_at")) if state else None
    if state is None or published is None or not 0 <= now - published <= STATE_MAX_AGE:
        state = {}
    block = state.get("block") if isinstance(state.get("block"), dict) else None
    if block is not None and (_num(block.get("end")) or 0) <= now:
        block = None  # the app's block has ended since it last wrote
    app_windows = _state_windows(state)
    parts: list[str] = []
    for item in items:
        text = ""
        if item == "block":
            five = windows.get("five_hour")
            pct = None if five is None else five.get("used_percentage")
            source = "official"
            if pct is None and block is not None:
                pct, source = _num(block.get("percent")), _str(block.get("source"), 12)
            tokens = None if block is None else _num(block.get("tokens"))
            if pct is not None:
                text = "5h " + _pct(pct, color) + ("" if source == "official" else f" {source}")
            if tokens is not None:
                text = (text or "5h") + f" ({compact(tokens)})"
        elif item == "weekly":
            week = windows.get("seven_day") or app_windows.get("seven_day")
            pct = None if week is None else _num(week.get("used_percentage", week.get("percent")))
            text = "" if pct is None else "wk " + _pct(pct, color)
        elif item == "reset":
            five = windows.get("five_hour")
            resets = None if five is None else five.get("resets_at")
            if resets is None and block is not None:
                resets = _num(block.get("resets_at"))
            if resets is not None and resets > now:
                text = "resets in " + duration(resets - now)
        elif item == "burn" and block is not None:
            rate = _num(block.get("tokens_per_minute"))
            text = "" if rate is None else f"{compact(rate)} tok/min"
        elif item == "cost":
            cost = payload.get("cost")
            usd = _num(cost.get("total_cost_usd")) if isinstance(cost, dict) else None
            ok = usd is not None and 0 <= usd <= MAX_COST_USD
            text = f"${usd:,.2f}" if ok else ""
        if text:
            parts.append(text)
    return SEP.join(parts) or "token-monitor"


def _chained(setup: Mapping[str, Any], stdin: bytes) -> str:
    """The first line the user's previous status-line command prints for the same input."""
    previous = setup.get("previous")
    command = previous.get("command") if isinstance(previous, dict) else None
    if not isinstance(command, str) or not command.strip() or os.environ.get(_NESTED):
        return ""  # nested: a previous command that runs us again must not loop
    import subprocess  # only when chaining: ~5 ms of start-up otherwise

    try:
        # Its own process group, so a timeout ends the whole pipeline it started, not just
        # the shell (a `sleep` it left would outlive every status-line update).
        proc = subprocess.Popen(
            command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env={**os.environ, _NESTED: "1"},
            start_new_session=os.name == "posix",
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ""
    try:
        out, _ = proc.communicate(stdin, timeout=CHAIN_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        _kill_group(proc)
        return ""
    text = out.decode("utf-8", "replace")
    return text.splitlines()[0].rstrip() if text.strip() else ""


def _kill_group(proc: Any) -> None:
    """End a chained command that ran too long, with everything it started."""
    import contextlib
    import signal

    with contextlib.suppress(Exception):  # already gone: nothing left to end
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.wait(timeout=1)


def run(stdin: bytes, env: Mapping[str, str], now: float) -> str:
    """Record the capture (if any) and return the line to print."""
    try:
        payload = json.loads(stdin) if stdin.strip() else {}
    except (ValueError, RecursionError):
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    folder = data_dir(env)
    windows = clean_rate_limits(payload.get("rate_limits"))
    if windows:
        model = payload.get("model")
        record = {
            "t": now, "o": "statusline", "sid": _str(payload.get("session_id")),
            "model": _str(model.get("id")) if isinstance(model, dict) else "", "rl": windows,
        }  # fmt: skip
        append_record(folder, record)
    setup = read_json(os.path.join(folder, SETUP))
    setup = setup if isinstance(setup, dict) else {}
    state = read_json(os.path.join(folder, STATE))
    raw_items = setup.get("items")
    items = tuple(i for i in raw_items if isinstance(i, str)) if isinstance(raw_items, list) else ()
    ours = build_line(
        payload, windows, state if isinstance(state, dict) else None, now,
        items or DEFAULT_ITEMS, setup.get("color") is True,
    )  # fmt: skip
    theirs = _chained(setup, stdin)
    if not theirs:
        return ours
    # "append" (the default): ours after the user's own line; "prepend": ours first.
    return f"{ours}  {theirs}" if setup.get("position") == "prepend" else f"{theirs}  {ours}"


def main(stdin: BinaryIO | None = None, env: Mapping[str, str] | None = None) -> int:
    """The status-line entry point: whatever happens, print a line and exit 0."""
    line = "token-monitor"
    try:
        source = stdin if stdin is not None else sys.stdin.buffer
        data = source.read(MAX_STDIN)
        line = run(data, os.environ if env is None else env, time.time())
    except BaseException:  # a status line must never fail Claude Code's UI
        pass
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except (OSError, ValueError, AttributeError):  # AttributeError: stdout closed (None)
        pass
    return 0

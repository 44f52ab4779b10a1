"""Short human text for numbers, durations, money and percentages (pure)."""

from __future__ import annotations

import math
import re

from tray_app.usage.model import Totals

_SUFFIXES = ((1_000_000_000_000, "T"), (1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k"))
# parse_tokens (a typed limit) only: compiled on first use (re caches them).
_PARSE = r"^\s*(\d+(?:\.\d+)?)\s*([kmb]?)\s*$"
_THOUSANDS = r",(\d{3})(?!\d)"
_MULTIPLIER = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def _trim(text: str) -> str:
    """Drop a useless `.0` so `2.0M` reads `2M`."""
    return text[:-2] if text.endswith(".0") else text


def compact(n: float) -> str:
    """`812`, `1.2k`, `63k`, `1.2M`, `15M`, `2.1B`: at most three significant digits."""
    if n < 0:
        return "-" + compact(-n)
    value = round(n)
    if value < 1000:
        return str(value)
    for i, (unit, suffix) in enumerate(_SUFFIXES):
        if value < unit:
            continue
        scaled = value / unit
        decimal = f"{scaled:.1f}"
        text = _trim(decimal) if float(decimal) < 10 else f"{scaled:.0f}"
        # 999_950 must not read "1000k": roll over to the next larger unit.
        if float(text) >= 1000 and i > 0:
            bigger_unit, bigger_suffix = _SUFFIXES[i - 1]
            return _trim(f"{value / bigger_unit:.1f}") + bigger_suffix
        return text + suffix
    return str(value)  # unreachable: value >= 1000 always matches "k"


def parse_tokens(text: str) -> int | None:
    """Read a limit as typed: `500000`, `500 000`, `500,000`, `1.5M`, `1,5M`, `500k`."""
    cleaned = text.replace("_", "").replace(" ", "").replace("\u00a0", "")
    # A comma before exactly three digits groups thousands; any other comma is a decimal mark.
    cleaned = re.sub(_THOUSANDS, r"\1", cleaned).replace(",", ".")
    match = re.match(_PARSE, cleaned, re.IGNORECASE)
    if match is None:
        return None
    value = round(float(match.group(1)) * _MULTIPLIER[match.group(2).lower()])
    return value if value > 0 else None


def duration(seconds: float) -> str:
    """`1 h 12 min`, `45 min`, `2 d 3 h`, `<1 min` (minutes are floored)."""
    if seconds < 60:
        return "<1 min" if seconds > 0 else "0 min"
    minutes = math.floor(seconds / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def money(usd: float | None) -> str:
    """`$1.23`, `$1,234.50`; `—` when the cost is unknown (an unpriced model)."""
    if usd is None:
        return "—"
    if usd < 0:
        return "-" + money(-usd)
    return f"${usd:,.2f}"


UNPRICED = "unpriced"


def cost(usd: float, complete: bool = True, priced_any: bool = True) -> str:
    """`$0.14`; `$0.14 + unpriced` when some responses have no price; `unpriced` if none has."""
    if complete:
        return money(usd)
    return f"{money(usd)} + {UNPRICED}" if priced_any else UNPRICED


def totals_cost(totals: Totals) -> str:
    """The cost of a set of responses, marking the part no price covers."""
    return cost(totals.cost_usd, totals.cost_complete, totals.priced_any)


def percent(value: float | None) -> str:
    """`63%`, `110%`, `<1%`; `—` when unknown."""
    if value is None:
        return "—"
    if 0 < value < 1:
        return "<1%"
    return f"{math.floor(value + 0.5)}%"


def per_minute(tokens_per_minute: float | None) -> str:
    """`12k tok/min`; `—` when unknown."""
    if tokens_per_minute is None:
        return "—"
    return f"{compact(tokens_per_minute)} tok/min"


def per_hour(usd_per_hour: float | None, complete: bool = True) -> str:
    """`$4.20/h` (`$4.20/h + unpriced` for a priced part only); `—` when unknown."""
    if usd_per_hour is None:
        return "—"
    return f"{money(usd_per_hour)}/h" + ("" if complete else f" + {UNPRICED}")


def latin1(text: str) -> str:
    """Text a Latin-1-only sink (X11 WM_NAME via python-xlib) can take: `…` → `...`."""
    for wide, narrow in (("…", "..."), ("—", "-"), ("–", "-")):
        text = text.replace(wide, narrow)
    return text.encode("latin-1", "replace").decode("latin-1")

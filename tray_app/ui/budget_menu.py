"""The Budgets submenu's rows and what a typed budget means (pure; menu.py builds entries)."""

from __future__ import annotations

import re
from collections.abc import Mapping

PERIODS = (("daily", "Daily", "day"), ("weekly", "Weekly", "week"), ("monthly", "Monthly", "month"))
CLEARS = ("", "0", "off", "none", "no")


def budget_rows(budgets: Mapping[str, float]) -> list[tuple[str, str, str]]:
    """(text, period, dialog prefill) per period: "Monthly: $150…" or "Daily: none…"."""
    rows = []
    for period, title, _ in PERIODS:
        usd = budgets.get(period)
        shown = f"${usd:,.2f}".replace(".00", "") if usd else "none"
        rows.append((f"{title}: {shown}…", period, f"{usd:g}" if usd else ""))
    return rows


def prompt(period: str) -> tuple[str, str]:
    """The dialog's title and question for one period."""
    title, noun = next((t, n) for p, t, n in PERIODS if p == period)
    return f"{title} budget", f"US dollars per {noun} (empty for no budget):"


def parse_usd(text: str) -> float | None:
    """A budget in USD ("25", "$1,200.50"); None clears it. ValueError if not a sum > 0."""
    cleaned = text.strip().lower().lstrip("$").strip()
    if re.fullmatch(r"\d+,\d{1,2}", cleaned):  # a decimal comma: "12,50" is $12.50
        cleaned = cleaned.replace(",", ".")
    elif "," in cleaned:  # only thousands separators: "1,200.50"; "1,2345" is refused
        if not re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d*)?", cleaned):
            raise ValueError(f"not a budget: {text!r}")
        cleaned = cleaned.replace(",", "")
    if cleaned in CLEARS:
        return None
    value = float(cleaned)  # ValueError for words
    if not 0 < value < 1e9 or value != value:
        raise ValueError(f"not a budget: {text!r}")
    return round(value, 2)

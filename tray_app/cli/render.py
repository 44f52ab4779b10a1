"""Stable JSON shapes and plain-text tables shared by every command."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

# The JSON objects are built in the core (one renderer for the CLI, watch and dashboard).
from tray_app.usage.json_fields import block_json as block_json
from tray_app.usage.json_fields import iso as iso
from tray_app.usage.json_fields import limit_json as limit_json
from tray_app.usage.json_fields import model_json as model_json
from tray_app.usage.json_fields import per_model_json as per_model_json
from tray_app.usage.json_fields import round_usd as round_usd
from tray_app.usage.json_fields import session_json as session_json
from tray_app.usage.json_fields import totals_json as totals_json
from tray_app.usage.json_fields import windows_json as windows_json
from tray_app.usage.text_safety import clean, json_safe


def local_time(ts: float, tz: tzinfo, with_date: bool = True) -> str:
    """A local clock time for tables."""
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def dumps(obj: Any, indent: bool = True) -> str:
    """Stable JSON (C1 controls and bidi escaped too: terminals may obey them).

    A file name that is not UTF-8 reaches us as a str with lone surrogates, which orjson
    refuses; such output falls back to ASCII-only JSON, where they round-trip as
    `\\udcXX` escapes (`os.fsencode(json.loads(...))` gives the original bytes back).
    """
    import orjson  # here: a table never loads it (~1 ms of a text report's start)

    try:
        text = orjson.dumps(obj, option=orjson.OPT_INDENT_2 if indent else 0).decode()
    except orjson.JSONEncodeError:
        separators = (",", ": ") if indent else (",", ":")
        return json.dumps(obj, indent=2 if indent else None, separators=separators, default=str)
    return json_safe(text)


def safe_lines(text: str) -> str:
    """Text for a terminal: every line cleaned of control sequences, line breaks kept."""
    return "\n".join(clean(line) for line in text.split("\n"))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """Aligned columns; the first `left` columns left-aligned, numbers right-aligned."""
    rows = [[clean(cell) for cell in row] for row in rows]  # names, paths, models: untrusted
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(widths[i]) if i < left else c.rjust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    rule = "  ".join("─" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])

"""Rows of usage keyed by period, session or project, each with its per-model split (pure)."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from tray_app.usage.model import Entry, Totals, TotalsBuilder
from tray_app.usage.reports import by_tokens, sum_totals

CostFn = Callable[[Entry], "float | None"]
PERIODS = ("day", "week", "month")


@dataclass(frozen=True, slots=True)
class Row:
    """One period (or session, or project) with its totals and its models, most used first."""

    key: str
    totals: Totals
    per_model: tuple[tuple[str, Totals], ...]
    first: float
    last: float

    @property
    def models(self) -> tuple[str, ...]:
        """Model names, most tokens first (the one order every table uses)."""
        return tuple(m for m, _ in self.per_model)


def model_order(per_model: Mapping[str, Totals]) -> tuple[tuple[str, Totals], ...]:
    """Most tokens first, then by name: the same order in every report (reports.by_tokens)."""
    order = by_tokens({m: t.total_tokens for m, t in per_model.items()})
    return tuple((m, per_model[m]) for m in order)


def period_of(ts: float, tz: tzinfo, period: str) -> str:
    """The day `2026-02-10`, the week's Monday `2026-02-09` or the month `2026-02` in `tz`."""
    day = datetime.fromtimestamp(ts, tz).date()
    if period == "month":
        return day.strftime("%Y-%m")
    if period == "week":
        day -= timedelta(days=day.weekday())
    return day.isoformat()


def group(entries: Iterable[Entry], key_of: Callable[[Entry], str], cost_of: CostFn) -> list[Row]:
    """Rows by key, sorted by key; each row carries its per-model totals."""
    acc: dict[str, dict[str, TotalsBuilder]] = {}
    span: dict[str, list[float]] = {}
    for e in entries:
        key = key_of(e)
        acc.setdefault(key, {}).setdefault(e.model, TotalsBuilder()).add(e, cost_of(e))
        s = span.setdefault(key, [e.timestamp, e.timestamp])
        s[0], s[1] = min(s[0], e.timestamp), max(s[1], e.timestamp)
    rows = []
    for key in sorted(acc):
        per_model = {m: b.build() for m, b in acc[key].items()}
        rows.append(Row(key, sum_totals(per_model.values()), model_order(per_model), *span[key]))
    return rows


def pick(rows: list[Row], last: int | None, order: str) -> list[Row]:
    """The `last` most recent rows (by key), oldest first for `asc`, newest first for `desc`."""
    chosen = rows[-last:] if last else list(rows)
    return chosen[::-1] if order == "desc" else chosen


def project_names(paths: Iterable[str], aliases: Mapping[str, str]) -> dict[str, str]:
    """A short name per working dir: its alias, else its folder name, else the full path.

    The full path is kept when two dirs share a folder name, so projects never merge.
    """
    paths = set(paths)
    base = {p: posixpath.basename(p.rstrip("/\\").replace("\\", "/")) for p in paths}
    count: dict[str, int] = {}
    for b in base.values():
        count[b] = count.get(b, 0) + 1
    out = {}
    for p in paths:
        alias = aliases.get(p) or aliases.get(p.rstrip("/")) or aliases.get(base[p])
        out[p] = alias or (base[p] if base[p] and count[base[p]] == 1 else p) or "(no project)"
    return out


def project_matches(path: str, wanted: str, names: Mapping[str, str]) -> bool:
    """Whether `--project wanted` means this dir: its shown name, folder name or full path."""
    base = posixpath.basename(path.rstrip("/\\").replace("\\", "/"))
    return wanted in (names.get(path), base, path, path.rstrip("/"))

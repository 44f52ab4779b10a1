"""`models`: per model totals, share and rates that mean something (a table that fits)."""

from __future__ import annotations

import argparse
from math import inf, nextafter
from typing import Any

from tray_app.cli import render as r
from tray_app.cli import report_table as rt
from tray_app.cli.dataset import Dataset, load
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.projects import Projects
from tray_app.cli.reports_cmd import warn_unpriced
from tray_app.cli.table import Col, Line, render
from tray_app.usage.model import Entry
from tray_app.usage.model_activity import activity_of, busy_by_model, model_summaries, stamps_of
from tray_app.usage.reports import ModelSummary, sum_totals, totals_of
from tray_app.usage.rollup import Part, group_parts, unpriced_in


def without_cache_reads(m: ModelSummary) -> float | None:
    """Average tokens/s not counting cache reads (cheap re-reads inflate the total rate)."""
    t = m.totals
    if m.avg_tokens_per_sec is None or not t.total_tokens:
        return None
    return m.avg_tokens_per_sec * (t.total_tokens - t.cache_read_tokens) / t.total_tokens


def summaries(
    data: Dataset, parts: list[Part], sessions: set[str] | None, now: float
) -> tuple[list[ModelSummary], list[Entry]]:
    """Per model figures of these parts, and the last minute's responses.

    Totals come from the rollup's parts, busy time from the ledger's per-model activity
    (or the responses of `sessions` when a project narrows the report): no load of
    every response.
    """
    totals = {row.key: row.totals for row in group_parts(parts, lambda p: p.model)}
    if sessions is None:
        records = data.activity()
        recent = data.between(now - 60.0, nextafter(now, inf))
    else:
        mine = data.session_entries(sessions)
        records = activity_of(stamps_of(mine))
        recent = [e for e in mine if now - 60.0 <= e.timestamp <= now]
    by_model: dict[str, list[Entry]] = {}
    for e in recent:
        by_model.setdefault(e.model, []).append(e)
    last = {m: totals_of(es, data.cost) for m, es in by_model.items()}
    return model_summaries(totals, busy_by_model(records), last), recent


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def cmd_models(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Per model: totals, share, average rates; the last-minute rate only for models in use."""
    data = load(args, env)
    if getattr(args, "project", None):
        parts = Projects(data).select(data.parts, args)
        narrowed: set[str] | None = {p.session_id for p in parts}
    else:  # per model, summed by the ledger
        parts, narrowed = data.merged("model"), None
    items, recent = summaries(data, parts, narrowed, env.now)
    if not args.no_cost:  # (the per-model sums name the same models as every part)
        warn_unpriced(env, data, None if narrowed is not None else unpriced_in(parts))
    total = sum_totals(m.totals for m in items)
    # A last-minute rate only means something for a model used in the last minute.
    live = {e.model for e in recent}
    listed = []
    for m in items:
        obj: dict[str, Any] = r.model_json(m)
        excl = without_cache_reads(m)
        obj["avg_tokens_per_sec_excl_cache_read"] = None if excl is None else round(excl, 3)
        if m.model not in live:
            obj["last_minute_tokens_per_sec"] = obj["last_minute_cost_per_sec"] = None
        listed.append(obj)
    payload = {"models": listed, "totals": r.totals_json(total)}
    cols = [Col("Model", right=False, models=True), *rt.token_cols(args.no_cost)]
    # Rates outlive the cache and input columns when the terminal is narrow.
    cols += [Col("Share"), Col("Avg tok/s", drop=1), Col("excl. cache", drop=1)]
    if live:
        cols.append(Col("Last min tok/s", drop=1))
    lines = []
    for m in items:
        cells = [[m.model], *rt.token_cells(m.totals, args.no_cost), f"{m.share * 100:.1f}%"]
        cells += [_rate(m.avg_tokens_per_sec), _rate(without_cache_reads(m))]
        if live:
            cells.append(_rate(m.last_minute_tokens_per_sec) if m.model in live else "—")
        lines.append(Line(cells))
    if items:
        tail = ["100.0%", "", "", *([""] if live else [])]
        lines.append(Line(["Total", *rt.token_cells(total, args.no_cost), *tail], "total"))
    if args.json:  # the table is never printed: rendering it cost most of a big report
        text = ""
    else:
        text = render(cols, lines, rt.output_of(args, env)) if items else "No usage."
    rt.show(env, args, payload, text)
    return ExitStatus.OK

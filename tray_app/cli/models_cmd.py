"""`models`: per model totals, share and rates that mean something (a table that fits)."""

from __future__ import annotations

import argparse
from typing import Any

from tray_app.cli import render as r
from tray_app.cli import report_table as rt
from tray_app.cli.dataset import load
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.projects import Projects
from tray_app.cli.reports_cmd import warn_unpriced
from tray_app.cli.table import Col, Line, render
from tray_app.usage.reports import ModelSummary, models, totals_of


def without_cache_reads(m: ModelSummary) -> float | None:
    """Average tokens/s not counting cache reads (cheap re-reads inflate the total rate)."""
    t = m.totals
    if m.avg_tokens_per_sec is None or not t.total_tokens:
        return None
    return m.avg_tokens_per_sec * (t.total_tokens - t.cache_read_tokens) / t.total_tokens


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def cmd_models(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Per model: totals, share, average rates; the last-minute rate only for models in use."""
    data = load(args, env)
    entries = Projects(data).select(data.entries, args)
    items = models(entries, data.cost, env.now)
    if not args.no_cost:
        warn_unpriced(env, data)
    total = totals_of(entries, data.cost)
    # A last-minute rate only means something for a model used in the last minute.
    live = {e.model for e in entries if env.now - 60.0 <= e.timestamp <= env.now}
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

"""`daily`, `weekly`, `monthly`: usage per period, optionally per project and per model."""

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
from tray_app.usage.grouping import Row, period_of, pick
from tray_app.usage.reports import sum_totals
from tray_app.usage.rollup import Part, group_parts, unpriced_in

# command → (period, JSON key of a row, JSON list name, first column header)
KINDS = {
    "daily": ("day", "date", "daily", "Date"),
    "weekly": ("week", "week", "weekly", "Week of"),
    "monthly": ("month", "month", "monthly", "Month"),
}


def _row_json(row: Row, key: str, breakdown: bool) -> dict[str, Any]:
    out: dict[str, Any] = {key: row.key, "models": list(row.models), **r.totals_json(row.totals)}
    if breakdown:
        out["per_model"] = rt.per_model_json(row.per_model)
    return out


def _lines(rows: list[Row], args: argparse.Namespace) -> list[Line]:
    lines = []
    for row in rows:
        lines.append(Line([row.key, list(row.models), *rt.token_cells(row.totals, args.no_cost)]))
        if args.breakdown:
            lines += rt.breakdown_lines(row.per_model, 1, args.no_cost)
    return lines


def cmd_periods(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Per day, week (Monday first) or month in the user's timezone."""
    data = load(args, env)
    period, key, name, header = KINDS[args.command]
    by_project = args.instances or getattr(args, "project", None)
    projects = Projects(data) if by_project else None
    # Per day and model, summed by the ledger (O(days × models)) unless the sessions'
    # projects are asked for: those need the rollup's rows per session.
    entries = data.day_parts() if projects is None else projects.select(data.parts, args)
    if not args.no_cost:
        warn_unpriced(env, data, unpriced_in(entries) if projects is None else None)
    order = args.order or "asc"

    def rows_of(es: list[Part]) -> list[Row]:
        return pick(group_parts(es, lambda e: period_of(e.timestamp, data.tz, period)),
                    args.last, order)  # fmt: skip

    cols = [Col(header, right=False), Col("Models", right=False, models=True)]
    cols += rt.token_cols(args.no_cost)
    lines: list[Line] = []
    if args.instances and projects is not None:
        groups, subtotals = [], []
        for proj in group_parts(entries, projects.name):
            rows = rows_of([e for e in entries if projects.name(e) == proj.key])
            sub = sum_totals(x.totals for x in rows)
            subtotals.append(sub)
            groups.append({"project": proj.key, name: [_row_json(x, key, args.breakdown)
                           for x in rows], "totals": r.totals_json(sub)})  # fmt: skip
            lines.append(Line([proj.key] + [""] * (len(cols) - 1), "group"))
            lines += _lines(rows, args)
        total = sum_totals(subtotals)
        payload: dict[str, Any] = {"projects": groups, "totals": r.totals_json(total)}
    else:
        rows = rows_of(entries)
        total = sum_totals(x.totals for x in rows)
        payload = {name: [_row_json(x, key, args.breakdown) for x in rows],
                   "totals": r.totals_json(total)}  # fmt: skip
        lines = _lines(rows, args)
    lines.append(Line(["Total", "", *rt.token_cells(total, args.no_cost)], "total"))
    if args.json:  # the table is never printed: rendering it cost most of a big report
        text = ""
    else:
        text = render(cols, lines, rt.output_of(args, env)) if lines[:-1] else "No usage."
    rt.show(env, args, payload, text)
    return ExitStatus.OK

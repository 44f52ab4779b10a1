"""`sessions`: every session as a table that fits, by project, with per-model rows on request."""

from __future__ import annotations

import argparse
from typing import Any

from tray_app.cli import render as r
from tray_app.cli import report_table as rt
from tray_app.cli.dataset import Dataset, load
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.projects import Projects
from tray_app.cli.reports_cmd import warn_unpriced
from tray_app.cli.table import Col, Line, render
from tray_app.usage.grouping import Row, pick
from tray_app.usage.reports import session_of_row, sum_totals
from tray_app.usage.rollup import Part, group_parts
from tray_app.usage.text_safety import NAME_MAX, clean


def _rows(entries: list[Part], data: Dataset, args: argparse.Namespace) -> list[Row]:
    """Sessions by last activity; `--last N` keeps the N most recent."""
    rows = sorted(group_parts(entries, lambda e: e.session_id), key=lambda s: s.last)
    return pick(rows, args.last, args.order or "desc")


def _json(row: Row, data: Dataset, projects: Projects, breakdown: bool) -> dict[str, Any]:
    s = session_of_row(row, data.names, data.projects)
    path = s.project_path
    out = r.session_json(s, project=projects.names.get(path, "") if path else "")
    if breakdown:
        out["per_model"] = rt.per_model_json(row.per_model)
    return out


def _lines(
    rows: list[Row], data: Dataset, projects: Projects, args: argparse.Namespace
) -> list[Line]:
    lines = []
    for row in rows:
        path = data.projects.get(row.key, "")
        lines.append(
            Line(
                [
                    row.key[:8],
                    clean(data.names.get(row.key, ""), NAME_MAX),
                    projects.names.get(path, "") if path else "",
                    r.local_time(row.last, data.tz),
                    list(row.models),
                    *rt.token_cells(row.totals, args.no_cost),
                ]
            )
        )
        if args.breakdown:
            lines += rt.breakdown_lines(row.per_model, 4, args.no_cost)
    return lines


COLS = [
    Col("Session", right=False),
    Col("Name", right=False, drop=5, squeeze=True),
    Col("Project", right=False, drop=6, squeeze=True),
    Col("Last activity", right=False, compact=False, drop=7),
    Col("Models", right=False, models=True),
]


def cmd_sessions(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Every session, most recent first (`--order asc`: oldest first)."""
    data = load(args, env)
    projects = Projects(data)
    # The rollup summed per session and model by SQLite: O(sessions), not O(quarter-hours).
    entries = projects.select(data.merged("session"), args)
    if not args.no_cost:
        warn_unpriced(env, data)
    cols = [*COLS, *rt.token_cols(args.no_cost, first_to_go=True)]
    lines: list[Line] = []
    if args.instances:
        groups, subtotals = [], []
        for proj in group_parts(entries, projects.name):
            rows = _rows([e for e in entries if projects.name(e) == proj.key], data, args)
            sub = sum_totals(x.totals for x in rows)
            subtotals.append(sub)
            listed = [_json(x, data, projects, args.breakdown) for x in rows]
            groups.append({"project": proj.key, "sessions": listed, "totals": r.totals_json(sub)})
            lines.append(Line([proj.key] + [""] * (len(cols) - 1), "group"))
            lines += _lines(rows, data, projects, args)
        total = sum_totals(subtotals)
        payload: dict[str, Any] = {"projects": groups, "totals": r.totals_json(total)}
    else:
        rows = _rows(entries, data, args)
        total = sum_totals(x.totals for x in rows)
        payload = {"sessions": [_json(x, data, projects, args.breakdown) for x in rows],
                   "totals": r.totals_json(total)}  # fmt: skip
        lines = _lines(rows, data, projects, args)
    lines.append(Line(["Total", "", "", "", "", *rt.token_cells(total, args.no_cost)], "total"))
    if args.json:  # the table is never printed: rendering it cost most of a big report
        text = ""
    else:
        text = render(cols, lines, rt.output_of(args, env)) if lines[:-1] else "No sessions."
    rt.show(env, args, payload, text)
    return ExitStatus.OK

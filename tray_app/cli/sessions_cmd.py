"""`session ID|NAME` and session name resolution (`sessions` is in sessions_list_cmd)."""

from __future__ import annotations

import argparse
from typing import Any

from tray_app.cli import render as r
from tray_app.cli import report_table as rt
from tray_app.cli.dataset import load
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.cli.reports_cmd import emit
from tray_app.cli.table import Col, Line, Rendered, render
from tray_app.usage import formatting as fmt
from tray_app.usage.reports import models, sessions, totals_of
from tray_app.usage.text_safety import NAME_MAX, clean


def resolve_session(query: str, known: set[str], names: dict[str, str]) -> str:
    """A session id from a name, a full uuid or a unique uuid prefix."""
    if query in known:
        return query
    named = [sid for sid, name in names.items() if name == query]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise CliError(
            f"{len(named)} sessions are named {query!r}; use an id", ExitStatus.NOT_FOUND
        )
    matches = sorted(sid for sid in known if sid.startswith(query))
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise CliError(
            f"{query!r} matches {len(matches)} sessions: {', '.join(m[:12] for m in matches[:5])}",
            ExitStatus.NOT_FOUND,
        )
    raise CliError(f"no session {query!r} (name, id or id prefix)", ExitStatus.NOT_FOUND)


def cmd_session(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """One session: totals, per model and per day."""
    data = load(args, env)
    known = data.session_ids | set(data.sessions)  # from the rollup: no load of every response
    sid = resolve_session(args.session, known, data.names)
    mine = data.session_entries({sid})  # only the quarter-hours the session used
    items = sessions(mine, data.cost, data.names, data.projects)
    meta = data.sessions.get(sid)
    per_model = models(mine, data.cost, env.now)
    total = totals_of(mine, data.cost)
    payload: dict[str, Any] = {
        "session": r.session_json(items[0]) if items else {"session_id": sid},
        "tags": [t for t in (meta.tags.split(",") if meta else []) if t],
        "description": meta.description if meta else "",
        "models": [r.model_json(m) for m in per_model],
        "totals": r.totals_json(total),
    }
    head = [f"Session   {clean(sid)}"]  # every field below may come from a transcript
    if items:
        s = items[0]
        head += [
            f"Name      {clean(s.name, NAME_MAX) or '—'}",
            f"Project   {clean(s.project_path) or '—'}",
            f"Active    {r.local_time(s.first_activity, data.tz)} → "
            f"{r.local_time(s.last_activity, data.tz)}",
        ]
    if meta and meta.tags:
        head.append(f"Tags      {clean(meta.tags)}")
    if meta and meta.description:
        head.append(f"About     {clean(meta.description)}")
    label = clean((items[0].name if items else "") or sid[:8], NAME_MAX)
    compact = f"{label} · {fmt.compact(total.total_tokens)}"
    if args.json or args.compact:
        emit(env, args, payload, "", compact + f" tokens · {fmt.totals_cost(total)}")
        return ExitStatus.OK
    cols = [Col("Model", right=False, models=True), *rt.token_cols(args.no_cost)]
    lines = [Line([[m.model], *rt.token_cells(m.totals, args.no_cost)]) for m in per_model]
    lines.append(Line(["Total", *rt.token_cells(total, args.no_cost)], "total"))
    table = render(cols, lines, rt.output_of(args, env))
    rt.show(env, args, payload, Rendered(r.safe_lines("\n".join(head)) + "\n\n" + table))
    return ExitStatus.OK

"""Commands that act on the ledger or inspect the setup: name, export, doctor."""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterator
from typing import Any

from tray_app import __version__
from tray_app.adapters.ledger import Ledger, LedgerError
from tray_app.adapters.locations import config_file
from tray_app.cli import render as r
from tray_app.cli.data_dirs import data_dir_problems
from tray_app.cli.dataset import Dataset, ledger_path, load
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.usage.model import Entry, TotalsBuilder
from tray_app.usage.reports import unpriced_models
from tray_app.usage.text_safety import (
    DESCRIPTION_MAX,
    TAG_MAX,
    clean,
    csv_cell,
    name_problem,
    text_problem,
)

EXPORT_BATCH = 1000  # responses per JSON dump while streaming
EXPORT_FIELDS = [
    "timestamp",
    "session_id",
    "project_path",
    "model",
    "message_id",
    "request_id",
    "input_tokens",
    "output_tokens",
    "cache_creation_tokens",
    "cache_creation_1h_tokens",
    "cache_read_tokens",
    "total_tokens",
    "web_search_requests",
    "speed",
    "inference_geo",
    "sidechain",
    "cost_usd",
]


def cmd_name(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Name (or rename, or with "" unname) a session; tags and description optional."""
    # Each command imports its own helpers: `export` never loads the session, roots and
    # status-line modules (and what they import: ~10 ms of its start).
    from tray_app.cli.sessions_cmd import resolve_session

    if args.no_ledger:
        raise CliError("`name` stores the name in the ledger; drop --no-ledger", ExitStatus.USAGE)
    tags = [t.strip() for t in args.tag or () if t.strip()]
    problems = [text_problem(tag, "tag", TAG_MAX) for tag in tags]
    if args.description is not None:
        problems.append(text_problem(args.description, "description", DESCRIPTION_MAX))
    for problem in problems:
        if problem is not None:
            raise CliError(problem, ExitStatus.USAGE)
    data = load(args, env)
    ledger = data.ledger
    assert ledger is not None
    known = data.session_ids | set(data.sessions)  # from the rollup: no load of every response
    sid = resolve_session(args.session, known, data.names)
    name = args.name.strip()
    problem = name_problem(name, sid, data.names, known)
    if problem is not None:  # control chars, too long, a duplicate or an id look-alike
        raise CliError(problem, ExitStatus.USAGE)
    ledger.name_session(sid, name, ",".join(tags) if args.tag else None, args.description)
    meta = ledger.sessions()[sid]
    payload = {
        "session_id": sid,
        "name": meta.name,
        "tags": [t for t in meta.tags.split(",") if t],
        "description": meta.description,
    }
    shown = clean(sid)  # ids come from transcripts
    said = f"Named {shown} “{meta.name}”" if meta.name else f"Cleared the name of {shown}"
    if args.json:
        print(r.dumps(payload), file=env.stdout)
    else:
        print(said, file=env.stdout)
    return ExitStatus.OK


def _export_values(e: Entry, data: Dataset, cost: float | None) -> tuple[Any, ...]:
    """One response's export fields, in EXPORT_FIELDS' order (both formats)."""
    return (
        r.iso(e.timestamp),
        e.session_id,
        data.projects.get(e.session_id, ""),
        e.model,
        e.message_id,
        e.request_id,
        e.input_tokens,
        e.output_tokens,
        e.cache_creation_tokens,
        e.cache_1h_tokens,
        e.cache_read_tokens,
        e.total_tokens,
        e.web_search_requests,
        e.speed or "standard",
        e.geo,
        bool(e.sidechain),  # the ledger stores 0/1
        r.round_usd(cost),
    )


def _indented(text: str, by: str) -> str:
    return text.replace("\n", "\n" + by)


def cmd_export(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Every counted response (metrics and ids only) as CSV or JSON, streamed in time order.

    Rows are read from the ledger a batch at a time and written as they come: memory
    stays flat however long the history. The JSON is byte for byte what dumping the
    whole object at once gives.
    """
    data = load(args, env)
    if getattr(args, "period", "responses") != "responses":
        from tray_app.cli.export_periods import export_periods

        return export_periods(args.period, data, env, args.format == "json" or args.json)
    out = env.stdout
    totals = TotalsBuilder()
    cost_of = data.prices.cost  # not data.cost: its per-response memo would hold them all

    def rows() -> Iterator[list[tuple[Any, ...]]]:
        batch: list[tuple[Any, ...]] = []
        for e in data.in_time_order():
            cost = cost_of(e)
            totals.add(e, cost)
            batch.append(_export_values(e, data, cost))
            if len(batch) == EXPORT_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    if args.format == "json" or args.json:
        out.write('{\n  "responses": [')
        sep = "\n    "
        for batch in rows():
            # One dump per batch ("[\n  {...},\n  {...}\n]"), re-indented one level.
            text = r.dumps([dict(zip(EXPORT_FIELDS, row, strict=True)) for row in batch])
            out.write(sep + _indented(text[4:-2], "  "))
            sep = ",\n    "
        out.write("\n  ]" if sep != "\n    " else "]")
        tail = _indented(r.dumps(r.totals_json(totals.build())), "  ")
        out.write(f',\n  "totals": {tail}\n}}\n')
        return ExitStatus.OK
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    for batch in rows():
        # Ids, paths and models come from transcripts: no control chars, no formulas. (Lists
        # through csv.writer, not dicts through DictWriter: a 1 GB export 2.2 -> 1.75 s.)
        writer.writerows([csv_cell(v) if type(v) is str else v for v in row] for row in batch)
    return ExitStatus.OK


def cmd_doctor(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Check the setup: data dirs, files, bad lines, ledger, prices, tray support."""
    from tray_app.adapters.response_queries import response_count
    from tray_app.cli import statusline_setup
    from tray_app.cli.roots_cmd import remembered_json, remembered_lines

    data = load(args, env, validate=True)  # a full validating pass over every line
    # Named data dirs that are missing, not dirs or unreadable: listed here, exit 3 elsewhere.
    dir_problems = data_dir_problems(args.data_dir or data.settings.data_dirs, env.env)
    roots = data.engine.roots  # that pass found the roots and files: no second walk
    path = ledger_path(env, data.settings)
    ledger_info: dict[str, Any] = {"path": str(path), "exists": path.exists()}
    remembered: list[str] = []
    if path.exists() and not args.no_ledger:
        try:
            ledger = Ledger.open(path)
        except LedgerError as exc:  # a refused/locked/full ledger is diagnosed, not fatal
            ledger_info["error"] = str(exc)
            data.stats.warnings.append(str(exc))
        else:
            count = response_count(ledger)
            ledger_info.update(
                responses=count,
                tracked_files=len(ledger.file_states()),
                size_bytes=path.stat().st_size,
                recovered_to=str(ledger.recovered_to) if ledger.recovered_to else None,
                notes=ledger.notes,
            )
            ledger_info.update(remembered_json(ledger))  # every root it holds responses from
            remembered = remembered_lines(ledger)
            data.stats.warnings.extend(ledger.notes)
            ledger.close()
    stats = data.stats
    payload: dict[str, Any] = {
        "version": __version__,
        "config_file": str(config_file(env.env)),
        "roots": [str(p) for p in roots.dirs],
        "missing_roots": [str(p) for p in roots.missing],
        "data_dir_problems": dir_problems,
        "warnings": data.stats.warnings,
        "files": data.stats.files_seen,
        "bytes": data.stats.bytes_read,
        "responses": len(data.entries),
        "bad_lines": stats.bad_lines,
        "bad_places": [f"{b.path}:{b.line}: {b.reason}" for b in stats.bad_places[:10]],
        "unpriced_models": unpriced_models(data.entries, data.cost),
        "prices_checked": data.prices.checked,
        "ledger": ledger_info,
        "tray": env.extras.get("tray", {}),
        "watcher": env.extras.get("watcher", {}),
        "status_line": statusline_setup.doctor_info(env),
    }
    if args.json:
        print(r.dumps(payload), file=env.stdout)
        return ExitStatus.OK
    lines = [
        f"token-monitor {__version__}",
        f"Config        {payload['config_file']}",
        "Data dirs     " + (", ".join(payload["roots"]) or "none found"),
        *(f"  {problem}" for problem in dir_problems),
        f"Transcripts   {payload['files']:,} files, {payload['bytes']:,} bytes",
        f"Responses     {payload['responses']:,} counted",
        f"Bad lines     {stats.bad_lines:,}",
        *(f"  {clean(place)}" for place in payload["bad_places"]),
        f"Prices        checked {data.prices.checked}"
        + (
            f"; unpriced: {', '.join(clean(m) for m in payload['unpriced_models'])}"
            if payload["unpriced_models"]
            else ""
        ),
        f"Ledger        {path}"
        + (
            f" ({ledger_info.get('responses', 0):,} responses)"
            if ledger_info["exists"]
            else " (not created yet)"
        ),
        *(["Ledger roots  (forget one: token-monitor forget-root DIR)"] if remembered else []),
        *remembered,
    ]
    lines.append(f"Status line   {statusline_setup.doctor_line(payload['status_line'])}")
    for key in ("tray", "watcher"):
        for name, value in payload[key].items():
            lines.append(f"{(key.capitalize() + ' ' + name):<13} {value}")
    for warning in payload["warnings"]:
        lines.append(f"Warning       {warning}")
    print(r.safe_lines("\n".join(lines)), file=env.stdout)
    return ExitStatus.OK
